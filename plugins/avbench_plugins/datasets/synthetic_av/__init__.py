"""``synthetic-av``: avbench's embedded demo dataset. THE DATA IS SYNTHETIC, not recordings of people.

It exists so that every pipeline can run end to end on any machine without a
corpus: ``prepare(root)`` generates, in seconds and always byte for byte the same,
a small audio-visual set named and laid out like RAVDESS speech
(``Actor_XX/03-01-EE-II-SS-RR-AA.wav`` + ``Actor_XX/01-01-EE-II-SS-RR-AA.mp4``):
by default 6 actors x 8 emotions x 4 takes (statement x repetition; intensity
alternating as RAVDESS has it, neutral normal only) = 192 clips.

Audio: 16 kHz mono, a voiced harmonic signal whose pitch level and contour,
loudness, brightness and syllable rate depend on the emotion, with actor identity
(base pitch, odd actors male and lower, formant scale, tempo, expressiveness) and
per-take jitter plus background noise. Video: a drawn face (head, hair, eyes,
brows, nose, mouth) whose brows, eyes and mouth corners show the emotion and whose
jaw follows the audio loudness; size, position and colours vary per actor.

Emotions are learnable but overlap; numbers measured on it say that a pipeline
runs, never how well it recognises human emotion. Every clip's meta says
``synthetic=True`` and the plugin declares ``synthetic = True`` so tables label it.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field, field_validator

from avbench import hookimpl
from avbench.contract import Clip, Dataset, DatasetError, Params

from ..naming.ravdess_names import LABELS
from ..ravdess_tree import read_ravdess_tree
from ..tree import check_classes
from .generator import GENERATOR_VERSION, GeneratorSettings, generate, is_generated


class SyntheticAVParams(Params):
    actors: int = Field(6, ge=2, le=99, description="number of synthetic actors (odd male, even female)")
    clips_per_emotion: int = Field(4, ge=1, le=8, description="takes per actor and emotion (neutral: at most 4)")
    sample_rate: int = Field(16000, ge=8000, le=48000, description="audio sample rate (Hz)")
    seconds: float = Field(1.8, ge=0.8, le=10.0, description="duration of every clip")
    fps: float = Field(25.0, ge=5.0, le=60.0, description="video frames per second")
    size: tuple[int, int] = Field((160, 120), description="video width, height in pixels")
    seed: int = Field(0, ge=0, description="seed of the generator: another seed, other clips")
    classes: list[str] = Field([], description="emotion subset (canonical names); empty = all")

    @field_validator("classes")
    @classmethod
    def _known_classes(cls, value: list[str]) -> list[str]:
        return check_classes(value, LABELS, "synthetic-av")

    @field_validator("size")
    @classmethod
    def _sane_size(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not all(32 <= v <= 1024 for v in value):
            raise ValueError(f"size {value} must be (width, height), each 32-1024 pixels")
        return value


class SyntheticAV(Dataset):
    """Embedded synthetic audio-visual demo set in RAVDESS naming (8 emotions, generated on demand)."""

    name = "synthetic-av"
    version = "1.0"
    #: tiny, fast settings for the conformance checks (avbench check)
    conformance_params: ClassVar[dict] = {"actors": 2, "clips_per_emotion": 1, "seconds": 0.8, "size": (64, 48)}
    labels: ClassVar[tuple[str, ...]] = LABELS
    modalities: ClassVar[tuple[str, ...]] = ("audio", "video")
    embedded: ClassVar[bool] = True
    synthetic: ClassVar[bool] = True
    Params = SyntheticAVParams

    def settings(self) -> GeneratorSettings:
        p = self.params
        return GeneratorSettings(actors=p.actors, clips_per_emotion=p.clips_per_emotion,  # type: ignore[attr-defined]
                                 sample_rate=p.sample_rate, seconds=p.seconds, fps=p.fps,  # type: ignore[attr-defined]
                                 size=tuple(p.size), seed=p.seed)  # type: ignore[attr-defined]

    def cache_salt(self) -> str:
        return f"generator-{GENERATOR_VERSION}"

    def prepare(self, root: Path) -> None:
        """Generate the set into ``root`` unless it already holds this exact set."""
        generate(Path(root), self.settings())

    def clips(self, root: Path) -> list[Clip]:
        root = Path(root)
        if not is_generated(root, self.settings()):
            raise DatasetError(root, ["no synthetic-av set with these parameters here; call prepare(root) first "
                                      "(the runner does so for embedded datasets)"])
        takes, problems = read_ravdess_tree(root, known_actors=None)
        incomplete = {t.clip_id: m for t in takes for m in ("audio-only", "audio-video") if m not in t.files}
        problems += [f"take {clip_id} lacks its {m} file; take left out (delete the folder to have prepare() "
                     f"generate it afresh)" for clip_id, m in incomplete.items()]
        self.problems = problems
        classes = self.params.classes  # type: ignore[attr-defined]
        clips = []
        for take in takes:
            if take.clip_id in incomplete or (classes and take.name.label not in classes):
                continue
            media = {"audio": str(take.files["audio-only"]), "video": str(take.files["audio-video"])}
            clips.append(Clip(take.clip_id, take.name.subject, take.name.label, media,
                              {**take.name.meta(), "synthetic": True}))
        return clips


@hookimpl
def avbench_plugins() -> list[type[Dataset]]:
    return [SyntheticAV]
