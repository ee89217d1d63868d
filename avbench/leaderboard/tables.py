"""Result rows from stored fold records: one row per experiment and protocol.

A row is made only of the folds :func:`~avbench.leaderboard.freshness.select_records` chose (one setup,
one version of the input data, the newest record per seed and fold). Its metrics are pooled over its
test clips per seed and averaged over seeds; the spread over folds and the spread over seeds are
reported separately, as spreads, not as error bars (those come from the bootstrap).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from avbench.metrics.classification import METRICS, confusion, per_class_recall
from avbench.storage.fold_store import CorruptResultError

from .breakdowns import breakdown_fields
from .freshness import CurrentSetup, Selection, setup_devices
from .stored import predictions_path, read_fold_predictions


@dataclass
class RowPredictions:
    """A row's stored predictions: per seed, every test clip of its folds (label and prediction indices)."""

    n_classes: int
    seeds: dict[int, pl.DataFrame] = field(default_factory=dict)

    @property
    def subjects(self) -> set[str]:
        return {s for frame in self.seeds.values() for s in frame["subject"].to_list()}

    @property
    def clip_ids(self) -> frozenset[str]:
        """The test clips of the row: the same set for every seed of a complete row."""
        return frozenset(c for frame in self.seeds.values() for c in frame["clip_id"].to_list())


def fold_metrics(frame: pl.DataFrame, n_classes: int, metrics: list[str]) -> dict[str, float]:
    y, p = frame["label_index"].to_numpy(), frame["predicted_index"].to_numpy()
    return {m: METRICS[m](y, p, n_classes) for m in metrics}


def _sd(values: list[float]) -> float | None:
    """Sample standard deviation (n - 1); none for fewer than two values."""
    return float(np.std(values, ddof=1)) if len(values) > 1 else None


def experiment_row(selection: Selection, metrics: list[str], bad_files: dict[str, str],
                   current: CurrentSetup | None = None) -> tuple[dict[str, Any], RowPredictions | None]:
    """The row of one experiment x protocol and its predictions (none when no fold has predictions)."""
    records = selection.records
    first = max(records, key=lambda r: (bool(r.get("setup")), r.get("finished", "")))  # a crash record says little
    classes = list(first.get("classes", []))
    ok, failed = [], [r for r in records if r.get("status") != "ok"]
    frames: dict[tuple[int, str], pl.DataFrame] = {}
    for r in records:
        if r.get("status") != "ok":
            continue
        try:
            frames[(r["seed"], r["fold"])] = read_fold_predictions(r)
        except CorruptResultError as exc:
            bad_files[str(predictions_path(r))] = str(exc)
            continue
        ok.append(r)
    missing = [(s, f) for s in selection.expected_seeds or [] for f in selection.expected_folds or []
               if (s, f) not in frames]  # failed, never run, deleted, or unreadable
    seeds_present = sorted({s for s, _ in frames})
    expected_folds = selection.expected_folds
    complete_folds = ([f for f in expected_folds if all((s, f) in frames for s in selection.expected_seeds or [])]
                      if expected_folds is not None else sorted({f for _, f in frames}))
    if selection.stale:
        status = "stale"
    elif not frames:
        status = "error"
    elif expected_folds is None or missing:
        status = "partial"
    else:
        status = "ok"
    row: dict[str, Any] = {
        "experiment": first["experiment"], "protocol": first["protocol"],
        "dataset": first.get("dataset"), "synthetic": bool(first.get("synthetic", False)),
        "classes": classes, "n_classes": len(classes),
        "folds": len(complete_folds), "folds_expected": len(expected_folds) if expected_folds is not None else None,
        "failed_folds": len(failed), "missing_folds": [f"seed {s}: {f}" for s, f in missing],
        "seeds": seeds_present, "seeds_expected": list(selection.expected_seeds or []),
        "status": status, "stale": selection.stale, "stale_reason": selection.stale_reason,
        "error": "; ".join(sorted({f"{r['fold']}: {r.get('error')}" for r in failed}))[:500],
        "computed_description": first.get("description"),
        "plugins": json.dumps(first.get("plugins", {}), sort_keys=True),
        "setup": json.dumps(first.get("setup", {}), sort_keys=True),
        "config_fingerprint": first.get("config_fingerprint"),
        "extraction_diagnostics": json.dumps(first.get("extraction_diagnostics", {}), sort_keys=True),
        "avbench_version": first.get("avbench_version"),
        "experiment_fingerprint": first.get("experiment_fingerprint"),
        "device": sorted({r.get("device", "") for r in ok} - {""}),
        "skipped_test_clips": sorted({c for r in ok for c in r.get("skipped_test_clips", [])}),
        "untrained_classes": untrained_classes(ok, classes),
        "unverified_folds": sum(1 for r in records if r.get("_unverified")),
        "finished": max((r.get("finished", "") for r in records), default=""),
    }
    row.update(provenance_fields(ok))
    predictions = RowPredictions(len(classes))
    for seed in seeds_present:
        predictions.seeds[seed] = pl.concat([frames[k].with_columns(pl.lit(k[1]).alias("fold"))
                                             for k in sorted(frames) if k[0] == seed])
    row.update(metric_fields(frames, predictions, metrics, len(classes)))
    row.update(breakdown_fields(predictions.seeds, len(classes)))
    latency = next((r["latency"] for r in ok if r.get("latency")), None)
    row["latency_p50_ms"] = latency["p50_ms"] if latency else None
    row["latency_p95_ms"] = latency["p95_ms"] if latency else None
    row["latency_device"] = latency["device"] if latency else None
    return row, (predictions if predictions.seeds else None)


def untrained_classes(records: list[dict[str, Any]], classes: list[str]) -> list[str]:
    """Classes of the row that some fold's training side lacks (from the folds' ``class_coverage``): such a row
    cannot predict them and is not ranked."""
    missing = set()
    for record in records:
        coverage = record.get("class_coverage")
        if isinstance(coverage, dict) and isinstance(coverage.get("train"), list):
            missing |= set(classes) - set(coverage["train"])
    return sorted(missing)


def metric_fields(frames: dict[tuple[int, str], pl.DataFrame], predictions: RowPredictions, metrics: list[str],
                  n_classes: int) -> dict[str, Any]:
    """Pooled metrics (mean over seeds), mean and SD over folds, SD over seeds, recall and confusion."""
    out: dict[str, Any] = {}
    seeds = sorted(predictions.seeds)
    folds = sorted({f for _, f in frames})
    out["test_clips"] = len(predictions.clip_ids)
    out["test_subjects"] = len(predictions.subjects)
    for m in metrics:
        per_fold = []
        for f in folds:  # a fold's metric is averaged over the seeds that have it
            values = [fold_metrics(frames[(s, f)], n_classes, [m])[m] for s in seeds
                      if (s, f) in frames and frames[(s, f)].height]
            if values:
                per_fold.append(float(np.mean(values)))
        per_seed = [fold_metrics(predictions.seeds[s], n_classes, [m])[m] for s in seeds
                    if predictions.seeds[s].height]
        out[f"{m}_mean"] = float(np.mean(per_fold)) if per_fold else None
        out[f"{m}_fold_sd"] = _sd(per_fold)
        out[f"{m}_pooled"] = float(np.mean(per_seed)) if per_seed else None
        out[f"{m}_seed_sd"] = _sd(per_seed)
    usable = [predictions.seeds[s] for s in seeds if predictions.seeds[s].height]
    if usable:
        recalls, confusions, predicted = [], [], []
        for frame in usable:
            y, p = frame["label_index"].to_numpy(), frame["predicted_index"].to_numpy()
            recalls.append(per_class_recall(y, p, n_classes))
            confusions.append(confusion(y, p, n_classes))
            predicted.append(len(np.unique(p)))
        out["per_class_recall"] = json.dumps(np.mean(recalls, axis=0).tolist())
        matrix = np.mean(confusions, axis=0)
        out["confusion"] = json.dumps([[int(v) if float(v).is_integer() else round(float(v), 2) for v in line]
                                       for line in matrix.tolist()])
        out["predicted_classes"] = int(min(predicted))
    else:
        out["per_class_recall"] = out["confusion"] = None
        out["predicted_classes"] = 0
    return out


def source_name(computed_with: dict[str, Any]) -> str:
    """The code a fold was computed with: its commit (``+dirty``), else (no git checkout: a wheel) ``avbench X.Y``."""
    commit = str(computed_with.get("commit"))
    if commit in ("unknown", "None") and computed_with.get("avbench_version"):
        return f"avbench {computed_with['avbench_version']}"
    return commit + ("+dirty" if computed_with.get("dirty") else "")


def provenance_fields(ok: list[dict[str, Any]]) -> dict[str, Any]:
    """What the folds were computed with (commit, libraries, threads, device), from their records."""
    entries = [r["computed_with"] for r in ok if isinstance(r.get("computed_with"), dict)]
    commits = sorted({source_name(c) for c in entries})
    libraries: dict[str, set[str]] = {}
    for c in entries:
        for name, version in (c.get("libraries") or {}).items():
            libraries.setdefault(name, set()).add(str(version))
    return {
        "computed_commit": ", ".join(commits),
        "computed_libraries": json.dumps({k: sorted(v) if len(v) > 1 else next(iter(v))
                                          for k, v in sorted(libraries.items())}, sort_keys=True),
        "computed_torch_threads": ", ".join(sorted({str(c.get("torch_threads")) for c in entries
                                                    if c.get("torch_threads") is not None})),
        "computed_device": ", ".join(sorted({str(c.get("device")) for c in entries if c.get("device")}
                                            | {d for r in ok for d in setup_devices(r.get("setup"))})),
        "computed_with_folds": len(entries),
        "computed_locks": ", ".join(sorted({str(c.get("lock") or "unrecorded") for c in entries})),
        "library_drift": library_drift(libraries),
    }


def library_drift(computed: dict[str, set[str]]) -> str:
    """Libraries the folds were computed with at other versions than installed here (``name A (here B)``).

    Library versions are recorded with each fold, not keyed (a change of keys would make every stored fold
    stale): a row says when it was computed with versions other than those this render would compute with.
    """
    from avbench.runner.determinism import result_libraries

    here = result_libraries()
    return ", ".join(f"{name} {'/'.join(sorted(versions))} (here {here[name]})"
                     for name, versions in sorted(computed.items())
                     if name in here and versions != {here[name]})
