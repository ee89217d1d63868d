"""A probe model for the normalisation tests: nearest centroid that saves what it was given to $PROBE_DIR."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from avbench import hookimpl
from avbench.contract import Model, OutputKind, stack


class ProbeCentroid(Model):
    name = "probe-centroid"
    version = "1.0"
    accepts = frozenset({OutputKind.VECTOR})

    def _save(self, what: str, **arrays) -> None:
        folder = os.environ.get("PROBE_DIR")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            np.savez(Path(folder) / f"{what}-{time.perf_counter_ns()}.npz", **arrays)

    def fit(self, X, y, *, n_classes, X_val=None, y_val=None):
        X = stack(X)
        self._save("fit", X=X, y=np.asarray(y))
        self.centroids_ = np.stack([X[y == c].mean(0) if (y == c).any() else np.zeros(X.shape[1])
                                    for c in range(n_classes)])
        return self

    def predict_proba(self, X):
        X = stack(X)
        self._save("predict", X=X)
        d = ((X[:, None, :] - self.centroids_[None]) ** 2).sum(-1)
        e = np.exp(-(d - d.min(1, keepdims=True)))
        return e / e.sum(1, keepdims=True)


@hookimpl
def avbench_plugins():
    return [ProbeCentroid]
