"""Stand-ins the checks hand to plugins that need collaborators: a tiny base model and a plugin factory."""

from __future__ import annotations

from typing import Any, ClassVar, Mapping

import numpy as np

from avbench.contract import Model, OutputKind, Plugin
from avbench.contract.model import Features

from .hooks import make_plugin
from .sandbox import Workspace


class CentroidModel(Model):
    """Nearest class mean, softmax over negative squared distances: a deterministic base model for fusion checks."""

    name: ClassVar[str] = "conformance-centroid"
    version: ClassVar[str] = "1.0"
    accepts: ClassVar[frozenset[OutputKind]] = frozenset(OutputKind)

    def fit(self, X: Features, y: np.ndarray, *, n_classes: int, X_val: Features | None = None,
            y_val: np.ndarray | None = None) -> "CentroidModel":
        self.width_ = None
        flat = self._flat(X)
        y = np.asarray(y)
        self.centroids_ = np.full((n_classes, flat.shape[1]), np.nan, np.float64)
        for c in np.unique(y):
            self.centroids_[c] = flat[y == c].mean(axis=0)
        self.scale_ = float(np.nanmean(np.var(flat, axis=0))) * flat.shape[1] or 1.0
        return self

    def predict_proba(self, X: Features) -> np.ndarray:
        flat = self._flat(X)
        d = ((flat[:, None, :] - self.centroids_[None]) ** 2).sum(axis=2) / self.scale_
        logits = np.where(np.isnan(d), -np.inf, -d)
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def _flat(self, X: Features) -> np.ndarray:
        """Each clip flattened, cut or zero-padded to the length seen first (inputs may vary in length)."""
        rows = [np.asarray(x, np.float64).ravel() for x in X]
        width = getattr(self, "width_", None) or max(len(r) for r in rows)
        self.width_ = width
        return np.stack([np.pad(r[:width], (0, max(0, width - len(r)))) for r in rows])


class ConformanceFactory:
    """The fusion ``factory``: builds registered plugins (with their conformance parameters) in the workspace."""

    def __init__(self, ws: Workspace, registry: Any = None) -> None:
        self.ws = ws
        self.registry = registry
        self.built: list[str] = []

    def __call__(self, ref: Mapping[str, Any]) -> Plugin:
        name = ref["plugin"] if isinstance(ref, Mapping) else str(ref)
        params = dict(ref.get("params") or {}) if isinstance(ref, Mapping) else {}
        if name == CentroidModel.name:
            cls: type[Plugin] = CentroidModel
        else:
            from avbench.registry import get_registry

            cls = (self.registry or get_registry()).info(name).cls
        self.built.append(name)
        return make_plugin(cls, self.ws, params=params)
