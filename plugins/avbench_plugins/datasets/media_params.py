"""Parameter types the media-tree datasets share: class and other subsets, file types, ``require``, ``exclude``.

Each is an annotated type carrying its description and validation, so a plugin's parameter
model declares it in one line at the place it wants it (field order, defaults and
descriptions are part of the published schema and enter result keys; they stay per plugin).
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Container, Literal, Sequence

from pydantic import AfterValidator, Field

from .tree import check_classes

#: Descriptions shared word for word by several corpora.
CLASSES_HELP = "emotion subset (canonical names); empty = all"
AUDIO_EXTENSIONS_HELP = "audio file types, in order of preference"
VIDEO_EXTENSIONS_HELP = "video file types, in order of preference"
AUDIO_FROM_VIDEO_HELP = "let the video file serve audio when a take has no audio file"


def bare_extensions(value: list[str]) -> list[str]:
    """File types as compared with file suffixes: lower case, no leading dot (``.WAV`` -> ``wav``)."""
    return [v.lower().lstrip(".") for v in value]


#: A list of file types, normalised by :func:`bare_extensions`.
Extensions = Annotated[list[str], AfterValidator(bare_extensions)]

#: Modalities a take must have to be kept.
Require = Annotated[list[Literal["audio", "video"]], Field(description="drop takes lacking one of these")]

#: Glob patterns (relative path or file name) of files the reader leaves out.
Exclude = Annotated[list[str], Field(description="glob patterns of files to leave out")]


def known_classes(labels: Sequence[str], corpus: str) -> AfterValidator:
    """Validation of a class subset of ``corpus``: each one of ``labels``, none twice (see :func:`check_classes`).

    Use as ``classes: Annotated[list[str], known_classes(LABELS, "CORPUS")] = Field([], description=...)``.
    """
    return AfterValidator(partial(check_classes, labels=labels, corpus=corpus))


def each_known(allowed: Container[Any], what: str) -> AfterValidator:
    """Validation of a subset (actors, sessions, ...): each entry in ``allowed``, else ``"<what>, not [bad]"``.

    Use as ``actors: Annotated[list[int], each_known(ACTORS, "CORPUS actors are 1-24")] = Field([], ...)``.
    """

    def check(value: list[Any]) -> list[Any]:
        bad = [v for v in value if v not in allowed]
        if bad:
            raise ValueError(f"{what}, not {bad}")
        return value

    return AfterValidator(check)
