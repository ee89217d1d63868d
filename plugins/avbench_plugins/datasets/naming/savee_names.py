"""SAVEE paths: ``<speaker>/<code><nn>.<ext>``, e.g. ``AudioData/DC/sa03.wav``, ``AVIData/DC/sa03.avi``.

Haq & Jackson, Surrey Audio-Visual Expressed Emotion (SAVEE) database (University of
Surrey, 2009; the corpus web page's description of the release): four male speakers DC, JE,
JK, KL; per speaker 15 sentences in each of six emotions and 30 neutral; the emotion code is
``a`` (anger), ``d`` (disgust), ``f`` (fear), ``h`` (happiness), ``n`` (neutral), ``sa``
(sadness), ``su`` (surprise), followed by a two-digit sentence number. The speaker is the
folder holding the file, so the audio and the video of one take join on ``<speaker>_<code><nn>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

from avbench.contract import canonical

SPEAKERS: tuple[str, ...] = ("DC", "JE", "JK", "KL")
#: SAVEE's emotion codes -> canonical emotion names, through the vocabulary's aliases.
EMOTIONS: dict[str, str] = {code: canonical(word) for code, word in (
    ("a", "anger"), ("d", "disgust"), ("f", "fear"), ("h", "happiness"), ("n", "neutral"),
    ("sa", "sadness"), ("su", "surprise"))}
LABELS: tuple[str, ...] = ("neutral", "happy", "sad", "angry", "fearful", "disgust", "surprised")
EXPECTED = "<speaker>/<code><nn> with speaker DC, JE, JK or KL and code a, d, f, h, n, sa or su (e.g. DC/sa03)"
_STEM = re.compile(r"^(?P<code>sa|su|[adfhn])(?P<number>\d{2})$")


class SaveePathError(ValueError):
    """A path that is not a SAVEE take; the message says what is wrong with it."""


@dataclass(frozen=True, order=True)
class SaveeName:
    speaker: str
    code: str
    number: int

    @property
    def clip_id(self) -> str:
        return f"{self.speaker}_{self.code}{self.number:02d}"

    @property
    def label(self) -> str:
        return EMOTIONS[self.code]


def parse_savee_path(relative_path: PurePath) -> SaveeName:
    """Speaker from the folder holding the file, emotion and sentence number from its stem."""
    speaker = relative_path.parent.name
    stem = PurePath(relative_path.name).stem
    problems = []
    if speaker not in SPEAKERS:
        problems.append(f"folder {speaker!r} is not a SAVEE speaker ({', '.join(SPEAKERS)})")
    match = _STEM.match(stem)
    if match is None:
        problems.append(f"file name {stem!r} is not <code><nn> with code one of {', '.join(EMOTIONS)}")
    if problems:
        raise SaveePathError("; ".join(problems) + f"; expected {EXPECTED}")
    assert match is not None
    return SaveeName(speaker, match["code"], int(match["number"]))
