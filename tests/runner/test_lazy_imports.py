"""What `avbench run` imports before planning, and what a warm rerun does: no heavy library, no work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from avbench.runner.run import run_benchmark

REPO = Path(__file__).resolve().parents[2]

#: Libraries that only computing (extraction, training, metrics) or rendering needs.
HEAVY = ("torch", "sklearn", "scipy", "pandas", "polars", "matplotlib", "cv2", "transformers", "opensmile", "mediapipe")


def in_fresh_process(code: str) -> dict:
    """Run ``code`` in a new interpreter; it ends by printing one JSON line, returned here."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_loading_every_plugin_and_checking_benchmark_toml_imports_no_torch_or_sklearn():
    code = f"""
import json, sys
from avbench.config.loader import load_config
from avbench.registry import get_registry
registry = get_registry()
config = load_config({str(REPO / "benchmark.toml")!r}, registry)
models = sorted({{b.model.plugin for e in config.experiments.values() for b in e.branches.values() if b.model}})
print(json.dumps({{"heavy": [m for m in {HEAVY!r} if m in sys.modules], "problems": registry.problems(),
                  "plugins": registry.names(), "models": models}}))
"""
    result = in_fresh_process(code)
    assert result["problems"] == []
    # not vacuous: the torch and scikit-learn plugins were loaded and benchmark.toml's params checked against them
    assert {"sapienza-mfcc-cnn", "ristea-audio-cnn", "joint-trunks", "svm-rbf", "fer-posteriors"} <= set(
        result["plugins"])
    assert "sapienza-mfcc-cnn" in result["models"] and "svm-rbf" in result["models"]
    assert result["heavy"] == []


def test_a_warm_rerun_in_a_fresh_process_extracts_fits_and_renders_nothing_and_imports_no_heavy_library(
        toy_benchmark, tmp_path, monkeypatch):
    calls = tmp_path / "calls"
    monkeypatch.setenv("TOY_CALLS_DIR", str(calls))  # the toy extractor leaves one file per extracted clip
    path = toy_benchmark()
    first = run_benchmark(path, progress=False)
    assert first.done == 7 and len(list(calls.iterdir())) > 0
    for done in calls.iterdir():
        done.unlink()
    readme = tmp_path / "leaderboards/toy/README.md"
    rendered = os.stat(readme).st_mtime_ns

    code = f"""
import json, sys
import avbench.runner.run as run_module
from avbench.cli.main import main
summaries = []
def recording(*args, **kwargs):
    summaries.append(real(*args, **kwargs))
    return summaries[-1]
real, run_module.run_benchmark = run_module.run_benchmark, recording
code = main(["run", {str(path)!r}, "--no-progress"])
print(json.dumps({{"exit": code, "summary": summaries[0].as_dict(),
                  "heavy": [m for m in {HEAVY!r} + ("jinja2",) if m in sys.modules]}}))
"""
    result = in_fresh_process(code)
    assert result["exit"] == 0
    assert (result["summary"]["done"], result["summary"]["skipped"]) == (0, 7)  # no fold computed
    assert list(calls.iterdir()) == []  # no clip extracted
    assert os.stat(readme).st_mtime_ns == rendered  # not rendered again
    assert result["heavy"] == []
