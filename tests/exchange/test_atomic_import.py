"""An import killed partway leaves the submitter's folder as it was; the import run again then succeeds."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from avbench.exchange.export import export_bundle
from avbench.exchange import folder_swap
from avbench.exchange.import_bundle import import_bundle
from avbench.leaderboard.stored import read_submitted_records

from .conftest import clone

#: ``avbench import`` in a child process whose file copies into the run folder stall after the first one.
STALLING_IMPORT = """
import pathlib, shutil, sys, time
from avbench.exchange.import_bundle import import_bundle
bundle, config, runs, marker = sys.argv[1:5]
real_copyfile = shutil.copyfile
def stalling_copyfile(src, dst, *args, **kwargs):
    out = real_copyfile(src, dst, *args, **kwargs)
    if str(dst).startswith(runs):
        pathlib.Path(marker).write_text("one file written")
        time.sleep(120)
    return out
shutil.copyfile = stalling_copyfile
import_bundle(bundle, config)
"""


def files_under(folder: Path) -> dict[Path, bytes]:
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def two_fold_bundle(config: Path, tmp_path: Path) -> Path:
    """A bundle of the submitter's first two folds only (a copy of their clone without the other two)."""
    partial = tmp_path / "partial-clone"
    shutil.copytree(config.parent, partial, ignore=shutil.ignore_patterns("leaderboards"))
    for path in (partial / "runs/swap/centroid/loso/seed-0").glob("subject-[34].*"):
        path.unlink()
    return export_bundle(partial / "benchmark.toml", tmp_path / "two.tar.gz", submitter="alice").path


def kill_mid_write(bundle: Path, maintainer: Path, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    child = subprocess.Popen([sys.executable, "-c", STALLING_IMPORT, str(bundle), str(maintainer),
                              str(maintainer.parent / "runs"), str(marker)], env=dict(os.environ))
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert child.poll() is None, f"the import ended (exit {child.returncode}) before writing a file"
            assert time.monotonic() < deadline, "the import wrote nothing in 120 s"
            time.sleep(0.05)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL


def test_an_import_killed_mid_write_leaves_the_earlier_submission_whole_and_a_rerun_completes(
        submitter, toy_env, tmp_path):
    config, _data = submitter
    earlier = two_fold_bundle(config, tmp_path)
    full = export_bundle(config, tmp_path / "full.tar.gz", submitter="alice").path
    maintainer = clone(tmp_path / "maintainer", None)
    output = maintainer.parent / "runs/swap"
    assert import_bundle(earlier, maintainer).folds == 2
    destination = output / "submitted/alice"
    before = files_under(destination)

    kill_mid_write(full, maintainer, tmp_path)
    assert files_under(destination) == before  # killed before the swap: the earlier submission, whole
    by_submitter, bad = read_submitted_records(output)
    assert list(by_submitter) == ["alice"] and len(by_submitter["alice"]) == 2 and bad == {}

    result = import_bundle(full, maintainer)
    assert (result.folds, result.replaced) == (4, 2)
    assert len(list((destination / "centroid/loso/seed-0").glob("*.json"))) == 4
    assert len(list((destination / "bundles").iterdir())) == 2  # both bundles' manifests kept
    assert sorted(p.name for p in (output / "submitted").iterdir() if p.is_dir()) == ["alice"]  # nothing left over


@pytest.mark.parametrize("renameat2", [True, False], ids=["exchanged", "two-renames"])
def test_replacing_a_folder_swaps_the_whole_of_it_in(tmp_path, monkeypatch, renameat2):
    if not renameat2:  # as on a system without renameat2(RENAME_EXCHANGE)
        monkeypatch.setattr(folder_swap, "_exchange", lambda _a, _b: False)
    destination = tmp_path / "alice"
    (destination / "old").mkdir(parents=True)
    (destination / "old/fold.json").write_text("old")
    new = folder_swap.new_folder_beside(destination)
    (new / "fold.json").write_text("new")
    folder_swap.replace_folder(new, destination)
    assert files_under(destination) == {Path("fold.json"): b"new"}
    assert [p.name for p in tmp_path.iterdir()] == ["alice"]


def test_a_crash_between_two_renames_is_undone_and_unfinished_folders_dropped(tmp_path):
    destination = tmp_path / "alice"
    (tmp_path / ".alice.old").mkdir()  # the old folder, moved aside; the new one never put in place
    (tmp_path / ".alice.old/fold.json").write_text("old")
    (tmp_path / ".alice.new-0123abcd").mkdir()
    (tmp_path / ".alice.new-0123abcd/fold.json").write_text("half")
    folder_swap.recover_folder(destination)
    assert files_under(tmp_path) == {Path("alice/fold.json"): b"old"}
