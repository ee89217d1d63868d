"""Features stored by a key made of everything that changes them, each entry checksummed.

The key holds the extractor's name, version, parameters and salt, the clip's
media content hashes, and, for augmented copies, the augmenter, its parameters,
the seed and the copy index. Experiments that share an extractor share entries.

An entry is the array in NumPy's ``.npy`` format (the payload), followed by a fixed 48-byte
trailer::

    b"AVBFCSUM" | payload length (8 bytes, little-endian) | BLAKE2b-256 digest of the payload (32 bytes)

Entries are appended to shards, many per file (:mod:`avbench.cache.shard_format`): each process
writes only to shards it created, so concurrent writers never share a file, and a fold reads its
features in a few large reads. Entries of the older per-clip layout (one ``<key>.npy`` per entry,
which ``np.load`` reads, ignoring the trailer) are still read. :meth:`FeatureCache.load`
returns an array only when the trailer is there, the length and digest match, and the
``.npy`` header's dtype and shape account for exactly the bytes that follow it; anything
else (flipped bytes, truncation, an entry written before checksums) raises
:class:`CorruptCacheEntryError`, so a damaged entry is recomputed and never reaches a model.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from avbench.contract.errors import AvbenchError

from .shard_format import ENTRY, Record
from .shard_store import ShardFolder

MAGIC = b"AVBFCSUM"
_TRAILER = struct.Struct(f"<{len(MAGIC)}sQ32s")
TRAILER_SIZE = _TRAILER.size  # 48 bytes


class CorruptCacheEntryError(AvbenchError):
    """A cached feature file fails its checksum or does not parse; ``path`` and ``reason`` say which and why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason


def stable_hash(obj: Any) -> str:
    """SHA-256 of the canonical JSON of ``obj``."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def feature_key(extractor: Mapping[str, Any], media_hashes: Mapping[str, str], clip_id: str,
                augmentation: Mapping[str, Any] | None = None) -> str:
    return stable_hash({"extractor": extractor, "media": dict(media_hashes), "clip": clip_id,
                        "augmentation": augmentation})


def _digest(payload: bytes) -> bytes:
    return hashlib.blake2b(payload, digest_size=32).digest()


def encode_entry(value: np.ndarray) -> bytes:
    """The bytes of one cache entry: ``.npy`` payload plus checksum trailer."""
    array = np.ascontiguousarray(value)
    if array.dtype.hasobject:
        raise TypeError(f"the feature cache stores numeric arrays only, not dtype {array.dtype}")
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    payload = buffer.getvalue()
    return payload + _TRAILER.pack(MAGIC, len(payload), _digest(payload))


def decode_entry(data: bytes, path: Path, where: str = "") -> np.ndarray:
    """The array in ``data`` (an entry read from ``path``), or :class:`CorruptCacheEntryError` saying what is wrong.

    ``where`` names the entry inside a shard (``entry KEY at byte N``); it starts every reason.
    """
    try:
        return _decoded(data, path)
    except CorruptCacheEntryError as exc:
        if not where:
            raise
        raise CorruptCacheEntryError(path, f"{where}: {exc.reason}") from None


def _decoded(data: bytes, path: Path) -> np.ndarray:
    if len(data) < TRAILER_SIZE:
        raise CorruptCacheEntryError(path, f"{len(data)} bytes, shorter than the checksum trailer (truncated)")
    magic, length, digest = _TRAILER.unpack(data[-TRAILER_SIZE:])
    if magic != MAGIC:
        raise CorruptCacheEntryError(path, "no checksum trailer (truncated, or written before checksums)")
    payload = data[:-TRAILER_SIZE]
    if length != len(payload):
        raise CorruptCacheEntryError(path, f"payload is {len(payload)} bytes, its trailer says {length}")
    if _digest(payload) != digest:
        raise CorruptCacheEntryError(path, "checksum mismatch: bytes changed on disk")
    return _parse_npy(payload, path)


def _parse_npy(payload: bytes, path: Path) -> np.ndarray:
    """The array of a ``.npy`` payload whose header's dtype and shape match the bytes after it exactly."""
    stream = io.BytesIO(payload)
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except ValueError as exc:
        raise CorruptCacheEntryError(path, f"bad .npy header ({exc})") from None
    if dtype.hasobject or dtype.kind not in "biufc":
        raise CorruptCacheEntryError(path, f".npy header declares dtype {dtype}, expected a numeric dtype")
    offset = stream.tell()
    count = int(np.prod(shape, dtype=np.int64))
    if count * dtype.itemsize != len(payload) - offset:
        raise CorruptCacheEntryError(path, f".npy header declares {dtype} {shape} ({count * dtype.itemsize} bytes) "
                                           f"but {len(payload) - offset} bytes follow it")
    array = np.frombuffer(payload, dtype=dtype, count=count, offset=offset)
    return array.reshape(shape, order="F" if fortran else "C").copy()


_folders: dict[Path, ShardFolder] = {}


def shard_folder(folder: Path) -> ShardFolder:
    """The per-process index and writer of one shard folder, shared by every cache object of the process."""
    folder = Path(os.path.abspath(folder))
    if folder not in _folders:
        _folders[folder] = ShardFolder(folder)
    return _folders[folder]


class FeatureCache:
    """Entries in appendable shards, ``<cache>/features/<extractor>/shards/*.shard``; read by any process.

    Entries of the per-clip layout written before shards (``<cache>/features/<extractor>/<key[:2]>/<key>.npy``)
    are still read, verified the same way; new entries always go to a shard.
    """

    def __init__(self, cache_dir: Path) -> None:
        self.root = Path(cache_dir) / "features"
        self._refreshed: set[str] = set()

    def shards(self, extractor_name: str) -> ShardFolder:
        """The extractor's shard index, brought up to date on this object's first use of it
        (a new cache object per stage or fold sees what other processes wrote or dropped before)."""
        folder = shard_folder(self.root / extractor_name / "shards")
        if extractor_name not in self._refreshed:
            folder.refresh()
            self._refreshed.add(extractor_name)
        return folder

    def legacy_path(self, extractor_name: str, key: str) -> Path:
        """Where the per-clip layout kept an entry."""
        return self.root / extractor_name / key[:2] / f"{key}.npy"

    def locate(self, extractor_name: str, key: str) -> EntryLocation | None:
        """The shard file and byte span of the entry's body, or None when no shard holds it."""
        found = self.shards(extractor_name).newest(key)
        if found is None:
            return None
        path, record = found
        return EntryLocation(path, record.body_offset, record.body_length)

    def path(self, extractor_name: str, key: str) -> Path:
        """The file that holds the entry (its shard, else a per-clip file) for messages; the per-clip path if absent."""
        found = self.locate(extractor_name, key)
        return found.path if found is not None else self.legacy_path(extractor_name, key)

    def load(self, extractor_name: str, key: str) -> np.ndarray:
        """The verified entry; ``FileNotFoundError`` when absent, :class:`CorruptCacheEntryError` when damaged."""
        found = self.locate(extractor_name, key)
        if found is not None:
            try:
                data = ShardFolder.read_body(found.path, _record_of(found))
            except OSError as exc:
                raise CorruptCacheEntryError(found.path, f"entry {key} does not read back ({exc})") from None
            return decode_entry(data, found.path, where=found.where(key))
        path = self.legacy_path(extractor_name, key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise CorruptCacheEntryError(path, f"does not read back ({exc})") from None
        return decode_entry(data, path)

    def load_many(self, extractor_name: str, keys: Sequence[str]) -> dict[str, np.ndarray | Exception]:
        """Entries of ``keys``, each verified: the array, ``FileNotFoundError`` or :class:`CorruptCacheEntryError`.

        Entries of one shard are read in file order, neighbours together: a few large reads.
        """
        folder = self.shards(extractor_name)
        by_shard: dict[Path, list[tuple[str, Record]]] = {}
        out: dict[str, np.ndarray | Exception] = {}
        for key in keys:
            found = folder.newest(key, refresh=False)
            if found is None:
                found = folder.newest(key)
            if found is None:
                try:
                    out[key] = self.load(extractor_name, key)  # a per-clip entry, or absent
                except (FileNotFoundError, CorruptCacheEntryError) as exc:
                    out[key] = exc
                continue
            by_shard.setdefault(found[0], []).append((key, found[1]))
        for path, wanted in by_shard.items():
            wanted.sort(key=lambda item: item[1].body_offset)
            try:
                bodies = ShardFolder.read_bodies(path, [record for _, record in wanted])
            except (OSError, ValueError) as exc:
                for key, _ in wanted:
                    out[key] = CorruptCacheEntryError(path, f"entry {key} does not read back ({exc})")
                continue
            for (key, record), body in zip(wanted, bodies):
                try:
                    out[key] = decode_entry(body, path, where=EntryLocation(path, record.body_offset,
                                                                            record.body_length).where(key))
                except CorruptCacheEntryError as exc:
                    out[key] = exc
        return out

    def get(self, extractor_name: str, key: str) -> np.ndarray | None:
        """The verified entry, or None when it is absent or damaged (see :meth:`load` to know which)."""
        try:
            return self.load(extractor_name, key)
        except (FileNotFoundError, CorruptCacheEntryError):
            return None

    def put(self, extractor_name: str, key: str, value: np.ndarray) -> None:
        """Append the entry to this process's own shard of the extractor."""
        self.shards(extractor_name).append(ENTRY, key, encode_entry(value))

    def discard(self, extractor_name: str, key: str) -> None:
        """Remove an entry (a damaged one), so that nothing reads it again and the next run re-extracts it."""
        self.shards(extractor_name).drop(key)
        self.legacy_path(extractor_name, key).unlink(missing_ok=True)

    def keys(self, extractor_name: str) -> set[str]:
        """Every key with a readable entry of the extractor: in shards (not dropped) and in per-clip files."""
        folder = self.shards(extractor_name)
        folder.refresh()
        legacy = {p.stem for p in (self.root / extractor_name).glob("??/*.npy")}
        return folder.keys() | {k for k in legacy if self.has(extractor_name, k)}

    def damaged_shards(self, extractor_name: str) -> dict[Path, str]:
        """Shards of the extractor whose scan stopped early (damaged or truncated), and why."""
        folder = self.shards(extractor_name)
        folder.refresh()
        return folder.damage()

    def has(self, extractor_name: str, key: str) -> bool:
        """Whether a whole entry is there (its bytes are all present; the digest is checked on load).

        A truncated entry, or a per-clip entry of an older format, counts as absent, so the extraction
        stage redoes it in parallel rather than each fold one clip at a time.
        """
        if self.shards(extractor_name).newest(key) is not None:
            return True
        path = self.legacy_path(extractor_name, key)
        try:
            with open(path, "rb") as f:
                size = f.seek(0, 2)
                if size < TRAILER_SIZE:
                    return False
                f.seek(size - TRAILER_SIZE)
                magic, length, _ = _TRAILER.unpack(f.read(TRAILER_SIZE))
        except OSError:
            return False
        return magic == MAGIC and length == size - TRAILER_SIZE


@dataclass(frozen=True)
class EntryLocation:
    """An entry's body inside a shard: the file, the byte it starts at, its length."""

    path: Path
    offset: int
    length: int

    def where(self, key: str) -> str:
        return f"entry {key} at byte {self.offset}"


def _record_of(location: EntryLocation) -> Record:
    return Record("", ENTRY, location.offset, location.length, 0)
