"""Speaker-level (cluster) bootstrap of classification metrics, vectorised over resamples.

Test clips of one speaker are not independent, so the unit resampled is the speaker: a resample draws
the test subjects with replacement and pools the clips of the drawn subjects (a subject drawn twice
counts twice). Everything is computed from per-subject confusion counts, so one resample costs a
matrix product, not a pass over clips: 1000 resamples of a 24-speaker, 8-class row take milliseconds.

Rows of one comparison group use the same draws (:func:`resample_counts` with the same seed), so
differences between rows are paired. A row with several seeds is scored per seed inside each resample
and averaged over seeds; clips are never pooled across seeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

DEFAULT_RESAMPLES = 1000
DEFAULT_CONFIDENCE = 0.95
BOOTSTRAP_METRICS = ("accuracy", "uar", "macro_f1")


def subject_confusions(subject_index: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, n_subjects: int,
                       n_classes: int) -> np.ndarray:
    """Counts ``[subject, true, predicted]`` of one prediction set (subjects numbered ``0..n_subjects-1``)."""
    flat = (np.asarray(subject_index, dtype=np.int64) * n_classes + np.asarray(y_true, dtype=np.int64)) \
        * n_classes + np.asarray(y_pred, dtype=np.int64)
    counts = np.bincount(flat, minlength=n_subjects * n_classes * n_classes)
    return counts.reshape(n_subjects, n_classes, n_classes).astype(np.float64)


def resample_counts(n_subjects: int, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """How often each subject is drawn in each resample: ``[resample, subject]``, each row summing to n_subjects."""
    draws = rng.integers(0, n_subjects, size=(n_resamples, n_subjects))
    offsets = (np.arange(n_resamples) * n_subjects)[:, None]
    counts = np.bincount((draws + offsets).ravel(), minlength=n_resamples * n_subjects)
    return counts.reshape(n_resamples, n_subjects).astype(np.float64)


def metric_from_confusions(confusions: np.ndarray, metric: str) -> np.ndarray:
    """A metric of each confusion matrix in ``[..., true, predicted]``, as scikit-learn defines it.

    accuracy: correct / all; uar: mean recall over classes present in the true labels (balanced
    accuracy); macro_f1: mean F1 over classes present in the true or predicted labels. NaN where a
    matrix is empty.
    """
    diag = np.diagonal(confusions, axis1=-2, axis2=-1)
    true_counts = confusions.sum(axis=-1)
    pred_counts = confusions.sum(axis=-2)
    total = true_counts.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        if metric == "accuracy":
            return diag.sum(axis=-1) / total
        if metric == "uar":
            present = true_counts > 0
            recall = np.where(present, diag / np.where(present, true_counts, 1), 0.0)
            return recall.sum(axis=-1) / present.sum(axis=-1)
        if metric == "macro_f1":
            denominator = true_counts + pred_counts
            present = denominator > 0
            f1 = np.where(present, 2 * diag / np.where(present, denominator, 1), 0.0)
            return f1.sum(axis=-1) / present.sum(axis=-1)
    raise ValueError(f"no bootstrap for metric {metric!r}; expected one of {', '.join(BOOTSTRAP_METRICS)}")


def resampled_metric(seed_confusions: Sequence[np.ndarray], weights: np.ndarray, metric: str) -> np.ndarray:
    """The metric in every resample: per seed on the resampled pooled clips, then the mean over seeds.

    ``seed_confusions``: one ``[subject, true, predicted]`` array per seed; ``weights``: ``[resample, subject]``.
    """
    per_seed = []
    for confusions in seed_confusions:
        subjects, k, _ = confusions.shape
        pooled = (weights @ confusions.reshape(subjects, k * k)).reshape(-1, k, k)
        per_seed.append(metric_from_confusions(pooled, metric))
    return np.mean(per_seed, axis=0)


def point_estimate(seed_confusions: Sequence[np.ndarray], metric: str) -> float:
    """The metric on all test clips pooled, per seed, averaged over seeds."""
    return float(np.mean([metric_from_confusions(c.sum(axis=0), metric) for c in seed_confusions]))


def percentile_interval(values: np.ndarray, confidence: float = DEFAULT_CONFIDENCE) -> tuple[float, float]:
    """The central ``confidence`` percentile interval of the finite values."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return float("nan"), float("nan")
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)


@dataclass(frozen=True)
class PairedDifference:
    """``a - b`` of one metric on the same test clips, with its bootstrap interval and two-sided p-value."""

    difference: float
    low: float
    high: float
    p_value: float
    resamples: int


def paired_difference(a: Sequence[np.ndarray], b: Sequence[np.ndarray], weights: np.ndarray, metric: str,
                      confidence: float = DEFAULT_CONFIDENCE) -> PairedDifference:
    """Paired speaker bootstrap of ``metric(a) - metric(b)``: both scored in the same resamples.

    The p-value is the two-sided bootstrap p of "no difference": twice the smaller share of resampled
    differences on either side of zero, counting the observed sample once ((k + 1) / (B + 1)), capped at 1.
    """
    deltas = resampled_metric(a, weights, metric) - resampled_metric(b, weights, metric)
    deltas = deltas[np.isfinite(deltas)]
    observed = point_estimate(a, metric) - point_estimate(b, metric)
    low, high = percentile_interval(deltas, confidence)
    n = deltas.size
    below, above = int(np.sum(deltas <= 0)), int(np.sum(deltas >= 0))
    p_value = min(1.0, 2 * (min(below, above) + 1) / (n + 1)) if n else float("nan")
    return PairedDifference(observed, low, high, p_value, n)


def group_rng(seed: int, key: str) -> np.random.Generator:
    """The generator of one comparison group: the same seed and key always give the same draws."""
    import hashlib

    digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    return np.random.default_rng([seed, digest])
