"""Plugins that say whether they run on CUDA and record what ``CUDA_VISIBLE_DEVICES`` they saw, and when.

Installed for tests by putting this folder on the path (its dist-info declares the entry point).
Each call of ``fit`` (model) or ``load`` (extractor) appends one JSON line to a file of its own
under ``log_dir``: ``{"plugin", "tag", "pid", "visible", "start", "end"}``; the work in between
sleeps ``seconds``, long enough for the test to see what ran at the same time.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

import numpy as np

from avbench import hookimpl
from avbench.contract import Clip, Extractor, Modality, Model, OutputKind, Params, stack


class GpuProbeParams(Params):
    cuda: bool = True  # what wants_cuda says, unless ``device`` is set
    device: str = ""  # set (``auto``, ``cpu``, ``cuda``): wants_cuda is Plugin.device_is_cuda of it, as torch plugins do
    log_dir: str = ""
    tag: str = ""
    seconds: float = 0.0


def _recorded(plugin: str, params: GpuProbeParams, work):
    """Run ``work`` after sleeping ``seconds``, logging the visible devices and the interval."""
    start = time.time()
    time.sleep(params.seconds)
    out = work()
    if params.log_dir:
        entry = {"plugin": plugin, "tag": params.tag, "pid": os.getpid(),
                 "visible": os.environ.get("CUDA_VISIBLE_DEVICES"), "start": start, "end": time.time()}
        Path(params.log_dir).mkdir(parents=True, exist_ok=True)
        (Path(params.log_dir) / f"{uuid.uuid4().hex}.json").write_text(json.dumps(entry))
    return out


class GpuProbeExtractor(Extractor):
    """Reads the toy dataset's ``.npy`` vectors; says it runs on CUDA when ``cuda`` is set."""

    name = "gpu-probe-extractor"
    version = "1.0"
    modality = Modality.AUDIO
    output_kind = OutputKind.VECTOR
    Params = GpuProbeParams

    def wants_cuda(self) -> bool:
        return self.device_is_cuda(self.params.device) if self.params.device else self.params.cuda

    def load(self, clip: Clip) -> np.ndarray:
        return _recorded(self.name, self.params, lambda: np.load(clip.path("audio")))

    @classmethod
    def warm_up(cls) -> None:
        """With ``$AVBENCH_PROBE_WARM_LOG`` set: sleep ``$AVBENCH_PROBE_WARM_SECONDS``, then log pid and time
        (or raise, with ``$AVBENCH_PROBE_WARM_RAISE``)."""
        folder = os.environ.get("AVBENCH_PROBE_WARM_LOG")
        if not folder:
            return
        if os.environ.get("AVBENCH_PROBE_WARM_RAISE"):
            raise RuntimeError("the probe's warm-up fails on purpose")
        time.sleep(float(os.environ.get("AVBENCH_PROBE_WARM_SECONDS", "0")))
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"warm-{uuid.uuid4().hex}.json").write_text(json.dumps({"pid": os.getpid(), "end": time.time()}))

    def features(self, raw: np.ndarray) -> np.ndarray:
        return np.asarray(raw, dtype=np.float32)


class GpuProbeModel(Model):
    """Nearest centroid; says it runs on CUDA when ``cuda`` is set."""

    name = "gpu-probe-model"
    version = "1.0"
    accepts = frozenset({OutputKind.VECTOR})
    Params = GpuProbeParams

    def wants_cuda(self) -> bool:
        return self.device_is_cuda(self.params.device) if self.params.device else self.params.cuda

    def fit(self, X, y, *, n_classes, X_val=None, y_val=None):
        def centroids():
            features = stack(X)
            return np.stack([features[y == c].mean(0) if (y == c).any() else np.zeros(features.shape[1])
                             for c in range(n_classes)])

        self.centroids_ = _recorded(self.name, self.params, centroids)
        return self

    def predict_proba(self, X):
        d = ((stack(X)[:, None, :] - self.centroids_[None]) ** 2).sum(-1)
        e = np.exp(-(d - d.min(1, keepdims=True)))
        return e / e.sum(1, keepdims=True)


@hookimpl
def avbench_plugins():
    return [GpuProbeExtractor, GpuProbeModel]
