"""Same fingerprint, same bytes: one fold's thread count, kernels and seeds, and a note of what computed it.

A fold's numbers depend on how many threads torch and BLAS reduce over, so that count
is a benchmark setting (``[benchmark] torch_threads``) carried in every fold's key and
set here at the start of each fold, whatever the executor gave the worker. The avbench
commit is read once in the main process while planning (:func:`source_revision`) and
travels in the unit's metadata; the worker adds what only it can see.
"""

from __future__ import annotations

import functools
import os
import random
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

from .units import FoldUnit

#: Variables read by BLAS/OpenMP libraries that a worker loads after this point.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")
#: Libraries whose version can change a result, beyond those the leaderboard's provenance lists.
EXTRA_LIBRARIES = ("scipy", "threadpoolctl")


def apply_determinism(unit: FoldUnit) -> dict[str, Any]:
    """Fix threads, deterministic kernels and seeds for ``unit``; return its ``computed_with`` record."""
    limit_threads(unit.torch_threads)
    seed_everything(unit.seed)
    device = configure_torch(unit.torch_threads, unit.context.device)
    gpus = {"cuda_visible_devices": v} if (v := os.environ.get("CUDA_VISIBLE_DEVICES")) else {}  # a GPU slot's
    return {**dict(unit.metadata.get("computed_with", {})), "libraries": result_libraries(),
            "torch_threads": unit.torch_threads, "device": device, **gpus}


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and torch's global generators (models also seed their own)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        import torch
    except ImportError:
        return
    torch.manual_seed(seed)


def limit_threads(threads: int) -> None:
    """BLAS and OpenMP pools already loaded, and those loaded later, to ``threads`` threads."""
    for var in THREAD_VARIABLES:
        os.environ[var] = str(threads)
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)


def configure_torch(threads: int, requested_device: str) -> str:
    """torch's thread counts and deterministic kernels; returns the device the run's request resolves to.

    Deterministic algorithms are enabled with ``warn_only``: an operation without a
    deterministic implementation (on CUDA) warns, naming itself, instead of failing the fold.
    """
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # read when cuBLAS first initialises
    try:
        import torch
    except ImportError:
        return "cpu" if requested_device == "auto" else requested_device
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(threads)
    except RuntimeError:  # only settable once per process, before any inter-op work; intra-op is what sums
        pass
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    if requested_device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return requested_device


@functools.cache
def result_libraries() -> dict[str, str]:
    """Installed versions of the libraries that can change a result (read once per process)."""
    from importlib import metadata

    from avbench.leaderboard.provenance import library_versions

    versions = library_versions()
    for name in EXTRA_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return dict(sorted(versions.items()))


def source_revision(where: Path | None = None) -> dict[str, Any]:
    """The git commit of the avbench source and whether tracked files differ from it (call once per run).

    ``{"commit": "unknown", "dirty": None}`` when avbench is not run from a git checkout.
    """
    where = where or Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=10)
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=where,
                                capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": None}
    commit = head.stdout.strip()
    if head.returncode != 0 or not commit or status.returncode != 0:
        return {"commit": "unknown", "dirty": None}
    return {"commit": commit, "dirty": bool(status.stdout.strip())}
