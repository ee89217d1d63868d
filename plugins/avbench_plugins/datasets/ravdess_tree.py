"""Reading a folder of RAVDESS-named files into takes (shared by ``ravdess`` and ``synthetic-av``).

A take is one performance (one clip id); its files are keyed by their RAVDESS
modality: ``audio-only`` (wav/flac), ``audio-video`` (mp4), ``video-only`` (mp4).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from .naming.ravdess_names import ACTORS, MODALITIES, RavdessName, RavdessNameError, parse_ravdess_name
from .tree import find_media, group_takes, relative

AUDIO_EXTENSIONS = ("wav", "flac")
VIDEO_EXTENSIONS = ("mp4",)
LAYOUT = ("files named MM-VC-EE-II-SS-RR-AA.(wav|flac|mp4) in any sub-folder, e.g. "
          "Audio_Speech_Actors_01-24/Actor_01/03-01-01-01-01-01-01.wav or Actor_01/01-01-01-01-01-01-01.mp4")
_ACTOR_FOLDER = re.compile(r"^Actor_(\d+)$", re.IGNORECASE)


@dataclass(frozen=True)
class RavdessTake:
    """One take: the fields of its name and its files by RAVDESS modality."""

    name: RavdessName
    files: Mapping[str, Path]

    @property
    def clip_id(self) -> str:
        return self.name.clip_id


def file_problem(path: Path, name: RavdessName) -> str | None:
    """What is inconsistent between a parsed name and its file (extension, Actor_XX folder), if anything."""
    ext = path.suffix.lower().lstrip(".")
    if name.modality == 3 and ext not in AUDIO_EXTENSIONS:
        return f"modality 03 (audio-only) but a .{ext} file; expected {' or '.join(AUDIO_EXTENSIONS)}"
    if name.modality in (1, 2) and ext not in VIDEO_EXTENSIONS:
        return f"modality {name.modality:02d} ({MODALITIES[name.modality]}) but a .{ext} file; expected mp4"
    folder = _ACTOR_FOLDER.match(path.parent.name)
    if folder and int(folder.group(1)) != name.actor:
        return f"actor {name.actor:02d} in the name but the file is in folder {path.parent.name}"
    return None


def read_ravdess_tree(root: Path, *, exclude: Sequence[str] = (),
                      known_actors: range | None = ACTORS) -> tuple[list[RavdessTake], list[str]]:
    """Every usable take under ``root`` (sorted by clip id) and every problem found, one line per file.

    A file with a problem is left out; its take is still listed when its other files are fine.
    """
    entries = []
    problems: list[str] = []
    for path in find_media(root, AUDIO_EXTENSIONS + VIDEO_EXTENSIONS, exclude, problems):
        try:
            name = parse_ravdess_name(path.stem, known_actors=known_actors)
        except RavdessNameError as exc:
            problems.append(f"{relative(path, root)}: {exc}")
            continue
        problem = file_problem(path, name)
        if problem:
            problems.append(f"{relative(path, root)}: {problem}")
            continue
        entries.append((name, path))
    names = {name.clip_id: name for name, _ in entries}
    grouped, duplicates = group_takes(((n.clip_id, MODALITIES[n.modality], p) for n, p in entries), root)
    takes = [RavdessTake(names[clip_id], files) for clip_id, files in grouped.items()]
    return takes, problems + duplicates
