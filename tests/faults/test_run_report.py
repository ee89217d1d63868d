"""A run on a machine without the real data says once per dataset what its experiments wait for."""

from __future__ import annotations

from types import SimpleNamespace

from avbench.cli.run_report import HEADERS, report_lines
from avbench.runner.run import run_benchmark

UNCONFIGURED = "".join(f"""
[experiments.r{i}]
dataset = "ravdess"
protocols = ["loso"]
[experiments.r{i}.branches.audio]
extractor = "toy-extractor"
model = "toy-centroid"
""" for i in (1, 2, 3)) + """
[datasets.ravdess]
plugin = "ravdess"

[datasets.elsewhere]
plugin = "ravdess"
env = "PROBE_UNSET_ROOT"

[experiments.lonely]
dataset = "elsewhere"
protocols = ["loso"]
[experiments.lonely.branches.audio]
extractor = "toy-extractor"
model = "toy-centroid"
"""
ONLY = ["steady", "r1", "r2", "r3", "lonely"]


def test_experiments_waiting_for_data_make_one_line_per_dataset_and_verbose_names_each(fault_benchmark, monkeypatch):
    monkeypatch.delenv("AVBENCH_RAVDESS_ROOT", raising=False)
    path = fault_benchmark(extra=UNCONFIGURED)
    quiet: list[str] = []
    summary = run_benchmark(path, only=ONLY, progress=False, render=False, log=quiet.append)
    assert summary.exit_code == 0 and summary.done == 4
    skipped = [line for line in quiet if "SKIPPED" in line]
    assert skipped == [
        "SKIPPED (not configured here) ravdess: 3 experiments wait for AVBENCH_RAVDESS_ROOT (or --data ravdess=PATH)",
        "SKIPPED (not configured here) elsewhere: 1 experiment waits for PROBE_UNSET_ROOT (or --data elsewhere=PATH)"]
    assert "(avbench run --verbose names each skipped experiment)" in quiet
    report = report_lines(summary)
    assert report[0].split() == " ".join(HEADERS).split()
    assert report[2].split() == ["4", "0", "0", "0", "4", "0", "0"]
    assert report[3] == f"results: {summary.output_dir}"

    verbose: list[str] = []
    run_benchmark(path, only=ONLY, progress=False, render=False, log=verbose.append, verbose=True)
    for name in ("r1", "r2", "r3", "lonely"):
        assert any(line.startswith(f"SKIPPED {name}: dataset ") for line in verbose)
    assert any(line.startswith("dataset ravdess: SKIPPED: ") for line in verbose)
    assert not any(line.startswith("dataset ravdess: SKIPPED: ") for line in quiet)


def test_the_report_names_the_site_beside_the_leaderboard_when_there_is_one(tmp_path):
    board = tmp_path / "leaderboards/x/README.md"
    board.parent.mkdir(parents=True)
    board.write_text("")
    summary = SimpleNamespace(done=1, skipped=0, failed=0, errors=[], experiment_errors=[], clip_errors={},
                              failed_work={}, planned=1, output_dir=tmp_path / "runs/x", leaderboard=board)
    assert report_lines(summary)[-1] == f"leaderboard: {board}"
    (board.parent / "index.html").write_text("<html></html>")
    assert report_lines(summary)[-2:] == [f"leaderboard: {board}", f"site: {board.parent / 'index.html'}"]


def test_the_report_names_twenty_skipped_clips_and_counts_the_rest(tmp_path):
    clips = {f"clip-{i:02d}": "empty file" for i in range(25)}
    summary = SimpleNamespace(done=1, skipped=0, failed=0, errors=[], experiment_errors=[], clip_errors={"e": clips},
                              failed_work={}, planned=1, output_dir=tmp_path, leaderboard=None)
    lines = report_lines(summary)
    assert lines[2].split()[5] == "25"  # the bad-media count
    assert [l for l in lines if l.startswith("  skipped clip")][-1] == "  skipped clip clip-19 (e): empty file"
    assert "  ... and 5 more skipped clip(s) (run-summary.json lists all)" in lines
