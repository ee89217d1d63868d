"""Replace a whole folder in one step, so that a crash leaves the old folder or the new one, never a mix.

The new folder is written beside the destination under a hidden name (``.<name>.new-*``) and put in
place by a rename: a plain rename where nothing is there yet, and where something is, Linux's
``renameat2(RENAME_EXCHANGE)``, which swaps the two folders atomically. Where that call is missing
(another OS, a file system without it) two renames are used, and a crash between them leaves the old
folder as ``.<name>.old``, which :func:`recover_folder` puts back before the next write.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import secrets
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def new_folder_beside(destination: Path) -> Path:
    """An empty hidden folder beside ``destination`` (same file system, so it can be renamed into place)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    while True:
        new = destination.with_name(f".{destination.name}.new-{secrets.token_hex(4)}")
        try:
            new.mkdir()  # the mode an ordinary folder gets under the umask (mkdtemp's would be private)
            return new
        except FileExistsError:
            continue


def copy_tree_linked(source: Path, target: Path) -> None:
    """``source``'s files under ``target``, hard-linked where possible (files here are replaced, never edited)."""

    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, dirs_exist_ok=True, copy_function=link_or_copy)


def replace_folder(new: Path, destination: Path) -> None:
    """Put the folder ``new`` at ``destination`` in one step; the folder that was there is then removed."""
    if not destination.exists():
        os.rename(new, destination)
        return
    if _exchange(new, destination):
        shutil.rmtree(new)  # it now holds the old folder
        return
    old = _old_name(destination)
    shutil.rmtree(old, ignore_errors=True)
    os.rename(destination, old)
    os.rename(new, destination)
    shutil.rmtree(old)


def recover_folder(destination: Path) -> None:
    """Undo what a crash left: put back an old folder caught between two renames, drop unfinished new ones."""
    old = _old_name(destination)
    if old.is_dir() and not destination.exists():
        os.rename(old, destination)
    shutil.rmtree(old, ignore_errors=True)
    for unfinished in destination.parent.glob(f".{destination.name}.new-*"):
        shutil.rmtree(unfinished, ignore_errors=True)


@contextmanager
def folder_lock(destination: Path) -> Iterator[None]:
    """One writer of ``destination`` at a time (an ``flock`` the kernel releases when its holder dies)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    with open(destination.parent / f".{destination.name}.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _old_name(destination: Path) -> Path:
    return destination.with_name(f".{destination.name}.old")


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with ``renameat2``; False where this system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))
