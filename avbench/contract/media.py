"""Raw media as plugins pass it around: decoded audio and decoded video frames."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class AudioSignal:
    """Mono float32 samples in [-1, 1] at ``sample_rate`` Hz; ``source`` names the clip or file for errors."""

    samples: np.ndarray
    sample_rate: int
    source: str = ""

    @property
    def duration(self) -> float:
        return len(self.samples) / float(self.sample_rate)


@dataclass
class VideoFrames:
    """Decoded frames ``[T, H, W, 3]`` uint8 (BGR, OpenCV order) with their source indices and rate."""

    frames: np.ndarray
    fps: float
    indices: np.ndarray | None = None
    source: str = ""

    def __len__(self) -> int:
        return int(self.frames.shape[0])
