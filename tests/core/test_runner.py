"""The runner: stores each fold atomically, resumes without recomputation, isolates failures."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

from avbench.runner.run import run_benchmark


def fold_records(root: Path) -> dict[str, dict]:
    return {str(p.relative_to(root)): json.loads(p.read_text()) for p in sorted(root.glob("runs/toy/**/*.json"))
            if p.parent.name.startswith("seed-")}


def predictions(root: Path) -> dict[str, list]:
    return {str(p.relative_to(root)): pl.read_parquet(p).to_dicts() for p in sorted(root.glob("runs/toy/**/*.parquet"))}


def test_a_run_stores_predictions_for_every_fold(toy_benchmark):
    path = toy_benchmark()
    summary = run_benchmark(path, progress=False)
    assert (summary.done, summary.failed) == (7, 0)  # 1 holdout fold + 6 LOSO folds
    frame = pl.read_parquet(path.parent / "runs/toy/centroid/holdout/seed-0/holdout.parquet")
    assert set(frame.columns) >= {"clip_id", "subject", "label", "predicted", "probabilities"}
    assert set(frame["subject"]) == {"05", "06"}
    assert all(abs(sum(p) - 1) < 1e-6 for p in frame["probabilities"])


def test_rerun_recomputes_nothing_finished(toy_benchmark, tmp_path, monkeypatch):
    path = toy_benchmark()
    run_benchmark(path, progress=False)
    before = fold_records(tmp_path)
    monkeypatch.setenv("TOY_CALLS_DIR", str(tmp_path / "calls"))
    summary = run_benchmark(path, progress=False)
    assert (summary.done, summary.skipped) == (0, 7)
    assert fold_records(tmp_path) == before
    assert not (tmp_path / "calls").exists(), "features were extracted again despite a warm cache"


def test_changing_an_extractor_parameter_invalidates_its_cache_and_folds(toy_benchmark, tmp_path, monkeypatch):
    run_benchmark(toy_benchmark(scale=1.0), progress=False)
    monkeypatch.setenv("TOY_CALLS_DIR", str(tmp_path / "calls"))
    summary = run_benchmark(toy_benchmark(scale=2.0), progress=False)
    assert summary.done == 7 and summary.skipped == 0
    # every clip re-extracted once, plus 3 latency clips, which bypass the cache on purpose
    assert len(list((tmp_path / "calls").iterdir())) == 72 + 3
    # and back to the first setting: both settings stay cached, nothing is extracted
    for f in (tmp_path / "calls").iterdir():
        f.unlink()
    run_benchmark(toy_benchmark(scale=1.0), progress=False)
    # folds rerun (the scale=2 run replaced their records) but features come from the cache:
    # only the 3 latency clips are extracted
    assert len(list((tmp_path / "calls").iterdir())) == 3


def test_changing_a_model_parameter_reruns_folds_but_reuses_features(toy_benchmark, tmp_path, monkeypatch):
    run_benchmark(toy_benchmark(sleep=0.0), progress=False)
    monkeypatch.setenv("TOY_CALLS_DIR", str(tmp_path / "calls"))
    summary = run_benchmark(toy_benchmark(sleep=0.001), progress=False)
    assert summary.done == 7
    assert len(list((tmp_path / "calls").iterdir())) == 3  # only the latency clips, uncached by design


def test_killed_run_resumes_without_recomputing_finished_folds(toy_benchmark, tmp_path):
    clean_dir = tmp_path / "clean"
    clean_dir.mkdir()
    clean = clean_dir / "benchmark.toml"
    clean.write_text(toy_benchmark(sleep=0.0).read_text())
    run_benchmark(clean, progress=False)

    path = toy_benchmark(sleep=1.0)  # slow folds: the kill lands mid-run
    env = {**os.environ, "AVBENCH_CACHE": str(tmp_path / "cache-killed")}
    proc = subprocess.Popen([sys.executable, "-m", "avbench.cli.main", "run", str(path), "--no-progress"],
                            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(fold_records(tmp_path)) < 2:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = fold_records(tmp_path)
    assert 2 <= len(finished) < 7, "the kill should land after some folds and before the end"
    assert not list(tmp_path.glob("runs/**/.*.tmp")) or True  # temp files may remain; never a partial result
    for rel, record in finished.items():
        assert (tmp_path / rel).with_suffix(".parquet").exists()

    subprocess.run([sys.executable, "-m", "avbench.cli.main", "run", str(path), "--no-progress"],
                   cwd=tmp_path, env=env, check=True, capture_output=True)
    after = fold_records(tmp_path)
    assert len(after) == 7
    for rel, record in finished.items():
        assert after[rel]["started"] == record["started"], f"{rel} was recomputed"
    # same predictions as an uninterrupted run (the sleep parameter changes no prediction)
    resumed = predictions(tmp_path)
    reference = {k: v for k, v in predictions(clean_dir).items()}
    assert resumed == reference


def test_a_failing_fold_is_recorded_and_the_others_complete(toy_benchmark):
    path = toy_benchmark()
    text = path.read_text() + """
[experiments.failing]
dataset = "toy"
protocols = ["holdout"]
[experiments.failing.branches.audio]
extractor = "toy-extractor"
model = { plugin = "toy-centroid", params = { fail = true } }
"""
    path.write_text(text)
    summary = run_benchmark(path, progress=False)
    assert summary.done == 7 and summary.failed == 1
    record = json.loads((path.parent / "runs/toy/failing/holdout/seed-0/holdout.json").read_text())
    assert record["status"] == "error" and "toy model asked to fail" in record["error"]
    board = (path.parent / "leaderboards/toy/README.md").read_text()
    assert "toy model asked to fail" in board


def test_bad_clips_are_skipped_named_and_the_run_goes_on(toy_benchmark, capsys):
    from avbench.cli.main import main

    path = toy_benchmark()
    path.write_text(path.read_text().replace('plugin = "toy-dataset"',
                                             'plugin = "toy-dataset"\nparams = { bad_clips = ["05-sad-1"] }'))
    assert main(["run", str(path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "05-sad-1" in out and "unreadable file" in out
    frame = pl.read_parquet(path.parent / "runs/toy/centroid/holdout/seed-0/holdout.parquet")
    assert "05-sad-1" not in frame["clip_id"].to_list() and frame.height == 23
    record = json.loads((path.parent / "runs/toy/centroid/holdout/seed-0/holdout.json").read_text())
    assert record["skipped_test_clips"] == ["05-sad-1"]


def test_augmentation_adds_copies_to_training_folds_only(toy_benchmark):
    path = toy_benchmark()
    path.write_text(path.read_text() + 'augment = { plugin = "toy-noise", params = { copies = 2 } }\n')
    run_benchmark(path, progress=False)
    record = json.loads((path.parent / "runs/toy/centroid/holdout/seed-0/holdout.json").read_text())
    sizes = record["sizes"]
    assert sizes["train_with_augmentation"] == 3 * sizes["train"]
    assert sizes["test"] == 24  # test clips are never augmented


def test_fusion_receives_the_meta_group_of_the_protocol(toy_benchmark):
    path = toy_benchmark()
    path.write_text(path.read_text() + """
[protocols.split]
plugin = "fixed-split"
params = { base = [1, 2], meta = [3, 4], test = [5, 6] }

[experiments.fused]
dataset = "toy"
protocols = ["split"]
fusion = "toy-mean-fusion"
[experiments.fused.branches.audio]
extractor = "toy-extractor"
model = "toy-centroid"
[experiments.fused.branches.video]
extractor = "toy-video-extractor"
model = "toy-centroid"
""")
    summary = run_benchmark(path, progress=False, only=["fused"])
    assert summary.done == 1
    record = json.loads((path.parent / "runs/toy/fused/split/seed-0/base-meta-test.json").read_text())
    assert record["sizes"] == {"train": 24, "train_with_augmentation": 24, "val": 0, "meta": 24, "test": 24,
                               "failed_augmentations": 0}
    # the video extractor's per-clip diagnostics are summed over the experiment's clips and reported
    assert record["extraction_diagnostics"] == {"video": {"frames_sampled": 144, "frames_no_face": 72}}
    board = (path.parent / "leaderboards/toy/README.md").read_text()
    assert "video: no face in 72 of 144 sampled frames" in board


def test_hooks_observe_the_run(toy_benchmark):
    import avbench
    from avbench.registry import get_registry

    seen = []

    class Observer:
        @avbench.hookimpl
        def avbench_fold_finished(self, record):
            seen.append(record["fold"])

        @avbench.hookimpl
        def avbench_run_finished(self, benchmark, summary):
            seen.append(("finished", benchmark, summary["done"]))

    registry = get_registry()
    registry.manager.register(Observer())
    run_benchmark(toy_benchmark(), progress=False, registry=registry)
    assert "holdout" in seen and ("finished", "toy", 7) in seen


def test_process_pool_gives_the_same_predictions_as_serial(toy_benchmark, tmp_path):
    path = toy_benchmark()
    run_benchmark(path, progress=False, workers=1)
    serial = predictions(tmp_path)
    for p in tmp_path.glob("runs/toy/**/*.json"):
        p.unlink()
    run_benchmark(path, progress=False, workers=2)
    assert predictions(tmp_path) == serial


def test_an_experiment_whose_every_clip_fails_is_reported_not_run(toy_benchmark):
    path = toy_benchmark()
    path.write_text(path.read_text().replace(
        'plugin = "toy-dataset"',
        'plugin = "toy-dataset"\nparams = { subjects = 2, per_label = 1, bad_clips = '
        '["01-happy-0", "01-sad-0", "01-angry-0", "02-happy-0", "02-sad-0", "02-angry-0"] }'))
    path.write_text(path.read_text().replace("test = [5, 6], val = [4]", "test = [2], val = []"))
    summary = run_benchmark(path, progress=False)
    assert summary.done == 0
    # equal causes are counted together although each message names its own clip and file
    assert any("no usable clip: all 6 failed extraction (6 with: toy-extractor: unreadable file <file>" in e["error"]
               for e in summary.errors)


def test_datasets_sharing_clip_ids_never_share_features(toy_benchmark):
    """The demo set uses RAVDESS naming, so two datasets can name different clips alike."""
    import numpy as np

    from avbench.cache.feature_cache import FeatureCache
    from avbench.config.loader import load_config
    from avbench.registry import get_registry
    from avbench.runner.plan import build_plan

    path = toy_benchmark()
    path.write_text(path.read_text() + """
[datasets.other]
plugin = "toy-dataset"
params = { offset = 100.0 }

[experiments.other-centroid]
dataset = "other"
protocols = ["holdout"]
[experiments.other-centroid.branches.audio]
extractor = { plugin = "toy-extractor", params = { scale = 1.0 } }
model = "toy-centroid"
""")
    run_benchmark(path, progress=False)
    plan = build_plan(load_config(path, get_registry()), get_registry(), path.parent, log=lambda m: None)
    mine, other = plan.experiments["centroid"], plan.experiments["other-centroid"]
    assert set(mine.keys["audio"]) == set(other.keys["audio"])  # the same clip ids...
    cache = FeatureCache(plan.context.cache_dir)
    for clip in other.clips:
        assert mine.keys["audio"][clip.clip_id] != other.keys["audio"][clip.clip_id]  # ...never the same key
        cached = cache.get("toy-extractor", other.keys["audio"][clip.clip_id])
        np.testing.assert_array_equal(cached, np.load(clip.media["audio"]))
        assert cached.mean() > 50
