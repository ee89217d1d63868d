"""``iemocap``: IEMOCAP (Busso et al. 2008), 5 sessions x 2 actors, utterances labelled by annotator consensus.

Layout followed (``IEMOCAP_full_release`` as distributed by USC SAIL; a wrapper folder above the
sessions is allowed)::

    <root>/Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_F000.wav
    <root>/Session1/dialog/EmoEvaluation/Ses01F_impro01.txt
        lines such as "[6.2901 - 8.2357]<TAB>Ses01F_impro01_F000<TAB>neu<TAB>[2.5000, 2.5000, 2.5000]"

The speaker (``subject``) is the session and the gender letter of the utterance id's last part:
``Ses01F_impro01_M003`` is spoken by ``Ses01M``. Labels come from the evaluation files'
consensus category; ``xxx`` (no agreement) utterances are left out and counted in ``left_out``,
as are utterances outside the chosen classes. ``four_class`` (default on) gives the standard task:
angry, happy (with excited merged in), sad, neutral.

Audio only: IEMOCAP's video (``dialog/avi/DivX/<dialog>.avi``) is one file per dialog with both
actors, not per utterance, so no utterance has video media here. The standard protocol is
leave-one-session-out (each session's two speakers tested together): the ``leave-one-session-out``
protocol groups on ``meta["session"]``.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from avbench import hookimpl
from avbench.contract import Clip, Dataset, Params

from .media_params import Exclude, each_known, known_classes
from .naming.iemocap_names import (CODES, FOUR_CLASS, LABELS, NO_AGREEMENT, Evaluation, IemocapNameError,
                                   IemocapUtterance, parse_utterance_id, read_evaluations)
from .tree import find_media, group_takes, no_clips_error, nothing_usable_error, relative, require_root

ENV_VAR = "AVBENCH_IEMOCAP_ROOT"
LAYOUT = ("Session1..Session5 folders, each with sentences/wav/<dialog>/<utterance>.wav and "
          "dialog/EmoEvaluation/<dialog>.txt (e.g. Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_F000.wav)")
log = logging.getLogger(__name__)


class IemocapParams(Params):
    four_class: bool = Field(True, description="the standard 4-class task: angry, happy (excited merged in), sad, "
                                               "neutral; other categories left out")
    classes: Annotated[list[str], known_classes(LABELS, "IEMOCAP")] = Field(
        [], description="emotion subset (canonical names, after four_class); empty = all")
    sessions: Annotated[list[int], each_known(range(1, 6), "IEMOCAP sessions are 1-5")] = Field(
        [], description="sessions 1-5; empty = all")
    dialog_types: list[Literal["improvised", "scripted"]] = Field([], description="dialog types; empty = both")
    exclude: Exclude = []

    @model_validator(mode="after")
    def _classes_of_the_task(self) -> "IemocapParams":
        outside = [c for c in self.classes if self.four_class and c not in set(FOUR_CLASS.values())]
        if outside:
            raise ValueError(f"classes {outside} are not in the 4-class task (angry, happy, sad, neutral); "
                             "set four_class = false to use them")
        return self


def session_folders(root: Path) -> list[Path]:
    """``Session1``..``Session5`` directly under ``root``, else one level down (``IEMOCAP_full_release/``)."""
    direct = sorted(p for p in root.glob("Session[1-5]") if p.is_dir())
    return direct or sorted(p for p in root.glob("*/Session[1-5]") if p.is_dir())


class Iemocap(Dataset):
    """IEMOCAP: 10 speakers in 5 sessions, consensus categories, audio per utterance."""

    name = "iemocap"
    version = "1.0"
    labels: ClassVar[tuple[str, ...]] = LABELS
    modalities: ClassVar[tuple[str, ...]] = ("audio",)
    Params = IemocapParams
    #: Utterances left out by the last :meth:`clips` call, by reason (not file problems).
    left_out: dict[str, int] = {}

    @classmethod
    def conformance_tree(cls, tmp_dir: Path) -> Path:
        """A tiny IEMOCAP tree for ``avbench check``: sessions 1-2, both speakers, the four classes."""
        from avbench.testing.media import speech_like, write_wav

        root = Path(tmp_dir) / "iemocap"
        codes = ("neu", "hap", "sad", "ang", "exc", "xxx")
        for session in (1, 2):
            dialog = f"Ses{session:02d}F_impro01"
            wav_dir = root / f"Session{session}" / "sentences" / "wav" / dialog
            eval_dir = root / f"Session{session}" / "dialog" / "EmoEvaluation"
            wav_dir.mkdir(parents=True)
            eval_dir.mkdir(parents=True)
            lines = ["% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]", ""]
            for turn, code in enumerate(codes):
                for gender in "FM":
                    utterance = f"{dialog}_{gender}{turn:03d}"
                    write_wav(wav_dir / f"{utterance}.wav", speech_like(0.3, seed=turn))
                    lines += [f"[{turn}.0000 - {turn}.5000]\t{utterance}\t{code}\t[2.5000, 3.0000, 3.5000]",
                              "C-E1:\tNeutral;\t()", ""]
            (eval_dir / f"{dialog}.txt").write_text("\n".join(lines) + "\n")
        return root

    def clips(self, root: Path) -> list[Clip]:
        p: IemocapParams = self.params  # type: ignore[assignment]
        root = require_root(root, corpus="IEMOCAP", layout=LAYOUT, env_var=ENV_VAR, data_name="iemocap")
        problems: list[str] = []
        evaluations: dict[str, Evaluation] = {}
        entries = []
        names: dict[str, IemocapUtterance] = {}
        for session_dir in session_folders(root):
            for txt in sorted((session_dir / "dialog" / "EmoEvaluation").glob("*.txt")):
                if txt.name.startswith(".") or not txt.is_file():
                    continue
                try:
                    found, bad_lines = read_evaluations(txt)
                except (OSError, UnicodeDecodeError) as exc:
                    problems.append(f"{relative(txt, root)}: cannot read this evaluation file: {exc}")
                    continue
                problems += [f"{relative(txt, root)}: {line}" for line in bad_lines]
                evaluations.update(found)
            wav_root = session_dir / "sentences" / "wav"
            if not wav_root.is_dir():
                continue
            listing: list[str] = []  # find_media names files relative to wav_root: put them back under root
            wavs = find_media(wav_root, ["wav"], p.exclude, listing)
            problems += [f"{relative(wav_root, root)}/{line}" for line in listing]
            for path in wavs:
                try:
                    name = parse_utterance_id(path.stem)
                except IemocapNameError as exc:
                    problems.append(f"{relative(path, root)}: {exc}")
                    continue
                if f"Session{name.session}" != session_dir.name:
                    problems.append(f"{relative(path, root)}: utterance of session {name.session} "
                                    f"under {session_dir.name}")
                    continue
                names[name.utterance_id] = name
                entries.append((name.utterance_id, "wav", path))
        takes, duplicates = group_takes(entries, root)
        left_out: Counter[str] = Counter()
        clips = []
        for utterance_id, files in takes.items():
            name = names[utterance_id]
            evaluation = evaluations.get(utterance_id)
            if evaluation is None:
                problems.append(f"{relative(files['wav'], root)}: no line for {utterance_id} in "
                                f"Session{name.session}/dialog/EmoEvaluation/{name.dialog}.txt")
                continue
            if evaluation.code == NO_AGREEMENT:
                left_out["xxx: annotators did not agree"] += 1
                continue
            label = CODES[evaluation.code]
            if p.four_class:
                if label not in FOUR_CLASS:
                    left_out[f"{evaluation.code}: not in the 4-class task"] += 1
                    continue
                label = FOUR_CLASS[label]
            kind = "improvised" if name.improvised else "scripted"
            if ((p.classes and label not in p.classes) or (p.sessions and name.session not in p.sessions)
                    or (p.dialog_types and kind not in p.dialog_types)):
                continue
            valence, activation, dominance = evaluation.vad
            meta = {"session": name.session, "gender": "female" if name.gender == "F" else "male",
                    "dialog": name.dialog, "dialog_type": kind, "code": evaluation.code,
                    "start": evaluation.start, "end": evaluation.end,
                    "valence": valence, "activation": activation, "dominance": dominance}
            clips.append(Clip(utterance_id, name.subject, label, {"audio": str(files["wav"])}, meta))
        self.problems = problems + duplicates
        self.left_out = dict(sorted(left_out.items()))
        for reason, count in self.left_out.items():
            log.info("iemocap: %d utterance(s) left out (%s)", count, reason)
        if not takes:
            raise nothing_usable_error(root, self.problems, corpus="IEMOCAP", layout=LAYOUT, extensions=["wav"],
                                       env_var=ENV_VAR, data_name="iemocap")
        if not clips:
            raise no_clips_error(root, len(takes), self.get_params())
        return clips


@hookimpl
def avbench_plugins() -> list[type[Dataset]]:
    return [Iemocap]
