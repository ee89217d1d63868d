"""The sharded feature cache: concurrent writers, damage found and named, per-clip entries still read."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import numpy as np
import pytest

from avbench.cache import feature_cache
from avbench.cache.feature_cache import TRAILER_SIZE, CorruptCacheEntryError, FeatureCache, encode_entry
from avbench.cache.shard_format import SHARD_SUFFIX

WRITERS = 3
PER_WRITER = 300


def value_of(writer: int, i: int) -> np.ndarray:
    return np.arange(writer * 1000 + i, writer * 1000 + i + 1 + i % 7, dtype=np.float32)


def write_entries(cache_dir: str, writer: int, start=None) -> None:
    cache = FeatureCache(Path(cache_dir))
    if start is not None:
        start.wait(30)  # every writer appends at the same time
    for i in range(PER_WRITER):
        cache.put("probe", f"w{writer}-{i}", value_of(writer, i))


def fresh(cache_dir: Path) -> FeatureCache:
    """A cache object as another process would open it: no index in memory."""
    feature_cache._folders.clear()
    return FeatureCache(cache_dir)


def test_processes_writing_at_once_each_write_their_own_shard_and_every_entry_reads_back(tmp_path):
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(WRITERS)
    processes = [context.Process(target=write_entries, args=(str(tmp_path), w, start)) for w in range(WRITERS)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(60)
    assert [p.exitcode for p in processes] == [0] * WRITERS

    shards = sorted((tmp_path / "features" / "probe" / "shards").glob(f"*{SHARD_SUFFIX}"))
    assert len(shards) == WRITERS  # files grow with writers, not clips
    cache = fresh(tmp_path)
    keys = [f"w{w}-{i}" for w in range(WRITERS) for i in range(PER_WRITER)]
    loaded = cache.load_many("probe", keys)
    for w in range(WRITERS):
        for i in range(PER_WRITER):
            np.testing.assert_array_equal(loaded[f"w{w}-{i}"], value_of(w, i))
    assert cache.damaged_shards("probe") == {}


def test_an_entry_written_by_another_process_is_seen_by_a_cache_opened_after_it(tmp_path):
    cache = FeatureCache(tmp_path)
    assert not cache.has("probe", "w0-3")
    process = multiprocessing.get_context("spawn").Process(target=write_entries, args=(str(tmp_path), 0))
    process.start()
    process.join(60)
    np.testing.assert_array_equal(FeatureCache(tmp_path).load("probe", "w0-3"), value_of(0, 3))


def test_a_flipped_byte_is_named_with_its_shard_and_entry_and_the_rewritten_entry_wins(tmp_path):
    cache = FeatureCache(tmp_path)
    for i in range(5):
        cache.put("probe", f"k{i}", value_of(0, i))
    where = cache.locate("probe", "k2")
    data = bytearray(where.path.read_bytes())
    data[where.offset + where.length - TRAILER_SIZE - 1] ^= 0x40
    where.path.write_bytes(bytes(data))

    cache = fresh(tmp_path)
    with pytest.raises(CorruptCacheEntryError) as caught:
        cache.load("probe", "k2")
    assert caught.value.path == where.path
    assert f"entry k2 at byte {where.offset}: checksum mismatch" in caught.value.reason
    assert isinstance(cache.load_many("probe", ["k2"])["k2"], CorruptCacheEntryError)
    np.testing.assert_array_equal(cache.load("probe", "k3"), value_of(0, 3))  # its neighbours are intact

    cache.discard("probe", "k2")
    assert not fresh(tmp_path).has("probe", "k2")  # dropped for every process
    cache = fresh(tmp_path)
    cache.put("probe", "k2", value_of(0, 2))  # recomputed
    np.testing.assert_array_equal(fresh(tmp_path).load("probe", "k2"), value_of(0, 2))


def test_a_truncated_shard_is_named_and_its_lost_entries_count_as_absent_until_rewritten(tmp_path):
    cache = FeatureCache(tmp_path)
    for i in range(6):
        cache.put("probe", f"k{i}", value_of(0, i))
    where = cache.locate("probe", "k3")
    os.truncate(where.path, where.offset + 10)

    cache = fresh(tmp_path)
    assert [cache.has("probe", f"k{i}") for i in range(6)] == [True, True, True, False, False, False]
    (damage,) = cache.damaged_shards("probe").items()
    assert damage[0] == where.path and "cut short" in damage[1]
    with pytest.raises(FileNotFoundError):
        cache.load("probe", "k4")
    for i in range(3, 6):
        cache.put("probe", f"k{i}", value_of(0, i))
    loaded = fresh(tmp_path).load_many("probe", [f"k{i}" for i in range(6)])
    for i in range(6):
        np.testing.assert_array_equal(loaded[f"k{i}"], value_of(0, i))


def test_a_damaged_record_header_stops_the_scan_of_that_shard_only(tmp_path):
    cache = FeatureCache(tmp_path)
    for i in range(4):
        cache.put("probe", f"k{i}", value_of(0, i))
    where = cache.locate("probe", "k2")
    data = bytearray(where.path.read_bytes())
    data[where.offset - len("k2") - 5] ^= 0xFF  # inside the header's stamp: its CRC no longer matches
    where.path.write_bytes(bytes(data))

    cache = fresh(tmp_path)
    assert [cache.has("probe", f"k{i}") for i in range(4)] == [True, True, False, False]
    (reason,) = cache.damaged_shards("probe").values()
    assert "damaged record header" in reason


def test_per_clip_entries_of_the_layout_before_shards_are_still_read_and_verified(tmp_path):
    cache = FeatureCache(tmp_path)
    good, bare = cache.legacy_path("probe", "aa11"), cache.legacy_path("probe", "bb22")
    good.parent.mkdir(parents=True)
    good.write_bytes(encode_entry(value_of(1, 1)))
    bare.parent.mkdir(parents=True)
    np.save(bare, value_of(1, 2))  # before checksums: no trailer

    assert cache.has("probe", "aa11") and not cache.has("probe", "bb22")
    np.testing.assert_array_equal(cache.load("probe", "aa11"), value_of(1, 1))
    np.testing.assert_array_equal(cache.load_many("probe", ["aa11"])["aa11"], value_of(1, 1))
    with pytest.raises(CorruptCacheEntryError, match="no checksum trailer"):
        cache.load("probe", "bb22")
    cache.discard("probe", "bb22")
    assert not bare.exists()
    cache.put("probe", "bb22", value_of(1, 2))  # recomputed entries go to a shard
    assert cache.path("probe", "bb22").suffix == SHARD_SUFFIX


def test_a_failed_append_leaves_no_partial_record_behind(tmp_path, monkeypatch):
    cache = FeatureCache(tmp_path)
    cache.put("probe", "k0", value_of(0, 0))
    real_write = os.write

    def short_then_fail(fd, data):
        if len(data) > 100:
            real_write(fd, bytes(data[:40]))
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", short_then_fail)
    with pytest.raises(OSError, match="No space"):
        cache.put("probe", "k1", np.zeros(64, dtype=np.float32))
    monkeypatch.setattr(os, "write", real_write)
    cache.put("probe", "k2", value_of(0, 2))

    cache = fresh(tmp_path)
    assert cache.damaged_shards("probe") == {}
    assert not cache.has("probe", "k1")
    np.testing.assert_array_equal(cache.load("probe", "k2"), value_of(0, 2))


def test_a_writer_whose_shard_was_cut_short_under_it_appends_readable_entries_after_the_cut(tmp_path):
    cache = FeatureCache(tmp_path)
    for i in range(4):
        cache.put("probe", f"k{i}", value_of(0, i))
    where = cache.locate("probe", "k2")
    os.truncate(where.path, where.offset + 3)  # the same process goes on writing to this shard

    cache.put("probe", "k9", value_of(0, 9))

    cache = fresh(tmp_path)
    np.testing.assert_array_equal(cache.load("probe", "k9"), value_of(0, 9))
    np.testing.assert_array_equal(cache.load("probe", "k1"), value_of(0, 1))
    assert not cache.has("probe", "k2") and not cache.has("probe", "k3")


def test_keys_lists_whole_entries_of_shards_and_per_clip_files_but_not_dropped_ones(tmp_path):
    cache = FeatureCache(tmp_path)
    cache.put("probe", "k0", value_of(0, 0))
    cache.put("probe", "k1", value_of(0, 1))
    cache.discard("probe", "k1")
    legacy = cache.legacy_path("probe", "aa11")
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(encode_entry(value_of(1, 1)))
    assert fresh(tmp_path).keys("probe") == {"k0", "aa11"}
