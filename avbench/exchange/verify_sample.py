"""Which of a bundle's folds ``avbench verify`` recomputes when not told how many.

A forger who changes one fold of n is caught only if that fold is recomputed; drawing k of n folds
at random (unpredictably: a fixed order would tell the forger which folds are safe to forge) catches
it with probability k/n. The default draws k = ceil(:data:`DETECTION` x n), so a single forged fold
is caught with probability at least 0.9. On top of the draw, every *decisive* fold is always
recomputed: a fold without whose correct predictions the row's accuracy would fall to or below the
best other row of its table on the maintainer's board, i.e. a fold that alone could have made the row
best. A forgery there is caught with certainty.
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any, Sequence

DETECTION = 0.9


def default_count(n: int) -> int:
    """How many of ``n`` folds to draw so one forged fold among them is caught with probability >= DETECTION."""
    return min(n, max(1, math.ceil(DETECTION * n)))


def rival_accuracy(board: Path, record: dict[str, Any], row_name: str) -> float | None:
    """The best pooled accuracy of another complete, current row of the record's table on ``board``, or None."""
    import polars as pl

    try:
        rows = pl.read_parquet(board / "results.parquet").to_dicts()
    except Exception:  # no board yet, or one that does not read back: no rival known
        return None
    classes = sorted(record.get("classes") or [])
    values = [r.get("accuracy_pooled") for r in rows
              if r.get("experiment") != row_name and r.get("protocol") == record.get("protocol")
              and r.get("dataset") == record.get("dataset") and sorted(r.get("classes") or []) == classes
              and r.get("status") == "ok" and not r.get("stale") and not r.get("unverified")]
    values = [v for v in values if v is not None]
    return max(values) if values else None


def decisive(folds: Sequence[Any], rival: float | None) -> list[Any]:
    """The folds of one row whose correct predictions alone lift the row's accuracy above ``rival``."""
    if rival is None or not folds:
        return []
    correct = {id(f): int((f.predictions["label_index"] == f.predictions["predicted_index"]).sum()) for f in folds}
    total = sum(f.predictions.height for f in folds)
    right = sum(correct.values())
    if not total or right / total <= rival:
        return []
    return [f for f in folds if (right - correct[id(f)]) / total <= rival]


def default_sample(folds: Sequence[Any], board: Path, submitter_slug: str,
                   rng: random.Random | None = None) -> tuple[list[Any], int]:
    """Decisive folds plus a random draw of :func:`default_count` folds: (chosen, how many were decisive)."""
    rng = rng or random.SystemRandom()
    rows: dict[tuple[str, str], list[Any]] = {}
    for fold in folds:
        rows.setdefault((fold.record["experiment"], fold.record["protocol"]), []).append(fold)
    chosen: dict[int, Any] = {}
    for (experiment, _protocol), row_folds in sorted(rows.items()):
        rival = rival_accuracy(board, row_folds[0].record, f"{experiment}@{submitter_slug}")
        for fold in decisive(row_folds, rival):
            chosen[id(fold)] = fold
    forced = len(chosen)
    for fold in rng.sample(list(folds), default_count(len(folds))):
        chosen[id(fold)] = fold
    return list(chosen.values()), forced
