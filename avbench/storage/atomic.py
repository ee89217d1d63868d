"""Atomic writes: a file is either absent or complete, never half-written after a crash or kill.

Files get the mode an ordinary ``open(path, "w")`` gives (``0o666`` less the umask), not
``mkstemp``'s private ``0o600``: results are meant to be shared as the user's umask says.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator


def _read_umask() -> int:
    """The process umask, read without changing it where Linux tells it (``/proc/self/status``).

    Elsewhere ``os.umask`` must set it to read it; that set-and-restore happens under a lock,
    once, at import.
    """
    try:
        match = re.search(r"^Umask:\s*([0-7]+)$", Path("/proc/self/status").read_text(), re.MULTILINE)
    except OSError:
        match = None
    if match:
        return int(match.group(1), 8)
    with _UMASK_LOCK:
        umask = os.umask(0o077)  # the most private value while it is briefly set
        os.umask(umask)
    return umask


_UMASK_LOCK = threading.Lock()
#: Mode of every file written here: what ``open(path, "w")`` would give under the umask at import.
FILE_MODE = 0o666 & ~_read_umask()


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_json(path: Path, obj: Any) -> None:
    write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n").encode())
