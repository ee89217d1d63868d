"""Integrity on disk: damaged feature-cache entries and stored fold results are recomputed, never used."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from avbench.cache.feature_cache import TRAILER_SIZE, FeatureCache
from avbench.config.loader import load_config
from avbench.registry import get_registry
from avbench.runner.plan import build_plan
from avbench.runner.run import run_benchmark

from .probe_benchmark import experiment, parquet_of, probe_plugins, record_of, write_benchmark
from .probes.probe_avbench_plugins import FAIL_ENV

__all__ = ["probe_plugins"]

CLIP = "05-happy-0"  # a test clip of the holdout fold: damage to its features would change its prediction
DECLARED = '{ plugin = "probe-extractor", params = { declared_length = 8 } }'


def feature_entry(benchmark: Path, experiment_name: str, clip_id: str) -> tuple[FeatureCache, str, str]:
    """The cache, extractor and feature key of ``clip_id``'s features for the experiment's only branch."""
    registry = get_registry()
    plan = build_plan(load_config(benchmark, registry), registry, benchmark.parent, log=lambda m: None)
    exp = plan.experiments[experiment_name]
    (branch,) = exp.branches
    return FeatureCache(plan.context.cache_dir), branch.extractor.plugin, exp.keys[branch.name][clip_id]


def feature_file(benchmark: Path, experiment_name: str, clip_id: str) -> Path:
    """The cache file holding ``clip_id``'s features (a shard of many clips)."""
    cache, name, key = feature_entry(benchmark, experiment_name, clip_id)
    return cache.path(name, key)


def flip_bytes(cache: FeatureCache, name: str, key: str) -> None:
    where = cache.locate(name, key)
    data = bytearray(where.path.read_bytes())
    data[where.offset + where.length - TRAILER_SIZE - 1] ^= 0x40  # exponent bits of the last float: a large change
    where.path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def truncate_shard(cache: FeatureCache, name: str, key: str) -> None:
    where = cache.locate(name, key)
    os.truncate(where.path, where.offset + where.length // 2)  # the shard ends inside this entry


def without_checksum(cache: FeatureCache, name: str, key: str) -> None:
    """Only a per-clip ``.npy`` of the layout before shards and checksums holds the features."""
    original = cache.load(name, key)
    cache.discard(name, key)
    legacy = cache.legacy_path(name, key)
    legacy.parent.mkdir(parents=True, exist_ok=True)
    np.save(legacy, original)


def wrong_shape(cache: FeatureCache, name: str, key: str) -> None:
    cache.put(name, key, np.zeros(5, dtype=np.float32))  # a newer, whole entry of the wrong shape


def plain_read(cache: FeatureCache, name: str, key: str) -> np.ndarray:
    """The entry's array as a reader that ignores checksums sees it."""
    where = cache.locate(name, key)
    with open(where.path, "rb") as f:
        f.seek(where.offset)
        return np.load(io.BytesIO(f.read(where.length)))


CACHE_DAMAGE = {"flipped-bytes": flip_bytes, "truncated": truncate_shard, "no-checksum": without_checksum,
                "wrong-shape": wrong_shape}


@pytest.mark.parametrize("damage", CACHE_DAMAGE, ids=list(CACHE_DAMAGE))
def test_a_damaged_cache_entry_is_dropped_and_recomputed_in_the_same_run(damage, tmp_path, probe_plugins):
    path = write_benchmark(tmp_path, experiment("cached", DECLARED, '"toy-centroid"'))
    run_benchmark(path, progress=False, render=False)
    clean = pl.read_parquet(parquet_of(tmp_path, "cached"))
    cache, name, key = feature_entry(path, "cached", CLIP)
    original = cache.load(name, key)
    CACHE_DAMAGE[damage](cache, name, key)
    file = feature_file(path, "cached", CLIP)
    if damage == "flipped-bytes":
        assert not np.array_equal(plain_read(cache, name, key), original), "the flip must change what a plain reader sees"
    shutil.rmtree(tmp_path / "runs")

    summary = run_benchmark(path, progress=False, render=False)

    assert (summary.done, summary.failed) == (1, 0)
    assert pl.read_parquet(parquet_of(tmp_path, "cached")).equals(clean)
    if damage in ("truncated", "no-checksum"):  # seen by its trailer: the extraction stage redoes it
        assert not record_of(tmp_path, "cached").get("warnings")
    else:  # a whole entry that fails its digest or shape: caught as the fold reads it
        (warning,) = record_of(tmp_path, "cached")["warnings"]
        assert "probe-extractor" in warning and CLIP in warning and str(file) in warning
    np.testing.assert_array_equal(FeatureCache(cache.root.parent).load(name, key), original)


def test_an_entry_that_cannot_be_re_extracted_is_a_fold_error_naming_the_clip(tmp_path, probe_plugins, monkeypatch):
    path = write_benchmark(tmp_path, experiment("cached", DECLARED, '"toy-centroid"'))
    run_benchmark(path, progress=False, render=False)
    cache, name, key = feature_entry(path, "cached", CLIP)
    file = cache.path(name, key)
    flip_bytes(cache, name, key)
    shutil.rmtree(tmp_path / "runs")
    monkeypatch.setenv(FAIL_ENV, "1")

    summary = run_benchmark(path, progress=False, render=False)

    assert summary.failed == 1
    record = record_of(tmp_path, "cached")
    assert f"clip {CLIP}: re-extracting its probe-extractor features" in record["error"]
    assert "probe asked to fail" in record["error"]
    assert not FeatureCache(cache.root.parent).has(name, key), "the damaged entry is dropped: the next run extracts it"
    assert any(CLIP in w and str(file) in w for w in record["warnings"])


def predictions(root: Path) -> dict[str, list]:
    return {str(p.relative_to(root)): pl.read_parquet(p).to_dicts() for p in sorted(root.glob("runs/**/*.parquet"))}


def started(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): json.loads(p.read_text())["started"]
            for p in sorted(root.glob("runs/faults/*/*/seed-*/*.json"))}


def edit_parquet(path: Path) -> None:
    frame = pl.read_parquet(path)
    edited = frame.with_columns(pl.col("predicted_index").reverse())  # a valid parquet saying something else
    edited.write_parquet(path)


def edit_record_number(path: Path) -> None:
    record_path = path.with_suffix(".json")
    record = json.loads(record_path.read_text())
    record["sizes"]["test"] += 1
    record_path.write_text(json.dumps(record, indent=2, sort_keys=True))


def delete(path: Path) -> None:
    path.unlink()


RESULT_DAMAGE = {"truncated-parquet": truncate, "edited-parquet": edit_parquet,
                 "edited-record-number": edit_record_number, "deleted-parquet": delete}


@pytest.mark.parametrize("damage", RESULT_DAMAGE, ids=list(RESULT_DAMAGE))
def test_a_damaged_fold_result_is_recomputed_alone(damage, tmp_path, probe_plugins):
    path = write_benchmark(tmp_path, experiment("stored", '"toy-extractor"', '"toy-centroid"',
                                                protocols='["holdout", "loso"]'))
    run_benchmark(path, progress=False, render=False)
    clean, first = predictions(tmp_path), started(tmp_path)
    damaged = parquet_of(tmp_path, "stored")
    RESULT_DAMAGE[damage](damaged)

    summary = run_benchmark(path, progress=False)  # renders the leaderboard too: it must read clean files

    assert (summary.done, summary.skipped, summary.failed) == (1, 6, 0)
    after = started(tmp_path)
    recomputed = {k for k in after if after[k] != first[k]}
    assert recomputed == {str(damaged.with_suffix(".json").relative_to(tmp_path))}
    assert predictions(tmp_path) == clean
