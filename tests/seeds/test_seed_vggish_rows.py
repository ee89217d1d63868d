"""cuny2020's VGGish rows: without the weights file they are skipped with an error naming it (the rest of the
benchmark runs); with a weights file in the expected layout they run end to end on the demo.

No VGGish weights exist here: the second test writes random weights in the torchvggish layout (288 MB) with
the helper of ``tests/audio/test_vggish.py``.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import polars as pl
import pytest
import torch

from avbench.registry import get_registry
from avbench.runner.run import run_benchmark

from .seed_configs import demo_copy, read_benchmark, seed_experiments, to_toml, uses_vggish

# Demo copies train MLPs for a few iterations only: their convergence warnings are expected.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RAW = read_benchmark()
VGGISH_EXPERIMENTS = [n for n, e in seed_experiments(RAW).items() if uses_vggish(e)]
CHEAP_COMPANION = "cuny2020-video-au"  # a seed row without VGGish, to show the rest of a run goes on


def random_vggish_state_dict(seed: int) -> dict[str, torch.Tensor]:
    """Random weights in the torchvggish layout, from the VGGish tests' helper."""
    audio_tests = str(Path(__file__).resolve().parents[1] / "audio")
    if audio_tests not in sys.path:
        sys.path.insert(0, audio_tests)
    return importlib.import_module("test_vggish").random_state_dict(seed)


def run(folder: Path, demo_set, names: list[str], models: Path) -> tuple[object, list[str]]:
    doc = demo_copy(RAW, names, get_registry(), demo_root=demo_set.root, au_csv=demo_set.au_csv, models=str(models))
    path = folder / "benchmark.toml"
    path.write_text(to_toml(doc))
    logs: list[str] = []
    threads = torch.get_num_threads()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AVBENCH_CACHE", str(folder / "cache"))
        torch.set_num_threads(1)
        try:
            return run_benchmark(path, progress=False, workers=1, log=logs.append), logs
        finally:
            torch.set_num_threads(threads)


def test_the_seed_file_declares_cuny2020_vggish_rows():
    assert set(VGGISH_EXPERIMENTS) == {"cuny2020-audio-vggish-svm", "cuny2020-audio-vggish-mlp"}


def test_without_vggish_weights_its_rows_are_skipped_with_an_error_naming_the_file(tmp_path, demo_set):
    models = tmp_path / "models"
    models.mkdir()
    summary, logs = run(tmp_path, demo_set, [*VGGISH_EXPERIMENTS, CHEAP_COMPANION], models)
    errors = {e["experiment"]: e["error"] for e in summary.errors}
    assert set(errors) == set(VGGISH_EXPERIMENTS), logs
    for name in VGGISH_EXPERIMENTS:
        assert "vggish-10086976.pth" in errors[name] and str(models) in errors[name]
        assert any(name in line and "vggish-10086976.pth" in line for line in logs)
    assert (summary.done, summary.failed) == (1, 0)
    stored = json.loads((tmp_path / "runs/seeds-demo/run-summary.json").read_text())
    assert {e["experiment"] for e in stored["errors"]} == set(VGGISH_EXPERIMENTS)


def test_with_weights_in_the_expected_layout_the_vggish_rows_run_end_to_end(tmp_path, demo_set):
    models = tmp_path / "models"
    models.mkdir()
    weights = models / "vggish-10086976.pth"
    torch.save(random_vggish_state_dict(seed=0), weights)
    try:
        summary, logs = run(tmp_path, demo_set, VGGISH_EXPERIMENTS, models)
    finally:
        weights.unlink()  # 288 MB: not kept among pytest's temporary folders
    assert summary.errors == [] and (summary.done, summary.failed) == (len(VGGISH_EXPERIMENTS), 0), logs
    board = pl.read_parquet(tmp_path / "leaderboards/seeds-demo/results.parquet")
    assert sorted(board["experiment"]) == sorted(VGGISH_EXPERIMENTS)
    assert set(board["status"]) == {"ok"}
    assert all(list(classes) == ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"]
               for classes in board["classes"])
