"""Probe plugins for fault tests: plugins that misbehave on request, one behaviour per parameter value.

Installed for tests by putting ``tests/faults/probes`` on the path (its dist-info declares the entry
point). They read the toy dataset's ``.npy`` vectors (``tests/fixtures/toy_plugins``). Add new
probes here, each choosing its fault by a parameter, so fault tests share one package.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from avbench import hookimpl
from avbench.contract import Clip, ClipError, Extractor, Modality, Model, OutputKind, Params, stack

#: Set this environment variable to make every probe-extractor call fail (a re-extraction that cannot succeed).
FAIL_ENV = "PROBE_EXTRACT_FAIL"


class ProbeExtractor(Extractor):
    """The clip's vector; ``odd_clips`` get only their first ``odd_length`` values; may declare a length."""

    name = "probe-extractor"
    version = "1.0"
    modality = Modality.AUDIO
    output_kind = OutputKind.VECTOR

    class Params(Params):
        declared_length: int | None = Field(None, description="declared output_shape (length,); None: none")
        odd_clips: list[str] = Field(default_factory=list, description="clip ids whose vector is cut short")
        odd_length: int = Field(4, ge=1, description="length of the odd clips' vectors")

    def output_shape(self) -> tuple[int | None, ...] | None:
        return None if self.params.declared_length is None else (self.params.declared_length,)

    def load(self, clip: Clip) -> tuple[str, np.ndarray]:
        if os.environ.get(FAIL_ENV):
            raise ClipError(clip.clip_id, f"probe asked to fail ({FAIL_ENV} is set)")
        try:
            return clip.clip_id, np.load(Path(clip.path("audio")))
        except ValueError as exc:
            raise ClipError(clip.clip_id, f"unreadable file {clip.path('audio')}: {exc}") from None

    def features(self, raw: tuple[str, np.ndarray]) -> np.ndarray:
        clip_id, vector = raw
        if clip_id in self.params.odd_clips:
            vector = vector[: self.params.odd_length]
        return np.asarray(vector, dtype=np.float32)


ProbeMode = Literal["ok", "nan", "partial_nan", "unnormalised", "negative", "tiny_negative", "extra_column"]


class ProbeModel(Model):
    """Nearest class centroid whose probabilities ``mode`` spoils from row ``from_row`` of each prediction on.

    ``nan``: all NaN; ``partial_nan``: one NaN per row; ``unnormalised``: rows doubled; ``negative``:
    one value -0.25 (row still sums to 1); ``tiny_negative``: -1e-12 rounding (fine); ``extra_column``:
    one class too many.
    """

    name = "probe-model"
    version = "1.0"
    accepts = frozenset({OutputKind.VECTOR})

    class Params(Params):
        mode: ProbeMode = "ok"
        from_row: int = Field(0, ge=0, description="rows before this one are left correct")

    def fit(self, X, y, *, n_classes, X_val=None, y_val=None):
        X = stack(X)
        self.centroids_ = np.stack([X[y == c].mean(0) if (y == c).any() else np.zeros(X.shape[1])
                                    for c in range(n_classes)])
        return self

    def predict_proba(self, X):
        d = ((stack(X)[:, None, :] - self.centroids_[None]) ** 2).sum(-1)
        e = np.exp(-(d - d.min(1, keepdims=True)))
        proba = e / e.sum(1, keepdims=True)
        rows = slice(self.params.from_row, None)
        mode = self.params.mode
        if mode == "nan":
            proba[rows] = np.nan
        elif mode == "partial_nan":
            proba[rows, 0] = np.nan
        elif mode == "unnormalised":
            proba[rows] *= 2
        elif mode == "negative":
            proba[rows] = 0.0
            proba[rows, 0], proba[rows, 1] = -0.25, 1.25
        elif mode == "tiny_negative":
            proba[rows] = 0.0
            proba[rows, 0], proba[rows, 1] = -1e-12, 1.0 + 1e-12
        elif mode == "extra_column":
            proba = np.hstack([proba, np.zeros((len(proba), 1))])
        return proba


@hookimpl
def avbench_plugins():
    return [ProbeExtractor, ProbeModel]
