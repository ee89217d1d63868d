"""Content hashes of media files, remembered by (path, size, mtime) so unchanged files are read once."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from avbench.storage.atomic import write_json

CHUNK = 1 << 20


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

    def hash(self, path: str | Path) -> str:
        path = str(Path(path).resolve())
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return "missing"
        stamp = [st.st_size, st.st_mtime_ns]
        entry = self._memo.get(path)
        if entry and entry[:2] == stamp:
            return entry[2]
        value = content_hash(path)
        self._memo[path] = [*stamp, value]
        self._dirty = True
        return value

    def save(self) -> None:
        if self._dirty:
            write_json(self.path, self._memo)
            self._dirty = False
