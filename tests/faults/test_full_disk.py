"""A real full disk: failed work, never bad media; the run after space comes back equals a clean run."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from .conftest import run_cli, stored_predictions


def mount_tmpfs(where, size: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    if shutil.which("mount") is None:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True).returncode == 0


def test_a_full_cache_disk_is_failed_work_and_the_rerun_after_space_returns_equals_a_clean_run(
        fault_benchmark, clean_fault_run, tmp_path):
    cache = tmp_path / "small-disk"
    if not mount_tmpfs(cache, "8k"):  # two pages: less than the features need, packed in shards
        pytest.skip("cannot mount a tmpfs here (needs root and mount); the injected-ENOSPC test covers the logic")
    try:
        path = fault_benchmark()
        first = run_cli(path, env={"AVBENCH_CACHE": str(cache)})
        assert first.returncode == 1, first.stdout + first.stderr
        assert "No space left on device" in first.stdout + first.stderr
        runs = path.parent / "runs/faults"
        assert json.loads((runs / "clip-errors.json").read_text())["bad_media"] == {}
        subprocess.run(["mount", "-o", "remount,size=8m", str(cache)], check=True)  # space comes back
        second = run_cli(path, env={"AVBENCH_CACHE": str(cache)})
        assert second.returncode == 0, second.stdout + second.stderr
        assert stored_predictions(path.parent) == clean_fault_run[0]
    finally:
        subprocess.run(["umount", str(cache)], capture_output=True)
