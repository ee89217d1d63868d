"""``enterface``: the eNTERFACE'05 audio-visual emotion database (Martin et al. 2006), 6 emotions, avi takes.

Layout followed (the distributed archive, as the database paper and the public loaders of it
describe it)::

    <root>/subject 1/anger/sentence 1/s1_an_1.avi

See :mod:`.naming.enterface_names`. The reader takes the subjects that are present and checks
no count: the release is known to lack some subjects and takes (e.g. no ``subject 6``), and which
exactly is not encoded here. The avi holds the speech too, so it serves both modalities: the
audio extractors decode its audio track (PyAV), as for CREMA-D's flv. An extracted
``s1_an_1.wav`` in the same folder structure (under any top folder) is preferred for audio.
The subject is ``N`` of ``subject N``; gender is not in the file names, so meta says ``unknown``.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, field_validator

from avbench import hookimpl
from avbench.contract import Clip, Dataset, Params

from .naming.enterface_names import LABELS, EnterfaceName, EnterfacePathError, parse_enterface_path
from .tree import check_classes, find_media, group_takes, no_clips_error, nothing_usable_error, relative, require_root

ENV_VAR = "AVBENCH_ENTERFACE_ROOT"
LAYOUT = "subject N/<emotion>/sentence K/sN_<code>_K.avi (e.g. subject 1/anger/sentence 1/s1_an_1.avi)"


class EnterfaceParams(Params):
    classes: list[str] = Field([], description="emotion subset (canonical names); empty = all")
    subjects: list[int] = Field([], description="subject numbers; empty = all present")
    sentences: list[int] = Field([], description="sentence numbers 1-5; empty = all")
    video_extensions: list[str] = Field(["avi", "mp4"], min_length=1,
                                        description="video file types, in order of preference")
    audio_extensions: list[str] = Field(["wav", "flac"], description="extracted audio file types, in order of "
                                                                     "preference")
    audio_from_video: bool = Field(True, description="let the avi serve audio when a take has no audio file")
    require: list[Literal["audio", "video"]] = Field([], description="drop takes lacking one of these")
    exclude: list[str] = Field([], description="glob patterns of files to leave out")

    @field_validator("classes")
    @classmethod
    def _known_classes(cls, value: list[str]) -> list[str]:
        return check_classes(value, LABELS, "eNTERFACE'05")

    @field_validator("video_extensions", "audio_extensions")
    @classmethod
    def _bare_extensions(cls, value: list[str]) -> list[str]:
        return [v.lower().lstrip(".") for v in value]


class Enterface(Dataset):
    """eNTERFACE'05: subjects x 6 emotions x 5 sentences, one audio-visual avi per take."""

    name = "enterface"
    version = "1.0"
    labels: ClassVar[tuple[str, ...]] = LABELS
    modalities: ClassVar[tuple[str, ...]] = ("audio", "video")
    Params = EnterfaceParams

    @classmethod
    def conformance_tree(cls, tmp_dir: Path) -> Path:
        """A tiny eNTERFACE'05 tree for ``avbench check``: subjects 1 and 2 x 6 emotions, sentence 1."""
        from avbench.testing.media import face_frames, write_video

        root = Path(tmp_dir) / "enterface"
        for subject in (1, 2):
            for emotion in ("anger", "disgust", "fear", "happiness", "sadness", "surprise"):
                folder = root / f"subject {subject}" / emotion / "sentence 1"
                folder.mkdir(parents=True)
                write_video(folder / f"s{subject}_{emotion[:2]}_1.avi", face_frames(2))
        return root

    def clips(self, root: Path) -> list[Clip]:
        p: EnterfaceParams = self.params  # type: ignore[assignment]
        root = require_root(root, corpus="eNTERFACE'05", layout=LAYOUT, env_var=ENV_VAR, data_name="enterface")
        extensions = p.video_extensions + p.audio_extensions
        entries, problems = [], []
        names: dict[str, EnterfaceName] = {}
        for path in find_media(root, extensions, p.exclude, problems):
            try:
                name = parse_enterface_path(path.relative_to(root))
            except EnterfacePathError as exc:
                problems.append(f"{relative(path, root)}: {exc}")
                continue
            names[name.clip_id] = name
            entries.append((name.clip_id, path.suffix.lower().lstrip("."), path))
        takes, duplicates = group_takes(entries, root)
        self.problems = problems + duplicates
        if not takes:
            raise nothing_usable_error(root, self.problems, corpus="eNTERFACE'05", layout=LAYOUT,
                                       extensions=extensions, env_var=ENV_VAR, data_name="enterface")
        clips = []
        for clip_id, files in takes.items():
            name = names[clip_id]
            if ((p.classes and name.label not in p.classes) or (p.subjects and name.subject not in p.subjects)
                    or (p.sentences and name.sentence not in p.sentences)):
                continue
            video = next((files[e] for e in p.video_extensions if e in files), None)
            audio = next((files[e] for e in p.audio_extensions if e in files), None)
            if audio is None and p.audio_from_video:
                audio = video
            media = {k: str(v) for k, v in (("audio", audio), ("video", video)) if v is not None}
            if not media or any(m not in media for m in p.require):
                continue
            meta = {"subject": name.subject, "sentence": name.sentence, "gender": "unknown"}
            clips.append(Clip(clip_id, str(name.subject), name.label, media, meta))
        if not clips:
            raise no_clips_error(root, len(takes), self.get_params())
        return clips


@hookimpl
def avbench_plugins() -> list[type[Dataset]]:
    return [Enterface]
