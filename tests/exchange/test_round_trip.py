"""A submitter's results, exported and imported into another clone, give the same leaderboard row there."""

from __future__ import annotations

import json
import shutil
import tarfile
import time

import polars as pl
import pytest
from markupsafe import escape

from avbench.config.loader import load_config
from avbench.exchange.bundle import BundleError
from avbench.exchange.export import export_bundle
from avbench.exchange.import_bundle import import_bundle
from avbench.leaderboard.build import render_leaderboard

from .conftest import clone

SAME = ["folds", "folds_expected", "status", "test_clips", "test_subjects", "accuracy_pooled", "uar_pooled",
        "macro_f1_pooled", "accuracy_mean", "confusion", "per_class_recall", "config_fingerprint", "computed_commit"]


def board(config_path):
    return pl.read_parquet(config_path.parent / "leaderboards/swap/results.parquet")


def row_of(frame: pl.DataFrame, experiment: str) -> dict:
    (row,) = frame.filter(pl.col("experiment") == experiment).to_dicts()
    return row


def files_under(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_bundle_imported_where_the_data_is_absent_gives_the_submitters_row_marked_submitted(
        submitter, toy_env, tmp_path):
    config, _data = submitter
    bundle = export_bundle(config, tmp_path / "alice.tar.gz", submitter="Alice Liddell").path
    maintainer = clone(tmp_path / "maintainer", None)  # RAVDESS not configured: nothing to run here
    result = import_bundle(bundle, maintainer)
    assert result.folds == 4 and result.submitter == "Alice Liddell"
    assert any("not compared with data here" in note for note in result.notes)
    render_leaderboard(load_config(maintainer), maintainer.parent)
    theirs, ours = row_of(board(config), "centroid"), row_of(board(maintainer), "centroid@Alice-Liddell")
    assert {k: ours[k] for k in SAME} == {k: theirs[k] for k in SAME}
    assert ours["status"] == "ok" and ours["submitted_by"] == "Alice Liddell" and ours["also_computed_here"] == 0
    assert json.loads(ours["submission"])["machine"]["cpu_count"] >= 1
    readme = (maintainer.parent / "leaderboards/swap/README.md").read_text()
    assert "centroid@Alice-Liddell" in readme and "submitted by Alice Liddell (bundle of" in readme
    stored = maintainer.parent / "runs/swap/submitted/Alice-Liddell/centroid/loso/seed-0"
    assert len(list(stored.glob("*.json"))) == 4 and not (maintainer.parent / "runs/swap/centroid").exists()


def next_second() -> None:
    """Wait until the wall clock's second changes: a date taken from now would differ after this."""
    time.sleep(1.01 - time.time() % 1)


def test_exporting_the_same_folds_twice_gives_the_same_files(submitter, toy_env, tmp_path):
    config, _data = submitter
    a = files_under(export_bundle(config, tmp_path / "a", submitter="alice").path)
    next_second()
    b = files_under(export_bundle(config, tmp_path / "b", submitter="alice").path)
    assert a == b and len(a) == 10  # manifest + folds.json + 4 records + 4 predictions


def test_the_same_folds_give_the_same_archive_bytes_dated_by_their_latest_fold(submitter, toy_env, tmp_path):
    config, _data = submitter
    first = export_bundle(config, tmp_path / "first.tar.gz", submitter="Alice Liddell").path.read_bytes()
    next_second()
    second = export_bundle(config, tmp_path / "second.tar.gz", submitter="Alice Liddell").path
    assert second.read_bytes() == first
    with tarfile.open(second) as tar:
        members = tar.getmembers()
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert [m.name for m in members] == ["manifest.json", *sorted(m.name for m in members[1:])]
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, 0, "", "")}
    finished = [json.loads(p.read_text())["finished"] for p in (config.parent / "runs/swap/centroid").rglob("*.json")]
    assert manifest["created"] == max(finished)[:19] + "+00:00"  # the latest fold's finish, to the second
    assert manifest["submitter"] == "Alice Liddell" and manifest["machine"]["cpu_count"] >= 1
    maintainer = clone(tmp_path / "maintainer", None)
    assert import_bundle(second, maintainer).folds == 4


def test_local_and_submitted_folds_of_one_fingerprint_stay_in_rows_of_their_own(submitter, toy_env, tmp_path):
    config, data = submitter
    bundle = export_bundle(config, tmp_path / "bundle", submitter="alice").path
    maintainer = tmp_path / "maintainer"  # a clone that computed the same folds itself
    shutil.copytree(config.parent, maintainer, ignore=shutil.ignore_patterns("leaderboards"))
    local_before = files_under(maintainer / "runs/swap/centroid")
    result = import_bundle(bundle, maintainer / "benchmark.toml")
    assert result.notes == []  # clip ids, labels, folds and media all the maintainer's
    render_leaderboard(load_config(maintainer / "benchmark.toml"), maintainer)
    frame = board(maintainer / "benchmark.toml")
    local, submitted = row_of(frame, "centroid"), row_of(frame, "centroid@alice")
    assert local["folds"] == submitted["folds"] == 4  # kept apart: never 8 folds in one row
    assert local["submitted_by"] is None and submitted["also_computed_here"] == 4
    assert submitted["accuracy_pooled"] == local["accuracy_pooled"]
    assert files_under(maintainer / "runs/swap/centroid") == local_before  # local folds untouched
    readme = (maintainer / "leaderboards/swap/README.md").read_text()
    assert "4 fold(s) also computed here under the same fingerprint, shown apart" in readme


def test_exporting_without_a_submitter_name_or_results_is_refused_with_one_line(submitter, toy_env, tmp_path):
    config, _data = submitter
    empty = clone(tmp_path / "empty", None)
    with pytest.raises(BundleError) as refused:
        export_bundle(empty, tmp_path / "x.tar.gz", submitter="bob")
    assert refused.value.lines == [f"{empty.parent / 'runs/swap'}: no finished fold stored for any experiment "
                                   "of the config"]


def test_folds_computed_under_a_setup_the_config_no_longer_has_are_not_exported(submitter, toy_env, tmp_path):
    config, data = submitter
    changed = tmp_path / "changed"
    shutil.copytree(config.parent, changed, ignore=shutil.ignore_patterns("leaderboards"))
    toml = changed / "benchmark.toml"
    toml.write_text(toml.read_text().replace('model = "toy-centroid"',
                                             'model = { plugin = "toy-centroid", params = { sleep = 0.5 } }'))
    with pytest.raises(BundleError) as refused:
        export_bundle(toml, tmp_path / "x", submitter="bob")
    lines = refused.value.lines
    assert lines[0] == f"{changed / 'runs/swap'}: no stored fold of centroid is current here"
    assert lines[1:] == [f"centroid / loso / seed 0 / subject-{i}: its fingerprint is not the one the config and data "
                         "here give now (stale, or its data is not configured here)" for i in (1, 2, 3, 4)]
    assert not (tmp_path / "x").exists()


def test_a_submitted_row_goes_stale_when_the_maintainers_config_changes(submitter, toy_env, tmp_path):
    config, _data = submitter
    bundle = export_bundle(config, tmp_path / "bundle", submitter="alice").path
    maintainer = clone(tmp_path / "maintainer", None)
    import_bundle(bundle, maintainer)
    maintainer.write_text(maintainer.read_text().replace(
        'model = "toy-centroid"', 'model = { plugin = "toy-centroid", params = { sleep = 0.5 } }'))
    render_leaderboard(load_config(maintainer), maintainer.parent)
    row = row_of(board(maintainer), "centroid@alice")
    assert row["stale"] and row["status"] == "stale" and not row["is_best"]
    assert "sleep" in row["stale_reason"]


def test_a_submitted_row_stands_for_an_experiment_not_run_here_and_says_why(submitter, toy_env, tmp_path):
    from avbench.runner.run import run_benchmark

    config, _data = submitter
    maintainer = clone(tmp_path / "maintainer", None)  # RAVDESS not configured: centroid is not run here
    run_benchmark(maintainer, progress=False, log=lambda _line: None)
    (reason,) = [e["error"] for e in json.loads((maintainer.parent / "runs/swap/not-run.json").read_text())["errors"]]
    assert row_of(board(maintainer), "centroid")["status"] == "not run"
    import_bundle(export_bundle(config, tmp_path / "bundle", submitter="alice").path, maintainer)
    render_leaderboard(load_config(maintainer), maintainer.parent)
    frame = board(maintainer)
    assert frame["experiment"].to_list() == ["centroid@alice"]  # no local "not run" row competing with it
    assert row_of(frame, "centroid@alice")["not_run_here"] == reason
    site = maintainer.parent / "leaderboards/swap"
    readme = (site / "README.md").read_text()
    assert f"not run here: {reason}" in readme and "| centroid |" not in readme
    pages = "".join(p.read_text() for p in site.rglob("*.html"))
    assert str(escape(f"not run here: {reason}")) in pages and ">centroid<" not in pages
