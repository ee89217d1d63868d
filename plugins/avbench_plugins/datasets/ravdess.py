"""``ravdess``: the real RAVDESS corpus (Livingstone & Russo 2018), read from its file names.

Files are found recursively under the root (``Audio_Speech_Actors_01-24/Actor_XX/*.wav|flac``,
``Actor_XX/*.mp4``...) and joined by clip id (the name without its modality field),
so one clip carries the audio-only file and the audio-video mp4 of the same take.
An AV mp4 can serve the audio branch when a take has no audio-only file (decoding
its sound track is the audio extractor's job).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, ClassVar, Literal, Mapping

from pydantic import Field

from avbench import hookimpl
from avbench.contract import Clip, Dataset, Params

from .media_params import CLASSES_HELP, Exclude, Require, each_known, known_classes
from .naming.ravdess_names import ACTORS, LABELS
from .ravdess_tree import AUDIO_EXTENSIONS, LAYOUT, VIDEO_EXTENSIONS, RavdessTake, read_ravdess_tree
from .tree import lacks_required, no_clips_error, nothing_usable_error, require_root

ENV_VAR = "AVBENCH_RAVDESS_ROOT"

AudioSource = Literal["audio-only", "audio-video"]
VideoSource = Literal["audio-video", "video-only"]


class RavdessParams(Params):
    vocal_channels: list[Literal["speech", "song"]] = Field(["speech"], min_length=1,
                                                            description="speech, song or both")
    intensities: list[Literal["normal", "strong"]] = Field([], description="empty = both")
    actors: Annotated[list[int], each_known(ACTORS, "RAVDESS actors are 1-24")] = Field(
        [], description="actor numbers 1-24; empty = all")
    classes: Annotated[list[str], known_classes(LABELS, "RAVDESS")] = Field([], description=CLASSES_HELP)
    audio_from: list[AudioSource] = Field(["audio-only", "audio-video"],
                                          description="files that may serve audio, in order of preference")
    video_from: list[VideoSource] = Field(["audio-video", "video-only"],
                                          description="files that may serve video, in order of preference")
    require: Require = []
    exclude: Exclude = []


def select_media(files: Mapping[str, Path], audio_from: list[str], video_from: list[str]) -> dict[str, str]:
    """The file serving each modality, by preference order; modalities no allowed file serves are absent."""
    media = {}
    for modality, sources in (("audio", audio_from), ("video", video_from)):
        for source in sources:
            if source in files:
                media[modality] = str(files[source])
                break
    return media


def take_to_clip(take: RavdessTake, media: dict[str, str], **extra_meta: object) -> Clip:
    meta = {**take.name.meta(), **extra_meta}
    return Clip(take.clip_id, take.name.subject, take.name.label, media, meta)


class Ravdess(Dataset):
    """RAVDESS speech and/or song, 24 actors, 8 emotions, audio and/or video from the file names."""

    name = "ravdess"
    version = "1.0"
    cites = ('Livingstone, Russo 2018, "The Ryerson Audio-Visual Database of Emotional Speech and Song (RAVDESS)", '
             'PLoS ONE 13(5): e0196391')
    labels: ClassVar[tuple[str, ...]] = LABELS
    modalities: ClassVar[tuple[str, ...]] = ("audio", "video")
    languages: ClassVar[tuple[str, ...]] = ("en-US",)
    speakers: ClassVar[int | None] = 24
    clip_count: ClassVar[int | None] = 7356
    licence: ClassVar[str] = "CC-BY-NC-SA-4.0"
    source: ClassVar[str] = "https://zenodo.org/record/1188976"
    sample_rate: ClassVar[int | None] = 48000
    label_origin: ClassVar[str] = "acted; the intended emotion (validated by 247 raters, published apart)"
    Params = RavdessParams

    @classmethod
    def conformance_tree(cls, tmp_dir: Path) -> Path:
        """A tiny RAVDESS tree for ``avbench check``: actors 1-2 x 8 emotions of speech wav, one AV mp4."""
        from avbench.testing.media import face_frames, speech_like, write_video, write_wav

        root = Path(tmp_dir) / "ravdess"
        for actor in (1, 2):
            folder = root / f"Actor_{actor:02d}"
            folder.mkdir(parents=True)
            for emotion in range(1, 9):
                write_wav(folder / f"03-01-{emotion:02d}-01-01-01-{actor:02d}.wav", speech_like(0.3, seed=emotion))
        write_video(root / "Actor_01" / "01-01-01-01-01-01-01.mp4", face_frames(3))
        return root

    def clips(self, root: Path) -> list[Clip]:
        p: RavdessParams = self.params  # type: ignore[assignment]
        root = require_root(root, corpus="RAVDESS", layout=LAYOUT, env_var=ENV_VAR, data_name="ravdess")
        takes, problems = read_ravdess_tree(root, exclude=p.exclude)
        self.problems = problems
        if not takes:
            raise nothing_usable_error(root, problems, corpus="RAVDESS", layout=LAYOUT, env_var=ENV_VAR,
                                       data_name="ravdess", extensions=AUDIO_EXTENSIONS + VIDEO_EXTENSIONS)
        clips = []
        for take in takes:
            meta = take.name.meta()
            if (meta["vocal_channel"] not in p.vocal_channels
                    or (p.intensities and meta["intensity"] not in p.intensities)
                    or (p.actors and take.name.actor not in p.actors)
                    or (p.classes and take.name.label not in p.classes)):
                continue
            media = select_media(take.files, p.audio_from, p.video_from)
            if lacks_required(media, p.require):
                continue
            clips.append(take_to_clip(take, media))
        if not clips:
            raise no_clips_error(root, len(takes), self.get_params())
        return clips


@hookimpl
def avbench_plugins() -> list[type[Dataset]]:
    return [Ravdess]
