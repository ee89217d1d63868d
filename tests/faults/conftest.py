"""Fault tests use the toy plugins of the core tests and run the real CLI in subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from tests.conftest import FIXTURES
from tests.core.conftest import toy_benchmark, toy_plugins  # noqa: F401  (fixtures used here too)

#: The toy plugin package and this checkout, for a CLI subprocess.
TOY_PLUGINS = FIXTURES / "toy_plugins"


def cli_env(cache: Path, **extra: str) -> dict[str, str]:
    """The environment of a CLI subprocess: the toy plugins importable, a private cache."""
    path = os.pathsep.join([str(TOY_PLUGINS), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path, "AVBENCH_CACHE": str(cache), **extra}


def run_cli(config: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """``avbench run CONFIG ARGS`` as a user would start it."""
    return subprocess.run([sys.executable, "-m", "avbench.cli.main", "run", str(config), "--no-progress", *args],
                          cwd=config.parent, env=env, capture_output=True, text=True, timeout=300)


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    """The ``avbench: ...`` lines of a refused run, without the prefix."""
    return [line.removeprefix("avbench: ") for line in result.stderr.splitlines() if line.startswith("avbench: ")]


def write_vector(path: Path, label_index: int, seed: int) -> None:
    """A toy 8-d vector (what the toy extractor reads) under any file name, e.g. a RAVDESS ``.wav`` name."""
    rng = np.random.default_rng(seed)
    vector = (np.eye(8)[label_index] * 3 + rng.normal(0, 0.3, 8)).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:  # a handle: np.save would append .npy to the name
        np.save(handle, vector)
