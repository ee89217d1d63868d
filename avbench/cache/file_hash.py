"""Content hashes of media files, remembered by (path, size, mtime) so unchanged files are read once.

A file that cannot be read (no permission, a symlink loop, a folder or FIFO where a file
should be, vanished) raises :class:`UnreadableMediaError`, one line naming it, so the
planner can skip that clip and go on.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

from avbench.contract.errors import AvbenchError
from avbench.storage.atomic import write_json

CHUNK = 1 << 20


class UnreadableMediaError(AvbenchError):
    """A media file cannot be hashed: ``cannot read FILE: reason``."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"cannot read {path}: {reason}")
        self.path = str(path)
        self.reason = reason


def content_hash(path: str | Path) -> str:
    """BLAKE2b of the file's bytes."""
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class FileHashIndex:
    """A JSON memo of content hashes under the cache folder; only the main process writes it."""

    def __init__(self, cache_dir: Path) -> None:
        self.path = Path(cache_dir) / "file-hashes.json"
        try:
            self._memo: dict[str, list] = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            self._memo = {}
        self._dirty = False
        self._folders: dict[str, str] = {}  # folder as named -> its real path, for this plan

    def hash(self, path: str | Path) -> str:
        """The file's content hash; UnreadableMediaError naming ``path`` when it cannot be read."""
        real = self._realpath(path)  # never raises on a symlink loop; the stat below does (ELOOP)
        try:
            st = os.stat(real)
            if not stat.S_ISREG(st.st_mode):
                kind = "a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO, socket or device"
                raise UnreadableMediaError(path, f"it is {kind}, not a regular file")
            stamp = [st.st_size, st.st_mtime_ns]
            entry = self._memo.get(real)
            if entry and entry[:2] == stamp:
                return entry[2]
            value = content_hash(real)
        except OSError as exc:
            raise UnreadableMediaError(path, exc.strerror or str(exc)) from None
        self._memo[real] = [*stamp, value]
        self._dirty = True
        return value

    def _realpath(self, path: str | Path) -> str:
        """``os.path.realpath``, resolving each folder once: a corpus's files share a few folders."""
        head, tail = os.path.split(os.fspath(path))
        if tail in ("", ".", ".."):
            return os.path.realpath(path)
        folder = self._folders.get(head)
        if folder is None:
            folder = self._folders[head] = os.path.realpath(head or ".")
        joined = os.path.join(folder, tail)
        return os.path.realpath(joined) if os.path.islink(joined) else joined

    def save(self) -> None:
        if self._dirty:
            write_json(self.path, self._memo)
            self._dirty = False
