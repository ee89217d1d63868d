"""Accuracy and UAR per gender and per corpus of a row's test clips, where the dataset says them.

Pooled like the row's main metrics: per seed over all its test clips of the group, then the mean over
the seeds that have clips of the group. Clips whose gender or corpus is unknown or empty count in no
group. A breakdown uses every seed and fold of its row or none: when some folds' predictions do not
record the column (stored by an older avbench, say), the row gets no figures for it, only
``<column>_breakdown_incomplete`` saying how many seeds record it.
Stored as JSON strings (``{"female": 0.61, "male": 0.57}``) so the parquet and CSV keep one
column per breakdown whatever groups a dataset has; a row without such clips gets none.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import polars as pl

from avbench.metrics.classification import METRICS

#: The per-clip column each breakdown groups by, and the metrics it reports.
BREAKDOWNS = ("gender", "corpus")
BREAKDOWN_METRICS = ("accuracy", "uar")
#: Values that say nothing about a clip's group.
UNKNOWN = frozenset({"", "unknown", "none", "nan"})


def breakdown_fields(seeds: dict[int, pl.DataFrame], n_classes: int) -> dict[str, Any]:
    """``accuracy_by_gender``, ``uar_by_gender``, ``clips_by_gender`` and the same ``_by_corpus`` (None when absent)."""
    out: dict[str, Any] = {}
    for column in BREAKDOWNS:
        gap = incomplete_evidence(seeds, column)
        out[f"{column}_breakdown_incomplete"] = gap or None
        groups = [] if gap else group_values(seeds, column)
        for metric in BREAKDOWN_METRICS:
            values = {g: group_metric(seeds, column, g, metric, n_classes) for g in groups}
            out[f"{metric}_by_{column}"] = json.dumps(values, sort_keys=True) if values else None
        clips = {g: len({c for frame in seeds.values() for c in frame.filter(pl.col(column) == g)["clip_id"]})
                 for g in groups}
        out[f"clips_by_{column}"] = json.dumps(clips, sort_keys=True) if clips else None
    return out


def recorded(frame: pl.DataFrame, column: str) -> bool:
    """Whether a prediction set records ``column`` (a value, even 'unknown', for some clip)."""
    return column in frame.columns and frame[column].null_count() < frame.height


def incomplete_evidence(seeds: dict[int, pl.DataFrame], column: str) -> str:
    """``'1 of 3 seeds'`` when some but not all of a row's seeds and folds record ``column``; empty otherwise."""
    parts = [(seed, part) for seed, frame in seeds.items() if frame.height
             for part in (frame.partition_by("fold") if "fold" in frame.columns else [frame])]
    has = [recorded(part, column) for _, part in parts]
    if all(has) or not any(has):
        return ""
    complete = sum(1 for seed in {s for s, _ in parts} if all(h for (s, _), h in zip(parts, has) if s == seed))
    return (f"{complete} of {len({s for s, _ in parts})} seeds ({sum(has)} of {len(parts)} seed-folds) record "
            f"{column}")


def group_values(seeds: dict[int, pl.DataFrame], column: str) -> list[str]:
    """The known values of ``column`` among the row's test clips, sorted."""
    found = {v for frame in seeds.values() if column in frame.columns
             for v in frame[column].drop_nulls().to_list()}
    return sorted(v for v in found if str(v).strip().lower() not in UNKNOWN)


def group_metric(seeds: dict[int, pl.DataFrame], column: str, group: str, metric: str, n_classes: int) -> float:
    """``metric`` on the clips of ``group``, pooled per seed, averaged over the seeds that have such clips."""
    per_seed = []
    for frame in seeds.values():
        part = frame.filter(pl.col(column) == group)
        if part.height:
            per_seed.append(METRICS[metric](part["label_index"].to_numpy(), part["predicted_index"].to_numpy(),
                                            n_classes))
    return float(np.mean(per_seed))


def breakdown_text(row: dict[str, Any], column: str) -> str:
    """``female 61.2 / 58.0 (n=48), male ...``: accuracy / UAR in % and test clips per group; empty without one;
    ``not pooled: only 1 of 3 seeds ...`` when the row's predictions record the column only in part."""
    if row.get(f"{column}_breakdown_incomplete"):
        return f"not pooled: only {row[f'{column}_breakdown_incomplete']}"
    try:
        accuracy = json.loads(row.get(f"accuracy_by_{column}") or "{}")
        uar = json.loads(row.get(f"uar_by_{column}") or "{}")
        clips = json.loads(row.get(f"clips_by_{column}") or "{}")
    except (TypeError, ValueError):
        return ""
    parts = []
    for group in sorted(accuracy):
        count = f" (n={clips[group]})" if group in clips else ""
        uar_text = f" / {100 * uar[group]:.1f}" if group in uar else ""
        parts.append(f"{group} {100 * accuracy[group]:.1f}{uar_text}{count}")
    return ", ".join(parts)
