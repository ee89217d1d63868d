"""``rml``: the Ryerson Multimedia Lab (RML) emotion database: about 720 AV clips, 8 subjects, 6 languages.

Assumed layout (as public loaders of RML describe it; every pattern is a parameter)::

    <root>/[rml-1/]s1/an1.avi                 subject folder s1..s8, file <emotion code><take>.avi
    <root>/[rml-2/]s6/<language>/di12.avi     subjects with several languages: a folder per language

Emotion codes an, di, fe, ha, sa, su -> angry, disgust, fearful, happy, sad,
surprised. Languages (english, mandarin, urdu, punjabi, persian, italian) are
read from folder names when present. The avi carries the sound as well, so it
serves audio too unless an extracted audio file (``an1.wav`` beside it, or under
another tree with the same subject/language folders) exists. The clip id is
``s<N>[-<folders below the subject>]-<stem>``, e.g. ``s6-english-di12``. RML does
not publish the subjects' gender; meta says ``unknown``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, ClassVar

from pydantic import Field, field_validator

from avbench import hookimpl
from avbench.contract import Clip, Dataset, Params

from .media_params import (AUDIO_EXTENSIONS_HELP, AUDIO_FROM_VIDEO_HELP, CLASSES_HELP, VIDEO_EXTENSIONS_HELP, Exclude,
                           Extensions, Require, known_classes)
from .naming.rml_names import (EMOTION_CODES, FILE_PATTERN, LABELS, LANGUAGES, SUBJECT_PATTERN, RmlName,
                               RmlPathError, parse_rml_path)
from .tree import lacks_required, no_clips_error, nothing_usable_error, pick_media, read_named_takes, require_root

ENV_VAR = "AVBENCH_RML_ROOT"
LAYOUT = "a folder per subject (s1..s8), optionally a folder per language, files <emotion><take>.avi (e.g. s1/an1.avi)"


def _pattern_with_groups(value: str, groups: set[str]) -> str:
    try:
        compiled = re.compile(value)
    except re.error as exc:
        raise ValueError(f"{value!r} is not a regular expression: {exc}") from None
    missing = groups - set(compiled.groupindex)
    if missing:
        raise ValueError(f"{value!r} needs the named group(s) {sorted(missing)}, e.g. (?P<{sorted(missing)[0]}>...)")
    return value


class RmlParams(Params):
    classes: Annotated[list[str], known_classes(LABELS, "RML")] = Field([], description=CLASSES_HELP)
    subjects: list[int] = Field([], description="subject numbers (1-8); empty = all")
    languages: list[str] = Field([], description="keep only these languages; empty = all")
    file_pattern: str = Field(FILE_PATTERN, description="regex on the file stem with groups emotion and take")
    subject_pattern: str = Field(SUBJECT_PATTERN, description="regex on a folder name with group subject")
    emotion_codes: dict[str, str] = Field(EMOTION_CODES, description="file-name emotion code -> class")
    language_folders: list[str] = Field(list(LANGUAGES), description="folder names read as the language")
    video_extensions: Extensions = Field(["avi", "mp4"], min_length=1, description=VIDEO_EXTENSIONS_HELP)
    audio_extensions: Extensions = Field(["wav", "flac"], description=AUDIO_EXTENSIONS_HELP)
    audio_from_video: bool = Field(True, description=AUDIO_FROM_VIDEO_HELP)
    require: Require = []
    exclude: Exclude = []

    @field_validator("file_pattern")
    @classmethod
    def _file_groups(cls, value: str) -> str:
        return _pattern_with_groups(value, {"emotion", "take"})

    @field_validator("subject_pattern")
    @classmethod
    def _subject_group(cls, value: str) -> str:
        return _pattern_with_groups(value, {"subject"})

    @field_validator("emotion_codes")
    @classmethod
    def _codes_to_labels(cls, value: dict[str, str]) -> dict[str, str]:
        bad = {code: label for code, label in value.items() if label not in LABELS}
        if bad:
            raise ValueError(f"emotion_codes {bad} map to classes RML does not have; its classes are {list(LABELS)}")
        return {code.lower(): label for code, label in value.items()}

    @field_validator("languages", "language_folders")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return [v.lower() for v in value]


class Rml(Dataset):
    """RML: 8 subjects, 6 languages, 6 emotions, audio-visual avi clips (layout configurable)."""

    name = "rml"
    version = "1.0"
    labels: ClassVar[tuple[str, ...]] = LABELS
    modalities: ClassVar[tuple[str, ...]] = ("audio", "video")
    Params = RmlParams

    @classmethod
    def conformance_tree(cls, tmp_dir: Path) -> Path:
        """A tiny RML tree for ``avbench check``: subjects s1 and s6/english x 6 emotions of mp4 video."""
        from avbench.testing.media import face_frames, write_video

        root = Path(tmp_dir) / "rml"
        for folder in (root / "s1", root / "s6" / "english"):
            folder.mkdir(parents=True)
            for code in ("an", "di", "fe", "ha", "sa", "su"):
                write_video(folder / f"{code}1.mp4", face_frames(2))
        return root

    def parse(self, relative_path: Path) -> RmlName:
        p: RmlParams = self.params  # type: ignore[assignment]
        return parse_rml_path(relative_path, file_pattern=p.file_pattern, subject_pattern=p.subject_pattern,
                              emotion_codes=p.emotion_codes, languages=p.language_folders)

    def clips(self, root: Path) -> list[Clip]:
        p: RmlParams = self.params  # type: ignore[assignment]
        root = require_root(root, corpus="RML", layout=LAYOUT, env_var=ENV_VAR, data_name="rml")
        extensions = p.video_extensions + p.audio_extensions
        takes, names, self.problems = read_named_takes(root, extensions, p.exclude, self.parse, RmlPathError)
        if not takes:
            raise nothing_usable_error(root, self.problems, corpus="RML", layout=LAYOUT, extensions=extensions,
                                       env_var=ENV_VAR, data_name="rml")
        clips = []
        for clip_id, files in takes.items():
            name = names[clip_id]
            label = p.emotion_codes[name.emotion]
            if ((p.classes and label not in p.classes) or (p.subjects and name.subject not in p.subjects)
                    or (p.languages and name.language not in p.languages)):
                continue
            media = pick_media(files, p.audio_extensions, p.video_extensions, p.audio_from_video)
            if lacks_required(media, p.require):
                continue
            meta = {"subject": name.subject, "language": name.language, "take": name.take, "gender": "unknown"}
            clips.append(Clip(clip_id, name.subject_id, label, media, meta))
        if not clips:
            raise no_clips_error(root, len(takes), self.get_params())
        return clips


@hookimpl
def avbench_plugins() -> list[type[Dataset]]:
    return [Rml]
