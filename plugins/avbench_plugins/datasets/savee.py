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
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from avbench import hookimpl
from avbench.contract import Clip, Dataset, Params

from .media_params import (AUDIO_EXTENSIONS_HELP, CLASSES_HELP, VIDEO_EXTENSIONS_HELP, Exclude, Extensions, Require,
                           known_classes)
from .naming.savee_names import LABELS, SaveePathError, parse_savee_path
from .tree import lacks_required, no_clips_error, nothing_usable_error, pick_media, read_named_takes, require_root

ENV_VAR = "AVBENCH_SAVEE_ROOT"
LAYOUT = "AudioData/<speaker>/<code><nn>.wav and AVIData/<speaker>/<code><nn>.avi (e.g. AudioData/DC/sa03.wav)"


class SaveeParams(Params):
    classes: Annotated[list[str], known_classes(LABELS, "SAVEE")] = Field([], description=CLASSES_HELP)
    speakers: list[Literal["DC", "JE", "JK", "KL"]] = Field([], description="speakers; empty = all")
    audio_extensions: Extensions = Field(["wav", "flac"], min_length=1, description=AUDIO_EXTENSIONS_HELP)
    video_extensions: Extensions = Field(["avi", "mp4"], min_length=1, description=VIDEO_EXTENSIONS_HELP)
    audio_from_video: bool = Field(True, description="let the avi serve audio when a take has no audio file")
    require: Require = []
    exclude: Exclude = []


class Savee(Dataset):
    """SAVEE: 4 male speakers (DC, JE, JK, KL), 7 emotions, wav audio and avi audio-visual clips."""

    name = "savee"
    version = "1.0"
    cites = 'Haq, Jackson 2009, "Speaker-dependent audio-visual emotion recognition", AVSP 2009'
    labels: ClassVar[tuple[str, ...]] = LABELS
    modalities: ClassVar[tuple[str, ...]] = ("audio", "video")
    languages: ClassVar[tuple[str, ...]] = ("en-GB",)
    speakers: ClassVar[int | None] = 4
    clip_count: ClassVar[int | None] = 480
    licence: ClassVar[str] = "free for research use (no SPDX licence)"
    source: ClassVar[str] = "http://kahlan.eps.surrey.ac.uk/savee/"
    sample_rate: ClassVar[int | None] = 44100
    label_origin: ClassVar[str] = "acted; the intended emotion (a perception test by 10 listeners was published apart)"
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
        takes, names, self.problems = read_named_takes(root, extensions, p.exclude, parse_savee_path, SaveePathError)
        if not takes:
            raise nothing_usable_error(root, self.problems, corpus="SAVEE", layout=LAYOUT, extensions=extensions,
                                       env_var=ENV_VAR, data_name="savee")
        clips = []
        for clip_id, files in takes.items():
            name = names[clip_id]
            if (p.classes and name.label not in p.classes) or (p.speakers and name.speaker not in p.speakers):
                continue
            media = pick_media(files, p.audio_extensions, p.video_extensions, p.audio_from_video)
            if lacks_required(media, p.require):
                continue
            meta = {"speaker": name.speaker, "gender": "male", "sentence": name.number, "code": name.code}
            clips.append(Clip(clip_id, name.speaker, name.label, media, meta))
        if not clips:
            raise no_clips_error(root, len(takes), self.get_params())
        return clips


@hookimpl
def avbench_plugins() -> list[type[Dataset]]:
    return [Savee]
