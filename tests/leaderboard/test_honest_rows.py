"""Rows never claim more than their folds: stale after a config change, partial after lost folds, bad files named."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from avbench.cli.main import main
from avbench.runner.run import run_benchmark


def board_rows(path: Path) -> dict[tuple[str, str], dict]:
    frame = pl.read_parquet(path.parent / "leaderboards/toy/results.parquet")
    return {(r["experiment"], r["protocol"]): r for r in frame.to_dicts()}


def test_a_fresh_run_gives_current_complete_rows_with_intervals_and_a_best_row(toy_project):
    path = toy_project()
    run_benchmark(path, progress=False)
    rows = board_rows(path)
    loso = rows[("centroid", "loso")]
    assert loso["status"] == "ok" and not loso["stale"]
    assert loso["folds"] == loso["folds_expected"] == 6 and loso["n_classes"] == 3 and loso["seeds"] == [0]
    for metric in ("accuracy", "uar", "macro_f1"):
        assert loso[f"{metric}_ci_low"] <= loso[f"{metric}_pooled"] <= loso[f"{metric}_ci_high"]
    assert loso["accuracy_fold_sd"] > 0 and loso["accuracy_seed_sd"] is None  # one seed: no seed spread
    noisy = rows[("centroid-noisy", "loso")]
    assert [loso["is_best"], noisy["is_best"]].count(True) == 1
    other = noisy if loso["is_best"] else loso
    assert other["tied_with_best"] is not None and 0 < other["vs_best_p"] <= 1
    holdout = rows[("centroid", "holdout")]
    assert holdout["is_best"] and holdout["tied_with_best"] is None  # alone in its table
    markdown = (path.parent / "leaderboards/toy/README.md").read_text()
    assert "· 3 classes · protocol loso" in markdown and "· 3 classes · protocol holdout" in markdown
    assert "**best**" in markdown and "[95% CI]" in markdown and "SD over folds" in markdown


def test_a_changed_parameter_makes_the_row_stale_with_the_description_it_was_computed_with(toy_project, capsys):
    path = toy_project(scale=1.0, description="computed with scale one")
    run_benchmark(path, progress=False)
    toy_project(scale=2.0, description="now with scale two")  # edit the config, do not rerun
    assert main(["leaderboard", str(path)]) == 0
    rows = board_rows(path)
    for protocol in ("holdout", "loso"):
        row = rows[("centroid", protocol)]
        assert row["stale"] and row["status"] == "stale"
        assert row["description"] == "computed with scale one"
        assert "branches[0].extractor.params.scale: 1.0 -> 2.0" in row["stale_reason"]
        assert not row["is_best"] and row["tied_with_best"] is None
    assert not rows[("centroid-noisy", "loso")]["stale"]
    assert rows[("centroid-noisy", "loso")]["is_best"]
    markdown = (path.parent / "leaderboards/toy/README.md").read_text()
    assert "now with scale two" not in markdown
    stale_lines = [line for line in markdown.splitlines() if line.startswith("- `centroid`: setup changed")]
    assert len(stale_lines) == 2 and all("scale: 1.0 -> 2.0" in line and "computed with scale one" in line
                               for line in stale_lines)
    assert not any(line.startswith("| centroid ") for line in markdown.splitlines())  # no numbers shown


def test_deleted_folds_make_the_row_partial_k_of_n_and_leave_it_out_of_best_and_tied(toy_project):
    path = toy_project()
    run_benchmark(path, progress=False, render=False)
    folds = sorted((path.parent / "runs/toy/centroid/loso/seed-0").glob("*.json"))
    for record in folds[:2]:
        record.unlink()
        record.with_suffix(".parquet").unlink()
    assert main(["leaderboard", str(path)]) == 0
    row = board_rows(path)[("centroid", "loso")]
    assert row["status"] == "partial" and row["folds"] == 4 and row["folds_expected"] == 6
    assert not row["is_best"] and row["tied_with_best"] is None and row["vs_best_p"] is None
    assert board_rows(path)[("centroid-noisy", "loso")]["is_best"]
    markdown = (path.parent / "leaderboards/toy/README.md").read_text()
    line = next(line for line in markdown.splitlines() if line.startswith("| centroid ") and "4 of 6" in line)
    assert "partial: 4 of 6 folds" in line and "best" not in line.split("|")[10]


def test_a_corrupt_parquet_and_a_corrupt_record_are_named_and_the_rest_renders(toy_project):
    path = toy_project()
    run_benchmark(path, progress=False, render=False)
    seed_dir = path.parent / "runs/toy/centroid/loso/seed-0"
    records = sorted(seed_dir.glob("*.json"))
    parquet = records[0].with_suffix(".parquet")
    parquet.write_bytes(parquet.read_bytes()[:40])  # truncated
    records[1].write_text(records[1].read_text()[:50])  # not JSON any more
    assert main(["leaderboard", str(path)]) == 0
    meta = json.loads((path.parent / "leaderboards/toy/metadata.json").read_text())
    named = {b["file"] for b in meta["bad_files"]}
    assert named == {f"runs/toy/centroid/loso/seed-0/{parquet.name}",
                     f"runs/toy/centroid/loso/seed-0/{records[1].name}"}
    rows = board_rows(path)
    assert rows[("centroid", "loso")]["status"] == "partial" and rows[("centroid", "loso")]["folds"] == 4
    assert rows[("centroid", "holdout")]["status"] == "ok"
    markdown = (path.parent / "leaderboards/toy/README.md").read_text()
    assert "did not read back" in markdown and parquet.name in markdown and records[1].name in markdown


def test_several_seeds_report_a_seed_spread_apart_from_the_fold_spread(toy_project):
    path = toy_project(seeds="[0, 1]")
    run_benchmark(path, progress=False)
    row = board_rows(path)[("centroid-noisy", "loso")]  # its augmentation noise is seeded
    assert row["seeds"] == [0, 1] and row["seeds_expected"] == [0, 1] and row["status"] == "ok"
    assert row["accuracy_seed_sd"] is not None and row["accuracy_fold_sd"] is not None
    assert row["test_clips"] == 72  # clips are not counted once per seed


def test_a_reported_number_stands_only_on_the_row_of_its_protocol_with_its_caveat(toy_project):
    path = toy_project()
    run_benchmark(path, progress=False)
    rows = board_rows(path)
    assert rows[("centroid", "loso")]["reported_accuracy"] == 0.5
    assert rows[("centroid", "holdout")]["reported_accuracy"] is None
    assert "under protocol loso" in rows[("centroid", "holdout")]["reported_elsewhere"]
    markdown = (path.parent / "leaderboards/toy/README.md").read_text()
    tables = {section.splitlines()[0].rsplit(" ", 1)[-1]: section for section in markdown.split("\n## ")[1:]}
    loso_table, holdout_table = tables["loso"], tables["holdout"]
    assert "50.0 (nobody 2020) ⚠ a made-up caveat" in loso_table
    assert "| 50.0" not in holdout_table and "reported accuracy 50.0 under protocol loso" in holdout_table


@pytest.mark.parametrize("evidence", ["kept", "deleted"])
def test_a_row_without_local_folds_goes_stale_when_its_setup_changes(toy_project, evidence):
    path = toy_project(scale=1.0)
    run_benchmark(path, progress=False)
    import shutil

    shutil.rmtree(path.parent / "runs")  # results gone: the rows survive in the board's evidence
    if evidence == "deleted":  # and without it, only in the previous table
        shutil.rmtree(path.parent / "leaderboards" / "toy" / "evidence")
    toy_project(scale=3.0)
    assert main(["leaderboard", str(path)]) == 0
    rows = board_rows(path)
    row = rows[("centroid", "loso")]
    assert row["stale"] and "scale: 1.0 -> 3.0" in row["stale_reason"]
    assert bool(row.get("kept_from_previous")) == (evidence == "deleted")
    assert not row["is_best"] and row["tied_with_best"] is None
    assert not rows[("centroid-noisy", "loso")]["stale"]  # unchanged: kept as it was, marks included
    assert rows[("centroid-noisy", "loso")]["status"] == "ok"


def test_a_table_of_few_test_speakers_shows_ranges_over_speakers_and_no_p_value_or_best(toy_project):
    path = toy_project()
    run_benchmark(path, progress=False)
    markdown = (path.parent / "leaderboards/toy/README.md").read_text()
    holdout = next(s for s in markdown.split("\n## ")[1:] if s.splitlines()[0].endswith("holdout"))
    loso = next(s for s in markdown.split("\n## ")[1:] if s.splitlines()[0].endswith("loso"))
    assert "too few test speakers to compare: 2 test speaker(s), fewer than 6" in holdout  # actors 5 and 6
    assert "(speakers " in holdout and "**best**" not in holdout and "p=" not in holdout
    assert "too few test speakers" not in loso and "(speakers " not in loso  # six test speakers


PEEKING = """
[experiments.centroid-peeking]
dataset = "toy"
protocols = ["loso"]
description = "nearest centroid, each test speaker standardised by its own test clips"
[experiments.centroid-peeking.branches.audio]
extractor = { plugin = "toy-extractor", params = { scale = 1.0 } }
model = "toy-centroid"
normalise = { scope = "speaker", transductive = true }
"""


def test_a_transductive_row_is_compared_with_the_best_but_never_named_best_over_a_like_for_like_row(toy_project):
    path = toy_project(extra=PEEKING)
    run_benchmark(path, progress=False, render=False)
    assert main(["leaderboard", str(path)]) == 0
    rows = board_rows(path)
    peeking, plain = rows[("centroid-peeking", "loso")], [rows[("centroid", "loso")], rows[("centroid-noisy", "loso")]]
    assert peeking["transductive"] and peeking["status"] == "ok"
    assert peeking["accuracy_pooled"] >= max(r["accuracy_pooled"] for r in plain)  # it would top the table
    assert not peeking["is_best"] and peeking["vs_best_difference"] is not None
    assert sum(r["is_best"] for r in plain) == 1


def test_a_row_computed_with_other_library_versions_than_installed_says_so(toy_project, monkeypatch):
    import avbench.runner.determinism as determinism

    path = toy_project()
    run_benchmark(path, progress=False, render=False)
    assert main(["leaderboard", str(path)]) == 0
    assert not board_rows(path)[("centroid", "loso")]["library_drift"]  # computed here, with what is here

    installed = determinism.result_libraries()
    monkeypatch.setattr(determinism, "result_libraries", lambda: {**installed, "numpy": "9.9.9"})
    assert main(["leaderboard", str(path)]) == 0
    row = board_rows(path)[("centroid", "loso")]
    assert row["library_drift"] == f"numpy {installed['numpy']} (here 9.9.9)"
    markdown = (path.parent / "leaderboards/toy/README.md").read_text()
    assert f"computed with other library versions than installed here: numpy {installed['numpy']} (here 9.9.9)" \
        in markdown


@pytest.mark.parametrize("salt, stale", [("librosa=0.10.1 soxr=1.0.0", False), ("generator-2", True)])
def test_a_carried_over_row_keyed_with_library_versions_is_current_under_the_version_policy(toy_project, salt,
                                                                                            stale):
    """Before the version policy, audio extractors keyed library versions; such a row is not stale for that alone."""
    import shutil

    from avbench.cache.feature_cache import stable_hash

    path = toy_project()
    run_benchmark(path, progress=False)
    shutil.rmtree(path.parent / "runs")
    shutil.rmtree(path.parent / "leaderboards/toy/evidence")  # rendered before the board kept its evidence
    results = path.parent / "leaderboards/toy/results.parquet"
    rows = pl.read_parquet(results).to_dicts()
    for row in rows:
        setup = json.loads(row["setup"])
        setup["branches"][0]["extractor"]["salt"] = salt
        row["setup"] = json.dumps(setup, sort_keys=True)
        row["config_fingerprint"] = stable_hash(setup)
    pl.DataFrame(rows, infer_schema_length=None).write_parquet(results)
    assert main(["leaderboard", str(path), "--force"]) == 0
    row = board_rows(path)[("centroid", "loso")]
    assert row["stale"] is stale and row["kept_from_previous"]
    if not stale:
        assert row["accuracy_pooled"] is not None and not row["is_best"]
        assert "carried over from an earlier render" in (path.parent / "leaderboards/toy/README.md").read_text()
