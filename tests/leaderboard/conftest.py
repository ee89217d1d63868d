"""A toy benchmark with two experiments in one comparison group, run once per test in a temp project."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.conftest import toy_plugins  # noqa: F401  (fixture)

TWO_EXPERIMENTS = """
[benchmark]
name = "toy"
seeds = {seeds}
stochastic_seeds = {seeds}
workers = 1
latency_clips = 2

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
description = "{description}"
reported = {{ accuracy = 0.5, source = "nobody 2020", protocol = "loso", note = "a made-up caveat" }}
[experiments.centroid.branches.audio]
extractor = {{ plugin = "toy-extractor", params = {{ scale = {scale} }} }}
model = "toy-centroid"

[experiments.centroid-noisy]
dataset = "toy"
protocols = ["loso"]
description = "nearest centroid on noisier toy vectors"
[experiments.centroid-noisy.branches.audio]
extractor = {{ plugin = "toy-extractor", params = {{ scale = 0.5 }} }}
model = "toy-centroid"
augment = {{ plugin = "toy-noise", params = {{ copies = 1, amount = 3.0 }} }}
"""


@pytest.fixture
def toy_project(tmp_path, toy_plugins):  # noqa: F811
    """Write ``project/benchmark.toml``; returns a function taking the config's variable parts."""
    project = tmp_path / "project"
    project.mkdir()

    def write(scale: float = 1.0, description: str = "nearest centroid on toy vectors", seeds: str = "[0]",
              extra: str = "") -> Path:
        path = project / "benchmark.toml"
        path.write_text(TWO_EXPERIMENTS.format(scale=scale, description=description, seeds=seeds) + extra)
        return path

    return write
