"""Settings of one modality share extraction tasks: each clip is decoded once for all of them."""

from __future__ import annotations

import numpy as np
import soundfile as sf

from avbench.cache.feature_cache import FeatureCache
from avbench.contract import Clip, RunContext
from avbench.registry import get_registry
from avbench.runner import worker
from avbench.runner.run import run_benchmark
from avbench.runner.units import ExtractTask, PluginSpec
from avbench_plugins.extractors.audio import base as audio_base
from tests.core.conftest import toy_benchmark, toy_plugins

__all__ = ["toy_benchmark", "toy_plugins"]


def spec(plugin: str, **params) -> PluginSpec:
    info = get_registry().info(plugin)
    return PluginSpec(plugin, info.version, info.cls.Params(**params).model_dump(mode="json"))


def wav_clips(folder, n: int) -> list[Clip]:
    clips = []
    for i in range(n):
        path = folder / f"clip{i}.wav"
        t = np.arange(16000) / 16000
        sf.write(path, (0.3 * np.sin(2 * np.pi * (150 + 40 * i) * t)).astype(np.float32), 16000)
        clips.append(Clip(clip_id=f"c{i}", subject="1", label="happy", media={"audio": str(path)}))
    return clips


def test_two_audio_settings_decode_each_clip_once_and_give_each_its_own_features(tmp_path, monkeypatch):
    clips = wav_clips(tmp_path, 3)
    (tmp_path / "empty.wav").write_bytes(b"")
    clips.append(Clip(clip_id="bad", subject="1", label="happy", media={"audio": str(tmp_path / "empty.wav")}))
    stats, sequence = spec("mfcc-stats", n_mfcc=13), spec("mfcc-sequence", n_mfcc=20)
    items = [(c, s) for c in clips for s in (0, 1)]
    task = ExtractTask(stats, tuple(c for c, _ in items), tuple(f"{c.clip_id}-{s}" for c, s in items),
                       RunContext(cache_dir=tmp_path / "cache"), others=(sequence,), spec_of=tuple(s for _, s in items))
    decodes = []
    real = audio_base.load_clip_audio
    monkeypatch.setattr(audio_base, "load_clip_audio", lambda clip, *a, **k: decodes.append(clip.clip_id) or real(clip, *a, **k))

    outcome = worker.extract_chunk(task)

    assert decodes == ["c0", "c1", "c2", "bad"]  # once per clip for both settings, a failing one too
    assert set(outcome.errors) == {"bad-0", "bad-1"} and "empty" in outcome.errors["bad-1"]
    assert outcome.by_extractor["mfcc-stats"]["clips"] == 3 and outcome.by_extractor["mfcc-sequence"]["errors"] == 1
    cache = FeatureCache(tmp_path / "cache")
    for clip in clips[:3]:
        for s, name in ((0, "mfcc-stats"), (1, "mfcc-sequence")):
            own = worker.plugin_for(task.specs[s], get_registry().info(name).cls.kind, task.context).extract(clip)
            assert cache.load(name, f"{clip.clip_id}-{s}").tobytes() == np.asarray(own, np.float32).tobytes()


def test_a_retry_of_part_of_a_shared_task_keeps_each_items_setting(tmp_path):
    clips = wav_clips(tmp_path, 2)
    task = ExtractTask(spec("mfcc-stats"), (clips[0], clips[0], clips[1]), ("a", "b", "c"), RunContext(),
                       others=(spec("mfcc-sequence"),), spec_of=(0, 1, 1))
    part = task.subset([1, 2])
    assert [part.spec(i).plugin for i in range(2)] == ["mfcc-sequence", "mfcc-sequence"]
    assert part.keys == ("b", "c") and part.clips == (clips[0], clips[1])


def test_two_settings_of_one_extractor_run_end_to_end_from_shared_tasks(toy_benchmark):
    path = toy_benchmark(extra="""
[experiments.doubled]
dataset = "toy"
protocols = ["holdout"]
[experiments.doubled.branches.audio]
extractor = { plugin = "toy-extractor", params = { scale = 2.0 } }
model = "toy-centroid"
""")
    summary = run_benchmark(path, progress=False, render=False)
    assert summary.failed == 0 and summary.done == summary.planned > 2
    assert summary.extraction["toy-extractor"]["clips"] == 2 * 72
