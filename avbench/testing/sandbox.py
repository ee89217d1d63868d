"""Temporary folders a check runs in, and a guard that finds files written where they should not be.

Every check runs with its working directory, temp folder and home inside a
fresh workspace, so a misbehaving plugin never litters the caller's folders.
The guard snapshots the watched folders (not the whole file system) before and
after the plugin runs; only the run context's ``cache_dir`` may change.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from avbench.contract import RunContext

#: Environment variables pointed into the workspace while a check runs.
REDIRECTED_ENV = ("HOME", "TMPDIR", "TEMP", "TMP", "XDG_CACHE_HOME")


class Workspace:
    """A temporary root with ``cwd``, ``tmp``, ``home`` and ``data`` folders; cache folders on demand."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="avbench-check-")).resolve()
        self.cwd = self._folder("cwd")
        self.tmp = self._folder("tmp")
        self.home = self._folder("home")
        self.data = self._folder("data")

    def _folder(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def cache(self, name: str = "cache") -> Path:
        """A cache folder of its own (``cache``, ``cache-b``...), so two instances never share results."""
        return self._folder(name)

    def context(self, cache: str = "cache", device: str = "cpu", seed: int = 0) -> RunContext:
        return RunContext(cache_dir=self.cache(cache), device=device, seed=seed, resources={})

    def watched(self) -> list[Path]:
        """Folders a plugin must leave as they were."""
        return [self.cwd, self.tmp, self.home, self.data]

    @contextmanager
    def entered(self) -> Iterator["Workspace"]:
        """Run with cwd, temp folder and home inside the workspace; ``AVBENCH_CACHE`` unset.

        ``AVBENCH_CACHE`` is unset so that a plugin falling back to
        :func:`~avbench.contract.default_cache_dir` instead of its context's cache
        writes into the watched working directory, where the guard sees it.
        """
        saved_env = {k: os.environ.get(k) for k in (*REDIRECTED_ENV, "AVBENCH_CACHE")}
        saved_cwd = os.getcwd()
        saved_tempdir = tempfile.tempdir
        try:
            os.environ.update(HOME=str(self.home), TMPDIR=str(self.tmp), TEMP=str(self.tmp), TMP=str(self.tmp),
                              XDG_CACHE_HOME=str(self.home / ".cache"))
            os.environ.pop("AVBENCH_CACHE", None)
            tempfile.tempdir = str(self.tmp)
            os.chdir(self.cwd)
            yield self
        finally:
            os.chdir(saved_cwd)
            tempfile.tempdir = saved_tempdir
            for key, value in saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


Snapshot = dict[str, tuple[int, int]]


def snapshot(folders: list[Path]) -> Snapshot:
    """Every file under ``folders`` with its size and modification time."""
    state: Snapshot = {}
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
                path = os.path.join(dirpath, name)
                try:
                    st = os.lstat(path)
                except FileNotFoundError:
                    continue
                state[path] = (st.st_size, st.st_mtime_ns)
            if not filenames and not dirnames and dirpath != str(folder):
                state[dirpath + os.sep] = (0, 0)  # a new empty folder is a write too
    return state


def changes(before: Snapshot, after: Snapshot) -> list[str]:
    """``created``/``modified``/``deleted`` lines, sorted, for what differs between two snapshots."""
    lines = [f"created {p}" for p in after.keys() - before.keys()]
    lines += [f"deleted {p}" for p in before.keys() - after.keys()]
    lines += [f"modified {p}" for p in before.keys() & after.keys() if before[p] != after[p]]
    return sorted(lines)


@contextmanager
def guard_writes(folders: list[Path], found: list[str]) -> Iterator[None]:
    """Append to ``found`` every change under ``folders`` made inside the block (also when it raises)."""
    before = snapshot(folders)
    try:
        yield
    finally:
        found.extend(changes(before, snapshot(folders)))
