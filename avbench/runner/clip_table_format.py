"""The on-disk form of a clip table: canonical JSON named by its own SHA-256, checked when read.

Clip tables live in the cache, which cluster users share (NFS): anyone who can write there could
plant a file. JSON cannot run code, and a file whose bytes do not hash to its name (damaged, or put
there by someone else) is refused by name and removed, so the planner writes it again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from avbench.contract import Clip
from avbench.contract.errors import AvbenchError

FORMAT = "avbench-clip-table"
VERSION = 1
SUFFIX = ".json"
NAME_LENGTH = 32  # hex digits of the SHA-256 in the file name
_TUPLE = "__avbench_tuple__"


class ClipTableError(AvbenchError):
    """A stored clip table is damaged, substituted or not a clip table."""


def _plain(value: Any, where: str) -> Any:
    """``value`` as JSON data; tuples are tagged so they read back as tuples; anything else is refused."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tuple):
        return {_TUPLE: [_plain(v, where) for v in value]}
    if isinstance(value, list):
        return [_plain(v, where) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _plain(v, where) for k, v in value.items()}
    if hasattr(value, "item") and callable(value.item):  # a numpy scalar
        return _plain(value.item(), where)
    raise ClipTableError(f"{where}: a {type(value).__name__} cannot be stored in a clip table "
                         "(expected strings, numbers, booleans, lists and dicts with string keys)")


def _restored(value: Any) -> Any:
    if isinstance(value, list):
        return [_restored(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {_TUPLE}:
            return tuple(_restored(v) for v in value[_TUPLE])
        return {k: _restored(v) for k, v in value.items()}
    return value


def encode_table(clips: tuple[Clip, ...], media_hashes: tuple, feature_keys: dict, skipped: dict) -> bytes:
    """The table's canonical JSON bytes (the same content gives the same bytes)."""
    rows = [[c.clip_id, c.subject, c.label, _plain(dict(c.media), f"clip {c.clip_id}: media"),
             _plain(dict(c.meta), f"clip {c.clip_id}: meta")] for c in clips]
    document = {"format": FORMAT, "version": VERSION, "clips": rows,
                "media_hashes": [_plain(dict(h), "media hashes") for h in media_hashes],
                "feature_keys": {b: list(keys) for b, keys in feature_keys.items()},
                "skipped": dict(skipped)}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode()


def table_name(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()[:NAME_LENGTH] + SUFFIX


def read_table_state(path: Path) -> dict[str, Any]:
    """The ``ClipTable`` fields stored at ``path``; ClipTableError when its bytes do not hash to its name."""
    payload = Path(path).read_bytes()
    if table_name(payload) != Path(path).name:
        raise ClipTableError(f"{path}: content does not hash to its name (damaged, or written by something else "
                             "than avbench)")
    try:
        document = json.loads(payload)
        if document.get("format") != FORMAT or document.get("version") != VERSION:
            raise ValueError("not a clip table of this version")
        clips = tuple(Clip(i, s, label, _restored(media), _restored(meta))
                      for i, s, label, media, meta in document["clips"])
        return {"clips": clips, "media_hashes": tuple(_restored(h) for h in document["media_hashes"]),
                "feature_keys": {b: tuple(keys) for b, keys in document["feature_keys"].items()},
                "skipped": dict(document["skipped"])}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ClipTableError(f"{path}: not a clip table ({type(exc).__name__}: {exc})") from None


def is_intact(path: Path) -> bool:
    """Whether the file at ``path`` hashes to its name."""
    try:
        return table_name(Path(path).read_bytes()) == Path(path).name
    except OSError:
        return False
