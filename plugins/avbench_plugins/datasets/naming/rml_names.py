"""RML (Ryerson Multimedia Lab emotion database) paths: subject folder, optional language folder, emotion file name.

RML has no single file-name code: copies are folders per subject (``s1`` .. ``s8``),
sometimes grouped (``rml-1/s1``..``s5``, ``rml-2/s6``..``s8``), subjects who speak
several languages have a sub-folder per language, and each clip is named by its
emotion code and a take number (``an1.avi``, ``di12.avi``). The patterns here are
the defaults of the ``rml`` plugin's parameters, so other copies can be described
without code changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Mapping, Sequence

EMOTION_CODES: dict[str, str] = {"an": "angry", "di": "disgust", "fe": "fearful",
                                 "ha": "happy", "sa": "sad", "su": "surprised"}
LABELS: tuple[str, ...] = ("happy", "sad", "angry", "fearful", "disgust", "surprised")
LANGUAGES: tuple[str, ...] = ("english", "mandarin", "urdu", "punjabi", "persian", "italian")
FILE_PATTERN = r"^(?P<emotion>[a-z]+?)(?P<take>\d+)$"
SUBJECT_PATTERN = r"^s(?:ubject)?[ _-]?(?P<subject>\d+)$"


class RmlPathError(ValueError):
    """A path the RML patterns cannot read; the message says what is missing."""


@dataclass(frozen=True, order=True)
class RmlName:
    subject: int
    folders: tuple[str, ...]  # folders between the subject folder and the file, lower-case
    emotion: str              # the code, e.g. "an"
    take: int
    stem: str                 # lower-case
    language: str | None

    @property
    def clip_id(self) -> str:
        return "-".join((f"s{self.subject}", *self.folders, self.stem))

    @property
    def subject_id(self) -> str:
        return f"s{self.subject}"


def parse_rml_path(relative_path: PurePath, *, file_pattern: str = FILE_PATTERN,
                   subject_pattern: str = SUBJECT_PATTERN, emotion_codes: Mapping[str, str] = EMOTION_CODES,
                   languages: Sequence[str] = LANGUAGES) -> RmlName:
    """Read subject, language, emotion and take from a path relative to the corpus root.

    The subject is the deepest folder matching ``subject_pattern`` (group ``subject``);
    the language is a folder below it named one of ``languages``; the file stem must
    match ``file_pattern`` (groups ``emotion`` and ``take``), case-insensitively.
    """
    folders = list(relative_path.parts[:-1])
    stem = PurePath(relative_path.name).stem.lower()
    problems = []
    subject_at, subject = -1, 0
    for index in range(len(folders) - 1, -1, -1):
        match = re.match(subject_pattern, folders[index], re.IGNORECASE)
        if match:
            subject_at, subject = index, int(match.group("subject"))
            break
    if subject_at < 0:
        problems.append(f"no subject folder matching {subject_pattern!r} (e.g. s1) in the path")
    file_match = re.match(file_pattern, stem, re.IGNORECASE)
    emotion, take = "", 0
    if file_match is None:
        problems.append(f"file name {stem!r} does not match {file_pattern!r} (e.g. an1)")
    else:
        emotion, take = file_match.group("emotion").lower(), int(file_match.group("take"))
        if emotion not in emotion_codes:
            problems.append(f"emotion code {emotion!r} is not one of {', '.join(emotion_codes)}")
    if problems:
        raise RmlPathError("; ".join(problems))
    below = tuple(f.lower() for f in folders[subject_at + 1:])
    wanted = {lang.lower() for lang in languages}
    language = next((f for f in below if f in wanted), None)
    return RmlName(subject, below, emotion, take, stem, language)
