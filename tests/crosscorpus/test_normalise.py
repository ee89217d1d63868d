"""Normalisation as a declared stage: training statistics from training clips only, test clips by training or
(transductive) their own group's unlabelled clips; no test label and no other test speaker reaches them."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from avbench.config.loader import ConfigError, load_config
from avbench.registry import get_registry
from avbench.runner.run import run_benchmark
from tests.core.conftest import add_to_path

from .conftest import CENTROID

HERE = Path(__file__).parent

SPEAKERS = """
[benchmark]
name = "norm"
seeds = [0]
workers = 1
latency_clips = 1
bootstrap_resamples = 100

[datasets.toy]
plugin = "toy-dataset"
params = {{ subjects = 4, per_label = 2 }}

[protocols.holdout]
plugin = "actor-holdout"
params = {{ test = [3, 4], val = [] }}

[experiments.probe]
dataset = "toy"
protocols = ["holdout"]
[experiments.probe.branches.audio]
extractor = "toy-extractor"
model = "probe-centroid"
normalise = {{ scope = "{scope}", transductive = {transductive} }}
"""


@pytest.fixture
def probe(tmp_path, monkeypatch, toy_plugins):  # noqa: F811
    add_to_path(monkeypatch, HERE / "probe_plugins")
    root = tmp_path / "toy"
    get_registry().create({"plugin": "toy-dataset", "params": {"subjects": 4, "per_label": 2}}).prepare(root)

    def run(scope: str, transductive: bool, data: Path, tag: str) -> tuple[list[dict], pl.DataFrame]:
        path = tmp_path / "benchmark.toml"
        path.write_text(SPEAKERS.format(scope=scope, transductive=str(transductive).lower()))
        monkeypatch.setenv("PROBE_DIR", str(tmp_path / "probe" / tag))
        summary = run_benchmark(path, progress=False, data_overrides={"toy": str(data)})
        assert (summary.done, summary.failed) == (1, 0)
        fits = [dict(np.load(p)) for p in sorted((tmp_path / "probe" / tag).glob("fit-*.npz"))]
        return fits, pl.read_parquet(tmp_path / "runs/norm/probe/holdout/seed-0/holdout.parquet")

    return root, run


def copy_with(root: Path, target: Path, change) -> Path:
    shutil.copytree(root, target)
    for path in sorted(target.glob("*.npy")):
        change(path)
    return target


def probabilities(frame: pl.DataFrame, subject: str) -> dict[str, list[float]]:
    return {r["clip_id"]: r["probabilities"] for r in frame.filter(pl.col("subject") == subject).to_dicts()}


def test_training_speakers_are_standardised_by_their_own_training_clips(probe):
    root, run = probe
    (fit,), _ = run("speaker", True, root, "plain")
    X = fit["X"]  # training actors 01 and 02, six clips each, in order
    for rows in (X[:6], X[6:]):
        assert np.allclose(rows.mean(0), 0, atol=1e-5) and np.allclose(rows.std(0), 1, atol=1e-4)


def test_test_labels_never_reach_training_or_normalisation(probe, tmp_path):
    root, run = probe
    (before,), first = run("speaker", True, root, "before")

    def swap_labels_of_speaker_3(path: Path) -> None:
        subject, label, k = path.stem.split("-")
        if subject == "03":
            swapped = {"happy": "sad", "sad": "happy"}.get(label, label)
            path.rename(path.with_name(f"{subject}-{swapped}-{k}.tmp"))
    relabelled = copy_with(root, tmp_path / "relabelled", swap_labels_of_speaker_3)
    for path in relabelled.glob("*.tmp"):
        path.rename(path.with_suffix(".npy"))
    (after,), second = run("speaker", True, relabelled, "after")
    assert np.array_equal(before["X"], after["X"]) and np.array_equal(before["y"], after["y"])
    labelled = [{(r["label"], tuple(r["probabilities"])) for r in f.filter(pl.col("subject") == "03").to_dicts()}
                for f in (first, second)]
    assert labelled[0] != labelled[1]  # the test labels did change
    assert sorted(map(tuple, first["probabilities"])) == sorted(map(tuple, second["probabilities"]))


def test_another_test_speakers_features_never_reach_a_transductive_speaker(probe, tmp_path):
    root, run = probe
    (before,), first = run("speaker", True, root, "before")
    rng = np.random.default_rng(1)

    def perturb_speaker_4(path: Path) -> None:
        if path.stem.startswith("04-"):
            np.save(path, np.load(path) + rng.normal(0, 3, 8).astype(np.float32))
    perturbed = copy_with(root, tmp_path / "perturbed", perturb_speaker_4)
    (after,), second = run("speaker", True, perturbed, "after")
    assert np.array_equal(before["X"], after["X"])
    assert probabilities(first, "03") == probabilities(second, "03")
    assert probabilities(first, "04") != probabilities(second, "04")  # the perturbation did reach speaker 04
    # the control: normalising the whole test side together lets speaker 04 move speaker 03's outputs
    _, global_first = run("global", True, root, "global-before")
    _, global_second = run("global", True, perturbed, "global-after")
    assert probabilities(global_first, "03") != probabilities(global_second, "03")


def test_a_transductive_row_is_labelled(probe, tmp_path):
    root, run = probe
    run("speaker", True, root, "t")
    results = pl.read_csv(tmp_path / "leaderboards/norm/results.csv")
    assert results["transductive"].to_list() == [True]
    assert "transductive: test speakers or corpora standardised by their own unlabelled test clips" in \
        (tmp_path / "leaderboards/norm/README.md").read_text()


def test_normalisation_enters_the_fold_key(probe, tmp_path):
    root, run = probe
    run("global", False, root, "a")
    key = (tmp_path / "runs/norm/probe/holdout/seed-0/holdout.json").read_text()
    run("speaker", True, root, "b")
    assert (tmp_path / "runs/norm/probe/holdout/seed-0/holdout.json").read_text() != key
    assert '"normalise": {' in key


def test_per_corpus_statistics_of_an_unseen_test_corpus_need_transductive(corpora_benchmark):
    path = corpora_benchmark("""
[experiments.x]
train = ["a"]
test = ["b"]
[experiments.x.branches.audio]
extractor = "toy-extractor"
model = "toy-centroid"
normalise = { scope = "corpus" }
""")
    with pytest.raises(ConfigError) as err:
        load_config(path, get_registry())
    assert "experiments.x.branches.audio.normalise: per-corpus statistics of b would come from test clips" \
        in str(err.value)
    path.write_text(path.read_text().replace('scope = "corpus" }', 'scope = "corpus", transductive = true }'))
    load_config(path, get_registry())


def test_leave_one_corpus_out_with_training_corpus_statistics_is_refused_when_planning(corpora_benchmark, tmp_path):
    path = corpora_benchmark("""
[experiments.loco]
datasets = ["a", "b", "c"]
protocols = ["loco"]
""" + CENTROID.format(name="loco") + 'normalise = { scope = "corpus" }\n')
    summary = run_benchmark(path, progress=False)
    assert summary.done == 0
    board = (tmp_path / "leaderboards/cc/README.md").read_text()
    assert "normalises per corpus, but corpus a has no training clip" in board


def test_inductive_per_speaker_normalisation_is_a_config_error_naming_the_fix(probe, tmp_path):
    path = tmp_path / "benchmark.toml"
    path.write_text(SPEAKERS.format(scope="speaker", transductive="false"))
    with pytest.raises(ConfigError) as err:
        load_config(path, get_registry())
    assert "experiments.probe.branches.audio.normalise" in str(err.value)
    assert "scope 'speaker' without transductive = true" in str(err.value)
    assert "set transductive = true" in str(err.value)
    path.write_text(SPEAKERS.format(scope="speaker", transductive="true"))
    load_config(path, get_registry())
