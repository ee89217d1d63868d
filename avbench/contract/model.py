"""Model plugins: a small scikit-learn-like surface, ``fit`` and ``predict_proba``."""

from __future__ import annotations

from typing import ClassVar, Sequence

import numpy as np

from .base import Plugin, PluginKind
from .extractor import OutputKind

#: One batch of features: one array per clip (shapes may differ, e.g. sequence lengths).
Features = Sequence[np.ndarray]


class Model(Plugin):
    """A classifier over one branch's features.

    ``accepts`` names the extractor output kinds it can take. ``fit`` receives
    integer labels ``0..n_classes-1``; ``X_val``/``y_val`` come from validation
    subjects (never test subjects) for early stopping and model selection only:
    a model never trains on them, so every model of a protocol trains on the
    same subjects. Whether validation subjects join the training set is the
    protocol's declared setting (``val_in_training``), applied before ``fit``.
    ``predict_proba`` returns ``[N, n_classes]`` rows that sum to one.

    ``stochastic`` (see :class:`~avbench.contract.base.Plugin`) says whether the
    fitted model depends on the seed; such experiments run several seeds.

    Before ``fit`` the runner sets ``input_kind`` to the branch extractor's
    declared output kind, since a 2-D clip alone does not say whether it is a
    sequence ``[T, D]`` or a spectrogram ``[F, T]``; it stays None when unknown.
    """

    kind: ClassVar[PluginKind] = PluginKind.MODEL
    accepts: ClassVar[frozenset[OutputKind]] = frozenset({OutputKind.VECTOR})
    input_kind: OutputKind | None = None

    def fit(
        self,
        X: Features,
        y: np.ndarray,
        *,
        n_classes: int,
        X_val: Features | None = None,
        y_val: np.ndarray | None = None,
    ) -> "Model":
        raise NotImplementedError

    def predict_proba(self, X: Features) -> np.ndarray:
        raise NotImplementedError

    def predict(self, X: Features) -> np.ndarray:
        return np.asarray(self.predict_proba(X)).argmax(axis=1)

    @property
    def device(self) -> str:
        """Where inference runs (``cpu``, ``cuda``...), reported with latency."""
        return "cpu"


def stack(X: Features) -> np.ndarray:
    """Features as one ``[N, ...]`` float32 array; a clear error when shapes differ."""
    shapes = {np.shape(x) for x in X}
    if len(shapes) > 1:
        raise ValueError(f"cannot stack features of different shapes: {sorted(shapes)[:5]}")
    return np.stack([np.asarray(x, dtype=np.float32) for x in X]) if len(X) else np.zeros((0,), np.float32)
