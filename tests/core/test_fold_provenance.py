"""The thread count is part of a fold's key, and each fold record says what computed it."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import avbench
from avbench.runner.determinism import source_revision
from avbench.runner.run import run_benchmark

ROOT = Path(__file__).resolve().parents[2]


def with_threads(path: Path, threads: int) -> Path:
    path.write_text(path.read_text().replace("latency_clips = 3", f"latency_clips = 3\ntorch_threads = {threads}"))
    return path


def test_another_thread_count_is_another_fingerprint_so_no_fold_is_reused(toy_benchmark):
    first = run_benchmark(with_threads(toy_benchmark(), 1), progress=False, render=False)
    assert first.done == 7
    again = run_benchmark(with_threads(toy_benchmark(), 1), progress=False, render=False)
    assert (again.done, again.skipped) == (0, 7)
    other = run_benchmark(with_threads(toy_benchmark(), 2), progress=False, render=False)
    assert (other.done, other.skipped) == (7, 0)


def test_every_fold_record_says_what_computed_it(toy_benchmark, tmp_path):
    run_benchmark(with_threads(toy_benchmark(), 2), progress=False, render=False)
    record = json.loads((tmp_path / "runs/toy/centroid/holdout/seed-0/holdout.json").read_text())
    computed = record["computed_with"]
    assert set(computed) == {"commit", "dirty", "lock", "libraries", "torch_threads", "device", "avbench_version"}
    assert computed["avbench_version"] == avbench.__version__  # names the code where there is no commit (a wheel)
    assert computed["lock"] == hashlib.sha256((ROOT / "requirements.lock").read_bytes()).hexdigest()
    assert computed["torch_threads"] == 2 and record["setup"]["torch_threads"] == 2
    assert computed["device"] in ("cpu", "cuda")
    assert {"numpy", "scikit-learn", "scipy", "torch"} <= set(computed["libraries"])
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    assert computed["commit"] == head and isinstance(computed["dirty"], bool)


def test_outside_a_git_checkout_the_commit_is_unknown_not_guessed(tmp_path):
    assert source_revision(tmp_path) == {"commit": "unknown", "dirty": None, "lock": None}


def git(where: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=where, check=True, capture_output=True)


def test_files_avbench_writes_never_make_the_checkout_dirty(tmp_path):
    git(tmp_path, "init", "-q")
    (tmp_path / "code.py").write_text("x = 1\n")
    (tmp_path / "leaderboards").mkdir()
    (tmp_path / "leaderboards" / "README.md").write_text("board\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "first")
    (tmp_path / "leaderboards" / "README.md").write_text("board, re-rendered\n")
    board = [tmp_path / "leaderboards"]
    assert source_revision(tmp_path, outputs=board)["dirty"] is False
    assert source_revision(tmp_path)["dirty"] is True  # without naming the board, it counts
    (tmp_path / "code.py").write_text("x = 2\n")
    assert source_revision(tmp_path, outputs=board)["dirty"] is True
