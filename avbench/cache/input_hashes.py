"""Content hashes of the files a plugin declares it reads (:meth:`Plugin.input_files`), for its identity."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from avbench.contract.errors import ResourceMissingError

from .file_hash import FileHashIndex, content_hash


def input_hashes(plugin: Any, index: FileHashIndex | None = None) -> dict[str, str]:
    """``{name: content hash}`` of ``plugin.input_files()``; a folder hashes every file below it.

    Without ``index`` files are hashed with a per-process memo (worker side). A declared
    path that does not exist raises ResourceMissingError naming the plugin, the name and the path.
    """
    out = {}
    for name, declared in sorted(dict(plugin.input_files()).items()):
        path = Path(declared).expanduser()
        if path.is_dir():
            out[name] = folder_hash(path, index)
        elif path.is_file():
            out[name] = _file_hash(path, index)
        else:
            raise ResourceMissingError(f"{plugin.name}: input {name!r} is {path}, which does not exist; "
                                       f"put the file there or point {name!r} at it")
    return out


def folder_hash(folder: Path, index: FileHashIndex | None = None) -> str:
    """One hash of a folder's files: their paths relative to it and their contents (hidden files ignored)."""
    entries = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            entries.append([relative.as_posix(), _file_hash(path, index)])
    return hashlib.blake2b(json.dumps(entries).encode(), digest_size=16).hexdigest()


_memo: dict[tuple[str, int, int], str] = {}


def _file_hash(path: Path, index: FileHashIndex | None) -> str:
    if index is not None:
        return index.hash(path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _memo:
        _memo[key] = content_hash(path)
    return _memo[key]
