"""Leaderboards render from stored results, carry provenance, and keep rows they did not recompute."""

from __future__ import annotations

import json

import polars as pl

from avbench.cli.main import main
from avbench.runner.run import run_benchmark


def test_leaderboard_files_and_provenance(toy_benchmark):
    path = toy_benchmark()
    run_benchmark(path, progress=False)
    board = path.parent / "leaderboards/toy"
    frame = pl.read_parquet(board / "results.parquet")
    assert set(frame["protocol"]) == {"holdout", "loso"}
    row = frame.filter(pl.col("protocol") == "loso").to_dicts()[0]
    assert row["folds"] == 6 and row["test_clips"] == 72
    assert 0 <= row["accuracy_mean"] <= 1 and row["accuracy_fold_sd"] >= 0
    assert row["accuracy_ci_low"] <= row["accuracy_pooled"] <= row["accuracy_ci_high"]
    assert json.loads(row["plugins"]) == {"toy-dataset": "1.0", "loso": "1.0", "toy-extractor": "1.0",
                                          "toy-centroid": "1.0"}
    assert row["seeds"] == [0] and row["avbench_version"] and row["config_fingerprint"]
    assert "git_commit" not in frame.columns  # the commit of a row is the one its folds were computed at
    # the toy text names no protocol of its own: its number stands on no row, beside a note
    assert row["reported_accuracy"] is None and row["reported_source"] == "nobody 2020"
    assert "nobody 2020 reported accuracy 50.0" in row["reported_elsewhere"]
    assert len(json.loads(row["confusion"])) == 3
    csv = pl.read_csv(board / "results.csv")
    assert csv.height == 2
    meta = json.loads((board / "metadata.json").read_text())
    assert {"avbench_version", "rendering_libraries", "lock", "seeds", "rendered", "bootstrap", "bad_files"} <= set(meta)
    # the same evidence renders the same bytes: nothing of the rendering machine or commit, no clock time
    assert not {"rendered_at_commit", "rendering_machine"} & set(meta)
    assert meta["rendered"] == max(r["finished"] for r in frame.to_dicts())[:19]
    markdown = (board / "README.md").read_text()
    assert "SYNTHETIC" in markdown and "| centroid" in markdown
    assert (board / "figures/centroid__loso.png").stat().st_size > 1000


def test_leaderboard_command_rerenders_without_recomputing(toy_benchmark, capsys):
    path = toy_benchmark()
    run_benchmark(path, progress=False)
    board = path.parent / "leaderboards/toy"
    before = pl.read_parquet(board / "results.parquet")
    (board / "README.md").unlink()
    assert main(["leaderboard", str(path)]) == 0
    assert (board / "README.md").exists()
    after = pl.read_parquet(board / "results.parquet")
    assert after.select(sorted(after.columns)).equals(before.select(sorted(before.columns)))


def test_rows_not_rerun_are_kept_from_the_previous_table(toy_benchmark):
    path = toy_benchmark()
    run_benchmark(path, progress=False)
    board = path.parent / "leaderboards/toy"
    import shutil

    shutil.rmtree(path.parent / "runs")  # results of earlier runs gone: the table still has them
    run_benchmark(path, progress=False, only=["centroid"], render=False)
    frame = pl.read_parquet(board / "results.parquet")
    assert frame.height == 2


def test_single_class_collapse_is_flagged(toy_benchmark):
    from avbench.leaderboard.build import notes

    assert "collapsed" in notes({"status": "ok", "test_clips": 10, "predicted_classes": 1})
    assert "collapsed" not in notes({"status": "ok", "test_clips": 10, "predicted_classes": 3})


def test_experiments_that_could_not_run_get_a_row_saying_why(toy_benchmark, monkeypatch):
    monkeypatch.delenv("AVBENCH_ELSEWHERE_ROOT", raising=False)
    path = toy_benchmark()
    path.write_text(path.read_text() + """
[datasets.elsewhere]
plugin = "ravdess"
env = "AVBENCH_ELSEWHERE_ROOT"

[experiments.needs-data]
dataset = "elsewhere"
protocols = ["holdout"]
[experiments.needs-data.branches.audio]
extractor = "toy-extractor"
model = "toy-centroid"
""")
    summary = run_benchmark(path, progress=False)
    assert summary.done == 7  # the toy experiment still ran
    frame = pl.read_parquet(path.parent / "leaderboards/toy/results.parquet")
    row = frame.filter(pl.col("experiment") == "needs-data").to_dicts()[0]
    assert row["status"] == "not run" and "set AVBENCH_ELSEWHERE_ROOT" in row["error"]
    assert "not run: dataset 'elsewhere' has no root" in (path.parent / "leaderboards/toy/README.md").read_text()

