"""Media the checks generate themselves: speech-like audio, a video with a face, edge cases.

Audio is written as 16-bit PCM WAV with the standard library, so any reader
(soundfile, librosa, wave) opens it; video as MP4 (``mp4v``) with OpenCV. The
face is a photograph (scikit-image's astronaut, when scikit-image is
installed, which every detector tried finds) or else a drawn face that
detectors may miss; checks that need a detected face skip in that case.
Files are written once per process into a temporary folder removed at exit.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import wave
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from avbench.contract import AudioSignal, Clip, VideoFrames

from .results import CheckSkipped

SAMPLE_RATE = 16000
FPS = 25.0
FRAME_SIZE = (320, 240)  # width, height
STANDARD_SECONDS = 2.0

# The temp root as it is when this module loads: checks later point tempfile into their workspace.
_TEMP_ROOT = tempfile.gettempdir()


@lru_cache(maxsize=1)
def media_dir() -> Path:
    """The process-wide folder of generated media (created on first use, removed at exit)."""
    path = Path(tempfile.mkdtemp(prefix="avbench-conformance-media-", dir=_TEMP_ROOT)).resolve()
    atexit.register(shutil.rmtree, path, True)
    return path


def speech_like(seconds: float, sample_rate: int = SAMPLE_RATE, seed: int = 0) -> np.ndarray:
    """A voiced, syllable-modulated harmonic tone with a little noise, float32 in [-1, 1]."""
    n = max(1, int(round(seconds * sample_rate)))
    t = np.arange(n) / sample_rate
    rng = np.random.default_rng(seed)
    f0 = 160.0 + 25.0 * np.sin(2 * np.pi * 0.7 * t)  # slow intonation
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate
    voiced = sum(np.sin(k * phase) / k for k in range(1, 9))
    syllables = 0.55 + 0.45 * np.sin(2 * np.pi * 4.0 * t) ** 2
    signal = 0.25 * voiced * syllables + 0.01 * rng.standard_normal(n)
    return np.clip(signal, -1.0, 1.0).astype(np.float32)


def write_wav(path: Path, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Path:
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm.tobytes())
    return path


@dataclass(frozen=True)
class FaceImage:
    """A BGR frame with one face, where the head is, and whether it is a photograph."""

    frame: np.ndarray
    head: tuple[int, int, int, int]  # x, y, width, height of the pasted head region
    photographic: bool


def _cv2():
    try:
        import cv2
    except ImportError:
        raise CheckSkipped("generating video needs OpenCV (pip install opencv-python-headless)") from None
    return cv2


@lru_cache(maxsize=1)
def face_image() -> FaceImage:
    """A 320x240 frame with a frontal face on a grey background."""
    cv2 = _cv2()
    width, height = FRAME_SIZE
    frame = np.full((height, width, 3), 128, np.uint8)
    x, y, w, h = 80, 25, 160, 190
    try:
        from skimage.data import astronaut

        head = np.ascontiguousarray(astronaut()[20:280, 110:330, ::-1])  # RGB -> BGR
        frame[y:y + h, x:x + w] = cv2.resize(head, (w, h), interpolation=cv2.INTER_AREA)
        return FaceImage(frame, (x, y, w, h), True)
    except ImportError:
        center = (x + w // 2, y + h // 2)
        cv2.ellipse(frame, center, (w // 2 - 10, h // 2 - 5), 0, 0, 360, (140, 170, 215), -1)
        for dx in (-30, 30):
            cv2.ellipse(frame, (center[0] + dx, center[1] - 25), (14, 8), 0, 0, 360, (255, 255, 255), -1)
            cv2.circle(frame, (center[0] + dx, center[1] - 25), 5, (40, 30, 20), -1)
            cv2.line(frame, (center[0] + dx - 16, center[1] - 45), (center[0] + dx + 16, center[1] - 47), (40, 40, 60), 4)
        cv2.line(frame, (center[0], center[1] - 15), (center[0] - 6, center[1] + 15), (90, 110, 160), 3)
        cv2.ellipse(frame, (center[0], center[1] + 40), (28, 10), 0, 0, 180, (60, 60, 170), 4)
        return FaceImage(frame, (x, y, w, h), False)


def face_frames(n: int, seed: int = 0) -> np.ndarray:
    """``n`` frames of the face moving a few pixels, ``[n, H, W, 3]`` uint8."""
    base = face_image().frame
    shifts = np.round(3 * np.sin(np.arange(n) * 2 * np.pi / max(n, 8))).astype(int)
    return np.stack([np.roll(base, int(s), axis=1) for s in shifts]) if n else base[None][:0]


def blank_frames(n: int) -> np.ndarray:
    """``n`` frames of a smooth grey gradient with no face."""
    width, height = FRAME_SIZE
    ramp = np.linspace(90, 170, width, dtype=np.float32)[None, :, None]
    frame = np.broadcast_to(ramp, (height, width, 3)).astype(np.uint8)
    return np.repeat(frame[None], n, axis=0)


def write_video(path: Path, frames: np.ndarray, fps: float = FPS) -> Path:
    cv2 = _cv2()
    height, width = frames.shape[1:3]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    if not writer.isOpened():
        raise CheckSkipped(f"OpenCV cannot write MP4 (mp4v) video here: {path}")
    for frame in frames:
        writer.write(np.ascontiguousarray(frame))
    writer.release()
    return path


# --- files, written once per process ---------------------------------------------------------

AUDIO_CASES = {
    "speech": ("2 s speech-like audio", lambda: speech_like(STANDARD_SECONDS)),
    "short": ("0.1 s audio", lambda: speech_like(0.1, seed=1)),
    "silence": ("2 s of digital silence", lambda: np.zeros(int(STANDARD_SECONDS * SAMPLE_RATE), np.float32)),
    "long": ("30 s audio", lambda: speech_like(30.0, seed=2)),
}
VIDEO_CASES = {
    "face": ("2 s video of a face at 25 fps", lambda: face_frames(int(STANDARD_SECONDS * FPS))),
    "no-face": ("2 s video without a face", lambda: blank_frames(int(STANDARD_SECONDS * FPS))),
    "single-frame": ("a one-frame video of a face", lambda: face_frames(1)),
}


@lru_cache(maxsize=None)
def audio_file(case: str) -> Path:
    return write_wav(media_dir() / f"{case}.wav", AUDIO_CASES[case][1]())


@lru_cache(maxsize=None)
def video_file(case: str) -> Path:
    return write_video(media_dir() / f"{case}.mp4", VIDEO_CASES[case][1]())


def describe(modality: str, case: str) -> str:
    return (AUDIO_CASES if modality == "audio" else VIDEO_CASES)[case][0]


def clip(modality: str, case: str) -> Clip:
    """A clip whose only media is the generated ``case`` of ``modality`` (``audio`` or ``video``)."""
    path = audio_file(case) if modality == "audio" else video_file(case)
    return Clip(clip_id=f"conformance-{modality}-{case}", subject="01", label="happy",
                media={modality: str(path)}, meta={"generated": describe(modality, case)})


def standard_clip() -> Clip:
    """The everyday input: 2 s of speech-like audio and a 2 s face video of the same take."""
    return Clip(clip_id="conformance-standard", subject="01", label="happy",
                media={"audio": str(audio_file("speech")), "video": str(video_file("face"))},
                meta={"generated": "2 s speech-like audio + 2 s face video"})


def audio_signal(case: str = "speech") -> AudioSignal:
    """Decoded audio for augmenters (the same samples the WAV files hold, before 16-bit rounding)."""
    return AudioSignal(samples=AUDIO_CASES[case][1](), sample_rate=SAMPLE_RATE)


def video_frames(case: str = "face", n: int = 10) -> VideoFrames:
    """Decoded frames for augmenters: ``n`` frames (1 for ``single-frame``) at 25 fps."""
    frames = face_frames(1) if case == "single-frame" else face_frames(n) if case == "face" else blank_frames(n)
    return VideoFrames(frames=frames, fps=FPS, indices=np.arange(len(frames)))
