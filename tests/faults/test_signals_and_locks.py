"""Signals stop a run and its workers; no worker outlives its main process; concurrent runs share, never race."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import run_cli


def start_cli(path: Path) -> subprocess.Popen:
    env = {**os.environ, "AVBENCH_CACHE": str(path.parent / "cache")}
    return subprocess.Popen([sys.executable, "-m", "avbench.cli.main", "run", str(path), "--no-progress"],
                            cwd=path.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def wait_for_pids(folder: Path, timeout: float = 90) -> list[int]:
    """Pids the probes wrote once they started work (in a worker)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = [int(p.name) for p in folder.glob("*")] if folder.exists() else []
        if pids:
            return pids
        time.sleep(0.1)
    raise AssertionError("no worker started work in time")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead; its parent (init here) has not reaped it yet
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def gone_within(pids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(alive(p) for p in pids):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("signum, code, word", [(signal.SIGTERM, 143, "stopped (SIGTERM)"),
                                                (signal.SIGINT, 130, "interrupted (SIGINT)")])
def test_a_signal_stops_the_workers_and_exits_non_zero_with_one_line(fault_benchmark, tmp_path, signum, code, word):
    pids = tmp_path / "pids"
    path = fault_benchmark(model={"sleep": 60.0, "pid_dir": str(pids)}, workers=2)
    proc = start_cli(path)
    workers = wait_for_pids(pids)
    if signum == signal.SIGINT:  # Ctrl-C reaches the whole foreground process group
        os.killpg(proc.pid, signum)
    else:  # a scheduler's SIGTERM reaches the main process only
        proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == code
    assert [line for line in err.splitlines() if line.startswith("avbench:")] == [
        f"avbench: {word}; workers stopped; finished folds are stored and will not be recomputed"]
    assert "Traceback" not in err
    assert gone_within(workers, 5), "a worker outlived the stopped run"


def test_no_worker_outlives_a_killed_main_process(fault_benchmark, tmp_path):
    pids = tmp_path / "pids"
    path = fault_benchmark(model={"sleep": 60.0, "pid_dir": str(pids)}, workers=2)
    proc = start_cli(path)
    workers = wait_for_pids(pids)
    proc.kill()  # SIGKILL: no handler runs in the main process
    proc.communicate(timeout=30)
    assert gone_within(workers, 5), "a worker outlived its killed main process"


def test_a_second_run_on_the_same_folder_waits_and_then_computes_nothing(fault_benchmark):
    path = fault_benchmark(model={"sleep": 1.0})
    first = start_cli(path)
    time.sleep(1.0)
    second = run_cli(path)
    first.communicate(timeout=240)
    assert first.returncode == 0 and second.returncode == 0, second.stderr
    assert "waiting: another avbench run" in second.stderr
    assert second.stdout.splitlines()[2].split()[:3] == ["0", "8", "0"]  # folds run, already done, failed


def test_bad_media_is_remembered_by_content_and_clears_when_the_file_is_fixed(fault_benchmark, tmp_path):
    path = fault_benchmark()
    first = run_cli(path)
    assert first.returncode == 0
    media = tmp_path / "toy-data" / "03-angry-1.npy"
    good = media.read_bytes()
    media.write_bytes(b"not a numpy file")
    second = run_cli(path)
    assert second.returncode == 0, second.stderr  # bad media is skipped and named, not a failure
    assert "skipped clip 03-angry-1" in second.stdout
    verdicts = json.loads((path.parent / "runs/faults/clip-errors.json").read_text())["bad_media"]
    assert len(verdicts) == 2  # one per extractor setting
    third = run_cli(path, "--retry-failed")
    assert "2 remembered bad-media verdict(s) dropped" in third.stderr
    assert "skipped clip 03-angry-1" in third.stdout  # still bad: judged again, remembered again
    media.write_bytes(good)
    fourth = run_cli(path)
    assert fourth.returncode == 0 and "skipped clip" not in fourth.stdout
    assert json.loads((path.parent / "runs/faults/clip-errors.json").read_text())["bad_media"] == {}


def test_a_run_in_which_everything_was_skipped_says_nothing_ran_and_exits_0_or_2_under_strict(fault_benchmark):
    path = fault_benchmark()
    path.write_text(path.read_text() + """
[datasets.elsewhere]
plugin = "ravdess"
env = "PROBE_UNSET_ROOT"

[experiments.unconfigured]
dataset = "elsewhere"
protocols = ["loso"]
[experiments.unconfigured.branches.audio]
extractor = "toy-extractor"
model = "toy-centroid"
""")
    alone = run_cli(path, "--only", "unconfigured")
    assert alone.returncode == 0  # a skip for what is not configured here is no error (one rule for the missing)
    assert "nothing ran" in alone.stdout
    assert ("SKIPPED (not configured here) elsewhere: 1 experiment waits for PROBE_UNSET_ROOT "
            "(or --data elsewhere=PATH)") in alone.stderr
    beside = run_cli(path)  # skipped for missing configuration beside experiments that ran: not an error
    assert beside.returncode == 0, beside.stdout + beside.stderr
    strict = run_cli(path, "--only", "unconfigured", "--strict")  # --strict: a configuration error, as documented
    assert strict.returncode == 2, strict.stdout + strict.stderr


def test_an_experiment_that_cannot_run_for_an_error_makes_the_run_exit_1(fault_benchmark):
    path = fault_benchmark()
    path.write_text(path.read_text() + """
[protocols.absent-actors]
plugin = "actor-holdout"
params = { test = [23, 24] }

[experiments.wrong-actors]
dataset = "toy"
protocols = ["absent-actors"]
[experiments.wrong-actors.branches.audio]
extractor = "toy-extractor"
model = "toy-centroid"
""")
    result = run_cli(path)
    assert result.returncode == 1
    assert "NOT RUN (error) wrong-actors / absent-actors" in result.stderr
    records = list((path.parent / "runs/faults/steady/loso/seed-0").glob("*.json"))
    assert len(records) == 4  # the others ran
