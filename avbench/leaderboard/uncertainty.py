"""Confidence intervals and comparisons with the best row, per comparison group.

A group is one dataset, one class set and one protocol: one table of the leaderboard. Every row of a
group is bootstrapped with the same draws of test subjects, so its intervals and its differences
from the best row are paired. The best row is the complete, current row with the highest pooled
**accuracy** (the metric every seed text reports, so the best row reads against the reported
column); UAR and macro-F1 intervals are shown beside it. A row is *tied with best* when the paired
speaker bootstrap cannot tell it from the best row (two-sided p >= 0.05). Partial, stale and failed
rows, and rows scored on other test clips than the best row, are never ranked or marked.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

import numpy as np

from avbench.metrics.bootstrap import (
    BOOTSTRAP_METRICS, DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, group_rng, paired_difference, percentile_interval,
    resample_counts, resampled_metric, subject_confusions,
)

from .tables import RowPredictions

RANKING_METRIC = "accuracy"
TIE_LEVEL = 0.05
COMPARISON_COLUMNS = ("is_best", "tied_with_best", "vs_best_difference", "vs_best_ci_low", "vs_best_ci_high",
                      "vs_best_p", "compared_on")


def group_key(row: dict[str, Any]) -> tuple[str, bool, tuple[str, ...], str]:
    """(dataset, synthetic, class set, protocol): rows of one key share a table and a bootstrap."""
    return (row.get("dataset") or "?", bool(row.get("synthetic")), tuple(sorted(row.get("classes") or [])),
            row["protocol"])


def ranks(row: dict[str, Any]) -> bool:
    """Whether a row takes part in ranking: complete, current, with predictions."""
    return row.get("status") == "ok" and not row.get("stale")


def is_special_setting(row: dict[str, Any]) -> bool:
    """Transductive (test clips normalised by their own statistics) or contaminated (a pretrained part saw the
    corpus): compared with the best row, never named best over rows without such help."""
    return bool(row.get("transductive") or row.get("contamination"))


def is_unverified(row: dict[str, Any]) -> bool:
    """Submitted folds not compared with the maintainer's data: never best, nor tied, over a verified row."""
    return bool(row.get("unverified"))


def annotate_groups(rows: list[dict[str, Any]], predictions: dict[tuple[str, str], RowPredictions],
                    metrics: Iterable[str], resamples: int = DEFAULT_RESAMPLES, seed: int = 0,
                    confidence: float = DEFAULT_CONFIDENCE) -> None:
    """Add intervals, best and tied-with-best marks to the rows that have predictions (in place)."""
    wanted = [m for m in BOOTSTRAP_METRICS if m in metrics or m == RANKING_METRIC]
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(group_key(row), []).append(row)
    for key, group in groups.items():
        fresh = [r for r in group if (r["experiment"], r["protocol"]) in predictions]
        fresh_ids = {id(r) for r in fresh}
        kept_marks_hold = not fresh and any(r.get("is_best") and ranks(r) for r in group)
        for row in group:  # marks are only kept from an earlier render when its best row still stands
            if id(row) not in fresh_ids and not (kept_marks_hold and ranks(row)):
                _clear_marks(row)
        if fresh:
            _annotate_group(key, fresh, predictions, wanted, resamples, seed, confidence)


def _clear_marks(row: dict[str, Any]) -> None:
    row.update({c: None for c in COMPARISON_COLUMNS})
    row["is_best"] = False


def _annotate_group(key: tuple, rows: list[dict[str, Any]], predictions: dict[tuple[str, str], RowPredictions],
                    metrics: list[str], resamples: int, seed: int, confidence: float) -> None:
    subjects = sorted(set().union(*(predictions[(r["experiment"], r["protocol"])].subjects for r in rows)))
    index = {s: i for i, s in enumerate(subjects)}
    weights = resample_counts(len(subjects), resamples, group_rng(seed, json.dumps(key, default=str)))
    confusions = {}
    for row in rows:
        pred = predictions[(row["experiment"], row["protocol"])]
        confusions[row["experiment"]] = [
            subject_confusions(np.array([index[s] for s in frame["subject"].to_list()], dtype=np.int64),
                               frame["label_index"].to_numpy(), frame["predicted_index"].to_numpy(),
                               len(subjects), pred.n_classes)
            for _, frame in sorted(pred.seeds.items()) if frame.height]
        for m in metrics:
            if confusions[row["experiment"]]:
                low, high = percentile_interval(resampled_metric(confusions[row["experiment"]], weights, m), confidence)
            else:
                low = high = None
            row[f"{m}_ci_low"], row[f"{m}_ci_high"] = low, high
        row["bootstrap_subjects"] = len(subjects)
        _clear_marks(row)
    eligible = [r for r in rows if ranks(r) and confusions[r["experiment"]]]
    if not eligible:
        return
    candidates = [r for r in eligible if not is_unverified(r)] or eligible  # best is chosen here; all are compared
    like_for_like = [r for r in candidates if not is_special_setting(r)]
    best = max(like_for_like or candidates, key=lambda r: (r.get(f"{RANKING_METRIC}_pooled") or 0,
                                                         r.get("uar_pooled") or 0, r["experiment"]))
    best_clips = predictions[(best["experiment"], best["protocol"])].clip_ids
    best["is_best"] = True
    best["compared_on"] = f"{len(best_clips)} clips"
    for row in eligible:
        if row is best:
            continue
        clips = predictions[(row["experiment"], row["protocol"])].clip_ids
        if clips != best_clips:
            row["compared_on"] = (f"not compared: other test clips than the best row "
                                  f"({len(clips ^ best_clips)} differ)")
            continue
        diff = paired_difference(confusions[row["experiment"]], confusions[best["experiment"]], weights,
                                 RANKING_METRIC, confidence)
        row.update(vs_best_difference=diff.difference, vs_best_ci_low=diff.low, vs_best_ci_high=diff.high,
                   vs_best_p=diff.p_value,
                   tied_with_best=bool(diff.p_value >= TIE_LEVEL)
                   and not (is_unverified(row) and not is_unverified(best)),
                   compared_on=f"{len(clips)} clips")


def sort_key(row: dict[str, Any]) -> tuple:
    """Ranked rows by the ranking metric, then partial, failed, stale and not-run rows."""
    order = {"ok": 0, "partial": 1, "error": 2, "stale": 3, "not run": 4}
    status = "stale" if row.get("stale") else row.get("status")
    value = row.get(f"{RANKING_METRIC}_pooled")
    return (order.get(status, 5), -(value if value is not None else -1), row["experiment"])
