"""Fault tests: the toy plugins and the crash probes installed, small benchmarks, real CLI runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tests.conftest import FIXTURES
from tests.core.conftest import add_to_path, toy_benchmark, toy_plugins  # noqa: F401  (fixtures used here too)

#: The toy plugin package and this checkout, for a CLI subprocess.
TOY_PLUGINS = FIXTURES / "toy_plugins"


def cli_env(cache: Path, **extra: str) -> dict[str, str]:
    """The environment of a CLI subprocess: the toy plugins importable, a private cache."""
    path = os.pathsep.join([str(TOY_PLUGINS), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path, "AVBENCH_CACHE": str(cache), **extra}


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


PROBES = Path(__file__).parent / "crash_probes"

FAULT_BENCHMARK = """
[benchmark]
name = "faults"
seeds = [0]
workers = {workers}
latency_clips = 1
clip_timeout = {clip_timeout}
fold_timeout = {fold_timeout}

[datasets.toy]
plugin = "toy-dataset"
root = "{root}"
params = {{ subjects = 4, per_label = 2 }}

[protocols.loso]
plugin = "loso"

[experiments.probe]
dataset = "toy"
protocols = ["loso"]
[experiments.probe.branches.audio]
extractor = {{ plugin = "probe-extractor", params = {extractor} }}
model = {{ plugin = "probe-model", params = {model} }}

[experiments.steady]
dataset = "toy"
protocols = ["loso"]
[experiments.steady.branches.audio]
extractor = "toy-extractor"
model = "toy-centroid"
"""


def toml_table(values: dict) -> str:
    return "{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in values.items()) + " }"


@pytest.fixture
def probe_plugins(monkeypatch):
    add_to_path(monkeypatch, FIXTURES / "toy_plugins")
    add_to_path(monkeypatch, PROBES)
    yield
    import avbench.registry as registry_module

    registry_module._cached = None


@pytest.fixture
def fault_benchmark(tmp_path, probe_plugins):
    """Write ``<folder>/benchmark.toml`` for a probe setting; the toy data lives outside the cache."""

    def write(folder: str = "run", extractor: dict | None = None, model: dict | None = None, workers: int = 1,
              clip_timeout: float = 60, fold_timeout: float = 120) -> Path:
        base = tmp_path / folder
        base.mkdir(parents=True, exist_ok=True)
        path = base / "benchmark.toml"
        path.write_text(FAULT_BENCHMARK.format(
            workers=workers, clip_timeout=clip_timeout, fold_timeout=fold_timeout, root=tmp_path / "toy-data",
            extractor=toml_table(extractor or {}), model=toml_table(model or {})))
        return path

    return write


def run_cli(config: Path, *args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """``avbench run CONFIG ARGS`` as a user runs it: a real process, its exit code and output.

    ``env`` is laid over this process's environment, with a private cache beside the config by default.
    """
    full_env = {**os.environ, "AVBENCH_CACHE": str(config.parent / "cache"), **(env or {})}
    return subprocess.run([sys.executable, "-m", "avbench.cli.main", "run", str(config), "--no-progress", *args],
                          cwd=config.parent, env=full_env, capture_output=True, text=True, timeout=timeout)


def stored_predictions(base: Path) -> dict[str, list]:
    """Every fold's predictions, by path relative to the run folder."""
    root = base / "runs"
    return {str(p.relative_to(root)): pl.read_parquet(p).sort("clip_id").to_dicts()
            for p in sorted(root.glob("*/*/*/seed-*/*.parquet"))}


def board_numbers(base: Path, benchmark: str = "faults") -> list[dict]:
    """The leaderboard's rows without the columns that record when or how fast they were computed."""
    frame = pl.read_csv(base / "leaderboards" / benchmark / "results.csv")
    keep = [c for c in frame.columns if c in ("experiment", "protocol", "folds", "status", "test_clips",
                                              "per_class_recall", "confusion")
            or c.startswith(("accuracy_", "uar_", "macro_f1_"))]
    return frame.select(keep).sort(["experiment", "protocol"]).to_dicts()
