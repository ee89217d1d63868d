"""Set-up shared by fault tests: the toy and probe plugin packages on the path, a small benchmark file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import avbench.registry as registry_module
from tests.conftest import FIXTURES

PROBES = Path(__file__).parent / "probes"
PLUGIN_FOLDERS = (FIXTURES / "toy_plugins", PROBES)

#: The toy dataset (6 subjects x 3 labels x 4 clips), one holdout fold (test subjects 5, 6) and LOSO (6 folds).
BENCHMARK = """
[benchmark]
name = "faults"
seeds = [0]
workers = 1
latency_clips = 1

[datasets.toy]
plugin = "toy-dataset"

[protocols.holdout]
plugin = "actor-holdout"
params = { test = [5, 6], val = [4] }

[protocols.loso]
plugin = "loso"
"""


def experiment(name: str, extractor: str, model: str, protocols: str = '["holdout"]') -> str:
    """One single-branch experiment on the toy dataset; ``extractor`` and ``model`` are TOML plugin refs."""
    return (f'\n[experiments.{name}]\ndataset = "toy"\nprotocols = {protocols}\n'
            f"[experiments.{name}.branches.audio]\nextractor = {extractor}\nmodel = {model}\n")


@pytest.fixture
def probe_plugins(monkeypatch):
    """The toy and probe plugin packages installed (on the path, also for subprocesses), a fresh registry."""
    for folder in PLUGIN_FOLDERS:
        monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([*map(str, PLUGIN_FOLDERS), os.environ.get("PYTHONPATH", "")]))
    registry_module._cached = None
    yield
    registry_module._cached = None


def write_benchmark(folder: Path, experiments: str) -> Path:
    path = folder / "benchmark.toml"
    path.write_text(BENCHMARK + experiments)
    return path


def record_of(root: Path, experiment_name: str, protocol: str = "holdout", fold: str = "holdout") -> dict:
    return json.loads((root / "runs/faults" / experiment_name / protocol / "seed-0" / f"{fold}.json").read_text())


def parquet_of(root: Path, experiment_name: str, protocol: str = "holdout", fold: str = "holdout") -> Path:
    return root / "runs/faults" / experiment_name / protocol / "seed-0" / f"{fold}.parquet"
