"""Human reference figures of CREMA-D from its raters' votes (``processedResults/tabulatedVotes.csv``).

Each row of the table counts the responses of about ten crowd raters to one clip in one
presentation; the row id's first digit is the presentation (1 voice only, 2 face only,
3 audio-visual) and ``A, D, F, H, N, S`` are the counts per emotion. Against the intended
emotion (the file name's), per presentation:

- *individual raters*: every response counts once (accuracy), or per intended class (UAR);
- *crowd majority*: the most frequent response per clip; a tie between k emotions that
  includes the intended one counts 1/k (the expected score of breaking it at random).

Cao et al. 2014 report individual-rater accuracy of 40.9% (voice), 58.2% (face) and 63.6%
(audio-visual).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from .naming.crema_d_names import CremaDNameError, parse_crema_d_name

VOTES_FILE = "tabulatedVotes.csv"
PRESENTATIONS = {"1": "voice", "2": "face", "3": "audiovisual"}
LETTERS = {"A": "angry", "D": "disgust", "F": "fearful", "H": "happy", "N": "neutral", "S": "sad"}


class VotesTableError(ValueError):
    """The votes table cannot be read; the message names the file and, where it can, the line."""


@dataclass(frozen=True)
class HumanReference:
    """Human recognition of one presentation against the intended labels (fractions in 0-1)."""

    presentation: str
    clips: int
    responses: int
    individual_accuracy: float
    individual_uar: float
    majority_accuracy: float
    majority_uar: float
    tied_clips: int


def read_votes(path: Path) -> dict[str, list[tuple[str, dict[str, int]]]]:
    """Presentation -> [(intended label, {label: responses})] per clip; VotesTableError on bad input."""
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            columns = set(reader.fieldnames or ())
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise VotesTableError(f"{path}: cannot read the votes table: {exc}") from None
    needed = {"", "fileName", *LETTERS}
    if not needed <= columns:
        raise VotesTableError(f"{path}: lacks column(s) {sorted(needed - columns)}; expected the row id, "
                              f"{', '.join(LETTERS)} and fileName")
    out: dict[str, list[tuple[str, dict[str, int]]]] = defaultdict(list)
    for line, row in enumerate(rows, start=2):
        presentation = PRESENTATIONS.get((row[""] or "").strip().strip('"')[:1])
        if presentation is None:
            raise VotesTableError(f"{path} line {line}: row id {row['']!r} does not start with 1, 2 or 3")
        try:
            intended = parse_crema_d_name((row["fileName"] or "").strip()).label
            counts = {label: int(row[letter]) for letter, label in LETTERS.items()}
        except (CremaDNameError, ValueError) as exc:
            raise VotesTableError(f"{path} line {line}: {exc}") from None
        out[presentation].append((intended, counts))
    return dict(out)


def reference(presentation: str, clips: list[tuple[str, dict[str, int]]]) -> HumanReference:
    """Individual-rater and crowd-majority accuracy and UAR of one presentation's clips."""
    hits: dict[str, float] = defaultdict(float)     # intended class -> correct responses
    totals: dict[str, float] = defaultdict(float)   # intended class -> responses
    majority_hits: dict[str, float] = defaultdict(float)
    majority_totals: dict[str, int] = defaultdict(int)
    tied = 0
    for intended, counts in clips:
        responses = sum(counts.values())
        if responses == 0:
            continue
        hits[intended] += counts[intended]
        totals[intended] += responses
        top = max(counts.values())
        winners = [label for label, n in counts.items() if n == top]
        tied += len(winners) > 1
        majority_hits[intended] += (intended in winners) / len(winners)
        majority_totals[intended] += 1
    classes = sorted(totals)
    responses_all = sum(totals.values())
    clips_all = sum(majority_totals.values())
    return HumanReference(
        presentation, clips_all, int(responses_all),
        individual_accuracy=sum(hits.values()) / responses_all,
        individual_uar=sum(hits[c] / totals[c] for c in classes) / len(classes),
        majority_accuracy=sum(majority_hits.values()) / clips_all,
        majority_uar=sum(majority_hits[c] / majority_totals[c] for c in classes) / len(classes),
        tied_clips=tied)


def human_references(path: Path) -> dict[str, HumanReference]:
    """Voice, face and audio-visual references from ``tabulatedVotes.csv``, in that order."""
    votes = read_votes(path)
    return {p: reference(p, votes[p]) for p in PRESENTATIONS.values() if p in votes}
