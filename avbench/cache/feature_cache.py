"""Features stored by a key made of everything that changes them, each entry checksummed.

The key holds the extractor's name, version, parameters and salt, the clip's
media content hashes, and, for augmented copies, the augmenter, its parameters,
the seed and the copy index. Experiments that share an extractor share entries.

On disk an entry is ``<key>.npy``: the array in NumPy's ``.npy`` format (the payload),
followed by a fixed 48-byte trailer::

    b"AVBFCSUM" | payload length (8 bytes, little-endian) | BLAKE2b-256 digest of the payload (32 bytes)

``np.load`` still reads such a file (it ignores trailing bytes). :meth:`FeatureCache.load`
returns an array only when the trailer is there, the length and digest match, and the
``.npy`` header's dtype and shape account for exactly the bytes that follow it; anything
else (flipped bytes, truncation, an entry written before checksums) raises
:class:`CorruptCacheEntryError`, so a damaged entry is recomputed and never reaches a model.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from avbench.contract.errors import AvbenchError
from avbench.storage.atomic import write_bytes

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


def decode_entry(data: bytes, path: Path) -> np.ndarray:
    """The array in ``data`` (an entry read from ``path``), or :class:`CorruptCacheEntryError` saying what is wrong."""
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


class FeatureCache:
    """``<cache>/features/<extractor>/<key[:2]>/<key>.npy``; written atomically, read by any process."""

    def __init__(self, cache_dir: Path) -> None:
        self.root = Path(cache_dir) / "features"

    def path(self, extractor_name: str, key: str) -> Path:
        return self.root / extractor_name / key[:2] / f"{key}.npy"

    def load(self, extractor_name: str, key: str) -> np.ndarray:
        """The verified entry; ``FileNotFoundError`` when absent, :class:`CorruptCacheEntryError` when damaged."""
        path = self.path(extractor_name, key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise CorruptCacheEntryError(path, f"does not read back ({exc})") from None
        return decode_entry(data, path)

    def get(self, extractor_name: str, key: str) -> np.ndarray | None:
        """The verified entry, or None when it is absent or damaged (see :meth:`load` to know which)."""
        try:
            return self.load(extractor_name, key)
        except (FileNotFoundError, CorruptCacheEntryError):
            return None

    def put(self, extractor_name: str, key: str, value: np.ndarray) -> None:
        write_bytes(self.path(extractor_name, key), encode_entry(value))

    def discard(self, extractor_name: str, key: str) -> None:
        """Remove an entry (a damaged one), so that nothing reads it again and the next run re-extracts it."""
        self.path(extractor_name, key).unlink(missing_ok=True)

    def has(self, extractor_name: str, key: str) -> bool:
        """Whether a whole entry is there: its trailer is read (48 bytes), its digest is checked on load.

        An entry of an older format or a truncated one counts as absent, so the extraction stage
        redoes it in parallel rather than each fold one clip at a time.
        """
        path = self.path(extractor_name, key)
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
