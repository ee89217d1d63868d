"""Every model of a protocol trains on the same subjects: validation subjects train none unless the protocol says so."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from avbench.runner.run import run_benchmark

BENCHMARK = """
[benchmark]
name = "toy"
seeds = [0]
workers = 1
latency_clips = 1

[datasets.toy]
plugin = "toy-dataset"

[protocols.holdout]
plugin = "actor-holdout"
params = {{ test = [5, 6], val = [4], val_in_training = {merged} }}

[protocols.kfold]          # fold-2 tests 5-6 and trains on the first list: the expected training set
plugin = "actor-kfold"
params = {{ folds = [{train}, [5, 6]] }}

[experiments.logreg]
dataset = "toy"
protocols = ["holdout", "kfold"]
[experiments.logreg.branches.audio]
extractor = "toy-extractor"
model = "logistic-regression"
"""


def run(tmp_path: Path, merged: bool, train: list[int]) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    path = tmp_path / ("merged" if merged else "kept") / "benchmark.toml"
    path.parent.mkdir()
    path.write_text(BENCHMARK.format(merged=str(merged).lower(), train=train))
    summary = run_benchmark(path, progress=False, render=False)
    assert (summary.done, summary.failed) == (3, 0)
    runs = path.parent / "runs/toy/logreg"
    record = json.loads((runs / "holdout/seed-0/holdout.json").read_text())
    return (pl.read_parquet(runs / "holdout/seed-0/holdout.parquet"),
            pl.read_parquet(runs / "kfold/seed-0/fold-2.parquet"), record)


@pytest.mark.parametrize("merged, train", [(False, [1, 2, 3]), (True, [1, 2, 3, 4])], ids=["kept", "merged"])
def test_a_classical_model_trains_on_exactly_the_protocols_training_subjects(toy_plugins, tmp_path, merged, train):
    holdout, reference, record = run(tmp_path, merged, train)
    # the holdout model predicts exactly as a model trained on `train` alone: the validation actor trains it
    # only when the protocol says so
    assert holdout["probabilities"].to_list() == reference["probabilities"].to_list()
    per_actor = 3 * 4  # toy dataset: 3 labels x 4 clips
    assert record["sizes"]["train"] == per_actor * len(train)
    assert record["sizes"]["val"] == (0 if merged else per_actor)
    assert record["setup"]["protocol"]["params"]["val_in_training"] is merged
