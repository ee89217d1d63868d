"""Cross-corpus on real data: train on the synthetic demo corpus, test on real RAVDESS actors (a small slice)."""

from __future__ import annotations

import json

import pytest

from avbench.runner.run import run_benchmark
from tests.conftest import env_path

BENCHMARK = """
[benchmark]
name = "real-cc"
seeds = [0]
workers = 2
latency_clips = 1
bootstrap_resamples = 100

[datasets.demo]
plugin = "synthetic-av"

[datasets.ravdess]
plugin = "ravdess"
root = "{root}"
params = {{ actors = [1, 2, 3, 4] }}

[experiments.demo-to-ravdess]
train = ["demo"]
test = ["ravdess"]
classes = ["neutral", "happy", "sad", "angry"]
[experiments.demo-to-ravdess.branches.audio]
extractor = {{ plugin = "mfcc-stats", params = {{ n_mfcc = 20 }} }}
model = "svm-linear"
normalise = {{ scope = "corpus", transductive = true }}
"""


@pytest.mark.real_data
def test_a_demo_to_ravdess_row_runs_end_to_end_with_namespaced_speakers(tmp_path):
    root = env_path("AVBENCH_RAVDESS_ROOT")
    path = tmp_path / "benchmark.toml"
    path.write_text(BENCHMARK.format(root=root))
    summary = run_benchmark(path, progress=False)
    assert (summary.done, summary.failed) == (1, 0), summary.errors
    (record_path,) = (tmp_path / "runs/real-cc/demo-to-ravdess").glob("*/seed-0/*.json")
    record = json.loads(record_path.read_text())
    assert record["test_subjects"] == ["ravdess/01", "ravdess/02", "ravdess/03", "ravdess/04"]
    assert record["sizes"]["test"] == 4 * (4 + 8 + 8 + 8)  # neutral has half the takes of the others
    board = (tmp_path / "leaderboards/real-cc/README.md").read_text()
    assert "demo -> ravdess" in board and "transductive" in board
