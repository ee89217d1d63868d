"""Per-fold classification metrics, from scikit-learn (imported when a metric is computed), by name."""

from __future__ import annotations

from typing import Callable

import numpy as np


def accuracy(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> float:
    from sklearn.metrics import accuracy_score

    return float(accuracy_score(y_true, y_pred))


def uar(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> float:
    """Unweighted average recall (balanced accuracy) over the classes present in ``y_true``."""
    import warnings

    from sklearn.metrics import balanced_accuracy_score

    with warnings.catch_warnings():  # a test speaker lacking a class is expected: recall over the classes it has
        warnings.filterwarnings("ignore", message="y_pred contains classes not in y_true")
        return float(balanced_accuracy_score(y_true, y_pred))


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> float:
    """Macro F1 over the classes present in ``y_true`` or predicted."""
    from sklearn.metrics import f1_score

    return float(f1_score(y_true, y_pred, average="macro", zero_division=0))


METRICS: dict[str, Callable[[np.ndarray, np.ndarray, int], float]] = {
    "accuracy": accuracy,
    "uar": uar,
    "macro_f1": macro_f1,
}


def per_class_recall(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> list[float]:
    """Recall of each class ``0..n_classes-1`` (NaN for a class absent from ``y_true``)."""
    labels = list(range(n_classes))
    present = set(np.asarray(y_true).tolist())
    from sklearn.metrics import recall_score

    values = recall_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    return [float(v) if c in present else float("nan") for c, v in zip(labels, values)]


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts ``[true, predicted]`` over classes ``0..n_classes-1``."""
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(y_true, y_pred, labels=list(range(n_classes)))
