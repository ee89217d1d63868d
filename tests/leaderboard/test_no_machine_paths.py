"""Nothing the leaderboard writes holds an absolute path of the machine that rendered it."""

from __future__ import annotations

import json

import polars as pl

from avbench.leaderboard.paths import PathScrubber
from avbench.runner.run import run_benchmark

EMPTY_DATASETS = """
[datasets.under-variable]
plugin = "ravdess"
env = "AVBENCH_ELSEWHERE_ROOT"

[datasets.in-project]
plugin = "ravdess"
root = "data/empty"

[datasets.outside]
plugin = "ravdess"
root = "{outside}"
"""

EXPERIMENT = """
[experiments.needs-{name}]
dataset = "{name}"
protocols = ["holdout"]
[experiments.needs-{name}.branches.audio]
extractor = "toy-extractor"
model = "toy-centroid"
"""


def test_errors_with_absolute_paths_are_written_relative_to_the_project_or_a_variable(toy_project, tmp_path,
                                                                                      monkeypatch):
    outside = tmp_path / "somewhere" / "else"
    variable_root = tmp_path / "elsewhere-data"
    for folder in (outside, variable_root, tmp_path / "project" / "data" / "empty"):
        folder.mkdir(parents=True)  # empty: each dataset fails with its root in the error
    monkeypatch.setenv("AVBENCH_ELSEWHERE_ROOT", str(variable_root))
    extra = EMPTY_DATASETS.format(outside=outside) + "".join(
        EXPERIMENT.format(name=n) for n in ("under-variable", "in-project", "outside"))
    path = toy_project(extra=extra)
    run_benchmark(path, progress=False)
    board = path.parent / "leaderboards/toy"
    errors = {r["experiment"]: r["error"] for r in pl.read_parquet(board / "results.parquet").to_dicts()
              if r["status"] == "not run"}
    assert "$AVBENCH_ELSEWHERE_ROOT" in errors["needs-under-variable"]
    assert "data/empty" in errors["needs-in-project"]
    assert "…/else" in errors["needs-outside"]
    frame = pl.read_parquet(board / "results.parquet")
    texts = {
        "README.md": (board / "README.md").read_text(),
        "results.csv": (board / "results.csv").read_text(),
        "metadata.json": (board / "metadata.json").read_text(),
        "results.parquet": json.dumps(frame.to_dicts(), default=str),
    }
    for name, text in texts.items():
        assert str(tmp_path) not in text, name
        assert "/tmp/" not in text, name  # nor the cache folder, nor pytest's folders


def test_a_path_under_a_variable_is_written_with_the_variable_and_look_alike_folders_are_not_cut():
    scrub = PathScrubber("/work/project", {"AVBENCH_MODELS": "/data/models", "HOME": "/home/me"})
    assert scrub("needs /data/models/vggish.pth") == "needs $AVBENCH_MODELS/vggish.pth"
    assert scrub("bad file /work/project/runs/x/fold.json") == "bad file runs/x/fold.json"
    assert scrub("at /work/project-2/x.json") == "at …/x.json"
    assert scrub("cache ~ /home/me/.cache/avbench/a.npy") == "cache ~ ~/.cache/avbench/a.npy"
    assert scrub(["https://github.com/a/b/releases", "p50/p95 ms"]) == ["https://github.com/a/b/releases",
                                                                       "p50/p95 ms"]
