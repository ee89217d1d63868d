"""``avbench compare``: a paired difference from stored predictions, or a plain refusal when clips differ."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from avbench.cli.main import main
from avbench.runner.run import run_benchmark

SMALLER_CORPUS = """
[datasets.toy-small]
plugin = "toy-dataset"
params = { subjects = 5 }

[experiments.centroid-small]
dataset = "toy-small"
protocols = ["loso"]
[experiments.centroid-small.branches.audio]
extractor = "toy-extractor"
model = "toy-centroid"
"""


def test_compare_prints_the_difference_its_interval_and_p_from_stored_predictions(toy_project, capsys):
    path = toy_project()
    run_benchmark(path, progress=False, render=False)
    capsys.readouterr()
    assert main(["compare", "centroid", "centroid-noisy", "--file", str(path), "--protocol", "loso"]) == 0
    out = capsys.readouterr().out
    match = re.search(r"centroid - centroid-noisy: ([+-]\d+\.\d) points, 95% CI \[([+-]\d+\.\d), ([+-]\d+\.\d)\] "
                      r".*?, p=(\d\.\d+) \(exact\)", out)
    assert match, out
    diff, low, high, p = map(float, match.groups())
    assert low <= diff <= high and 0 < p <= 1
    assert "1000 resamples of 6 test subjects, 72 clips" in out  # the config's default bootstrap_resamples


def test_compare_reads_bootstrap_resamples_from_the_config_and_prints_the_boards_figures(toy_project, capsys):
    import polars as pl

    path = toy_project()
    path.write_text(path.read_text().replace("latency_clips = 2", "latency_clips = 2\nbootstrap_resamples = 250"))
    run_benchmark(path, progress=False)
    rows = {r["experiment"]: r for r in pl.read_parquet(path.parent / "leaderboards/toy/results.parquet")
            .filter(pl.col("protocol") == "loso").to_dicts()}
    best = next(name for name, r in rows.items() if r["is_best"])
    other = next(name for name in rows if name != best)
    capsys.readouterr()
    assert main(["compare", other, best, "--file", str(path), "--protocol", "loso"]) == 0
    out = capsys.readouterr().out
    assert "250 resamples of 6 test subjects" in out
    row = rows[other]
    assert (f"{other} - {best}: {100 * row['vs_best_difference']:+.1f} points, 95% CI "
            f"[{100 * row['vs_best_ci_low']:+.1f}, {100 * row['vs_best_ci_high']:+.1f}]") in out
    assert f"), {row['vs_best_p_text']} (two-sided; exact sign-flip test over 6 test speakers" in out


def test_compare_says_when_two_rows_were_not_scored_on_the_same_clips(toy_project):
    path = toy_project(extra=SMALLER_CORPUS)
    run_benchmark(path, progress=False, render=False, only=["centroid", "centroid-small"])
    env = dict(os.environ)
    result = subprocess.run([sys.executable, "-m", "avbench.cli.main", "compare", "centroid", "centroid-small",
                             "--file", str(path)], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "not scored on the same test clips (72 vs 60 clips" in result.stdout


def test_compare_refuses_an_unknown_experiment_or_a_protocol_they_do_not_share(toy_project, capsys):
    path = toy_project()
    assert main(["compare", "centroid", "nope", "--file", str(path)]) == 2
    assert "no experiment 'nope'" in capsys.readouterr().err
    assert main(["compare", "centroid", "centroid-noisy", "--file", str(path), "--protocol", "holdout"]) == 2
    assert "not a protocol of both" in capsys.readouterr().err
