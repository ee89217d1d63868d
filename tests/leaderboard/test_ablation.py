"""Modality ablation: a fused experiment's branches run alone on exactly its folds, and sit beside it."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from avbench.config.loader import ConfigError, load_config
from avbench.registry import get_registry
from avbench.runner.run import run_benchmark
from tests.core.conftest import toy_benchmark, toy_plugins  # noqa: F401  (fixtures)

FUSED = """
[protocols.split]
plugin = "fixed-split"
params = { base = [1, 2], meta = [3, 4], test = [5, 6] }

[experiments.fused]
dataset = "toy"
protocols = ["split", "holdout"]
fusion = "toy-mean-fusion"
ablation = true
description = "mean of two centroids"
[experiments.fused.branches.audio]
extractor = "toy-extractor"
model = "toy-centroid"
[experiments.fused.branches.video]
extractor = "toy-video-extractor"
model = "toy-centroid"
"""


def test_ablation_adds_one_single_branch_experiment_per_branch(toy_benchmark):
    path = toy_benchmark(extra=FUSED.replace("ablation = true", "ablation = true\nseeds = [3, 4]"))
    config = load_config(path, get_registry())
    audio, video = config.experiments["fused.audio-only"], config.experiments["fused.video-only"]
    assert list(audio.branches) == ["audio"] and audio.fusion is None and audio.ablation_of == ("fused", "audio")
    assert list(video.branches) == ["video"]
    assert video.branches["video"] == config.experiments["fused"].branches["video"]
    assert audio.protocols == ["split", "holdout"] and audio.dataset == "toy" and audio.seeds == [3, 4]
    assert audio.description == "ablation of fused: audio only (mean of two centroids)"


def test_ablation_mistakes_are_named(toy_benchmark):
    path = toy_benchmark(extra=FUSED.replace('fusion = "toy-mean-fusion"\n', "").replace(
        "[experiments.fused.branches.video]\nextractor = \"toy-video-extractor\"\nmodel = \"toy-centroid\"\n", ""))
    with pytest.raises(ConfigError, match="experiments.fused: .*ablation = true: expected a fused experiment"):
        load_config(path)
    path = toy_benchmark(extra=FUSED + """
[experiments."fused.audio-only"]
dataset = "toy"
protocols = ["split"]
[experiments."fused.audio-only".branches.audio]
extractor = "toy-extractor"
model = "toy-centroid"
""")
    with pytest.raises(ConfigError, match="experiments.fused.ablation: experiment 'fused.audio-only' is already "
                                          "declared"):
        load_config(path, get_registry())


def test_ablation_rows_use_the_fused_rows_folds_and_test_clips(toy_benchmark):
    from avbench.leaderboard.build import render_leaderboard

    path = toy_benchmark(extra=FUSED)
    root = path.parent
    summary = run_benchmark(path, progress=False, only=["fused", "fused.audio-only"])  # --only names an ablation
    assert summary.failed == 0
    run_benchmark(path, progress=False, only=["fused.video-only"])
    for protocol in ("split", "holdout"):
        fused = sorted(p.name for p in (root / "runs/toy/fused" / protocol / "seed-0").glob("*.parquet"))
        for ablated in ("fused.audio-only", "fused.video-only"):
            folder = root / "runs/toy" / ablated / protocol / "seed-0"
            assert sorted(p.name for p in folder.glob("*.parquet")) == fused
            for name in fused:
                clips = pl.read_parquet(folder / name)["clip_id"].to_list()
                assert sorted(clips) == sorted(pl.read_parquet(root / "runs/toy/fused" / protocol / "seed-0" / name)
                                               ["clip_id"].to_list())
            record = json.loads(next(folder.glob("*.json")).read_text())
            assert record["description"].startswith(f"ablation of fused: {ablated.split('.')[1][:-5]} only")
    registry = get_registry()
    render_leaderboard(load_config(path, registry), root, registry)  # `avbench leaderboard`: rows current, not stale
    rows = pl.read_parquet(root / "leaderboards/toy/results.parquet").filter(pl.col("protocol") == "split")
    by_name = {r["experiment"]: r for r in rows.to_dicts()}
    assert {"fused", "fused.audio-only", "fused.video-only"} <= set(by_name)
    for name in ("fused.audio-only", "fused.video-only"):
        assert by_name[name]["status"] == "ok" and not by_name[name]["stale"]
        assert by_name[name]["test_clips"] == by_name["fused"]["test_clips"] == 24
    assert by_name["fused.audio-only"]["ablation_of"] == "ablation of fused: audio only"
    board = (root / "leaderboards/toy/README.md").read_text()
    split_table = board.split("protocol split")[1].split("\n## ")[0]
    for name in ("| fused ", "| fused.audio-only ", "| fused.video-only "):
        assert name in split_table
    assert "ablation of fused: video only" in split_table
