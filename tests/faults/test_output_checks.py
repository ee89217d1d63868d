"""Plugin outputs are checked before they count: probabilities and extractor shapes."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import polars as pl
import pytest

from avbench.runner.output_checks import InvalidOutputError, checked_probabilities
from avbench.runner.run import run_benchmark

from .probe_benchmark import PLUGIN_FOLDERS, parquet_of, probe_plugins, record_of, write_benchmark, experiment

__all__ = ["probe_plugins"]

PROBE = '"probe-extractor"'


def model(mode: str, from_row: int = 0) -> str:
    return f'{{ plugin = "probe-model", params = {{ mode = "{mode}", from_row = {from_row} }} }}'


MODES = (experiment("good", PROBE, model("ok"))
         + experiment("all-nan", PROBE, model("nan"))
         + experiment("partly-nan", PROBE, model("partial_nan", from_row=5))
         + experiment("unnormalised", PROBE, model("unnormalised", from_row=2))
         + experiment("negative", PROBE, model("negative", from_row=3))
         + experiment("rounding", PROBE, model("tiny_negative"))
         + experiment("extra-column", PROBE, model("extra_column"))
         + """
[protocols.split]
plugin = "fixed-split"
params = { base = [1, 2], meta = [3, 4], test = [5, 6] }

[experiments.fused-nan]
dataset = "toy"
protocols = ["split"]
fusion = "toy-mean-fusion"
[experiments.fused-nan.branches.audio]
extractor = "probe-extractor"
model = { plugin = "probe-model", params = { mode = "nan", from_row = 7 } }
[experiments.fused-nan.branches.video]
extractor = "toy-video-extractor"
model = "toy-centroid"
""")


@pytest.fixture(scope="module")
def probe_run(tmp_path_factory):
    """One `avbench run` (a subprocess) over a good model and each way of spoiling probabilities."""
    root = tmp_path_factory.mktemp("probabilities")
    path = write_benchmark(root, MODES)
    env = {**os.environ, "AVBENCH_CACHE": str(root / "cache"),
           "PYTHONPATH": os.pathsep.join([*map(str, PLUGIN_FOLDERS), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "avbench.cli.main", "run", str(path), "--no-progress"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=300)
    test_clips = pl.read_parquet(parquet_of(root, "good"))["clip_id"].to_list()
    return root, proc, test_clips


def test_a_run_with_invalid_probabilities_exits_1_and_still_scores_the_good_model(probe_run):
    root, proc, test_clips = probe_run
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert record_of(root, "good")["status"] == "ok"
    assert len(test_clips) == 24


def test_nan_probabilities_make_a_fold_error_naming_the_model_and_the_first_clip(probe_run):
    root, _, test_clips = probe_run
    record = record_of(root, "all-nan")
    assert record["status"] == "error"
    assert f"model 'probe-model' gave NaN probabilities (3 of 3 values) for clip {test_clips[0]}" in record["error"]
    assert "expected 3 finite, non-negative values summing to 1" in record["error"]
    assert not parquet_of(root, "all-nan").exists(), "a fold with NaN probabilities must store no predictions"


def test_partly_nan_probabilities_name_the_first_bad_clip(probe_run):
    root, _, test_clips = probe_run
    error = record_of(root, "partly-nan")["error"]
    assert f"model 'probe-model' gave NaN probabilities (1 of 3 values) for clip {test_clips[5]} and 18 more" in error


def test_unnormalised_probabilities_are_a_fold_error(probe_run):
    root, _, test_clips = probe_run
    error = record_of(root, "unnormalised")["error"]
    assert f"model 'probe-model' gave probabilities summing to 2 for clip {test_clips[2]}" in error


def test_negative_probabilities_are_a_fold_error(probe_run):
    root, _, test_clips = probe_run
    error = record_of(root, "negative")["error"]
    assert f"model 'probe-model' gave negative probabilities (down to -0.25) for clip {test_clips[3]}" in error


def test_rounding_below_zero_is_clipped_and_the_fold_counts(probe_run):
    root, _, _ = probe_run
    assert record_of(root, "rounding")["status"] == "ok"
    stored = np.array(pl.read_parquet(parquet_of(root, "rounding"))["probabilities"].to_list())
    assert stored.min() == 0.0


def test_probabilities_of_the_wrong_shape_are_a_fold_error(probe_run):
    root, _, _ = probe_run
    error = record_of(root, "extra-column")["error"]
    assert "model 'probe-model' gave probabilities of shape (24, 4); expected (24, 3)" in error


def test_a_fusion_passing_on_nan_is_named_as_the_fusion(probe_run):
    root, _, test_clips = probe_run
    record = record_of(root, "fused-nan", protocol="split", fold="base-meta-test")
    assert record["status"] == "error"
    assert f"fusion 'toy-mean-fusion' gave NaN probabilities (3 of 3 values) for clip {test_clips[7]}" in record["error"]


@pytest.mark.parametrize("row, ok", [([0.5, 0.5 + 5e-5], True), ([0.5, 0.5 + 2e-4], False),
                                     ([-5e-10, 1.0], True), ([-2e-9, 1.0], False)])
def test_probability_rows_are_accepted_within_the_stated_tolerances(row, ok):
    if ok:
        assert checked_probabilities([row], ["c1"], 2, "model 'm'").min() >= 0
    else:
        with pytest.raises(InvalidOutputError, match="for clip c1"):
            checked_probabilities([row], ["c1"], 2, "model 'm'")


def test_an_output_of_another_shape_than_declared_is_a_clip_error_naming_extractor_and_shapes(tmp_path, probe_plugins):
    extractor = '{ plugin = "probe-extractor", params = { declared_length = 8, odd_clips = ["05-sad-1"] } }'
    path = write_benchmark(tmp_path, experiment("declared", extractor, '"toy-centroid"'))
    summary = run_benchmark(path, progress=False, render=False)
    assert (summary.done, summary.failed) == (1, 0)
    error = summary.clip_errors["declared"]["05-sad-1"]
    assert "probe-extractor gave shape (4,), expected (8,)" in error
    assert "05-sad-1" not in pl.read_parquet(parquet_of(tmp_path, "declared"))["clip_id"].to_list()


def test_vectors_of_different_lengths_in_one_fold_are_a_fold_error_naming_the_clip(tmp_path, probe_plugins):
    extractor = '{ plugin = "probe-extractor", params = { odd_clips = ["02-happy-3"] } }'
    path = write_benchmark(tmp_path, experiment("ragged", extractor, '"toy-centroid"'))
    summary = run_benchmark(path, progress=False, render=False)
    assert summary.failed == 1
    error = record_of(tmp_path, "ragged")["error"]
    assert "clip 02-happy-3 has probe-extractor features of shape (4,)" in error
    assert "has (8,); one extractor setting must give the same size" in error
