"""``crema-d``: the CREMA-D corpus (Cao et al. 2014), 91 actors, 6 emotions, read from its file names.

The distribution has ``AudioWAV/*.wav``, ``AudioMP3/*.mp3`` and ``VideoFlash/*.flv``
named ``ActorID_Sentence_Emotion_Level``; files are found recursively and joined by
that stem, so any copy (mp4 conversions, flac, one flat folder) reads the same.
Gender, age, race and ethnicity come from ``VideoDemographics.csv`` when the root
(or a sub-folder) holds it, else from the metadata folder (``$AVBENCH_CREMA_D_META`` or the
``crema-d-meta`` resource: the official ``processedResults`` files); without it gender is ``unknown``.

``label_target`` picks the label: ``intended`` (the file name's emotion, the default) or the
crowd's majority label for one presentation (``voice``, ``face``, ``audiovisual``) from the
metadata folder's ``summaryTable.csv``. A clip whose crowd vote is a tie has no majority label
and is left out. The table's content hash enters the dataset's identity (:meth:`CremaD.input_files`).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Mapping

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from avbench import hookimpl
from avbench.contract import Clip, Dataset, DatasetError, Params
from avbench.contract.errors import ResourceMissingError

from .media_params import (AUDIO_EXTENSIONS_HELP, AUDIO_FROM_VIDEO_HELP, CLASSES_HELP, VIDEO_EXTENSIONS_HELP, Exclude,
                           Extensions, Require, each_known, known_classes)
from .naming.crema_d_names import ACTORS, LABELS, LEVELS, SENTENCES, CremaDNameError, parse_crema_d_name
from .tree import lacks_required, no_clips_error, nothing_usable_error, pick_media, read_named_takes, require_root

ENV_VAR = "AVBENCH_CREMA_D_ROOT"
META_ENV_VAR = "AVBENCH_CREMA_D_META"
META_RESOURCE = "crema-d-meta"
DEMOGRAPHICS = "VideoDemographics.csv"
SUMMARY = "summaryTable.csv"
#: summaryTable.csv's column of each crowd label target.
VOTE_COLUMNS = {"voice": "VoiceVote", "face": "FaceVote", "audiovisual": "MultiModalVote"}
#: The letters of the crowd's votes -> canonical labels.
VOTE_LETTERS = {"A": "angry", "D": "disgust", "F": "fearful", "H": "happy", "N": "neutral", "S": "sad"}
LabelTarget = Literal["intended", "voice", "face", "audiovisual"]
LAYOUT = ("files named ActorID_Sentence_Emotion_Level.ext in any sub-folder, e.g. AudioWAV/1001_DFA_ANG_XX.wav "
          "and VideoFlash/1001_DFA_ANG_XX.flv (optionally VideoDemographics.csv at the root)")


class CremaDParams(Params):
    classes: Annotated[list[str], known_classes(LABELS, "CREMA-D")] = Field([], description=CLASSES_HELP)
    actors: Annotated[list[int], each_known(ACTORS, "CREMA-D actors are 1001-1091")] = Field(
        [], description="actor ids 1001-1091; empty = all")
    levels: list[Literal["LO", "MD", "HI", "XX"]] = Field([], description="emotion levels; empty = all")
    sentences: Annotated[list[str], each_known(SENTENCES, f"CREMA-D sentences are {list(SENTENCES)}")] = Field(
        [], description="sentence codes (IEO, TIE, ...); empty = all")
    audio_extensions: Extensions = Field(["wav", "flac", "mp3"], min_length=1, description=AUDIO_EXTENSIONS_HELP)
    video_extensions: Extensions = Field(["flv", "mp4"], min_length=1, description=VIDEO_EXTENSIONS_HELP)
    audio_from_video: bool = Field(True, description=AUDIO_FROM_VIDEO_HELP)
    require: Require = []
    exclude: Exclude = []
    label_target: LabelTarget = Field(
        "intended", description="the label: 'intended' (the file name's emotion) or the crowd majority of "
        "'voice', 'face' or 'audiovisual' raters (summaryTable.csv; tied votes leave the clip out)")

    @model_serializer(mode="wrap")
    def _default_target_unsaid(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """``label_target`` enters the parameters (and so the keys) only when it is not the default."""
        data = handler(self)
        if data.get("label_target") == "intended":
            del data["label_target"]
        return data


def read_crowd_labels(path: Path, target: str) -> dict[str, str | None]:
    """Clip id -> the crowd's majority label for ``target`` (None for a tie such as ``N:S``).

    DatasetError naming the file when it cannot be read, lacks the column or holds an unknown vote.
    """
    column = VOTE_COLUMNS[target]
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            columns = set(reader.fieldnames or ())
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(path, [f"cannot read the crowd label table: {exc}"]) from None
    if not {"FileName", column} <= columns:
        raise DatasetError(path, [f"crowd label table lacks column(s) {sorted({'FileName', column} - columns)}; "
                                  f"expected FileName and {', '.join(VOTE_COLUMNS.values())}"])
    out: dict[str, str | None] = {}
    problems = []
    for line, row in enumerate(rows, start=2):
        vote = (row[column] or "").strip()
        letters = vote.split(":")
        if any(letter not in VOTE_LETTERS for letter in letters):
            problems.append(f"line {line}: {column} {vote!r} is not one of {', '.join(VOTE_LETTERS)} (or a tie A:B)")
            continue
        out[(row["FileName"] or "").strip()] = VOTE_LETTERS[letters[0]] if len(letters) == 1 else None
    if problems:
        raise DatasetError(path, problems)
    return out


def find_demographics(root: Path) -> Path | None:
    """``VideoDemographics.csv`` at the root, else the first one in a sub-folder, else None."""
    direct = root / DEMOGRAPHICS
    if direct.is_file():
        return direct
    found = sorted(p for p in root.rglob(DEMOGRAPHICS) if p.is_file())
    return found[0] if found else None


def read_demographics(path: Path) -> dict[int, dict[str, object]]:
    """Actor id -> {gender, age, race, ethnicity}; DatasetError naming the file when it is unreadable."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            columns = set(reader.fieldnames or ())
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(path, [f"cannot read the demographics table: {exc}"]) from None
    missing = {"ActorID", "Sex"} - columns
    if missing:
        raise DatasetError(path, [f"demographics table lacks column(s) {sorted(missing)}; "
                                  "expected ActorID, Age, Sex, Race, Ethnicity"])
    table: dict[int, dict[str, object]] = {}
    problems = []
    for line, row in enumerate(rows, start=2):
        actor = (row.get("ActorID") or "").strip()
        if not actor.isdigit():
            problems.append(f"line {line}: ActorID {actor!r} is not a number")
            continue
        sex = (row.get("Sex") or "").strip().lower()
        age = (row.get("Age") or "").strip()
        table[int(actor)] = {
            "gender": sex if sex in ("male", "female") else "unknown",
            "age": int(age) if age.isdigit() else None,
            "race": (row.get("Race") or "").strip() or None,
            "ethnicity": (row.get("Ethnicity") or "").strip() or None,
        }
    if problems:
        raise DatasetError(path, problems)
    return table


class CremaD(Dataset):
    """CREMA-D: 91 actors, 12 sentences, 6 emotions, audio (wav/mp3) and video (flv/mp4)."""

    name = "crema-d"
    version = "1.0"
    cites = ('Cao et al. 2014, "CREMA-D: Crowd-sourced Emotional Multimodal Actors Dataset", IEEE Transactions on '
             'Affective Computing 5(4)')
    labels: ClassVar[tuple[str, ...]] = LABELS
    modalities: ClassVar[tuple[str, ...]] = ("audio", "video")
    languages: ClassVar[tuple[str, ...]] = ("en",)
    speakers: ClassVar[int | None] = 91
    clip_count: ClassVar[int | None] = 7442
    licence: ClassVar[str] = "ODbL-1.0 (contents: DbCL-1.0)"
    source: ClassVar[str] = "https://github.com/CheyneyComputerScience/CREMA-D"
    sample_rate: ClassVar[int | None] = 16000
    label_origin: ClassVar[str] = ("acted; the intended emotion from the file name, or with label_target the majority "
                                   "of crowd raters (voice, face or audio-visual; 2443 raters, about 10 per clip)")
    Params = CremaDParams

    def metadata_folder(self) -> Path | None:
        """The official metadata folder (summaryTable.csv, VideoDemographics.csv), when configured."""
        return self.context.resource(META_RESOURCE, META_ENV_VAR)

    def input_files(self) -> Mapping[str, Path]:
        """``summaryTable.csv`` when the labels come from it; nothing for the intended labels."""
        p: CremaDParams = self.params  # type: ignore[assignment]
        if p.label_target == "intended":
            return {}
        folder = self.metadata_folder()
        if folder is None:
            raise ResourceMissingError(f"crema-d: label_target={p.label_target!r} reads {SUMMARY}: set "
                                       f"{META_ENV_VAR}=FOLDER (or the {META_RESOURCE!r} resource) to the folder "
                                       f"holding it")
        return {SUMMARY: folder / SUMMARY}

    @classmethod
    def conformance_tree(cls, tmp_dir: Path) -> Path:
        """A tiny CREMA-D tree for ``avbench check``: actors 1001-1002 x 6 emotions of wav, one mp4."""
        from avbench.testing.media import face_frames, speech_like, write_video, write_wav

        root = Path(tmp_dir) / "crema-d"
        (root / "AudioWAV").mkdir(parents=True)
        (root / "VideoFlash").mkdir()
        for actor in (1001, 1002):
            for i, code in enumerate(("ANG", "DIS", "FEA", "HAP", "NEU", "SAD")):
                write_wav(root / "AudioWAV" / f"{actor}_DFA_{code}_XX.wav", speech_like(0.3, seed=i))
        write_video(root / "VideoFlash" / "1001_DFA_ANG_XX.mp4", face_frames(3))
        return root

    def clips(self, root: Path) -> list[Clip]:
        p: CremaDParams = self.params  # type: ignore[assignment]
        root = require_root(root, corpus="CREMA-D", layout=LAYOUT, env_var=ENV_VAR, data_name="crema-d")
        extensions = p.audio_extensions + p.video_extensions
        takes, names, self.problems = read_named_takes(root, extensions, p.exclude,
                                                       lambda path: parse_crema_d_name(path.stem), CremaDNameError)
        if not takes:
            raise nothing_usable_error(root, self.problems, corpus="CREMA-D", layout=LAYOUT, extensions=extensions,
                                       env_var=ENV_VAR, data_name="crema-d")
        demographics_file = find_demographics(root)
        meta_folder = self.metadata_folder()
        if demographics_file is None and meta_folder is not None and (meta_folder / DEMOGRAPHICS).is_file():
            demographics_file = meta_folder / DEMOGRAPHICS
        demographics = read_demographics(demographics_file) if demographics_file else {}
        crowd = (read_crowd_labels(self.input_files()[SUMMARY], p.label_target)
                 if p.label_target != "intended" else None)

        clips = []
        for clip_id, files in takes.items():
            name = names[clip_id]
            label = name.label if crowd is None else crowd.get(clip_id)
            if label is None:  # a tied crowd vote, or a clip the table lacks: no majority label
                continue
            if ((p.classes and label not in p.classes) or (p.actors and name.actor not in p.actors)
                    or (p.levels and name.level not in p.levels) or (p.sentences and name.sentence not in p.sentences)):
                continue
            media = pick_media(files, p.audio_extensions, p.video_extensions, p.audio_from_video)
            if lacks_required(media, p.require):
                continue
            person = demographics.get(name.actor, {"gender": "unknown"})
            meta = {"actor": name.actor, **person, "sentence": name.sentence,
                    "level": name.level, "intensity": LEVELS[name.level]}
            if crowd is not None:
                meta["intended"] = name.label
            clips.append(Clip(clip_id, name.subject, label, media, meta))
        if not clips:
            raise no_clips_error(root, len(takes), self.get_params())
        return clips


@hookimpl
def avbench_plugins() -> list[type[Dataset]]:
    return [CremaD]
