"""What a newcomer meets in the first hour (issue 25): results at the end of a run, --only that adds up,
configs that cannot run refused before anything runs, one rule for what is missing, messages in plain words."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from avbench.cli.main import main
from tests.conftest import FIXTURES
from tests.core.conftest import TOY_BENCHMARK, toy_benchmark, toy_plugins  # noqa: F401  (fixtures)

ONE_SUBJECT = """
[benchmark]
name = "toy"
seeds = [0]
workers = 1

[datasets.toy]
plugin = "toy-dataset"
params = { subjects = 1 }

[protocols.loso]
plugin = "loso"

[experiments.centroid]
dataset = "toy"
protocols = ["loso"]
[experiments.centroid.branches.audio]
extractor = "toy-extractor"
model = "toy-centroid"
"""

SECOND = """
[experiments.centroid-two]
dataset = "toy"
protocols = ["holdout"]
[experiments.centroid-two.branches.audio]
extractor = { plugin = "toy-extractor", params = { scale = 0.5 } }
model = "toy-centroid"
"""


def cli(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """``avbench ARGS`` in a real process in ``project``, with the toy plugins importable."""
    environment = {**os.environ, **env}
    environment["PYTHONPATH"] = os.pathsep.join([env.get("PYTHONPATH", ""), str(FIXTURES / "toy_plugins"),
                                                 os.environ.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "avbench.cli.main", *args], cwd=project, env=environment,
                          capture_output=True, text=True, timeout=300)


def test_a_run_ends_with_the_rows_it_computed_and_a_rerun_that_computes_nothing_prints_none(toy_benchmark,
                                                                                             tmp_path, capsys):
    path = toy_benchmark()
    assert main(["run", str(path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    counts, _, results = out.partition("results of this run (2 rows, in %):")
    assert "folds run" in counts and results, out
    rows = {(r["experiment"], r["protocol"]): r for r in
            pl.read_parquet(tmp_path / "leaderboards" / "toy" / "results.parquet").to_dicts()}
    table = results.splitlines()
    assert table[1].split() == ["experiment", "protocol", "accuracy", "[95%", "CI]", "UAR", "vs", "best"]
    for (experiment, protocol), row in rows.items():
        line = next(line for line in table if line.split()[:2] == [experiment, protocol])
        accuracy = (f"{100 * row['accuracy_pooled']:.1f} [{100 * row['accuracy_ci_low']:.1f}, "
                    f"{100 * row['accuracy_ci_high']:.1f}]")
        assert accuracy in line and f"{100 * row['uar_pooled']:.1f}" in line, (line, row)
        if row["too_few_speakers"]:  # as on the board: no best named below the minimum of test speakers
            assert line.rstrip().endswith("too few test speakers to compare") and "best" not in line.split()[-6:], line
        else:
            assert line.rstrip().endswith("best") == bool(row["is_best"] or row["tied_with_best"]), line
    assert out.index("results of this run") < out.index("leaderboard:")

    assert main(["run", str(path), "--no-progress"]) == 0  # every fold already done: nothing computed
    assert "results of this run" not in capsys.readouterr().out


def test_only_given_twice_runs_both_experiments(toy_benchmark, capsys):
    path = toy_benchmark(extra=SECOND)
    capsys.readouterr()
    assert main(["run", str(path), "--dry-run", "--only", "centroid", "--only", "centroid-two"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("centroid:") for line in lines) and any(
        line.startswith("centroid-two:") for line in lines), lines


def test_a_dry_run_on_a_fresh_cache_says_the_demo_is_generated_first_not_an_error(toy_benchmark, capsys):
    path = toy_benchmark()
    capsys.readouterr()
    assert main(["run", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "error" not in out, out
    assert "dataset toy: embedded, not generated yet: a real run generates it first" in out
    assert "centroid: would run once its dataset is generated" in out


def test_a_dry_run_estimates_the_time_from_stored_costs(toy_benchmark, capsys):
    path = toy_benchmark()
    assert main(["run", str(path), "--no-progress"]) == 0
    changed = toy_benchmark(sleep=0.0, extra=SECOND)  # a new experiment: its features and folds are new
    capsys.readouterr()
    assert main(["run", str(changed), "--dry-run"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    # toy-extractor's rate is stored (same plugin, another setting); the new experiment's folds never ran here
    assert last.startswith("estimate: about ") and "from stored costs" in last, last
    assert "no stored cost (never run here) for 1 fold(s)" in last, last


def test_a_protocol_that_cannot_split_the_data_is_a_config_error_before_anything_runs(tmp_path, toy_plugins,
                                                                                         capsys):
    path = tmp_path / "benchmark.toml"
    path.write_text(ONE_SUBJECT)
    assert main(["run", str(path), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"avbench: {path}: protocols.loso: experiment 'centroid' on dataset 'toy': protocol 'loso' needs at " \
           f"least 2 subjects (2 + params.val_subjects = 0), got 1" in err, err
    assert not list((tmp_path / "runs").rglob("*.json")), "a fold ran"
    assert main(["run", str(path), "--dry-run"]) == 2  # the dataset is generated now: the dry run sees it too


def test_strict_makes_a_missing_model_file_exit_2_and_without_it_a_skip_said_once(tmp_path):
    (tmp_path / "benchmark.toml").write_text(TOY_BENCHMARK.format(scale=1.0, sleep=0.0) + """
[experiments.fer]
dataset = "toy"
protocols = ["holdout"]
[experiments.fer.branches.video]
extractor = { plugin = "fer-mean-posteriors", params = { model = "/nonexistent/fer.hdf5" } }
model = "toy-centroid"
""")
    plain = cli(tmp_path, "run", "--no-progress", "--only", "fer")
    missing = [line for line in plain.stderr.splitlines() if "/nonexistent/fer.hdf5" in line]
    assert plain.returncode == 0 and len(missing) == 1, plain.stderr
    assert missing[0].startswith("SKIPPED (not configured here)"), missing
    strict = cli(tmp_path, "run", "--no-progress", "--only", "fer", "--strict")
    assert strict.returncode == 2, strict.stderr
    assert sum("/nonexistent/fer.hdf5" in line for line in strict.stderr.splitlines()) == 1, strict.stderr


def test_a_wrong_dataset_root_is_a_skip_naming_the_path_and_exit_2_under_strict(tmp_path):
    (tmp_path / "benchmark.toml").write_text(TOY_BENCHMARK.format(scale=1.0, sleep=0.0) + """
[datasets.ravdess]
plugin = "ravdess"

[experiments.real]
dataset = "ravdess"
protocols = ["loso"]
[experiments.real.branches.audio]
extractor = "toy-extractor"
model = "toy-centroid"
""")
    wrong = str(tmp_path / "nowhere")
    plain = cli(tmp_path, "run", "--no-progress", "--data", f"ravdess={wrong}")
    said = [line for line in plain.stderr.splitlines() if wrong in line]
    assert plain.returncode == 0 and len(said) == 1, plain.stderr
    assert "does not exist (from --data ravdess)" in said[0] and said[0].startswith("SKIPPED"), said
    strict = cli(tmp_path, "run", "--no-progress", "--data", f"ravdess={wrong}", "--strict")
    assert strict.returncode == 2 and sum(wrong in line for line in strict.stderr.splitlines()) == 1, strict.stderr


def test_a_value_of_the_wrong_type_reads_as_a_person_would_write_it(toy_benchmark, capsys):
    path = toy_benchmark()
    path.write_text(path.read_text().replace("latency_clips = 3", 'latency_clips = "ten"'))
    assert main(["run", str(path), "--dry-run"]) == 2
    err = capsys.readouterr().err
    line = next(line for line in err.splitlines() if "latency_clips" in line)
    assert "Value error" not in line and line.count("'ten'") == 1, line


def test_progress_off_a_terminal_is_a_plain_line_per_stage(toy_benchmark, tmp_path):
    path = toy_benchmark()
    result = cli(tmp_path, "run", str(path))  # stderr is a pipe here, not a terminal
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert "\r" not in result.stderr
    assert any(line.startswith("extracting features: 72 clip(s) to do; warming up (1 worker process starting")
               for line in lines), lines
    assert any(line.startswith("extracting features: 72/72 clips done in ") for line in lines), lines
    assert any(line.startswith("running folds: 7/7 folds done in ") for line in lines), lines


def test_library_warnings_inside_folds_are_summarised_per_row_not_printed_raw(tmp_path):
    (tmp_path / "benchmark.toml").write_text(TOY_BENCHMARK.format(scale=1.0, sleep=0.0).replace(
        'model = {{ plugin = "toy-centroid"'.replace("{{", "{"), 'model = { plugin = "toy-warning-centroid"'))
    paths = os.pathsep.join([str(FIXTURES / "warning_plugins"), str(FIXTURES / "toy_plugins")])
    result = cli(tmp_path, "run", "--no-progress", PYTHONPATH=paths)
    assert result.returncode == 0, result.stderr
    assert "this parameter will change" not in result.stdout
    lines = [line for line in result.stderr.splitlines() if "will change in 9.0" in line or "y_pred" in line]
    assert sorted(lines) == [
        "library warnings in 1 fold(s) of centroid / holdout: FutureWarning: this parameter will change in 9.0 "
        "(x1); UserWarning: y_pred contains classes not in y_true (x1) (each fold record lists them under "
        "library_warnings)",
        "library warnings in 6 fold(s) of centroid / loso: FutureWarning: this parameter will change in 9.0 (x6); "
        "UserWarning: y_pred contains classes not in y_true (x6) (each fold record lists them under "
        "library_warnings)"], result.stderr
    record = json.loads((tmp_path / "runs/toy/centroid/holdout/seed-0/holdout.json").read_text())
    assert record["library_warnings"] == {"FutureWarning: this parameter will change in 9.0": 1,
                                          "UserWarning: y_pred contains classes not in y_true": 1}


def test_a_module_claimed_by_two_distributions_is_one_line_naming_both(tmp_path):
    (tmp_path / "twice_plugin.py").write_text(
        "from avbench import hookimpl\n\n@hookimpl\ndef avbench_plugins():\n    return []\n")
    for dist in ("twice_plugin-0.2.dist-info", "twice_plugin_old-0.1.dist-info"):  # a stale copy's metadata
        (tmp_path / dist).mkdir()
        name = dist.split("-")[0].replace("_", "-")
        (tmp_path / dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
        (tmp_path / dist / "entry_points.txt").write_text("[avbench]\ntwice = twice_plugin\n")
    result = cli(tmp_path, "list", PYTHONPATH=str(tmp_path))
    assert result.returncode == 0, result.stderr
    broken = [line for line in result.stdout.splitlines() if line.startswith("BROKEN")]
    assert len(broken) == 1 and len(broken[0]) < 400, broken
    assert "module twice_plugin is claimed by two distributions" in broken[0]
    assert "'twice-plugin'" in broken[0] and "'twice-plugin-old'" in broken[0] and "pip uninstall" in broken[0]
    assert "already registered" not in result.stdout


def test_describe_prints_plain_text_not_sphinx_roles():
    result = subprocess.run([sys.executable, "-m", "avbench.cli.main", "describe", "svm-rbf"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "(see calibrated)" in result.stdout
    assert ":func:" not in result.stdout and "``" not in result.stdout, result.stdout


def test_a_stage_off_a_terminal_says_its_start_some_steps_and_its_end_with_a_rate_from_finished_work():
    import io

    from avbench.runner.progress import StageProgress

    now = [0.0]
    stream = io.StringIO()
    with StageProgress("extracting features", 100, "clip", warming="2 worker processes starting", stream=stream,
                       clock=lambda: now[0]) as bar:
        now[0] = 60.0  # warm-up: the first 10 clips take a minute
        bar.update(10)
        for _ in range(9):
            now[0] += 1.0  # then 10 clips a second
            bar.update(10)
    lines = stream.getvalue().splitlines()
    assert lines[0] == ("extracting features: 100 clip(s) to do; warming up (2 worker processes starting): the "
                        "first clips take longest")
    assert lines[1] == "extracting features: 10/100 clips (10%), 1 min 00 s elapsed"
    assert lines[2] == "extracting features: 20/100 clips (20%), 1 min 01 s elapsed, 10 clips/s, about 8 s left"
    assert lines[-1] == "extracting features: 100/100 clips done in 1 min 09 s"
