"""Plugins that fail the way real plugins fail: segfault, ``os._exit``, ``sys.exit``, hang, OOM kill, ENOSPC.

Installed for tests by putting this folder on the path (its dist-info declares the entry point).
A fault fires on the clips named in ``on_clips`` (every clip when empty) and, when ``switch_file``
is set, only while that file exists: a passing fault the test can end by deleting the file. Each
plugin writes its pid to ``pid_dir`` (when set) when it starts work, so tests can check that no
worker outlives the run.
"""

from __future__ import annotations

import ctypes
import errno
import os
import signal
import sys
import time
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from avbench import hookimpl
from avbench.contract import Clip, ClipError, Extractor, Modality, Model, OutputKind, Params, stack

Fault = Literal["none", "segfault", "exit", "sysexit", "hang", "sigkill", "enospc", "memory", "import"]


def _record_pid(pid_dir: str) -> None:
    if pid_dir:
        Path(pid_dir).mkdir(parents=True, exist_ok=True)
        (Path(pid_dir) / str(os.getpid())).touch()


def _active(switch_file: str, one_shot: bool = False) -> bool:
    """Whether the fault fires; a one-shot fault removes its switch as it fires, so a retry passes."""
    if not switch_file:
        return True
    if not Path(switch_file).exists():
        return False
    if one_shot:
        Path(switch_file).unlink(missing_ok=True)
    return True


def fail(fault: str) -> None:
    """Fail now, as ``fault`` says."""
    if fault == "segfault":
        ctypes.string_at(0)
    elif fault == "exit":
        os._exit(3)
    elif fault == "sysexit":
        sys.exit(4)
    elif fault == "hang":
        time.sleep(3600)
    elif fault == "sigkill":  # what the kernel's OOM killer does
        os.kill(os.getpid(), signal.SIGKILL)
    elif fault == "enospc":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/cache/features/x.npy")
    elif fault == "memory":
        raise MemoryError("probe ran out of memory")
    elif fault == "import":  # a plugin whose dependency is not installed here
        import avbench_probe_dependency_that_is_not_installed  # noqa: F401


class ProbeExtractor(Extractor):
    """Reads the toy dataset's ``.npy`` vectors like ``toy-extractor``, failing on chosen clips."""

    name = "probe-extractor"
    version = "1.0"
    modality = Modality.AUDIO
    output_kind = OutputKind.VECTOR

    class Params(Params):
        fault: Fault = "none"
        on_clips: list[str] = Field(default_factory=list)
        switch_file: str = ""
        one_shot: bool = False
        pid_dir: str = ""

    def load(self, clip: Clip) -> np.ndarray:
        _record_pid(self.params.pid_dir)
        if (not self.params.on_clips or clip.clip_id in self.params.on_clips) and _active(self.params.switch_file,
                                                                                       self.params.one_shot):
            fail(self.params.fault)
        try:
            return np.load(clip.path("audio"))
        except ValueError as exc:
            raise ClipError(clip.clip_id, f"unreadable file {clip.path('audio')}: {exc}") from None

    def features(self, raw: np.ndarray) -> np.ndarray:
        return np.asarray(raw, dtype=np.float32)


class ProbeTableExtractor(ProbeExtractor):
    """Video-modality features from a table keyed by clip (here: the toy vector), reading no video file."""

    name = "probe-table-extractor"
    modality = Modality.VIDEO
    reads_media = False


class ProbeModel(Model):
    """Nearest centroid that fails in ``fit`` when asked to (all folds, or while ``switch_file`` exists)."""

    name = "probe-model"
    version = "1.0"
    accepts = frozenset({OutputKind.VECTOR})

    class Params(Params):
        fault: Fault = "none"
        switch_file: str = ""
        one_shot: bool = False
        pid_dir: str = ""
        sleep: float = 0.0
        spawn_child: bool = False  # start (and join) a process of its own while fitting

    def fit(self, X, y, *, n_classes, X_val=None, y_val=None):
        _record_pid(self.params.pid_dir)
        if _active(self.params.switch_file, self.params.one_shot):
            fail(self.params.fault)
        time.sleep(self.params.sleep)
        if self.params.spawn_child:
            import multiprocessing

            child = multiprocessing.get_context("spawn").Process(target=time.sleep, args=(0.1,))
            child.start()
            child.join()
            if child.exitcode != 0:
                raise RuntimeError(f"child process exited with {child.exitcode}")
        X = stack(X)
        self.centroids_ = np.stack([X[y == c].mean(0) if (y == c).any() else np.zeros(X.shape[1])
                                    for c in range(n_classes)])
        return self

    def predict_proba(self, X):
        d = ((stack(X)[:, None, :] - self.centroids_[None]) ** 2).sum(-1)
        e = np.exp(-(d - d.min(1, keepdims=True)))
        return e / e.sum(1, keepdims=True)


@hookimpl
def avbench_plugins():
    return [ProbeExtractor, ProbeTableExtractor, ProbeModel]
