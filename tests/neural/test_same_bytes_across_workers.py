"""Same fingerprint, same bytes: a neural experiment predicts identically whatever ``--workers`` is."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import torch

from avbench.runner.run import run_benchmark

BENCHMARK = """
[benchmark]
name = "det"
seeds = [0]
stochastic_seeds = [0]
latency_clips = 1

[datasets.demo]            # generated once into `root`, shared by both runs
plugin = "synthetic-av"
params = { actors = 3, clips_per_emotion = 1, seconds = 0.8, size = [64, 48], classes = ["happy", "sad", "angry"] }
root = "{root}"

[protocols.loso]
plugin = "loso"
params = { val_subjects = 1 }

[experiments.cnn]
dataset = "demo"
protocols = ["loso"]
[experiments.cnn.branches.audio]
extractor = "mfcc-sequence"
model = { plugin = "sapienza-mfcc-cnn", params = { channels = [4, 8], fc_units = [16], max_epochs = 2 } }
"""


def run(folder: Path, workers: int, monkeypatch) -> dict[str, list]:
    folder.mkdir()
    (folder / "benchmark.toml").write_text(BENCHMARK.replace("{root}", str(folder.parent / "demo")))
    monkeypatch.setenv("AVBENCH_CACHE", str(folder / "cache"))  # nothing shared between the two runs
    summary = run_benchmark(folder / "benchmark.toml", workers=workers, progress=False, render=False)
    assert (summary.done, summary.failed) == (3, 0)
    return {p.name: pl.read_parquet(p)["probabilities"].to_list()
            for p in sorted((folder / "runs/det/cnn/loso/seed-0").glob("*.parquet"))}


def test_one_and_two_workers_give_byte_identical_probabilities(tmp_path, monkeypatch):
    before = torch.get_num_threads()
    torch.set_num_threads(3)  # as an executor on a bigger machine leaves a lone worker: the fold must override it
    try:
        serial = run(tmp_path / "one", 1, monkeypatch)
    finally:
        torch.set_num_threads(before)
    parallel = run(tmp_path / "two", 2, monkeypatch)
    assert list(serial) == ["subject-1.parquet", "subject-2.parquet", "subject-3.parquet"]
    assert serial == parallel  # exact float equality, every clip, every class
    record = json.loads((tmp_path / "two/runs/det/cnn/loso/seed-0/subject-1.json").read_text())
    assert record["computed_with"]["torch_threads"] == 1 and record["setup"]["torch_threads"] == 1
