"""``SoftmaxSVC``: an SVC with softmax probabilities, apart so that listing the classical plugins needs no scikit-learn."""

from __future__ import annotations

import numpy as np
from scipy.special import softmax
from sklearn.svm import SVC


class SoftmaxSVC(SVC):
    """An SVC whose probabilities are the softmax of its one-vs-rest decision values (uncalibrated)."""

    def predict_proba(self, X: np.ndarray) -> np.ndarray:  # type: ignore[override]
        scores = self.decision_function(X)
        if scores.ndim == 1:  # two classes: one signed margin
            scores = np.stack([-scores, scores], axis=1)
        return softmax(scores, axis=1)
