"""A rerun with nothing to compute: the leaderboard is not rendered again unless what it is made of changed."""

from __future__ import annotations

import os
import subprocess
import sys

from avbench.runner.run import run_benchmark


def stamp_of(path) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_ino, st.st_mtime_ns


def test_a_rerun_with_nothing_to_compute_keeps_the_leaderboard_and_a_change_renders_it(toy_benchmark, tmp_path):
    path = toy_benchmark()
    first = run_benchmark(path, progress=False)
    readme = tmp_path / "leaderboards/toy/README.md"
    assert first.leaderboard == readme and first.done == 7
    rendered = stamp_of(readme)

    again = run_benchmark(path, progress=False)
    assert (again.done, again.skipped, again.leaderboard) == (0, 7, readme)
    assert stamp_of(readme) == rendered  # not written again

    # a reported number's source is no part of any fold's key: every fold stays done, the leaderboard shows it
    path.write_text(path.read_text().replace("nobody 2020", "somebody 2021"))
    changed = run_benchmark(path, progress=False)
    assert changed.skipped == 7
    assert stamp_of(readme) != rendered and "somebody 2021" in readme.read_text()

    readme.unlink()  # a rendered file gone: rendered again
    assert run_benchmark(path, progress=False).leaderboard == readme and readme.is_file()


def test_the_run_command_does_not_import_the_other_commands_modules():
    code = ("import sys; from avbench.cli.main import build_parser; build_parser('run'); "
            "print(sorted(m for m in ('avbench.cli.compare_command', 'avbench.cli.describe_command', "
            "'avbench.cli.check_command', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_submitted_fold_added_or_removed_changes_what_the_leaderboard_is_made_of(toy_benchmark, tmp_path):
    """A submitted row must not outlive its folds: they are among the leaderboard's inputs like local ones."""
    from avbench.config.loader import load_config
    from avbench.registry import get_registry
    from avbench.runner.leaderboard_stamp import leaderboard_inputs

    config = load_config(toy_benchmark(), get_registry())
    output = tmp_path / "runs" / "toy"
    local = output / "exp" / "loso" / "seed-0" / "subject-1.json"
    local.parent.mkdir(parents=True)
    local.write_text("{}")
    before = leaderboard_inputs(config, output, None)
    submitted = output / "submitted" / "someone" / "exp" / "loso" / "seed-0" / "subject-1.json"
    submitted.parent.mkdir(parents=True)
    submitted.write_text("{}")
    with_submitted = leaderboard_inputs(config, output, None)
    assert with_submitted != before
    submitted.unlink()
    assert leaderboard_inputs(config, output, None) == before
