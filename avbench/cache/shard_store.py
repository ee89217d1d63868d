"""One extractor's shard folder: an index of its records, refreshed on demand, and this process's own shard.

Every writing process appends only to shard files it created (host, process id and a random token
in the name), so concurrent writers, local workers or hosts sharing the folder, never write to the
same file; readers index every shard. The index is built by scanning record headers (bodies are
skipped) and refreshed incrementally: a shard that grew is scanned from where the last scan ended.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

from avbench.storage.atomic import FILE_MODE

from .shard_format import DROPPED, ENTRY, SHARD_SUFFIX, Record, encode_record, scan_records

#: A process's shard is closed and a new one started past this size, so no file grows without bound.
MAX_SHARD_BYTES = 1 << 30
#: Entries of one shard closer than this are fetched in one read (the bytes between them are read and dropped).
READ_GAP = 1 << 20


@dataclass
class _Shard:
    """What is known of one shard file: how far it was scanned and the newest record per key in it."""

    path: Path
    inode: int
    scanned_to: int = 0
    size_seen: int = 0
    records: dict[str, Record] = field(default_factory=dict)
    damage: str | None = None


@dataclass
class _Writer:
    """This process's own shard: only the process that created it appends to it."""

    path: Path
    pid: int
    end: int = 0  # the shard's size after this process's last append: any other size means someone cut or wrote it


class ShardFolder:
    """The shards of one extractor under ``folder``: look entries up, read their bodies, append new ones."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._shards: dict[str, _Shard] = {}
        self._latest: dict[str, tuple[_Shard, Record]] = {}
        self._writer: _Writer | None = None

    # -- reading -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Index what other writers appended since the last look; forget shards that vanished."""
        try:
            entries = {e.name: e for e in os.scandir(self.folder) if e.name.endswith(SHARD_SUFFIX)}
        except FileNotFoundError:
            entries = {}
        rebuild = False
        for name in list(self._shards):
            if name not in entries:
                del self._shards[name]
                rebuild = True
        for name, entry in entries.items():
            try:
                st = entry.stat()
            except FileNotFoundError:
                continue
            shard = self._shards.get(name)
            if shard is not None and (shard.inode != st.st_ino or st.st_size < shard.scanned_to):
                shard = None  # replaced or cut short since the last scan: index it afresh
                rebuild = True
            if shard is None:
                shard = self._shards[name] = _Shard(Path(entry.path), st.st_ino)
            if st.st_size != shard.size_seen:
                self._scan(shard, st.st_size, merge=not rebuild)
        if rebuild:
            self._latest = {}
            for shard in self._shards.values():
                for record in shard.records.values():
                    self._merge(shard, record)

    def _scan(self, shard: _Shard, size: int, merge: bool) -> None:
        try:
            with open(shard.path, "rb") as stream:
                records, end, damage = scan_records(stream, shard.scanned_to, size)
        except OSError as exc:
            shard.damage = f"does not read ({exc.strerror or exc})"
            return
        shard.scanned_to, shard.size_seen, shard.damage = end, size, damage
        for record in records:
            old = shard.records.get(record.key)
            if old is None or record.stamp >= old.stamp:
                shard.records[record.key] = record
            if merge:
                self._merge(shard, record)

    def _merge(self, shard: _Shard, record: Record) -> None:
        current = self._latest.get(record.key)
        if current is None or record.stamp >= current[1].stamp:
            self._latest[record.key] = (shard, record)

    def newest(self, key: str, refresh: bool = True) -> tuple[Path, Record] | None:
        """The newest readable entry of ``key`` (None when absent or dropped); refreshes the index on a miss."""
        found = self._latest.get(key)
        if (found is None or found[1].kind != ENTRY) and refresh:
            self.refresh()
            found = self._latest.get(key)
        if found is None or found[1].kind != ENTRY:
            return None
        return found[0].path, found[1]

    def keys(self) -> set[str]:
        """Keys whose newest record is a whole entry (as indexed now)."""
        return {key for key, (_, record) in self._latest.items() if record.kind == ENTRY}

    def damage(self) -> dict[Path, str]:
        """Shards whose scan stopped early, and why (their later entries count as absent)."""
        return {s.path: s.damage for s in self._shards.values() if s.damage}

    @staticmethod
    def read_body(path: Path, record: Record) -> bytes:
        with open(path, "rb") as f:
            return os.pread(f.fileno(), record.body_length, record.body_offset)

    @staticmethod
    def read_bodies(path: Path, records: list[Record]) -> list[bytes]:
        """Bodies of several records of one shard, sorted by offset, in a few large reads.

        Records closer than :data:`READ_GAP` bytes are read together (plain reads, not a memory map:
        a shard cut short while mapped would kill the process with SIGBUS instead of failing a checksum).
        """
        out: list[bytes] = []
        with open(path, "rb") as f:
            i = 0
            while i < len(records):
                j, start, end = i, records[i].body_offset, records[i].body_offset + records[i].body_length
                while j + 1 < len(records) and records[j + 1].body_offset - end <= READ_GAP:
                    j += 1
                    end = max(end, records[j].body_offset + records[j].body_length)
                span = os.pread(f.fileno(), end - start, start)
                out.extend(span[r.body_offset - start:r.body_offset - start + r.body_length] for r in records[i:j + 1])
                i = j + 1
        return out

    # -- writing -------------------------------------------------------------------------------
    def append(self, kind: bytes, key: str, body: bytes) -> None:
        """Append one record to this process's own shard (a new one after a fork, a deletion or rollover).

        The shard is opened for each append and closed after it, so no descriptor outlives the call.
        A failed write is cut back off the file: no later record ever follows a partial one.
        """
        known = self._latest.get(key)
        stamp = max(time.time_ns(), known[1].stamp + 1 if known else 0)  # newer than any record of the key seen
        data = encode_record(kind, key, body, stamp)
        fd, path = self._open_own(len(data))
        try:
            start = os.fstat(fd).st_size
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            except BaseException:
                try:
                    os.ftruncate(fd, start)
                except OSError:
                    pass
                self._writer = None  # the next append starts a fresh shard
                raise
            inode = os.fstat(fd).st_ino
            if self._writer is not None:
                self._writer.end = start + len(data)
        finally:
            os.close(fd)
        shard = self._shards.get(path.name)
        if shard is None or shard.inode != inode:
            shard = self._shards[path.name] = _Shard(path, inode)
        if shard.scanned_to == start:  # everything before is indexed: index this record without a rescan
            record = Record(key, kind, start + len(data) - len(body), len(body), stamp)
            old = shard.records.get(key)
            if old is None or record.stamp >= old.stamp:
                shard.records[key] = record
            shard.scanned_to = shard.size_seen = start + len(data)
            self._merge(shard, record)

    def _open_own(self, incoming: int) -> tuple[int, Path]:
        """A descriptor appending to this process's shard, and its path; a new shard when there is none to use."""
        writer = self._writer
        if writer is not None and writer.pid == os.getpid():
            try:
                fd = os.open(writer.path, os.O_WRONLY | os.O_APPEND)
            except FileNotFoundError:  # deleted: start another
                fd = None
            if fd is not None:
                size = os.fstat(fd).st_size
                if size == writer.end and size + incoming <= MAX_SHARD_BYTES:
                    return fd, writer.path
                os.close(fd)  # full, or changed by someone else (cut short): never append after a partial record
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}{SHARD_SUFFIX}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, FILE_MODE)
        self._writer = _Writer(path, os.getpid())
        return fd, path

    def drop(self, key: str) -> None:
        """Hide every entry of ``key`` written so far (a drop record newer than all of them)."""
        if key not in self._latest:
            self.refresh()
        if key in self._latest:
            self.append(DROPPED, key, b"")
