"""The thread count is part of a fold's key, and each fold record says what computed it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

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
    assert set(computed) == {"commit", "dirty", "libraries", "torch_threads", "device"}
    assert computed["torch_threads"] == 2 and record["setup"]["torch_threads"] == 2
    assert computed["device"] in ("cpu", "cuda")
    assert {"numpy", "scikit-learn", "scipy", "torch"} <= set(computed["libraries"])
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    assert computed["commit"] == head and isinstance(computed["dirty"], bool)


def test_outside_a_git_checkout_the_commit_is_unknown_not_guessed(tmp_path):
    assert source_revision(tmp_path) == {"commit": "unknown", "dirty": None}
