"""One ``avbench run`` at a time per run folder: a second run waits, then finds the work done."""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

LOCK_NAME = ".avbench-run.lock"


@contextmanager
def run_folder_lock(folder: Path, log: Callable[[str], None]) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` for the block; wait (saying so once) while another run holds it.

    The lock is an ``flock`` on a file in the folder, so the kernel releases it when its holder dies,
    however it dies: a killed run never leaves a stale lock behind.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            log(f"waiting: another avbench run (pid {holder}) is using {folder}; this run goes on when it ends")
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
