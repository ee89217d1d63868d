"""Same fingerprint, same bytes: one fold's thread count, kernels and seeds, and a note of what computed it.

A fold's numbers depend on how many threads torch and BLAS reduce over, so that count
is a benchmark setting (``[benchmark] torch_threads``) carried in every fold's key and
set here at the start of each fold, whatever the executor gave the worker. The avbench
commit is read once in the main process while planning (:func:`source_revision`) and
travels in the unit's metadata; the worker adds what only it can see.
"""

from __future__ import annotations

import functools
import importlib.abc
import os
import random
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Sequence

import numpy as np

from .units import FoldUnit

#: Variables read by BLAS/OpenMP libraries that a worker loads after this point.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")


def apply_determinism(unit: FoldUnit) -> dict[str, Any]:
    """Fix threads, deterministic kernels and seeds for ``unit``; return its ``computed_with`` record.

    torch is set up when the fold first imports it (:func:`when_imported`), not before: a fold that
    never uses torch (an SVM) never pays for importing it, and one whose plugin imports torch lazily
    inside ``fit`` is seeded and made deterministic all the same, since nothing draws from torch's
    generator before its import. ``device`` is filled in by :func:`fold_device` once the fold ran.
    """
    limit_threads(unit.torch_threads)
    random.seed(unit.seed)
    np.random.seed(unit.seed % 2**32)
    when_imported("torch", functools.partial(_prepare_torch, threads=unit.torch_threads, seed=unit.seed))
    gpus = {"cuda_visible_devices": v} if (v := os.environ.get("CUDA_VISIBLE_DEVICES")) else {}  # a GPU slot's
    return {**dict(unit.metadata.get("computed_with", {})), "libraries": result_libraries(),
            "torch_threads": unit.torch_threads, "device": unit.context.device, **gpus}


def fold_device(requested: str) -> str:
    """Where a finished fold ran: the run's request, or for ``auto`` CUDA when torch was used and sees a GPU."""
    if requested != "auto":
        return requested
    torch = sys.modules.get("torch")
    return "cuda" if torch is not None and torch.cuda.is_available() else "cpu"


def _prepare_torch(torch: Any, *, threads: int, seed: int) -> None:
    configure_torch(threads)
    torch.manual_seed(seed)


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs a callback right after a module is first imported in this process (one pending callback per name)."""

    def __init__(self) -> None:
        self.pending: dict[str, Callable[[ModuleType], None]] = {}

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        callback = self.pending.get(name)
        if callback is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                break
        else:
            return None
        del self.pending[name]
        run_module = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run_module(module)
            callback(module)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


_after_import = _AfterImport()


def when_imported(name: str, callback: Callable[[ModuleType], None]) -> None:
    """``callback(module)`` now if ``name`` is imported already, else right after its first import.

    A later call for the same name replaces a callback still pending (each fold sets its own).
    """
    module = sys.modules.get(name)
    if module is not None:
        _after_import.pending.pop(name, None)
        callback(module)
        return
    if _after_import not in sys.meta_path:
        sys.meta_path.insert(0, _after_import)
    _after_import.pending[name] = callback


def limit_threads(threads: int) -> None:
    """BLAS and OpenMP pools already loaded, and those loaded later, to ``threads`` threads."""
    for var in THREAD_VARIABLES:
        os.environ[var] = str(threads)
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)


def configure_torch(threads: int) -> None:
    """torch's thread counts and deterministic kernels.

    Deterministic algorithms are enabled with ``warn_only``: an operation without a
    deterministic implementation (on CUDA) warns, naming itself, instead of failing the fold.
    """
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # read when cuBLAS first initialises
    import torch

    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(threads)
    except RuntimeError:  # only settable once per process, before any inter-op work; intra-op is what sums
        pass
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True


@functools.cache
def result_libraries() -> dict[str, str]:
    """Installed versions of the libraries that can change a result (read once per process)."""
    from avbench.leaderboard.provenance import library_versions

    return dict(sorted(library_versions().items()))


def source_revision(where: Path | None = None, outputs: Sequence[Path] = ()) -> dict[str, Any]:
    """The git commit of the avbench source, whether tracked files differ from it, and the lock (once per run).

    Files under ``outputs`` (avbench's own board) are avbench's results, not its code: changing them
    never makes the checkout dirty. ``lock`` is the sha256 of the checkout's ``requirements.lock`` (the
    environment the fold was computed in), None without one. ``{"commit": "unknown", "dirty": None}``
    when avbench is not run from a git checkout.
    """
    where = where or Path(__file__).resolve().parents[2]
    excluded = [f":(exclude){Path(p).resolve()}" for p in outputs
                if Path(p).resolve().is_relative_to(Path(where).resolve())]
    lock = lock_digest(where)
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=10)
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", *excluded],
                                cwd=where, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": None, "lock": lock}
    commit = head.stdout.strip()
    if head.returncode != 0 or not commit or status.returncode != 0:
        return {"commit": "unknown", "dirty": None, "lock": lock}
    return {"commit": commit, "dirty": bool(status.stdout.strip()), "lock": lock}


LOCK_FILE = "requirements.lock"


def lock_digest(where: Path | None = None) -> str | None:
    """The sha256 of ``requirements.lock`` beside the avbench source (the pinned environment), None without one."""
    import hashlib

    path = Path(where or Path(__file__).resolve().parents[2]) / LOCK_FILE
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
