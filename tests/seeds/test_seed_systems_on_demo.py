"""Every seed-system experiment of benchmark.toml runs end to end on the synthetic demo set.

One run holds the demo copies of all of them (see :mod:`seed_configs`: same branches, fusions and
classes; demo dataset, demo-sized protocol, small training budgets), so features are extracted once
and shared as in a real run. The VGGish rows are covered in ``test_seed_vggish_rows``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
import torch

from avbench.registry import get_registry
from avbench.runner.run import RunSummary, run_benchmark
from avbench_plugins.datasets.synthetic_av import SyntheticAV

from .seed_configs import (DEMO_TEST_ACTORS, as_ref, demo_copy, needs_model_files, read_benchmark,
                           seed_experiments, to_toml, uses_vggish)

# Demo copies train MLPs for a few iterations only: their convergence warnings are expected.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RAW = read_benchmark()
DEMO_EXPERIMENTS = [n for n, e in seed_experiments(RAW).items() if not uses_vggish(e)]
#: Extractors that find a face in each sampled frame and count the frames where none was found.
FACE_EXTRACTORS = {"face-crops", "fer-posteriors", "fer-mean-posteriors", "fer-embedding", "blendshapes"}


@dataclass
class DemoRun:
    summary: RunSummary
    output: Path
    board: Path
    experiments: list[str]
    logs: list[str]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory, demo_set, models_folder) -> DemoRun:
    folder = tmp_path_factory.mktemp("seed-run")
    names = [n for n in DEMO_EXPERIMENTS if models_folder or not needs_model_files(RAW["experiments"][n])]
    doc = demo_copy(RAW, names, get_registry(), demo_root=demo_set.root, au_csv=demo_set.au_csv,
                    models=models_folder)
    path = folder / "benchmark.toml"
    path.write_text(to_toml(doc))
    logs: list[str] = []
    threads = torch.get_num_threads()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AVBENCH_CACHE", str(folder / "cache"))
        # One thread: small convolutions on a shared 2-core machine are several times slower with two.
        torch.set_num_threads(1)
        try:
            summary = run_benchmark(path, progress=False, workers=1, log=logs.append)
        finally:
            torch.set_num_threads(threads)
    return DemoRun(summary, folder / "runs" / "seeds-demo", folder / "leaderboards" / "seeds-demo", names, logs)


def expected_classes(name: str) -> list[str]:
    """The experiment's declared classes, else every class of the demo set in the dataset's label order."""
    return RAW["experiments"][name].get("classes") or list(SyntheticAV.labels)


def test_the_demo_run_plans_every_seed_experiment_and_fails_none(demo_run):
    assert demo_run.summary.errors == [], demo_run.logs
    assert demo_run.summary.failed == 0, demo_run.logs
    assert demo_run.summary.done == len(demo_run.experiments)  # one fold each


@pytest.mark.parametrize("name", DEMO_EXPERIMENTS)
def test_seed_experiment_runs_end_to_end_on_the_demo(name, demo_run, demo_set):
    if name not in demo_run.experiments:
        pytest.skip("needs pretrained files (FER-2013 CNN, face landmarker): set AVBENCH_MODELS")
    records = [json.loads(p.read_text()) for p in sorted((demo_run.output / name).glob("*/seed-0/*.json"))]
    assert records, f"no fold stored for {name}"
    assert [r["status"] for r in records] == ["ok"] * len(records), [r.get("error") for r in records]

    classes = expected_classes(name)
    test_clips = {c.clip_id for c in demo_set.clips if c.subject.lstrip("0") in DEMO_TEST_ACTORS and c.label in classes}
    face_branches = [b for b, branch in RAW["experiments"][name]["branches"].items()
                     if as_ref(branch["extractor"])["plugin"] in FACE_EXTRACTORS]
    for record in records:
        assert record["classes"] == classes
        for branch in face_branches:  # the demo's drawn face is found, not replaced by the frame centre
            counts = record["extraction_diagnostics"][branch]
            assert counts["frames_sampled"] > 0
            assert counts["frames_no_face"] <= 0.05 * counts["frames_sampled"], counts
        frame = pl.read_parquet(demo_run.output / name / record["protocol"] / "seed-0" / record["predictions"])
        assert set(frame["clip_id"]) == test_clips
        assert set(frame["predicted"]) <= set(classes)
        assert all(len(p) == len(classes) and abs(sum(p) - 1) < 1e-5 for p in frame["probabilities"])

    board = pl.read_parquet(demo_run.board / "results.parquet").filter(pl.col("experiment") == name)
    assert board.height == 1
    row = board.row(0, named=True)
    assert row["classes"] == classes
    assert row["status"] == "ok" and row["synthetic"] is True
    assert row["test_clips"] == len(test_clips)
    assert row["reported_source"] == RAW["experiments"][name]["reported"]["source"]
    assert row["substitutions"] == RAW["experiments"][name].get("substitutions", [])
