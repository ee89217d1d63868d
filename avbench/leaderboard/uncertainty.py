"""Confidence intervals, comparisons with the best row and rank intervals, per comparison group.

A group is one dataset, one class set and one protocol: one table of the leaderboard. Every row of a
group is bootstrapped with the same draws of test subjects, so its intervals, its differences from the
best row and its ranks are paired. The best row is the complete, current row with the highest pooled
**accuracy** (the metric every seed text reports) that is neither degenerate (collapsed to one class, or
not above chance by its own interval) nor transductive or contaminated when a like-for-like row exists.

A row is compared with the best on the same test clips by an exact (up to 20 speakers) or Monte-Carlo
sign-flip test over test speakers; the p-values of a table's comparisons are Holm-corrected, and a row
is *tied with best* when the corrected p is at least :data:`TIE_LEVEL`. Below :data:`MIN_TEST_SPEAKERS`
test speakers no test can reach that level: no p-value, tie or rank interval is given, and a row's
interval is the range of its per-speaker values. Partial, stale and failed rows, rows with a class
that no training clip has, and rows scored on other test clips than the best row, are never ranked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from avbench.metrics.bootstrap import (
    BOOTSTRAP_METRICS, DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, PairedDifference, group_rng, metric_from_confusions,
    paired_difference, percentile_interval, resample_counts, resampled_metric, subject_confusions,
)
from avbench.metrics.signflip import EXACT_MAX_SUBJECTS, PERMUTATIONS, SignFlipTest, holm, sign_flip_test

from .tables import RowPredictions

RANKING_METRIC = "accuracy"
TIE_LEVEL = 0.05
#: Fewest test speakers a table needs for p-values, ties and rank intervals: the smallest n whose exact
#: sign-flip test can give p < TIE_LEVEL at all (2^(1-n) = 0.031 at 6 speakers, 0.0625 at 5).
MIN_TEST_SPEAKERS = 6
#: A row predicting one class for at least this share of its test clips has collapsed.
NEAR_COLLAPSE = 0.95
TOO_FEW = "too few test speakers to compare"
METRIC_NAMES = {"accuracy": "accuracy", "uar": "UAR", "macro_f1": "macro-F1"}
COMPARISON_COLUMNS = ("is_best", "tied_with_best", "vs_best_difference", "vs_best_ci_low", "vs_best_ci_high",
                      "vs_best_p", "vs_best_holm_p", "vs_best_p_text", "vs_best_test", "compared_on",
                      "too_few_speakers", "rank_low", "rank_high", "not_best_reason")


def comparison_metadata() -> dict[str, Any]:
    """How rows are compared, for ``metadata.json`` and the how-to-read texts."""
    return {"ranking_metric": RANKING_METRIC, "tied_when_p_at_least": TIE_LEVEL,
            "comparison_test": f"paired sign-flip over test speakers: exact up to {EXACT_MAX_SUBJECTS} speakers, "
                               f"else {PERMUTATIONS} Monte-Carlo swaps",
            "multiplicity": "Holm, over a table's comparisons with its best row",
            "min_test_speakers": MIN_TEST_SPEAKERS, "collapsed_at_share": NEAR_COLLAPSE,
            "rank_interval": "95% percentile interval of a row's rank over the speaker resamples"}


def group_key(row: dict[str, Any]) -> tuple[str, bool, tuple[str, ...], str]:
    """(dataset, synthetic, class set, protocol): rows of one key share a table and a bootstrap."""
    return (row.get("dataset") or "?", bool(row.get("synthetic")), tuple(sorted(row.get("classes") or [])),
            row["protocol"])


def ranks(row: dict[str, Any]) -> bool:
    """Whether a row takes part in ranking: complete, current, with predictions, every class trained."""
    return row.get("status") == "ok" and not row.get("stale") and not row.get("untrained_classes")


def is_special_setting(row: dict[str, Any]) -> bool:
    """Transductive (test clips normalised by their own statistics) or contaminated (a pretrained part saw the
    corpus): compared with the best row, never named best over rows without such help."""
    return bool(row.get("transductive") or row.get("contamination"))


def pair_rng(seed: int, key: tuple, a: str, b: str) -> np.random.Generator:
    """The Monte-Carlo swaps of one pair of rows in one table: the same whichever row is named first."""
    return group_rng(seed, json.dumps([list(key), sorted([a, b])], default=str))


@dataclass(frozen=True)
class Comparison:
    """``a - b`` on the same test clips: the bootstrap difference and, with enough speakers, the sign-flip test."""

    difference: PairedDifference
    test: SignFlipTest | None  # None: too few test speakers to compare


def compare_rows(a: Sequence[np.ndarray], b: Sequence[np.ndarray], weights: np.ndarray, metric: str,
                 rng: np.random.Generator, confidence: float = DEFAULT_CONFIDENCE) -> Comparison:
    """The comparison the board and ``avbench compare`` both show for one pair of rows."""
    difference = paired_difference(a, b, weights, metric, confidence)
    speakers = int(np.sum(sum(c.sum(axis=(1, 2)) for c in [*a, *b]) > 0))
    if speakers < MIN_TEST_SPEAKERS:
        return Comparison(difference, None)
    return Comparison(difference, sign_flip_test(a, b, metric, rng))


def speaker_range(seed_confusions: Sequence[np.ndarray], metric: str) -> tuple[float, float]:
    """Lowest and highest per-speaker value of ``metric`` (per seed, averaged over seeds)."""
    per_speaker = np.mean([metric_from_confusions(c, metric) for c in seed_confusions], axis=0)
    finite = per_speaker[np.isfinite(per_speaker)]
    return (float(finite.min()), float(finite.max())) if finite.size else (float("nan"), float("nan"))


def row_interval(seed_confusions: Sequence[np.ndarray], weights: np.ndarray, metric: str, few: bool,
                 confidence: float = DEFAULT_CONFIDENCE) -> tuple[float, float]:
    """The bootstrap percentile interval, or with too few speakers the range over speakers."""
    if few:
        return speaker_range(seed_confusions, metric)
    return percentile_interval(resampled_metric(seed_confusions, weights, metric), confidence)


def degenerate_reason(seed_confusions: Sequence[np.ndarray], classes: Sequence[str], weights: np.ndarray,
                      few: bool, confidence: float = DEFAULT_CONFIDENCE) -> str:
    """Why a row may not be named best: collapsed to one class, or not above chance by its own interval."""
    pooled = np.sum([c.sum(axis=0) for c in seed_confusions], axis=0)
    total = pooled.sum()
    k = pooled.shape[0]
    if total:
        predicted = pooled.sum(axis=0) / total
        modal = int(np.argmax(predicted))
        if predicted[modal] >= NEAR_COLLAPSE:
            name = classes[modal] if modal < len(classes) else str(modal)
            return f"collapsed: predicts {name!r} for {100 * predicted[modal]:.0f}% of test clips"
    chance = 1 / k
    for metric in (RANKING_METRIC, "uar"):
        low, _ = row_interval(seed_confusions, weights, metric, few, confidence)
        if not low > chance:
            what = "range over speakers" if few else f"{int(100 * confidence)}% interval"
            return (f"not above chance: its {METRIC_NAMES.get(metric, metric)} {what} starts at {100 * low:.1f}, "
                    f"chance is {100 * chance:.1f} (1/{k})")
    return ""


def rank_intervals(values: np.ndarray, confidence: float = DEFAULT_CONFIDENCE) -> list[tuple[int, int]]:
    """Per row (``values``: [row, resample]), the central ``confidence`` interval of its rank (1 = top)."""
    ranked = 1 + np.sum(values[None, :, :] > values[:, None, :], axis=1)  # [row, resample]: rows strictly above
    tail = (1 - confidence) / 2
    return [(int(np.quantile(r, tail, method="inverted_cdf")), int(np.quantile(r, 1 - tail, method="inverted_cdf")))
            for r in ranked]


def is_unverified(row: dict[str, Any]) -> bool:
    """Submitted folds not compared with the maintainer's data: never best, nor tied, over a verified row."""
    return bool(row.get("unverified"))


def annotate_groups(rows: list[dict[str, Any]], predictions: dict[tuple[str, str], RowPredictions],
                    metrics: Iterable[str], resamples: int = DEFAULT_RESAMPLES, seed: int = 0,
                    confidence: float = DEFAULT_CONFIDENCE) -> None:
    """Add intervals, best and tied-with-best marks and rank intervals to the rows that have predictions (in place)."""
    wanted = [m for m in BOOTSTRAP_METRICS if m in metrics or m == RANKING_METRIC]
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(group_key(row), []).append(row)
    for key, group in groups.items():
        fresh = [r for r in group if (r["experiment"], r["protocol"]) in predictions]
        fresh_ids = {id(r) for r in fresh}
        kept_marks_hold = not fresh and any(r.get("is_best") and ranks(r) and r.get("too_few_speakers") is not None
                                            for r in group)
        for row in group:  # marks are kept from an earlier render only when its best row still stands, compared
            # as here (a render before sign-flip tests and Holm recorded no too_few_speakers)
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
    few = len(subjects) < MIN_TEST_SPEAKERS
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
                low, high = row_interval(confusions[row["experiment"]], weights, m, few, confidence)
            else:
                low = high = None
            row[f"{m}_ci_low"], row[f"{m}_ci_high"] = low, high
        row["bootstrap_subjects"] = len(subjects)
        row["interval_kind"] = "range over speakers" if few else "speaker bootstrap"
        _clear_marks(row)
        row["too_few_speakers"] = few
    eligible = [r for r in rows if ranks(r) and confusions[r["experiment"]]]
    if not eligible:
        return
    for row in eligible:
        row["not_best_reason"] = degenerate_reason(confusions[row["experiment"]], row.get("classes") or [],
                                                   weights, few, confidence) or None
    candidates = [r for r in eligible if not r["not_best_reason"]]
    candidates = [r for r in candidates if not is_unverified(r)] or candidates  # best is chosen among verified rows
    like_for_like = [r for r in candidates if not is_special_setting(r)]

    def order(r: dict[str, Any]) -> tuple:
        return (r.get(f"{RANKING_METRIC}_pooled") or 0, r.get("uar_pooled") or 0, r["experiment"])

    best = max(like_for_like or candidates, key=order) if candidates else None
    reference = best or max(eligible, key=order)
    reference_clips = predictions[(reference["experiment"], reference["protocol"])].clip_ids
    same_clips = [r for r in eligible
                  if predictions[(r["experiment"], r["protocol"])].clip_ids == reference_clips]
    same_ids = {id(r) for r in same_clips}
    for row in eligible:
        if id(row) not in same_ids:
            clips = predictions[(row["experiment"], row["protocol"])].clip_ids
            row["compared_on"] = (f"not compared: other test clips than the "
                                  f"{'best' if best else 'top'} row ({len(clips ^ reference_clips)} differ)")
        else:
            row["compared_on"] = f"{len(reference_clips)} clips"
    if not few and len(same_clips) > 1:
        values = np.array([resampled_metric(confusions[r["experiment"]], weights, RANKING_METRIC) for r in same_clips])
        for row, (low, high) in zip(same_clips, rank_intervals(np.nan_to_num(values, nan=-1.0), confidence)):
            row["rank_low"], row["rank_high"] = low, high
    if best is None:
        return
    best["is_best"] = True
    compared = []
    for row in same_clips:
        if row is best:
            continue
        result = compare_rows(confusions[row["experiment"]], confusions[best["experiment"]], weights, RANKING_METRIC,
                              pair_rng(seed, key, row["experiment"], best["experiment"]), confidence)
        diff = result.difference
        row["vs_best_difference"] = diff.difference
        if result.test is None:
            continue
        row.update(vs_best_ci_low=diff.low, vs_best_ci_high=diff.high, vs_best_p=result.test.p_value,
                   vs_best_p_text=result.test.text(), vs_best_test=result.test.method())
        compared.append(row)
    for row, adjusted in zip(compared, holm([r["vs_best_p"] for r in compared])):
        row["vs_best_holm_p"] = adjusted
        # an unverified row (submitted, not compared with data here) is never tied with a verified best
        row["tied_with_best"] = bool(adjusted >= TIE_LEVEL) and not (is_unverified(row) and not is_unverified(best))


def sort_key(row: dict[str, Any]) -> tuple:
    """Ranked rows by the ranking metric, then partial, failed, stale and not-run rows."""
    order = {"ok": 0, "partial": 1, "error": 2, "stale": 3, "not run": 4}
    status = "stale" if row.get("stale") else row.get("status")
    value = row.get(f"{RANKING_METRIC}_pooled")
    return (order.get(status, 5), -(value if value is not None else -1), row["experiment"])
