"""Face detector plugins: find face boxes in one frame, for the video extractors to crop."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .base import Plugin, PluginKind


@dataclass(frozen=True)
class FaceBox:
    """A face in pixel coordinates of the frame it was found in, with the detector's confidence."""

    x: int
    y: int
    width: int
    height: int
    score: float = 1.0

    @property
    def area(self) -> int:
        return self.width * self.height


class FaceDetector(Plugin):
    """Finds faces in one BGR uint8 frame ``[H, W, 3]``; returns boxes, best first (may be empty)."""

    kind: ClassVar[PluginKind] = PluginKind.FACE_DETECTOR

    def detect(self, frame: np.ndarray) -> list[FaceBox]:
        raise NotImplementedError
