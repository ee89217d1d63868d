"""IEMOCAP utterance ids and ``dialog/EmoEvaluation/<dialog>.txt`` lines.

Busso et al. 2008 (IEMOCAP, USC SAIL; the layout of ``IEMOCAP_full_release``): five sessions,
each a male and a female actor. An utterance id such as ``Ses01F_impro01_F000`` or
``Ses02M_script01_1_M012`` reads: session 01; the dialog ``Ses01F_impro01`` (its letter says
which actor wore the markers); the speaker's gender letter and turn number in the last part.
So the speaker is session + that last gender letter (``F000`` -> the female actor of session 1).

An evaluation file holds, per utterance, one line
``[6.2901 - 8.2357]<TAB>Ses01F_impro01_F000<TAB>neu<TAB>[2.5000, 2.5000, 2.5000]``
(start, end, utterance, the consensus category, valence/activation/dominance), followed by the
individual annotators' lines, which are not read. Categories: ang, hap, exc, sad, neu, fru, fea,
sur, dis, oth, and xxx when the annotators did not agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from avbench.contract import canonical

#: IEMOCAP's category codes -> canonical names (through the vocabulary's aliases).
CODES: dict[str, str] = {code: canonical(code) for code in
                         ("neu", "hap", "sad", "ang", "fea", "dis", "sur", "fru", "exc", "oth")}
NO_AGREEMENT = "xxx"
LABELS: tuple[str, ...] = ("neutral", "happy", "sad", "angry", "fearful", "disgust", "surprised",
                           "frustration", "excited", "other")
#: The standard 4-class task: excited merged into happy, the other categories left out.
FOUR_CLASS: dict[str, str] = {"neutral": "neutral", "happy": "happy", "excited": "happy", "sad": "sad",
                              "angry": "angry"}
EXPECTED = "SesNN<F|M>_<dialog>_<F|M>NNN, e.g. Ses01F_impro01_F000"
_UTTERANCE = re.compile(r"^Ses(?P<session>0[1-5])(?P<marker>[FM])_(?P<kind>impro|script)(?P<rest>[0-9A-Za-z_]*?)"
                        r"_(?P<gender>[FM])(?P<turn>\d{3})$")
_EVALUATION = re.compile(r"^\[\s*(?P<start>\d+(?:\.\d+)?)\s*-\s*(?P<end>\d+(?:\.\d+)?)\s*\]\s+(?P<utterance>\S+)\s+"
                         r"(?P<code>[a-z]{3})\s+\[\s*(?P<v>[-\d.]+),\s*(?P<a>[-\d.]+),\s*(?P<d>[-\d.]+)\s*\]\s*$")


class IemocapNameError(ValueError):
    """An utterance id or evaluation line that IEMOCAP's scheme does not allow; the message says why."""


@dataclass(frozen=True, order=True)
class IemocapUtterance:
    session: int
    dialog: str
    gender: str  # F or M: the speaker of this utterance
    utterance_id: str

    @property
    def subject(self) -> str:
        """The speaker: ``Ses01F`` is the female actor of session 1, whatever the dialog's marker letter."""
        return f"Ses{self.session:02d}{self.gender}"

    @property
    def improvised(self) -> bool:
        return "_impro" in self.dialog


@dataclass(frozen=True)
class Evaluation:
    utterance_id: str
    code: str          # ang, hap, ..., or xxx
    start: float
    end: float
    vad: tuple[float, float, float]


def parse_utterance_id(stem: str) -> IemocapUtterance:
    match = _UTTERANCE.match(stem)
    if match is None:
        raise IemocapNameError(f"name {stem!r} is not an IEMOCAP utterance id ({EXPECTED})")
    dialog = stem.rsplit("_", 1)[0]
    return IemocapUtterance(int(match["session"]), dialog, match["gender"], stem)


def read_evaluations(path: Path) -> tuple[dict[str, Evaluation], list[str]]:
    """The consensus line of every utterance in one evaluation file, and a problem per malformed line.

    Lines starting with ``[`` are utterance lines; annotator lines (``C-E2:``, ``A-F1:``...), the
    ``%`` header and blank lines are skipped. An unreadable file raises OSError/UnicodeDecodeError.
    """
    found: dict[str, Evaluation] = {}
    problems = []
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="strict").splitlines(), start=1):
        if not line.startswith("["):
            continue
        match = _EVALUATION.match(line)
        if match is None or (match["code"] not in CODES and match["code"] != NO_AGREEMENT):
            problems.append(f"line {number}: expected '[start - end]<TAB>utterance<TAB>code<TAB>[v, a, d]' with "
                            f"code one of {', '.join(CODES)}, {NO_AGREEMENT}; got {line.strip()[:80]!r}")
            continue
        found[match["utterance"]] = Evaluation(match["utterance"], match["code"], float(match["start"]),
                                               float(match["end"]),
                                               (float(match["v"]), float(match["a"]), float(match["d"])))
    return found, problems
