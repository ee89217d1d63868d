"""Small generated videos (and model-file lookups) for the video tests; nothing here needs the real data."""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Iterable

import cv2
import numpy as np
import pytest



def astronaut_bgr() -> np.ndarray:
    """scikit-image's astronaut photo (a real face) as a BGR uint8 frame."""
    import skimage.data

    return cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR)


def face_frame(size: int = 128) -> np.ndarray:
    """A square frame filled by the astronaut's head and shoulders (face about half the frame wide)."""
    return cv2.resize(astronaut_bgr()[20:220, 130:330], (size, size), interpolation=cv2.INTER_AREA)


# A 1280x720 frame with the astronaut's head and shoulders where a RAVDESS actor would be:
# astronaut pixels [0:400, 50:450] scaled by 1.8 and placed at x = 400 (face about 170 px wide).
HD_CROP_X, HD_SCALE, HD_OFFSET_X = 50, 1.8, 400


def astronaut_720p() -> np.ndarray:
    """A 720p BGR frame holding the astronaut's face (see HD_* for the mapping from photo coordinates)."""
    frame = np.full((720, 1280, 3), 40, np.uint8)
    frame[:, HD_OFFSET_X:HD_OFFSET_X + 720] = cv2.resize(
        astronaut_bgr()[0:400, HD_CROP_X:HD_CROP_X + 400], (720, 720), interpolation=cv2.INTER_LINEAR)
    return frame


def blank_frame(size: int = 128, value: int = 90) -> np.ndarray:
    """A frame with no face in it: a flat gray with a soft gradient."""
    ramp = np.linspace(value - 30, value + 30, size, dtype=np.float32)
    return np.repeat(np.tile(ramp, (size, 1))[..., None], 3, axis=2).astype(np.uint8)


def write_video(path: Path, frames: Iterable[np.ndarray], fps: float = 10.0, fourcc: str = "mp4v") -> Path:
    frames = list(frames)
    h, w = (frames[0].shape[:2]) if frames else (48, 64)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (w, h))
    assert writer.isOpened(), f"cannot write {path} with {fourcc}"
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def numbered_frames(n: int, height: int = 48, width: int = 64) -> list[np.ndarray]:
    """Frames whose brightness encodes their index (index * 8), so a decoded frame tells where it came from."""
    return [np.full((height, width, 3), min(255, 8 * i), np.uint8) for i in range(n)]


def frame_number(frame: np.ndarray) -> int:
    return int(round(float(frame.mean()) / 8.0))


def set_display_rotation(path: Path, clockwise_90: bool = True) -> None:
    """Patch an MP4's track header matrix so players (and FFmpeg) show it turned 90 degrees clockwise."""
    data = bytearray(path.read_bytes())
    at = data.find(b"tkhd")
    assert at > 0 and data[at + 4] == 0, "expected a version-0 tkhd box"
    offset = at + 4 + 4 + 36  # type, version/flags, then 36 bytes before the matrix
    matrix = (0, 1 << 16, 0, -(1 << 16), 0, 0, 0, 0, 1 << 30) if clockwise_90 else (
        1 << 16, 0, 0, 0, 1 << 16, 0, 0, 0, 1 << 30)
    data[offset:offset + 36] = struct.pack(">9i", *matrix)
    path.write_bytes(bytes(data))


def models_dir() -> Path | None:
    folder = os.environ.get("AVBENCH_MODELS")
    return Path(folder) if folder and Path(folder).is_dir() else None


def require_model(name: str) -> Path:
    """The path of a pretrained file in AVBENCH_MODELS, or skip the test saying what is missing."""
    folder = models_dir()
    if folder is None:
        pytest.skip("AVBENCH_MODELS is not set to a folder with the pretrained models")
    if not (folder / name).is_file():
        pytest.skip(f"{name} is not in AVBENCH_MODELS={folder}")
    return folder / name
