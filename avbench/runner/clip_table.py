"""One experiment's clips as one table, shared by all its fold units.

A fold unit names its clips by row index into this table instead of carrying them, so planning a
LOSO over 1,000 subjects costs one table, not 1,000 copies of it. The table is written once per run
under the cache (``clip-tables/<content hash>.json``: the same content gives the same file) and read
once per worker process (:func:`load_clip_table` memoises it by path). It is stored as JSON, never as a
pickle, and checked against its name when read or reused (:mod:`.clip_table_format`): the cache may be
shared, and a file planted there must not run code or stand in for the experiment's clips.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from avbench.contract import Clip, Fold
from avbench.contract.errors import AvbenchError
from avbench.storage.atomic import write_bytes

from .clip_table_format import ClipTableError, encode_table, is_intact, read_table_state, table_name

TABLES_DIR = "clip-tables"
#: The canonical JSON of :func:`avbench.cache.feature_cache.stable_hash`.
CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)
#: Stands for a fingerprint's "data" while its JSON is made (no clip id or hash holds a NUL).
DATA_PLACEHOLDER = "\x00data\x00"

_loaded: dict[str, "ClipTable"] = {}


@dataclass
class ClipTable:
    """Clips in the experiment's order, with what the runner knows of each, keyed by row.

    ``skipped`` (clip id -> reason) holds the clips no fold may use: unreadable media and remembered bad media.
    """

    clips: tuple[Clip, ...]
    media_hashes: tuple[Mapping[str, str], ...]
    feature_keys: Mapping[str, tuple[str, ...]]  # branch -> key per row
    skipped: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ids: tuple[str, ...] = tuple(c.clip_id for c in self.clips)
        self.row: dict[str, int] = {c: i for i, c in enumerate(self.ids)}
        if len(self.row) != len(self.ids):
            raise AvbenchError(f"the experiment's clips repeat an id ({len(self.ids) - len(self.row)} duplicate(s))")
        self._codes: dict[str, tuple[np.ndarray, list[str]]] = {}
        self._digests: dict[str, Any] = {}  # fingerprint head -> SHA-256 state through every clip's media

    def __getstate__(self) -> dict:
        return {"clips": self.clips, "media_hashes": self.media_hashes, "feature_keys": dict(self.feature_keys),
                "skipped": dict(self.skipped)}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def __len__(self) -> int:
        return len(self.clips)

    def clip(self, clip_id: str) -> Clip:
        return self.clips[self.row[clip_id]]

    def key(self, branch: str, clip_id: str) -> str:
        """The clip's feature key in ``branch``."""
        return self.feature_keys[branch][self.row[clip_id]]

    def media_hash(self, clip_id: str) -> Mapping[str, str]:
        return self.media_hashes[self.row[clip_id]]

    @property
    def by_id(self) -> "ClipsById":
        """Clip id -> clip, read from the table (no copy)."""
        return ClipsById(self)

    def indices(self, ids: Iterable[str], fold: str, side: str) -> np.ndarray:
        """Row numbers of ``ids``; a clip the experiment does not have is one clear error."""
        row = self.row
        try:
            return np.fromiter((row[c] for c in ids), dtype=np.int32)
        except KeyError as exc:
            raise AvbenchError(f"fold {fold!r}: {side} clip {exc.args[0]!r} is not one of the experiment's clips") \
                from None

    def codes(self, what: str) -> tuple[np.ndarray, list[str]]:
        """Per row, a small integer for the clip's ``subject``, ``label`` or ``corpus``, and the values they code."""
        if what not in self._codes:
            if what == "subject":
                values = [c.subject for c in self.clips]
            elif what == "label":
                values = [c.label for c in self.clips]
            else:
                values = [str(c.meta.get("corpus", "")) for c in self.clips]
            names = list(dict.fromkeys(values))
            number = {v: i for i, v in enumerate(names)}
            self._codes[what] = (np.fromiter((number[v] for v in values), dtype=np.int32, count=len(values)), names)
        return self._codes[what]

    def digest_through_data(self, head: str) -> Any:
        """SHA-256 state after ``head`` and the JSON of every clip's media hashes (made once per ``head``)."""
        if head not in self._digests:
            digest = hashlib.sha256(head.encode())
            digest.update(CANONICAL.encode(dict(zip(self.ids, self.media_hashes))).encode())
            self._digests[head] = digest
        return self._digests[head]

    def content(self) -> bytes:
        """The table as stored: canonical JSON (data only, nothing that can run code when read)."""
        return encode_table(self.clips, self.media_hashes, dict(self.feature_keys), dict(self.skipped))

    def save(self, folder: Path, log: Callable[[str], None] | None = None) -> Path:
        """Write the table under ``folder/clip-tables/`` (named by its content hash) unless an intact copy is there.

        A file of that name whose bytes do not hash to it (damaged or substituted) is named in ``log`` and
        rewritten.
        """
        payload = self.content()
        path = Path(folder) / TABLES_DIR / table_name(payload)
        if not is_intact(path):
            if path.exists() and log is not None:
                log(f"{path}: content does not hash to its name (damaged or substituted); rewritten")
            path.parent.mkdir(parents=True, exist_ok=True)
            write_bytes(path, payload)
        _loaded[str(path)] = self
        return path

    def remember(self, path: Path) -> Path:
        """Serve this table for ``path`` in this process without writing it (a dry run plans, writes nothing)."""
        _loaded[str(path)] = self
        return path


class ClipsById(Mapping[str, Clip]):
    """A read-only clip id -> :class:`Clip` view of a table."""

    def __init__(self, table: ClipTable) -> None:
        self.table = table

    def __getitem__(self, clip_id: str) -> Clip:
        return self.table.clip(clip_id)

    def __iter__(self):
        return iter(self.table.ids)

    def __len__(self) -> int:
        return len(self.table)

    def __contains__(self, clip_id: object) -> bool:
        return clip_id in self.table.row


def load_clip_table(path: str | os.PathLike) -> ClipTable:
    """The table at ``path``, read once per process and checked against its name.

    A file that does not hash to its name is removed (the next run's planner writes it again) and
    refused with a :class:`ClipTableError` naming it.
    """
    key = str(path)
    table = _loaded.get(key)
    if table is None:
        try:
            table = ClipTable(**read_table_state(Path(key)))
        except ClipTableError as exc:
            Path(key).unlink(missing_ok=True)
            raise ClipTableError(f"{exc}; removed, the next run writes it again") from None
        _loaded[key] = table
    return table


@dataclass(frozen=True, eq=False)  # compared by identity: its arrays have no single truth value
class FoldRows:
    """A fold as row numbers of its clip table: train is ``None`` when it is every row not in val, meta or test.

    LOSO's training side is "everyone but the test subject"; storing it as the complement keeps a unit
    of a 100,000-clip corpus a few kilobytes.
    """

    name: str
    test: np.ndarray
    val: np.ndarray
    meta: np.ndarray
    train: np.ndarray | None
    test_subjects: tuple[str, ...]

    @classmethod
    def of(cls, fold: Fold, table: ClipTable) -> "FoldRows":
        test = table.indices(fold.test, fold.name, "test")
        val = table.indices(fold.val, fold.name, "val")
        meta = table.indices(fold.meta, fold.name, "meta")
        rows = cls(fold.name, test, val, meta, None, tuple(fold.test_subjects))
        if len(fold.train) == len(table) - len(test) - len(val) - len(meta) and fold.train == rows.train_ids(table):
            return rows
        return cls(fold.name, test, val, meta, table.indices(fold.train, fold.name, "train"),
                   tuple(fold.test_subjects))

    def train_ids(self, table: ClipTable) -> tuple[str, ...]:
        """The training clip ids, in table order when train is the complement (slices of the id tuple: fast)."""
        if self.train is not None:
            return ids_at(table.ids, self.train)
        excluded = np.unique(np.concatenate([self.test, self.val, self.meta]))
        parts: list[tuple[str, ...]] = []
        start = 0
        for row in excluded.tolist():
            if row > start:
                parts.append(table.ids[start:row])
            start = row + 1
        parts.append(table.ids[start:])
        return joined(parts)

    def fold_rows(self, n: int) -> np.ndarray:
        """Every row the fold uses (training side and test), sorted, once each."""
        if self.train is None:
            return np.arange(n, dtype=np.int32)
        return np.unique(np.concatenate([self.train, self.val, self.meta, self.test]))

    def fold(self, table: ClipTable) -> Fold:
        """The fold as its protocol gave it (ids in the protocol's order)."""
        return Fold(self.name, train=self.train_ids(table), test=ids_at(table.ids, self.test),
                    val=ids_at(table.ids, self.val), meta=ids_at(table.ids, self.meta),
                    test_subjects=self.test_subjects)


def joined(parts: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
    """The parts as one tuple: a few are concatenated (a copy of pointers), many chained."""
    if len(parts) > 4:
        return tuple(itertools.chain.from_iterable(parts))
    out = parts[0]
    for part in parts[1:]:
        out = out + part
    return out


def ids_at(ids: Sequence[str], rows: np.ndarray) -> tuple[str, ...]:
    return tuple(ids[i] for i in rows.tolist())


def present_on_sides(rows: FoldRows, table: ClipTable, what: str) -> tuple[set[str], set[str]]:
    """The ``subject``/``label``/``corpus`` values of the fold's training side and of its test side.

    With train as the complement this costs the test side only: a value is on the training side
    when the whole table has more rows of it than the test side does.
    """
    codes, names = table.codes(what)
    test_counts = np.bincount(codes[rows.test], minlength=len(names))
    test = {names[i] for i in np.flatnonzero(test_counts).tolist()}
    if rows.train is None:
        counts = table_counts(table, what)
        training = {names[i] for i in np.flatnonzero(counts - test_counts).tolist()}
    else:
        side = np.concatenate([rows.train, rows.val, rows.meta])
        training = {names[i] for i in np.unique(codes[side]).tolist()}
    return training, test


def table_counts(table: ClipTable, what: str) -> np.ndarray:
    key = f"counts:{what}"
    if key not in table._codes:
        codes, names = table.codes(what)
        table._codes[key] = (np.bincount(codes, minlength=len(names)), names)
    return table._codes[key][0]
