"""The board carries its evidence: a fresh clone (no runs/) re-renders it byte for byte, compares rows, and a
run that touches one row leaves the others' evidence as it was."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl

from avbench.cli.main import main
from avbench.leaderboard.evidence import read_evidence
from avbench.runner.run import run_benchmark

BOARD = Path("leaderboards/toy")


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def fresh_clone(project: Path, to: Path) -> Path:
    """What a clone of a repository holding the config and the board gets: no runs/, no cache."""
    to.mkdir()
    shutil.copy(project / "benchmark.toml", to / "benchmark.toml")
    shutil.copytree(project / "leaderboards", to / "leaderboards")
    return to / "benchmark.toml"


def board_rows(board: Path) -> dict[tuple[str, str], dict]:
    return {(r["experiment"], r["protocol"]): r for r in pl.read_parquet(board / "results.parquet").to_dicts()}


def test_every_row_with_folds_has_its_records_and_predictions_in_the_board(toy_project):
    path = toy_project()
    run_benchmark(path, progress=False)
    local, submitted, bad = read_evidence(path.parent / BOARD)
    assert not bad and not submitted
    rows = {(r["experiment"], r["protocol"]) for r in local}
    assert rows == {("centroid", "holdout"), ("centroid", "loso"), ("centroid-noisy", "loso")}
    assert all(r["_frame"].height == r["predictions_rows"] for r in local if r["status"] == "ok")
    assert (path.parent / BOARD / "evidence/centroid/loso.parquet").is_file()


def test_a_fresh_clone_renders_the_committed_board_byte_for_byte(toy_project, tmp_path):
    path = toy_project()
    run_benchmark(path, progress=False)
    committed = files(path.parent / BOARD)
    clone = fresh_clone(path.parent, tmp_path / "clone")
    assert main(["leaderboard", str(clone)]) == 0
    rendered = files(clone.parent / BOARD)
    assert rendered.keys() == committed.keys()
    differ = [name for name in committed if rendered[name] != committed[name]]
    assert not differ, f"re-rendered from the evidence alone, these files changed: {differ}"


def test_compare_works_on_a_fresh_clone_from_the_evidence(toy_project, tmp_path, capsys):
    path = toy_project()
    run_benchmark(path, progress=False)
    clone = fresh_clone(path.parent, tmp_path / "clone")
    capsys.readouterr()
    assert main(["compare", "centroid", "centroid-noisy", "--file", str(clone), "--protocol", "loso"]) == 0
    out = capsys.readouterr().out
    assert "centroid" in out and "difference" in out.lower()


def test_a_run_that_recomputes_one_row_keeps_the_other_rows_evidence(toy_project, tmp_path):
    path = toy_project()
    run_benchmark(path, progress=False)
    clone = fresh_clone(path.parent, tmp_path / "clone")
    before = files(clone.parent / BOARD / "evidence")
    rows_before = board_rows(clone.parent / BOARD)
    summary = run_benchmark(clone, only=["centroid-noisy"], progress=False)  # recomputed here, at another time
    assert summary.done > 0
    after = files(clone.parent / BOARD / "evidence")
    assert {k: v for k, v in after.items() if k.startswith("centroid/")} == \
        {k: v for k, v in before.items() if k.startswith("centroid/")}
    assert after["centroid-noisy/loso.json"] != before["centroid-noisy/loso.json"]  # its new records
    rows_after = board_rows(clone.parent / BOARD)
    for key in (("centroid", "loso"), ("centroid", "holdout")):  # untouched rows: numbers and marks as they were
        for column in ("accuracy_pooled", "accuracy_ci_low", "accuracy_ci_high", "is_best", "tied_with_best",
                       "computed_commit", "finished"):
            assert rows_after[key][column] == rows_before[key][column], (key, column)


def test_best_and_tied_weigh_rows_whose_predictions_are_only_in_the_evidence(toy_project, tmp_path):
    path = toy_project()
    run_benchmark(path, progress=False)
    full = board_rows(path.parent / BOARD)
    clone = fresh_clone(path.parent, tmp_path / "clone")
    run_benchmark(clone, only=["centroid-noisy"], progress=False)  # centroid's folds exist only in the evidence
    partial = board_rows(clone.parent / BOARD)
    for key in (("centroid", "loso"), ("centroid-noisy", "loso")):
        assert partial[key]["is_best"] == full[key]["is_best"]
        assert partial[key]["vs_best_difference"] == full[key]["vs_best_difference"]
    assert any(partial[k]["is_best"] for k in partial if k[1] == "loso")


def test_damaged_evidence_is_named_and_the_rest_renders(toy_project, tmp_path):
    path = toy_project()
    run_benchmark(path, progress=False)
    clone = fresh_clone(path.parent, tmp_path / "clone")
    damaged = clone.parent / BOARD / "evidence/centroid-noisy/loso.parquet"
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    assert main(["leaderboard", str(clone)]) == 0
    meta = (clone.parent / BOARD / "metadata.json").read_text()
    assert "centroid-noisy/loso.parquet" in meta and "sha256" in meta
    rows = board_rows(clone.parent / BOARD)
    assert rows[("centroid", "loso")]["status"] == "ok" and rows[("centroid", "loso")]["accuracy_pooled"] is not None
