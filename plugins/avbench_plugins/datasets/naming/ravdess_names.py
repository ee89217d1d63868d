"""RAVDESS file names: ``MM-VC-EE-II-SS-RR-AA.ext``, shared by the real reader and the synthetic demo.

Fields (Livingstone & Russo 2018): modality (01 audio-video, 02 video-only,
03 audio-only), vocal channel (01 speech, 02 song), emotion (01 neutral ...
08 surprised), intensity (01 normal, 02 strong; neutral has no strong), statement
(01 "Kids are talking by the door", 02 "Dogs are sitting by the door"),
repetition (01, 02), actor (01-24; odd male, even female).

The clip id drops the modality field so that the audio file, the AV video and the
video-only file of one take share an id (``03-01-05-...-12`` and ``01-01-05-...-12``
are both ``01-05-...-12``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MODALITIES = {1: "audio-video", 2: "video-only", 3: "audio-only"}
VOCAL_CHANNELS = {1: "speech", 2: "song"}
EMOTIONS = {1: "neutral", 2: "calm", 3: "happy", 4: "sad", 5: "angry", 6: "fearful", 7: "disgust", 8: "surprised"}
INTENSITIES = {1: "normal", 2: "strong"}
STATEMENTS = {1: "Kids are talking by the door", 2: "Dogs are sitting by the door"}
REPETITIONS = {1: 1, 2: 2}
ACTORS = range(1, 25)
SONG_EMOTIONS = frozenset({1, 2, 3, 4, 5, 6})  # RAVDESS song has no disgust or surprised

LABELS: tuple[str, ...] = tuple(EMOTIONS.values())
EMOTION_CODES = {name: code for code, name in EMOTIONS.items()}
EXPECTED = "MM-VC-EE-II-SS-RR-AA (seven two-digit fields, e.g. 03-01-05-02-01-02-12)"
NAME_PATTERN = re.compile(r"^(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})$")


class RavdessNameError(ValueError):
    """A file name that is not a valid RAVDESS name; the message says every field that is wrong."""


@dataclass(frozen=True, order=True)
class RavdessName:
    """The seven fields of one RAVDESS file name, as integers."""

    modality: int
    vocal_channel: int
    emotion: int
    intensity: int
    statement: int
    repetition: int
    actor: int

    @property
    def clip_id(self) -> str:
        """The take's id: the name without the modality field (``VC-EE-II-SS-RR-AA``)."""
        return "-".join(f"{v:02d}" for v in (self.vocal_channel, self.emotion, self.intensity,
                                            self.statement, self.repetition, self.actor))

    @property
    def stem(self) -> str:
        return f"{self.modality:02d}-{self.clip_id}"

    @property
    def label(self) -> str:
        return EMOTIONS[self.emotion]

    @property
    def subject(self) -> str:
        return f"{self.actor:02d}"

    @property
    def gender(self) -> str:
        return "male" if self.actor % 2 else "female"

    @property
    def has_audio(self) -> bool:
        return self.modality in (1, 3)

    @property
    def has_video(self) -> bool:
        return self.modality in (1, 2)

    def meta(self) -> dict[str, object]:
        """What the name says besides label and subject, as plain data."""
        return {
            "actor": self.actor,
            "gender": self.gender,
            "vocal_channel": VOCAL_CHANNELS[self.vocal_channel],
            "intensity": INTENSITIES[self.intensity],
            "statement": self.statement,
            "repetition": self.repetition,
        }

    def filename(self, extension: str) -> str:
        """``MM-VC-EE-II-SS-RR-AA.<extension>``."""
        return f"{self.stem}.{extension.lstrip('.')}"


def parse_ravdess_name(stem: str, *, known_actors: range | None = ACTORS) -> RavdessName:
    """Parse a file-name stem; raise :class:`RavdessNameError` naming every wrong field.

    ``known_actors`` bounds the actor field (the real corpus has 01-24); ``None``
    accepts any actor from 01 up, as the synthetic set may have more.
    """
    match = NAME_PATTERN.match(stem)
    if match is None:
        raise RavdessNameError(f"name {stem!r} does not match {EXPECTED}")
    fields = RavdessName(*(int(v) for v in match.groups()))
    problems = []
    for field_name, table in (("modality", MODALITIES), ("vocal channel", VOCAL_CHANNELS),
                              ("emotion", EMOTIONS), ("intensity", INTENSITIES),
                              ("statement", STATEMENTS), ("repetition", REPETITIONS)):
        value = getattr(fields, field_name.replace(" ", "_"))
        if value not in table:
            allowed = ", ".join(f"{k:02d}" for k in table)
            problems.append(f"{field_name} {value:02d} is not one of {allowed}")
    if known_actors is not None and fields.actor not in known_actors:
        problems.append(f"actor {fields.actor:02d} is not in {known_actors.start:02d}-{known_actors.stop - 1:02d}")
    elif fields.actor < 1:
        problems.append("actor 00 is not a valid actor number")
    if fields.emotion == 1 and fields.intensity == 2:
        problems.append("neutral (emotion 01) has no strong intensity (02) in RAVDESS")
    if fields.vocal_channel == 2 and fields.emotion in EMOTIONS and fields.emotion not in SONG_EMOTIONS:
        problems.append(f"song (vocal channel 02) has no {EMOTIONS[fields.emotion]} (emotion {fields.emotion:02d})")
    if problems:
        raise RavdessNameError(f"name {stem!r}: " + "; ".join(problems))
    return fields
