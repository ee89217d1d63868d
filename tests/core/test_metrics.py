import numpy as np
import pytest

from avbench.metrics.classification import METRICS, confusion, per_class_recall


def test_uar_differs_from_accuracy_on_imbalanced_data():
    y = np.array([0, 0, 0, 0, 1])
    p = np.array([0, 0, 0, 0, 0])
    assert METRICS["accuracy"](y, p, 2) == pytest.approx(0.8)
    assert METRICS["uar"](y, p, 2) == pytest.approx(0.5)
    assert METRICS["macro_f1"](y, p, 2) == pytest.approx((8 / 9 + 0) / 2)


def test_per_class_recall_and_confusion_cover_all_classes():
    y = np.array([0, 1, 1, 2])
    p = np.array([0, 1, 2, 2])
    recall = per_class_recall(y, p, 4)
    assert recall[:3] == [1.0, 0.5, 1.0] and np.isnan(recall[3])
    assert confusion(y, p, 4).tolist() == [[1, 0, 0, 0], [0, 1, 1, 0], [0, 0, 1, 0], [0, 0, 0, 0]]
