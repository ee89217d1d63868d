"""Library drift is caught by evidence: after a lock change, ``avbench verify --local`` recomputes a sample of
each row's folds here and the board says, per row, whether it was re-verified under the new lock."""

from __future__ import annotations

import json

import polars as pl
import pytest

import avbench.runner.determinism as determinism
from avbench.cli.main import main
from avbench.runner.run import run_benchmark
from tests.core.conftest import toy_plugins  # noqa: F401  (fixture)
from tests.leaderboard.conftest import toy_project  # noqa: F401  (fixture)

OLD_LOCK, NEW_LOCK = "a" * 64, "b" * 64


@pytest.fixture
def lock(monkeypatch):
    """Stands in for the sha256 of requirements.lock: what a fold records and what the render compares with."""
    current = {"digest": OLD_LOCK}
    monkeypatch.setattr(determinism, "lock_digest", lambda where=None: current["digest"])
    import avbench.leaderboard.build as build

    monkeypatch.setattr(build, "lock_digest", lambda where=None: current["digest"])
    return current


def statuses(path) -> dict[tuple[str, str], str]:
    frame = pl.read_parquet(path.parent / "leaderboards/toy/results.parquet")
    return {(r["experiment"], r["protocol"]): r["lock_status"] for r in frame.to_dicts() if r["status"] == "ok"}


def test_rows_say_whether_they_were_reverified_under_a_new_lock(toy_project, lock, capsys):
    path = toy_project()
    run_benchmark(path, progress=False)
    assert set(statuses(path).values()) == {"computed under the current lock"}

    lock["digest"] = NEW_LOCK  # `make lock` moved a pin: no key changed, so no row is stale
    assert main(["leaderboard", str(path), "--force"]) == 0
    assert all(s.startswith("computed under another lock (aaaaaaaaaaaa); not re-verified")
               for s in statuses(path).values())
    assert "not re-verified" in (path.parent / "leaderboards/toy/README.md").read_text()

    capsys.readouterr()
    assert main(["verify", "--local", str(path), "--folds", "2"]) == 0
    out = capsys.readouterr().out
    assert "IDENTICAL centroid / loso / seed 0" in out and "differ" in out
    verification = json.loads((path.parent / "leaderboards/toy/verification.json").read_text())
    assert verification["lock"] == NEW_LOCK
    assert len(verification["rows"]["centroid / loso"]["folds"]) == 2

    assert main(["leaderboard", str(path)]) == 0  # the verification is among the board's files: re-rendered
    assert set(statuses(path).values()) == \
        {"re-verified under the current lock: 2 of 2 recomputed fold(s) identical",
         "re-verified under the current lock: 1 of 1 recomputed fold(s) identical"}


def test_a_recomputed_fold_that_differs_is_reported_and_fails(toy_project, lock, capsys):
    path = toy_project()
    run_benchmark(path, progress=False)
    evidence = path.parent / "leaderboards/toy/evidence/centroid/holdout.parquet"
    frame = pl.read_parquet(evidence)
    # what another library version would have stored: other probabilities for the same clips
    shifted = frame.with_columns(pl.col("probabilities").list.eval(pl.element() * 0.5 + 0.5 / pl.len()))
    import shutil

    shutil.rmtree(path.parent / "runs")
    shifted.write_parquet(evidence)
    body = json.loads(evidence.with_suffix(".json").read_text())
    import hashlib

    body["predictions_sha256"] = hashlib.sha256(evidence.read_bytes()).hexdigest()
    evidence.with_suffix(".json").write_text(json.dumps(body))
    capsys.readouterr()
    assert main(["verify", "--local", str(path), "--only", "centroid"]) == 1
    out = capsys.readouterr().out
    assert "DIFFERS centroid / holdout" in out and "max |difference|" in out
