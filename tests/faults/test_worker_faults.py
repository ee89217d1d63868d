"""A dead, exiting or hung plugin costs one unit; a passing fault is retried, never remembered."""

from __future__ import annotations

import json

import pytest

from .conftest import board_numbers, run_cli, stored_predictions


@pytest.fixture
def clean(fault_benchmark):
    """Predictions and leaderboard of the same benchmark run with no fault."""
    path = fault_benchmark("clean")
    result = run_cli(path)
    assert result.returncode == 0, result.stderr
    return stored_predictions(path.parent), board_numbers(path.parent)


@pytest.mark.parametrize("fault, cause", [
    ("segfault", "worker died (signal 11: SIGSEGV)"),
    ("exit", "worker exited with code 3"),
    ("sysexit", "plugin ended its process (SystemExit: 4)"),
    ("sigkill", "worker died (signal 9: SIGKILL; killed, out of memory?)"),
])
def test_a_plugin_that_always_kills_its_worker_on_one_clip_costs_that_clip_only(fault_benchmark, fault, cause):
    path = fault_benchmark(extractor={"fault": fault, "on_clips": ["02-sad-1"]})
    first = run_cli(path)
    assert first.returncode == 1, first.stderr
    line = f"{cause} extracting clip 02-sad-1 with plugin 'probe-extractor'"
    assert line in first.stdout + first.stderr
    assert "RETRYING" not in first.stderr  # extraction retries the clip alone, silently, once
    runs = path.parent / "runs/faults"
    # the other experiment never noticed
    steady = [json.loads(p.read_text()) for p in (runs / "steady/loso/seed-0").glob("*.json")]
    assert len(steady) == 4 and all(r["status"] == "ok" for r in steady)
    # every other clip was extracted: only the one clip is missing, and it is not remembered as bad media
    errors = json.loads((runs / "clip-errors.json").read_text())
    assert errors["bad_media"] == {}
    probe = {p.stem: json.loads(p.read_text()) for p in (runs / "probe/loso/seed-0").glob("*.json")}
    assert all(r["status"] == "error" and "02-sad-1" in r["error"] for r in probe.values())
    if fault != "segfault":
        return
    # a rerun retries it, and finishes again with the same verdict
    second = run_cli(path)
    assert second.returncode == 1 and line in second.stdout + second.stderr


@pytest.mark.parametrize("workers", [1, 2])
def test_a_passing_crash_is_retried_by_the_next_run_and_leaves_no_trace(fault_benchmark, clean, tmp_path, workers):
    switch = tmp_path / "fault-on"
    switch.touch()
    path = fault_benchmark(extractor={"fault": "segfault", "switch_file": str(switch)}, workers=workers)
    first = run_cli(path)
    assert first.returncode == 1
    assert "not remembered: a rerun retries it" in first.stdout
    switch.unlink()  # the cause passes
    second = run_cli(path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert stored_predictions(path.parent) == clean[0]
    assert board_numbers(path.parent) == clean[1]


def test_a_fold_whose_worker_dies_is_retried_once_then_recorded_and_the_run_goes_on(fault_benchmark):
    path = fault_benchmark(model={"fault": "segfault"}, workers=2)
    result = run_cli(path)
    assert result.returncode == 1
    assert result.stderr.count("RETRYING: worker died (signal 11: SIGSEGV)") == 4  # each of 4 folds, once
    records = [json.loads(p.read_text()) for p in (path.parent / "runs/faults/probe/loso/seed-0").glob("*.json")]
    assert len(records) == 4
    for record in records:
        assert record["status"] == "error"
        assert record["error"].startswith("worker died (signal 11: SIGSEGV) running fold")
        assert "'probe-model'" in record["error"]
    steady = [json.loads(p.read_text()) for p in (path.parent / "runs/faults/steady/loso/seed-0").glob("*.json")]
    assert [r["status"] for r in steady] == ["ok"] * 4


@pytest.mark.parametrize("where", ["extractor", "model"])
def test_a_unit_whose_worker_dies_once_passes_on_its_retry_in_the_same_run(fault_benchmark, clean, tmp_path, where):
    switch = tmp_path / "fault-on"
    switch.touch()
    probe = {"fault": "sigkill", "switch_file": str(switch), "one_shot": True}
    path = fault_benchmark(**{where: probe})
    result = run_cli(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not switch.exists(), "the fault never fired"
    assert result.stderr.count("RETRYING") == (1 if where == "model" else 0)
    assert stored_predictions(path.parent) == clean[0]
    assert board_numbers(path.parent) == clean[1]


def test_a_hung_extractor_is_killed_after_the_clip_timeout_and_named(fault_benchmark):
    path = fault_benchmark(extractor={"fault": "hang", "on_clips": ["01-happy-0"]}, clip_timeout=2)
    result = run_cli(path, timeout=120)
    assert result.returncode == 1
    assert ("timed out after 2 s extracting clip 01-happy-0 with plugin 'probe-extractor'"
            in result.stdout + result.stderr)
    steady = [json.loads(p.read_text()) for p in (path.parent / "runs/faults/steady/loso/seed-0").glob("*.json")]
    assert [r["status"] for r in steady] == ["ok"] * 4


def test_a_hung_fold_is_killed_after_the_fold_timeout_and_named(fault_benchmark):
    path = fault_benchmark(model={"fault": "hang"}, fold_timeout=2, workers=2)
    result = run_cli(path, timeout=120)
    assert result.returncode == 1
    records = [json.loads(p.read_text()) for p in (path.parent / "runs/faults/probe/loso/seed-0").glob("*.json")]
    assert len(records) == 4
    assert all(r["error"].startswith("timed out after 2 s running fold") for r in records)
    assert "RETRYING" not in result.stderr  # a hang is not retried: it would only hang again


@pytest.mark.parametrize("fault", ["enospc", "memory"])
def test_environment_failures_are_failed_work_not_bad_media(fault_benchmark, clean, tmp_path, fault):
    switch = tmp_path / "fault-on"
    switch.touch()
    path = fault_benchmark(extractor={"fault": fault, "switch_file": str(switch)})
    first = run_cli(path)
    assert first.returncode == 1
    runs = path.parent / "runs/faults"
    assert json.loads((runs / "clip-errors.json").read_text())["bad_media"] == {}
    switch.unlink()
    second = run_cli(path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert stored_predictions(path.parent) == clean[0]
