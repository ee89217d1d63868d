"""Writing the synthetic RAVDESS-named set to disk: deterministic, atomic, generated once per settings.

Every take draws from its own random stream, seeded by (seed, actor, emotion,
intensity, statement, repetition), so a take is the same whatever else is
generated. The set is written into a temporary sibling folder and renamed into
place with a marker file recording the generator version and settings; a folder
whose marker matches is left as it is.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import soundfile as sf

from avbench.contract import DatasetError

from ..naming.ravdess_names import EMOTIONS, RavdessName
from .face import render_frames
from .styles import actor_traits, emotion_style, take_style
from .voice import synthesise_voice

GENERATOR_VERSION = "1"
MARKER = ".avbench-synthetic-av.json"

# (intensity, statement, repetition) of each take, in the order takes are picked: the first four
# cover statement x repetition with both intensities; neutral has only normal intensity (as in RAVDESS).
EMOTIONAL_TAKES = ((1, 1, 1), (2, 1, 2), (2, 2, 1), (1, 2, 2), (2, 1, 1), (1, 1, 2), (1, 2, 1), (2, 2, 2))
NEUTRAL_TAKES = ((1, 1, 1), (1, 1, 2), (1, 2, 1), (1, 2, 2))


@dataclass(frozen=True)
class GeneratorSettings:
    actors: int = 6
    clips_per_emotion: int = 4
    sample_rate: int = 16000
    seconds: float = 1.8
    fps: float = 25.0
    size: tuple[int, int] = (160, 120)  # width, height
    seed: int = 0

    def as_json(self) -> dict[str, object]:
        return {"actors": self.actors, "clips_per_emotion": self.clips_per_emotion, "sample_rate": self.sample_rate,
                "seconds": self.seconds, "fps": self.fps, "size": list(self.size), "seed": self.seed}


def planned_takes(settings: GeneratorSettings) -> list[RavdessName]:
    """Every take to generate, as speech names with modality 03 (audio-only)."""
    takes = []
    for actor in range(1, settings.actors + 1):
        for emotion in EMOTIONS:
            options = NEUTRAL_TAKES if emotion == 1 else EMOTIONAL_TAKES
            for intensity, statement, repetition in options[: settings.clips_per_emotion]:
                takes.append(RavdessName(3, 1, emotion, intensity, statement, repetition, actor))
    return takes


def take_rng(settings: GeneratorSettings, name: RavdessName) -> np.random.Generator:
    return np.random.default_rng([settings.seed, name.actor, name.emotion, name.intensity,
                                  name.statement, name.repetition])


def write_take(folder: Path, settings: GeneratorSettings, name: RavdessName) -> None:
    """Write ``Actor_XX/03-...wav`` and ``Actor_XX/01-...mp4`` of one take under ``folder``."""
    import cv2

    rng = take_rng(settings, name)
    actor = actor_traits(settings.seed, name.actor)
    style = take_style(emotion_style(name.label, strong=name.intensity == 2), actor, rng)
    voice = synthesise_voice(style, actor, name.statement, settings.seconds, settings.sample_rate, rng)
    frames = render_frames(style, actor, voice.envelope, settings.sample_rate, settings.fps,
                           settings.size, settings.seconds, rng)
    actor_dir = folder / f"Actor_{name.actor:02d}"
    actor_dir.mkdir(parents=True, exist_ok=True)
    sf.write(actor_dir / name.filename("wav"), voice.signal, settings.sample_rate, subtype="PCM_16")
    video_path = actor_dir / replace(name, modality=1).filename("mp4")
    writer = cv2.VideoWriter(str(video_path), cv2.VideoWriter_fourcc(*"mp4v"), settings.fps, settings.size)
    if not writer.isOpened():
        raise DatasetError(folder, [f"{video_path.name}: OpenCV cannot write mp4v video here (no FFmpeg backend?)"])
    try:
        for frame in frames:
            writer.write(frame)
    finally:
        writer.release()


def read_marker(root: Path) -> dict | None:
    try:
        return json.loads((root / MARKER).read_text())
    except (OSError, ValueError):
        return None


def marker_content(settings: GeneratorSettings) -> dict[str, object]:
    return {"generator": "synthetic-av", "generator_version": GENERATOR_VERSION, "params": settings.as_json()}


def is_generated(root: Path, settings: GeneratorSettings) -> bool:
    """True when ``root`` holds a complete set made by this generator version with these settings."""
    return read_marker(root) == marker_content(settings)


def generate(root: Path, settings: GeneratorSettings) -> bool:
    """Make ``root`` hold the set for ``settings``; False when it already did (nothing written).

    ``root`` may be absent, empty, or an older synthetic set (replaced); a folder
    with other files is refused rather than overwritten.
    """
    root = Path(root)
    if is_generated(root, settings):
        return False
    if root.exists() and (not root.is_dir() or (any(root.iterdir()) and read_marker(root) is None)):
        raise DatasetError(root, ["not an empty folder nor a synthetic-av set: refusing to generate the "
                                  "synthetic demo set over it; choose an empty or new folder"])
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{root.name}.partial-", dir=root.parent))
    try:
        for name in planned_takes(settings):
            write_take(staging, settings, name)
        (staging / MARKER).write_text(json.dumps(marker_content(settings), indent=2, sort_keys=True))
        _swap_into_place(staging, root)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return True


def _swap_into_place(staging: Path, root: Path) -> None:
    """Rename ``staging`` to ``root``, moving an old ``root`` aside first; a concurrent writer's
    identical result is accepted."""
    old = None
    if root.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{root.name}.old-", dir=root.parent))
        os.replace(root, old / root.name)
    try:
        os.replace(staging, root)
    except OSError:
        if read_marker(root) != read_marker(staging):
            raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
