"""CREMA-D file names: ``ActorID_Sentence_Emotion_Level`` (e.g. ``1001_DFA_ANG_XX``).

Cao et al. 2014: 91 actors (1001-1091), 12 sentences, 6 emotions, emotion level
LO (low), MD (medium), HI (high) or XX (unspecified). The stem is the clip id, so
the wav and the flv/mp4 of one take join on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SENTENCES = {
    "IEO": "It's eleven o'clock", "TIE": "That is exactly what happened", "IOM": "I'm on my way to the meeting",
    "IWW": "I wonder what this is about", "TAI": "The airplane is almost full", "MTI": "Maybe tomorrow it will be cold",
    "IWL": "I would like a new alarm clock", "ITH": "I think I have a doctor's appointment",
    "DFA": "Don't forget a jacket", "ITS": "I think I've seen this before",
    "TSI": "The surface is slick", "WSI": "We'll stop in a couple of minutes",
}
EMOTIONS = {"ANG": "angry", "DIS": "disgust", "FEA": "fearful", "HAP": "happy", "NEU": "neutral", "SAD": "sad"}
LEVELS = {"LO": "low", "MD": "medium", "HI": "high", "XX": "unspecified"}
ACTORS = range(1001, 1092)
# canonical order (neutral, calm, happy, sad, angry, fearful, disgust, surprised) restricted to CREMA-D
LABELS: tuple[str, ...] = ("neutral", "happy", "sad", "angry", "fearful", "disgust")
EXPECTED = "ActorID_Sentence_Emotion_Level, e.g. 1001_DFA_ANG_XX"
_NAME = re.compile(r"^([^_]+)_([^_]+)_([^_]+)_([^_]+)$")


class CremaDNameError(ValueError):
    """A file name that is not a valid CREMA-D name; the message says every field that is wrong."""


@dataclass(frozen=True, order=True)
class CremaDName:
    actor: int
    sentence: str
    emotion: str   # the code, e.g. ANG
    level: str     # the code, e.g. XX

    @property
    def clip_id(self) -> str:
        return f"{self.actor}_{self.sentence}_{self.emotion}_{self.level}"

    @property
    def label(self) -> str:
        return EMOTIONS[self.emotion]

    @property
    def subject(self) -> str:
        return str(self.actor)


def parse_crema_d_name(stem: str) -> CremaDName:
    """Parse a file-name stem; raise :class:`CremaDNameError` naming every wrong field."""
    match = _NAME.match(stem)
    if match is None:
        raise CremaDNameError(f"name {stem!r} does not match {EXPECTED}")
    actor, sentence, emotion, level = match.groups()
    problems = []
    if not (actor.isdigit() and int(actor) in ACTORS):
        problems.append(f"actor {actor!r} is not in 1001-1091")
    if sentence not in SENTENCES:
        problems.append(f"sentence {sentence!r} is not one of {', '.join(SENTENCES)}")
    if emotion not in EMOTIONS:
        problems.append(f"emotion {emotion!r} is not one of {', '.join(EMOTIONS)}")
    if level not in LEVELS:
        problems.append(f"level {level!r} is not one of {', '.join(LEVELS)}")
    if problems:
        raise CremaDNameError(f"name {stem!r}: " + "; ".join(problems))
    return CremaDName(int(actor), sentence, emotion, level)
