"""Finding a corpus's media files and joining them into takes: the part every reader shares.

Readers collect *all* problems of a tree, one line per file (a bad name, a symlink loop,
an unreadable folder, two copies of a take), leave those files out and list the rest:
one bad file never hides a corpus. The problems go to the dataset's ``problems`` for the
runner to report (``avbench run --strict`` refuses them). Only a root that is missing or
holds no usable clip raises :class:`~avbench.contract.DatasetError`.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections import defaultdict
from pathlib import Path
from typing import Callable, Iterable, Mapping, Protocol, Sequence, TypeVar

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


def find_media(root: Path, extensions: Iterable[str], exclude: Sequence[str] = (),
               problems: list[str] | None = None) -> list[Path]:
    """Files under ``root`` (recursively, following folder links, sorted) with one of ``extensions``.

    Hidden files and folders (``.``-prefixed, such as macOS ``._`` forks), ``__MACOSX``
    folders and paths matching an ``exclude`` glob (against the path relative to
    ``root`` or the file name) are skipped. What cannot be used is left out and, when
    ``problems`` is given, named there: an unreadable folder, a folder link back up the
    tree, a media name on a folder, a link that leads nowhere or loops, a FIFO or device.
    """
    wanted = {e.lower().lstrip(".") for e in extensions}
    found = []
    seen: set[str] = set()
    trouble: list[str] = []
    report = trouble.append

    def unlistable(exc: OSError) -> None:
        report(f"{relative(Path(exc.filename or root), root)}: cannot list this folder: "
               f"{exc.strerror or exc}")

    def has_wanted_suffix(name: str) -> bool:
        return Path(name).suffix.lower().lstrip(".") in wanted

    def excluded(path: Path) -> bool:
        rel = path.relative_to(root).as_posix()
        return any(fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(path.name, pat) for pat in exclude)

    for folder, subfolders, files in os.walk(root, followlinks=True, onerror=unlistable):
        real = os.path.realpath(folder)
        if real in seen:  # a link back up the tree (or a second link to one folder)
            report(f"{relative(Path(folder), root)}: a folder link to {real}, which is already searched; "
                   "not followed")
            subfolders.clear()
            continue
        seen.add(real)
        subfolders[:] = [d for d in subfolders if not d.startswith(".") and d not in SKIPPED_FOLDERS]
        for name in subfolders:
            path = Path(folder) / name
            if has_wanted_suffix(name) and not excluded(path):
                report(f"{relative(path, root)}: a folder named like a media file; not a clip")
        for file_name in files:
            path = Path(folder) / file_name
            if file_name.startswith(".") or not has_wanted_suffix(file_name) or excluded(path):
                continue
            try:
                mode = os.stat(path).st_mode
            except OSError as exc:  # a dangling link, a symlink loop
                report(f"{relative(path, root)}: cannot read: {exc.strerror or exc}")
                continue
            if not stat.S_ISREG(mode):
                report(f"{relative(path, root)}: not a regular file (a FIFO, socket or device)")
                continue
            found.append(path)
    if problems is not None:
        problems.extend(sorted(trouble))
    return sorted(found)


def no_media_error(root: Path, *, corpus: str, layout: str, extensions: Iterable[str],
                   env_var: str, data_name: str) -> DatasetError:
    exts = ", ".join(sorted({e.lower().lstrip(".") for e in extensions}))
    return DatasetError(root, [f"no {corpus} media files ({exts}) anywhere under this folder; expected {layout}; "
                               f"{missing_root_hint(env_var, data_name)}"])


def nothing_usable_error(root: Path, problems: list[str], *, corpus: str, layout: str, extensions: Iterable[str],
                         env_var: str, data_name: str) -> DatasetError:
    """No take at all: the problems say why when there were any, else that no media file was found."""
    if problems:
        return DatasetError(root, [*problems, f"no usable {corpus} take left; expected {layout}"])
    return no_media_error(root, corpus=corpus, layout=layout, extensions=extensions, env_var=env_var,
                          data_name=data_name)


def no_clips_error(root: Path, found: int, filters: dict[str, object]) -> DatasetError:
    shown = ", ".join(f"{k}={v!r}" for k, v in filters.items())
    return DatasetError(root, [f"{found} take(s) found but none passes the filters ({shown})"])


def group_takes(files: Iterable[tuple[str, str, Path]], root: Path) -> tuple[dict[str, dict[str, Path]], list[str]]:
    """Join ``(clip_id, role, path)`` entries into ``{clip_id: {role: path}}``.

    A role filled by two files (two copies of one take) is a problem naming both, and the
    take is left out: which copy is the right one is not ours to guess.
    """
    grouped: dict[str, dict[str, list[Path]]] = defaultdict(lambda: defaultdict(list))
    for clip_id, role, path in files:
        grouped[clip_id][role].append(path)
    takes: dict[str, dict[str, Path]] = {}
    problems = []
    for clip_id in sorted(grouped):
        copies = {role: paths for role, paths in sorted(grouped[clip_id].items()) if len(paths) > 1}
        for role, paths in copies.items():
            names = ", ".join(p.relative_to(root).as_posix() for p in sorted(paths))
            problems.append(f"take {clip_id} has {len(paths)} {role} files: {names}; take left out "
                            f"(keep one, or leave the others out with the 'exclude' parameter)")
        if not copies:
            takes[clip_id] = {role: paths[0] for role, paths in sorted(grouped[clip_id].items())}
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


class NamedTake(Protocol):
    """What a corpus's name parser returns: at least the clip id that joins a take's files."""

    @property
    def clip_id(self) -> str: ...


Name = TypeVar("Name", bound=NamedTake)


def read_named_takes(root: Path, extensions: Sequence[str], exclude: Sequence[str],
                     parse: Callable[[Path], Name], parse_error: type[Exception],
                     ) -> tuple[dict[str, dict[str, Path]], dict[str, Name], list[str]]:
    """Takes under ``root`` joined by the clip id ``parse`` reads from each file's path relative to ``root``.

    Returns ``({clip_id: {file type: path}}, {clip_id: parsed name}, problems)``: a file
    ``parse`` refuses (raising ``parse_error``) is a problem and left out, as are the
    problems of :func:`find_media` and the duplicate copies of :func:`group_takes`.
    """
    entries: list[tuple[str, str, Path]] = []
    problems: list[str] = []
    names: dict[str, Name] = {}
    for path in find_media(root, extensions, exclude, problems):
        try:
            name = parse(path.relative_to(root))
        except parse_error as exc:
            problems.append(f"{relative(path, root)}: {exc}")
            continue
        names[name.clip_id] = name
        entries.append((name.clip_id, path.suffix.lower().lstrip("."), path))
    takes, duplicates = group_takes(entries, root)
    return takes, names, problems + duplicates


def pick_media(files: Mapping[str, Path], audio_extensions: Sequence[str], video_extensions: Sequence[str],
               audio_from_video: bool) -> dict[str, str]:
    """A take's audio and video file, each the first of its file types present (by preference order).

    With ``audio_from_video`` the video file serves audio when no audio file is there.
    A modality no file serves is absent.
    """
    audio = next((files[e] for e in audio_extensions if e in files), None)
    video = next((files[e] for e in video_extensions if e in files), None)
    if audio is None and audio_from_video:
        audio = video
    return {k: str(v) for k, v in (("audio", audio), ("video", video)) if v is not None}


def lacks_required(media: Mapping[str, str], require: Sequence[str]) -> bool:
    """True when a take has no media at all or lacks one of the ``require``d modalities (it is dropped)."""
    return not media or any(m not in media for m in require)
