from __future__ import annotations

import os
from pathlib import Path

import pytest

import avbench.registry as registry_module
from tests.conftest import FIXTURES

TOY_BENCHMARK = """
[benchmark]
name = "toy"
seeds = [0]
workers = 1
latency_clips = 3

[datasets.toy]
plugin = "toy-dataset"

[protocols.holdout]
plugin = "actor-holdout"
params = {{ test = [5, 6], val = [4] }}

[protocols.loso]
plugin = "loso"

[experiments.centroid]
dataset = "toy"
protocols = ["holdout", "loso"]
description = "nearest centroid on toy vectors"
reported = {{ accuracy = 0.5, source = "nobody 2020" }}
[experiments.centroid.branches.audio]
extractor = {{ plugin = "toy-extractor", params = {{ scale = {scale} }} }}
model = {{ plugin = "toy-centroid", params = {{ sleep = {sleep} }} }}
"""


def add_to_path(monkeypatch, folder: Path) -> None:
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")]))
    registry_module._cached = None


@pytest.fixture
def toy_plugins(monkeypatch):
    """The toy plugin package installed (on the path), with a fresh process registry."""
    add_to_path(monkeypatch, FIXTURES / "toy_plugins")
    yield
    registry_module._cached = None


@pytest.fixture
def toy_benchmark(tmp_path, toy_plugins):
    def write(scale: float = 1.0, sleep: float = 0.0, extra: str = "") -> Path:
        path = tmp_path / "benchmark.toml"
        path.write_text(TOY_BENCHMARK.format(scale=scale, sleep=sleep) + extra)
        return path

    return write
