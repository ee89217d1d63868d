"""Benchmarks over several toy corpora: the same toy dataset plugin with another ``offset`` is another corpus
whose clip ids and subjects collide with the first one's."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.conftest import toy_plugins  # noqa: F401  (fixture)

CORPORA = """
[benchmark]
name = "cc"
seeds = [0]
workers = 1
latency_clips = 1
bootstrap_resamples = 100

[datasets.a]
plugin = "toy-dataset"
params = {{ subjects = 3, per_label = 2 }}

[datasets.b]
plugin = "toy-dataset"
params = {{ subjects = 3, per_label = 2, offset = 0.5 }}

[datasets.c]
plugin = "toy-dataset"
params = {{ subjects = 3, per_label = 2, offset = -0.5 }}

[protocols.loso]
plugin = "loso"

[protocols.loco]
plugin = "leave-one-corpus-out"
{experiments}
"""

CENTROID = """[experiments.{name}.branches.audio]
extractor = "toy-extractor"
model = "toy-centroid"
"""


@pytest.fixture
def corpora_benchmark(tmp_path, toy_plugins):  # noqa: F811
    """Writes a benchmark of the three toy corpora with the given experiment tables; returns its path."""

    def write(experiments: str) -> Path:
        path = tmp_path / "benchmark.toml"
        path.write_text(CORPORA.format(experiments=experiments))
        return path

    return write
