"""Per-fold results of a row, from its stored predictions: what an experiment page lists fold by fold."""

from __future__ import annotations

import json
import re

from avbench.metrics.classification import METRICS

from ..tables import RowPredictions


def natural_key(name: str) -> list:
    """``subject-2`` before ``subject-10``."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", str(name))]


def per_fold_results(predictions: RowPredictions, metrics: list[str]) -> str:
    """JSON list, one entry per fold and seed (sorted): test subjects, test clips and each metric."""
    out = []
    for seed, frame in sorted(predictions.seeds.items()):
        for fold in sorted(set(frame["fold"].to_list()), key=natural_key):
            part = frame.filter(frame["fold"] == fold)
            y, p = part["label_index"].to_numpy(), part["predicted_index"].to_numpy()
            entry = {"fold": fold, "seed": seed, "test_clips": part.height,
                     "test_subjects": sorted({str(s) for s in part["subject"].to_list()})}
            entry.update({m: float(METRICS[m](y, p, predictions.n_classes)) for m in metrics if m in METRICS})
            out.append(entry)
    return json.dumps(out, sort_keys=True)
