"""Experiments over several datasets: train/test corpora, leave-one-corpus-out, label maps, namespacing."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from avbench.config.loader import ConfigError, load_config
from avbench.registry import get_registry
from avbench.runner.run import run_benchmark

from .conftest import CENTROID

CROSS = """
[experiments.a-to-b]
train = ["a"]
test = ["b"]
[experiments.a-to-b.label_map.b]
angry = ""
""" + CENTROID.format(name="a-to-b")


def records(root: Path, experiment: str) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((root / "runs/cc" / experiment).glob("*/seed-*/*.json"))]


def test_train_test_corpora_run_with_namespaced_clips_and_the_label_map(corpora_benchmark, tmp_path):
    path = corpora_benchmark(CROSS)
    summary = run_benchmark(path, progress=False, only=["a-to-b"])
    assert (summary.done, summary.failed) == (1, 0)
    (record,) = records(tmp_path, "a-to-b")
    assert record["protocol"] == "cross-corpus" and record["status"] == "ok"
    assert record["dataset"] == "a -> b" and record["cross_corpus"] is True
    # angry is dropped from b, so the shared class set is happy and sad; both sides have both
    assert record["classes"] == ["happy", "sad"]
    assert record["class_coverage"] == {"train": ["happy", "sad"], "test": ["happy", "sad"]}
    assert record["sizes"]["train"] == 3 * 2 * 2 and record["sizes"]["test"] == 3 * 2 * 2
    frame = pl.read_parquet(next((tmp_path / "runs/cc/a-to-b").glob("*/seed-0/*.parquet")))
    assert set(frame["subject"]) == {"b/01", "b/02", "b/03"}  # namespaced: both corpora have actors 01..03
    assert all(c.startswith("b/") for c in frame["clip_id"]) and set(frame["label"]) == {"happy", "sad"}
    board = (tmp_path / "leaderboards/cc/README.md").read_text()
    assert "## a -> b (cross-corpus, SYNTHETIC" in board and "protocol cross-corpus" in board


def test_cross_corpus_features_share_the_cache_with_single_dataset_experiments(corpora_benchmark, tmp_path,
                                                                              monkeypatch):
    path = corpora_benchmark(CROSS + """
[experiments.b-alone]
dataset = "b"
protocols = ["loso"]
classes = ["happy", "sad"]
""" + CENTROID.format(name="b-alone"))
    run_benchmark(path, progress=False, only=["b-alone"])
    monkeypatch.setenv("TOY_CALLS_DIR", str(tmp_path / "calls"))
    run_benchmark(path, progress=False, only=["a-to-b"])
    # only a's 12 happy and sad clips are new (b's features are keyed by b's own clip ids, as b-alone cached them),
    # plus the one latency clip, which bypasses the cache on purpose
    assert len(list((tmp_path / "calls").iterdir())) == 3 * 2 * 2 + 1


def test_leave_one_corpus_out_holds_out_each_corpus_once(corpora_benchmark, tmp_path):
    path = corpora_benchmark("""
[experiments.loco]
datasets = ["a", "b", "c"]
protocols = ["loco"]
""" + CENTROID.format(name="loco"))
    summary = run_benchmark(path, progress=False)
    assert (summary.done, summary.failed) == (3, 0)
    by_fold = {r["fold"]: r for r in records(tmp_path, "loco")}
    assert set(by_fold) == {"corpus-a", "corpus-b", "corpus-c"}
    for corpus, record in by_fold.items():
        held = corpus.removeprefix("corpus-")
        assert record["test_subjects"] == [f"{held}/01", f"{held}/02", f"{held}/03"]
        assert record["sizes"] == {**record["sizes"], "train": 2 * 18, "test": 18}
    results = pl.read_csv(tmp_path / "leaderboards/cc/results.csv")
    assert results["dataset"].to_list() == ["a + b + c"]
    assert results["status"].to_list() == ["ok"]  # current: the leaderboard recomputes the same setup
    assert results["bootstrap_subjects"].to_list() == [9]  # namespaced: a/01 and b/01 are two speakers


def test_loso_over_several_corpora_stores_each_speaker_fold_and_renders_its_row(corpora_benchmark, tmp_path):
    """Subjects are namespaced ``corpus/actor``: a fold name with ``/`` is still one file, found by the board."""
    path = corpora_benchmark("""
[experiments.pooled-loso]
datasets = ["a", "b"]
protocols = ["loso"]
""" + CENTROID.format(name="pooled-loso"))
    summary = run_benchmark(path, progress=False)
    assert (summary.done, summary.failed) == (6, 0)
    folds = sorted(r["fold"] for r in records(tmp_path, "pooled-loso"))
    assert folds == [f"subject-{c}/0{s}" for c in "ab" for s in (1, 2, 3)]
    assert not [p for p in (tmp_path / "runs").rglob("*") if p.is_dir() and p.parent.name.startswith("seed-")]
    results = pl.read_csv(tmp_path / "leaderboards/cc/results.csv")
    assert results.filter(pl.col("experiment") == "pooled-loso")["status"].to_list() == ["ok"]


def test_a_class_absent_from_the_test_corpus_is_a_clear_error(corpora_benchmark):
    path = corpora_benchmark(CROSS.replace('train = ["a"]', 'train = ["a"]\nclasses = ["happy", "angry"]'))
    with pytest.raises(ConfigError) as err:
        load_config(path, get_registry())
    assert "experiments.a-to-b.classes: 'angry' is not a label of dataset plugin 'toy-dataset' " \
           "(dataset 'b', a test corpus) after label_map" in str(err.value)


def test_cross_corpus_config_mistakes_are_named(corpora_benchmark):
    path = corpora_benchmark("""
[experiments.bad]
train = ["a"]
test = ["a", "d"]
[experiments.bad.label_map.a]
angri = "other"
""" + CENTROID.format(name="bad"))
    with pytest.raises(ConfigError) as err:
        load_config(path, get_registry())
    assert "dataset(s) a in both train and test" in str(err.value)
    path = corpora_benchmark("""
[experiments.bad]
train = ["a"]
test = ["d"]
[experiments.bad.label_map.a]
angri = "other"
""" + CENTROID.format(name="bad"))
    with pytest.raises(ConfigError) as err:
        load_config(path, get_registry())
    lines = str(err.value)
    assert "experiments.bad.test: no dataset 'd' declared" in lines
    assert "experiments.bad.label_map.a.angri: not a label of dataset plugin 'toy-dataset' (did you mean 'angry'?)" \
        in lines


def test_predictions_name_each_test_clips_corpus_for_breakdowns(corpora_benchmark, tmp_path):
    run_benchmark(corpora_benchmark(CROSS), progress=False, only=["a-to-b"])
    frame = pl.read_parquet(next((tmp_path / "runs/cc/a-to-b").glob("*/seed-0/*.parquet")))
    assert set(frame["corpus"]) == {"b"}
    assert frame["gender"].null_count() == frame.height  # the toy corpus says nothing of gender
