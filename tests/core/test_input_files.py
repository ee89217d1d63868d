"""Every file a plugin reads is in its key: a changed action-unit table changes features, fingerprints and results."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from avbench.cache.input_hashes import folder_hash, input_hashes
from avbench.contract import Plugin, ResourceMissingError
from avbench.runner.run import run_benchmark
from avbench_plugins.extractors.video.openface_au import AU_INTENSITIES, AU_PRESENCES

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
params = { test = [5, 6], val = [4] }

[experiments.au]
dataset = "toy"
protocols = ["holdout"]
[experiments.au.branches.video]
extractor = "openface-au"
model = "logistic-regression"
"""


def write_au_table(path: Path, informative: bool) -> None:
    """A clip-mean table for the toy clips (ids ``SS-label-k``): AU values that follow the label, or all zero."""
    rng = np.random.default_rng(0)
    rows = []
    for subject in range(1, 7):
        for li, label in enumerate(("happy", "sad", "angry")):
            for k in range(4):
                values = (rng.normal(0, 0.3, 35) + 2.0 * (np.arange(35) % 3 == li)) if informative else np.zeros(35)
                rows.append([f"{subject:02d}-{label}-{k}", *(f"{v:.4f}" for v in values)])
    with open(path, "w", newline="") as f:
        csv.writer(f, delimiter=";").writerows([["name", *AU_INTENSITIES, *AU_PRESENCES], *rows])


def fold(tmp_path: Path) -> tuple[dict, list]:
    stem = tmp_path / "runs/toy/au/holdout/seed-0/holdout"
    record = json.loads(stem.with_suffix(".json").read_text())
    return record, pl.read_parquet(stem.with_suffix(".parquet"))["probabilities"].to_list()


def feature_files(cache: Path) -> set[str]:
    """The feature keys cached for ``openface-au`` (entries of its shards)."""
    from avbench.cache.feature_cache import FeatureCache

    return FeatureCache(cache).keys("openface-au")


def test_changing_the_action_unit_table_changes_the_feature_key_the_fingerprint_and_the_result(
        toy_plugins, tmp_path, monkeypatch):
    table = tmp_path / "clip_mean_action_units.csv"
    monkeypatch.setenv("AVBENCH_OPENFACE_AU", str(table))  # the same path both times: only the content changes
    cache = tmp_path / "cache"
    monkeypatch.setenv("AVBENCH_CACHE", str(cache))
    path = tmp_path / "benchmark.toml"
    path.write_text(BENCHMARK)

    write_au_table(table, informative=True)
    assert run_benchmark(path, progress=False, render=False).done == 1
    first_record, first = fold(tmp_path)
    first_features = feature_files(cache)
    assert first_record["status"] == "ok" and first_features

    write_au_table(table, informative=False)  # an all-zero copy, as in the issue
    summary = run_benchmark(path, progress=False, render=False)
    assert (summary.done, summary.skipped) == (1, 0), "a fold computed from the old table was reused"
    second_record, second = fold(tmp_path)
    assert feature_files(cache) - first_features, "no new feature key: features of the old table were reused"
    assert second_record["fingerprint"] != first_record["fingerprint"]
    assert second_record["experiment_fingerprint"] != first_record["experiment_fingerprint"]
    assert second != first
    assert np.allclose(np.asarray(second), np.asarray(second)[0])  # all-zero features: one answer for every clip
    inputs = second_record["setup"]["branches"][0]["extractor"]["inputs"]
    assert set(inputs) == {"csv"} and inputs != first_record["setup"]["branches"][0]["extractor"]["inputs"]


def test_a_missing_action_unit_table_skips_the_experiment_naming_the_file_and_the_variable(
        toy_plugins, tmp_path, monkeypatch):
    monkeypatch.setenv("AVBENCH_OPENFACE_AU", str(tmp_path / "absent.csv"))
    path = tmp_path / "benchmark.toml"
    path.write_text(BENCHMARK)
    summary = run_benchmark(path, progress=False, render=False)
    assert summary.done == 0
    (error,) = summary.errors
    assert "absent.csv" in error["error"] and "AVBENCH_OPENFACE_AU" in error["error"] and "'csv'" in error["error"]


class Reader(Plugin):
    name = "reader"
    version = "1.0"

    def __init__(self, files: dict[str, Path]) -> None:
        super().__init__()
        self.files = files

    def input_files(self):
        return self.files


def test_a_declared_file_that_does_not_exist_is_an_error_naming_it_and_its_parameter(tmp_path):
    with pytest.raises(ResourceMissingError, match=r"reader: input 'weights' is .*nowhere\.pth, which does not exist"):
        input_hashes(Reader({"weights": tmp_path / "nowhere.pth"}))


def test_a_declared_folder_hashes_every_file_in_it(tmp_path):
    (tmp_path / "frames/sub").mkdir(parents=True)
    (tmp_path / "frames/a.csv").write_text("1")
    (tmp_path / "frames/sub/b.csv").write_text("2")
    before = input_hashes(Reader({"folder": tmp_path / "frames"}))
    assert before == {"folder": folder_hash(tmp_path / "frames")}
    (tmp_path / "frames/sub/b.csv").write_text("3")
    assert input_hashes(Reader({"folder": tmp_path / "frames"})) != before
    (tmp_path / "frames/sub/b.csv").write_text("2")
    assert input_hashes(Reader({"folder": tmp_path / "frames"})) == before


def test_plugins_that_read_no_file_keep_their_identity(tmp_path):
    from avbench.runner.units import PluginSpec

    assert "inputs" not in PluginSpec("mfcc-stats", "1.0", {}).identity
    assert PluginSpec("x", "1.0", {}, inputs={"csv": "abc"}).identity["inputs"] == {"csv": "abc"}
