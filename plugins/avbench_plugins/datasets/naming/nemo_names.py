"""nEMO names: ``samples/<speaker>_<emotion>_<n>.wav`` with ``data.tsv`` holding speaker, gender, age and text.

Christop 2024 (LREC-COLING), nEMO: Polish emotional speech, 9 actors (speaker ids such as
``WR0``, ``EB0``), six emotions written out in full (``anger``, ``fear``, ``happiness``,
``neutral``, ``sadness``, ``surprised``). The table's ``file_id`` is the file name; its
``speaker_id`` column is padded with spaces in the release (stripped here).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from avbench.contract import canonical

#: nEMO's emotion words -> canonical names.
EMOTIONS: dict[str, str] = {word: canonical(word) for word in
                            ("anger", "fear", "happiness", "neutral", "sadness", "surprised")}
LABELS: tuple[str, ...] = ("neutral", "happy", "sad", "angry", "fearful", "surprised")
SPEAKERS: tuple[str, ...] = ("EB0", "IC0", "KD0", "KS0", "MK0", "MP0", "SM0", "TP0", "WR0")
EXPECTED = "<speaker>_<emotion>_<n>, e.g. WR0_surprised_64, with emotion one of " + ", ".join(EMOTIONS)
COLUMNS = ("file_id", "emotion", "speaker_id", "gender", "age")
_STEM = re.compile(r"^(?P<speaker>[A-Z]{2}\d)_(?P<emotion>[a-z]+)_(?P<number>\d+)$")


class NemoNameError(ValueError):
    """A file name that is not a nEMO take; the message says what is wrong."""


@dataclass(frozen=True, order=True)
class NemoName:
    speaker: str
    emotion: str  # nEMO's own word, e.g. "anger"
    number: int

    @property
    def clip_id(self) -> str:
        return f"{self.speaker}_{self.emotion}_{self.number}"

    @property
    def label(self) -> str:
        return EMOTIONS[self.emotion]


def parse_nemo_name(stem: str) -> NemoName:
    """Speaker, emotion word and take number from a file-name stem; NemoNameError says what is wrong."""
    match = _STEM.match(stem)
    if match is None:
        raise NemoNameError(f"name {stem!r} does not match {EXPECTED}")
    if match["emotion"] not in EMOTIONS:
        raise NemoNameError(f"name {stem!r}: emotion {match['emotion']!r} is not one of {', '.join(EMOTIONS)}")
    return NemoName(match["speaker"], match["emotion"], int(match["number"]))


@dataclass(frozen=True)
class NemoRow:
    """One line of ``data.tsv``: who spoke the take and what they said."""

    speaker: str
    emotion: str
    gender: str
    age: int | None
    text: str


class NemoTableError(ValueError):
    """``data.tsv`` cannot be read or lacks a column; the message names the problem."""


def read_nemo_table(path: Path) -> tuple[dict[str, NemoRow], list[str]]:
    """``{clip id: row}`` of ``data.tsv`` and one problem line per row that cannot be used."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle, delimiter="\t")
            rows = list(reader)
            columns = set(reader.fieldnames or ())
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise NemoTableError(f"cannot read {path.name}: {exc}") from None
    missing = [c for c in COLUMNS if c not in columns]
    if missing:
        raise NemoTableError(f"{path.name} lacks column(s) {missing}; expected {', '.join(COLUMNS)} (tab-separated)")
    table: dict[str, NemoRow] = {}
    problems = []
    for line, row in enumerate(rows, start=2):
        file_id = (row["file_id"] or "").strip()
        stem = file_id.rsplit(".", 1)[0]
        speaker, emotion = (row["speaker_id"] or "").strip(), (row["emotion"] or "").strip()
        try:
            name = parse_nemo_name(stem)
        except NemoNameError as exc:
            problems.append(f"{path.name} line {line}: {exc}")
            continue
        if (name.speaker, name.emotion) != (speaker, emotion):
            problems.append(f"{path.name} line {line}: {file_id} names speaker {name.speaker} and emotion "
                            f"{name.emotion}, the row says {speaker} and {emotion}")
            continue
        gender = (row["gender"] or "").strip().lower()
        age = (row["age"] or "").strip()
        table[name.clip_id] = NemoRow(speaker, emotion, gender if gender in ("male", "female") else "unknown",
                                      int(age) if age.isdigit() else None, (row.get("raw_text") or "").strip())
    return table, problems
