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
from typing import Annotated, ClassVar

from pydantic import Field

from avbench import hookimpl
from avbench.contract import Clip, Dataset, Params

from .media_params import CLASSES_HELP, VIDEO_EXTENSIONS_HELP, Exclude, Extensions, Require, known_classes
from .naming.enterface_names import LABELS, EnterfacePathError, parse_enterface_path
from .tree import lacks_required, no_clips_error, nothing_usable_error, pick_media, read_named_takes, require_root

ENV_VAR = "AVBENCH_ENTERFACE_ROOT"
LAYOUT = "subject N/<emotion>/sentence K/sN_<code>_K.avi (e.g. subject 1/anger/sentence 1/s1_an_1.avi)"


class EnterfaceParams(Params):
    classes: Annotated[list[str], known_classes(LABELS, "eNTERFACE'05")] = Field([], description=CLASSES_HELP)
    subjects: list[int] = Field([], description="subject numbers; empty = all present")
    sentences: list[int] = Field([], description="sentence numbers 1-5; empty = all")
    video_extensions: Extensions = Field(["avi", "mp4"], min_length=1, description=VIDEO_EXTENSIONS_HELP)
    audio_extensions: Extensions = Field(["wav", "flac"], description="extracted audio file types, in order of "
                                                                      "preference")
    audio_from_video: bool = Field(True, description="let the avi serve audio when a take has no audio file")
    require: Require = []
    exclude: Exclude = []


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
        takes, names, self.problems = read_named_takes(root, extensions, p.exclude, parse_enterface_path,
                                                       EnterfacePathError)
        if not takes:
            raise nothing_usable_error(root, self.problems, corpus="eNTERFACE'05", layout=LAYOUT,
                                       extensions=extensions, env_var=ENV_VAR, data_name="enterface")
        clips = []
        for clip_id, files in takes.items():
            name = names[clip_id]
            if ((p.classes and name.label not in p.classes) or (p.subjects and name.subject not in p.subjects)
                    or (p.sentences and name.sentence not in p.sentences)):
                continue
            media = pick_media(files, p.audio_extensions, p.video_extensions, p.audio_from_video)
            if lacks_required(media, p.require):
                continue
            meta = {"subject": name.subject, "sentence": name.sentence, "gender": "unknown"}
            clips.append(Clip(clip_id, str(name.subject), name.label, media, meta))
        if not clips:
            raise no_clips_error(root, len(takes), self.get_params())
        return clips


@hookimpl
def avbench_plugins() -> list[type[Dataset]]:
    return [Enterface]
