"""Finding a corpus's media files and joining them into takes: the part every reader shares.

Readers collect *all* problems of a tree before raising one
:class:`~avbench.contract.DatasetError`, so a user fixes a broken copy in one pass
instead of one file per run.
"""

from __future__ import annotations

import fnmatch
import os
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Sequence

from avbench.contract import DatasetError

SKIPPED_FOLDERS = frozenset({"__MACOSX"})


def missing_root_hint(env_var: str, data_name: str) -> str:
    return f"set {env_var}=PATH or pass --data {data_name}=PATH"


def require_root(root: Path, *, corpus: str, layout: str, env_var: str, data_name: str) -> Path:
    """``root`` as a Path; a DatasetError saying what layout was expected when it is no folder."""
    root = Path(root)
    if not root.is_dir():
        what = "does not exist" if not root.exists() else "is not a folder"
        raise DatasetError(root, [f"{corpus} root {what}; expected {layout}; "
                                  f"{missing_root_hint(env_var, data_name)}"])
    return root


def find_media(root: Path, extensions: Iterable[str], exclude: Sequence[str] = ()) -> list[Path]:
    """Files under ``root`` (recursively, following folder links, sorted) with one of ``extensions``.

    Hidden files and folders (``.``-prefixed, such as macOS ``._`` forks), ``__MACOSX``
    folders and paths matching an ``exclude`` glob (against the path relative to
    ``root`` or the file name) are skipped.
    """
    wanted = {e.lower().lstrip(".") for e in extensions}
    found = []
    seen: set[str] = set()
    for folder, subfolders, files in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:  # a link back up the tree
            subfolders.clear()
            continue
        seen.add(real)
        subfolders[:] = [d for d in subfolders if not d.startswith(".") and d not in SKIPPED_FOLDERS]
        for file_name in files:
            path = Path(folder) / file_name
            if file_name.startswith(".") or path.suffix.lower().lstrip(".") not in wanted:
                continue
            rel = path.relative_to(root).as_posix()
            if any(fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(file_name, pat) for pat in exclude):
                continue
            found.append(path)
    return sorted(found)


def no_media_error(root: Path, *, corpus: str, layout: str, extensions: Iterable[str],
                   env_var: str, data_name: str) -> DatasetError:
    exts = ", ".join(sorted({e.lower().lstrip(".") for e in extensions}))
    return DatasetError(root, [f"no {corpus} media files ({exts}) anywhere under this folder; expected {layout}; "
                               f"{missing_root_hint(env_var, data_name)}"])


def no_clips_error(root: Path, found: int, filters: dict[str, object]) -> DatasetError:
    shown = ", ".join(f"{k}={v!r}" for k, v in filters.items())
    return DatasetError(root, [f"{found} take(s) found but none passes the filters ({shown})"])


def group_takes(files: Iterable[tuple[str, str, Path]], root: Path) -> tuple[dict[str, dict[str, Path]], list[str]]:
    """Join ``(clip_id, role, path)`` entries into ``{clip_id: {role: path}}``.

    A role filled by two files (two copies of one take) is a problem naming both.
    """
    grouped: dict[str, dict[str, list[Path]]] = defaultdict(lambda: defaultdict(list))
    for clip_id, role, path in files:
        grouped[clip_id][role].append(path)
    takes: dict[str, dict[str, Path]] = {}
    problems = []
    for clip_id in sorted(grouped):
        takes[clip_id] = {}
        for role, paths in sorted(grouped[clip_id].items()):
            if len(paths) > 1:
                names = ", ".join(p.relative_to(root).as_posix() for p in sorted(paths))
                problems.append(f"take {clip_id} has {len(paths)} {role} files: {names} "
                                f"(keep one, or leave the others out with the 'exclude' parameter)")
            takes[clip_id][role] = sorted(paths)[0]
    return takes, problems


def check_classes(classes: Sequence[str], labels: Sequence[str], corpus: str) -> list[str]:
    """``classes`` unchanged when each is one of ``labels``; ValueError (for pydantic) otherwise."""
    unknown = [c for c in classes if c not in labels]
    if unknown:
        raise ValueError(f"{corpus} has no class(es) {unknown}; its classes are {list(labels)}")
    if len(set(classes)) != len(classes):
        raise ValueError(f"classes {list(classes)} lists a class twice")
    return list(classes)


def relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` (POSIX form), for problem messages."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
