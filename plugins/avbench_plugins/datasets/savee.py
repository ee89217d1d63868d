"""``savee``: Surrey Audio-Visual Expressed Emotion (Haq & Jackson 2009), 4 male speakers, 7 emotions.

Layout followed (the SAVEE web page's description of the release)::

    <root>/AudioData/<speaker>/<code><nn>.wav     e.g. AudioData/DC/sa03.wav
    <root>/AVIData/<speaker>/<code><nn>.avi       the audio-visual clip of the same take

Speakers DC, JE, JK, KL; codes a, d, f, h, n, sa, su (see :mod:`.naming.savee_names`).
Files are found recursively and joined by speaker folder and stem, so the top folder
names do not matter (a copy with ``AudioVisualClip/`` instead of ``AVIData/`` reads the
same). The avi carries the sound too: it serves audio when a take has no wav
(``audio_from_video``). All speakers are male British English speakers.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, field_validator

from avbench import hookimpl
from avbench.contract import Clip, Dataset, Params

from .naming.savee_names import LABELS, SaveeName, SaveePathError, parse_savee_path
from .tree import check_classes, find_media, group_takes, no_clips_error, nothing_usable_error, relative, require_root

ENV_VAR = "AVBENCH_SAVEE_ROOT"
LAYOUT = "AudioData/<speaker>/<code><nn>.wav and AVIData/<speaker>/<code><nn>.avi (e.g. AudioData/DC/sa03.wav)"


class SaveeParams(Params):
    classes: list[str] = Field([], description="emotion subset (canonical names); empty = all")
    speakers: list[Literal["DC", "JE", "JK", "KL"]] = Field([], description="speakers; empty = all")
    audio_extensions: list[str] = Field(["wav", "flac"], min_length=1,
                                        description="audio file types, in order of preference")
    video_extensions: list[str] = Field(["avi", "mp4"], min_length=1,
                                        description="video file types, in order of preference")
    audio_from_video: bool = Field(True, description="let the avi serve audio when a take has no audio file")
    require: list[Literal["audio", "video"]] = Field([], description="drop takes lacking one of these")
    exclude: list[str] = Field([], description="glob patterns of files to leave out")

    @field_validator("classes")
    @classmethod
    def _known_classes(cls, value: list[str]) -> list[str]:
        return check_classes(value, LABELS, "SAVEE")

    @field_validator("audio_extensions", "video_extensions")
    @classmethod
    def _bare_extensions(cls, value: list[str]) -> list[str]:
        return [v.lower().lstrip(".") for v in value]


class Savee(Dataset):
    """SAVEE: 4 male speakers (DC, JE, JK, KL), 7 emotions, wav audio and avi audio-visual clips."""

    name = "savee"
    version = "1.0"
    labels: ClassVar[tuple[str, ...]] = LABELS
    modalities: ClassVar[tuple[str, ...]] = ("audio", "video")
    Params = SaveeParams

    @classmethod
    def conformance_tree(cls, tmp_dir: Path) -> Path:
        """A tiny SAVEE tree for ``avbench check``: DC and JE x 7 emotions of wav, one avi."""
        from avbench.testing.media import face_frames, speech_like, write_video, write_wav

        root = Path(tmp_dir) / "savee"
        for speaker in ("DC", "JE"):
            (root / "AudioData" / speaker).mkdir(parents=True)
            for i, code in enumerate(("a", "d", "f", "h", "n", "sa", "su")):
                write_wav(root / "AudioData" / speaker / f"{code}01.wav", speech_like(0.3, seed=i))
        (root / "AVIData" / "DC").mkdir(parents=True)
        write_video(root / "AVIData" / "DC" / "a01.avi", face_frames(3))
        return root

    def clips(self, root: Path) -> list[Clip]:
        p: SaveeParams = self.params  # type: ignore[assignment]
        root = require_root(root, corpus="SAVEE", layout=LAYOUT, env_var=ENV_VAR, data_name="savee")
        extensions = p.audio_extensions + p.video_extensions
        entries, problems = [], []
        names: dict[str, SaveeName] = {}
        for path in find_media(root, extensions, p.exclude, problems):
            try:
                name = parse_savee_path(path.relative_to(root))
            except SaveePathError as exc:
                problems.append(f"{relative(path, root)}: {exc}")
                continue
            names[name.clip_id] = name
            entries.append((name.clip_id, path.suffix.lower().lstrip("."), path))
        takes, duplicates = group_takes(entries, root)
        self.problems = problems + duplicates
        if not takes:
            raise nothing_usable_error(root, self.problems, corpus="SAVEE", layout=LAYOUT, extensions=extensions,
                                       env_var=ENV_VAR, data_name="savee")
        clips = []
        for clip_id, files in takes.items():
            name = names[clip_id]
            if (p.classes and name.label not in p.classes) or (p.speakers and name.speaker not in p.speakers):
                continue
            audio = next((files[e] for e in p.audio_extensions if e in files), None)
            video = next((files[e] for e in p.video_extensions if e in files), None)
            if audio is None and p.audio_from_video:
                audio = video
            media = {k: str(v) for k, v in (("audio", audio), ("video", video)) if v is not None}
            if not media or any(m not in media for m in p.require):
                continue
            meta = {"speaker": name.speaker, "gender": "male", "sentence": name.number, "code": name.code}
            clips.append(Clip(clip_id, name.speaker, name.label, media, meta))
        if not clips:
            raise no_clips_error(root, len(takes), self.get_params())
        return clips


@hookimpl
def avbench_plugins() -> list[type[Dataset]]:
    return [Savee]
