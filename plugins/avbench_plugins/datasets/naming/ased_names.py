"""ASED names: ``<NN><Emotion>/<e><n>-<ss>-<rr>-<gg>-<pp>.wav``, e.g. ``05Angry/a5-03-01-02-50.wav``.

Retta et al. 2022 (ACM TALLIP), the Amharic Speech Emotional Dataset v1 (its README): ``e`` is
the emotion (n neutral, f fearful, h happy, s sad, a angry) and ``n`` its folder number (1-5),
``ss`` the sentence, ``rr`` the repetition (01, 02), ``gg`` the gender (01 female, 02 male),
``pp`` the speaker (01-65). The release spells one prefix in capitals (``S4-04-02-01-29``):
the letter is read in any case. Five speakers (09, 15, 21, 23, 25) have one file each whose
gender field disagrees with all their other files; the reader gives each speaker the gender most
of their files name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

#: Emotion letter -> (folder number, canonical name).
EMOTIONS: dict[str, tuple[int, str]] = {"n": (1, "neutral"), "f": (2, "fearful"), "h": (3, "happy"),
                                        "s": (4, "sad"), "a": (5, "angry")}
LABELS: tuple[str, ...] = ("neutral", "happy", "sad", "angry", "fearful")
GENDERS = {1: "female", 2: "male"}
SPEAKERS = range(1, 66)
EXPECTED = "<e><n>-<sentence>-<repetition>-<gender>-<speaker>, e.g. a5-03-01-02-50 (e one of n f h s a)"
_STEM = re.compile(r"^(?P<e>[a-z])(?P<n>\d)-(?P<s>\d{2})-(?P<r>\d{2})-(?P<g>\d{2})-(?P<p>\d{2})$", re.IGNORECASE)
_FOLDER = re.compile(r"^(?P<n>\d{2})(?P<word>[A-Za-z]+)$")


class AsedNameError(ValueError):
    """A path that is not an ASED take; the message names every field that is wrong."""


@dataclass(frozen=True, order=True)
class AsedName:
    speaker: int
    emotion: str  # the letter, lower case
    sentence: int
    repetition: int
    gender_code: int

    @property
    def clip_id(self) -> str:
        number, _ = EMOTIONS[self.emotion]
        return (f"{self.emotion}{number}-{self.sentence:02d}-{self.repetition:02d}-{self.gender_code:02d}-"
                f"{self.speaker:02d}")

    @property
    def label(self) -> str:
        return EMOTIONS[self.emotion][1]

    @property
    def subject(self) -> str:
        return f"{self.speaker:02d}"


def parse_ased_path(relative_path: PurePath) -> AsedName:
    """The take a path names; a folder named ``NN<Word>`` must agree with the file's emotion number."""
    stem = PurePath(relative_path.name).stem
    match = _STEM.match(stem)
    if match is None:
        raise AsedNameError(f"name {stem!r} does not match {EXPECTED}")
    letter, number = match["e"].lower(), int(match["n"])
    speaker, gender = int(match["p"]), int(match["g"])
    problems = []
    if letter not in EMOTIONS:
        problems.append(f"emotion {match['e']!r} is not one of {', '.join(EMOTIONS)}")
    elif EMOTIONS[letter][0] != number:
        problems.append(f"emotion {letter!r} goes with folder number {EMOTIONS[letter][0]}, not {number}")
    if gender not in GENDERS:
        problems.append(f"gender {match['g']!r} is not 01 (female) or 02 (male)")
    if speaker not in SPEAKERS:
        problems.append(f"speaker {match['p']!r} is not in 01-65")
    folder = _FOLDER.match(relative_path.parent.name)
    if folder and letter in EMOTIONS and int(folder["n"]) != EMOTIONS[letter][0]:
        problems.append(f"the file is in folder {relative_path.parent.name!r}, not folder "
                        f"{EMOTIONS[letter][0]:02d} of {EMOTIONS[letter][1]}")
    if problems:
        raise AsedNameError(f"name {stem!r}: " + "; ".join(problems))
    return AsedName(speaker, letter, int(match["s"]), int(match["r"]), gender)
