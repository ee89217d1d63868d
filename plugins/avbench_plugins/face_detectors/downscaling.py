"""Shared base of the OpenCV face detectors: detect on a downscaled copy, report full-resolution boxes.

Face detection dominates the cost of every video extractor; a 1280x720 RAVDESS frame
holds a face a few hundred pixels tall, which all three detectors still find at
320 pixels wide, several times faster than at full resolution.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from avbench.contract import FaceBox, FaceDetector, Params


class DetectorParams(Params):
    """Parameters every downscaling detector has."""

    detect_width: int | None = Field(
        320, gt=0, description="detect on a copy at most this wide (None: full resolution)")
    min_score: float = Field(0.0, description="drop boxes scoring below this")


def as_bgr(frame: np.ndarray) -> np.ndarray:
    """Check a frame is uint8 ``[H, W, 3]`` BGR (``[H, W]`` gray is converted)."""
    import cv2

    frame = np.asarray(frame)
    if frame.dtype != np.uint8:
        raise ValueError(f"face detectors take uint8 frames, got dtype {frame.dtype}")
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"face detectors take BGR frames [H, W, 3], got shape {frame.shape}")
    return frame


def downscale(frame: np.ndarray, width: int | None) -> tuple[np.ndarray, float]:
    """A copy at most ``width`` wide and the factor applied (1.0 when not shrunk)."""
    import cv2

    if not width or frame.shape[1] <= width:
        return frame, 1.0
    scale = width / frame.shape[1]
    height = max(1, round(frame.shape[0] * scale))
    return cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA), scale


def to_full_resolution(box: FaceBox, scale: float, height: int, width: int) -> FaceBox | None:
    """Map a box found at ``scale`` back to the full frame, clipped to it (None if nothing is left)."""
    x0, y0 = box.x / scale, box.y / scale
    x1, y1 = (box.x + box.width) / scale, (box.y + box.height) / scale
    x0, y0 = max(0, int(round(x0))), max(0, int(round(y0)))
    x1, y1 = min(width, int(round(x1))), min(height, int(round(y1)))
    if x1 <= x0 or y1 <= y0:
        return None
    return FaceBox(x0, y0, x1 - x0, y1 - y0, float(box.score))


class DownscalingFaceDetector(FaceDetector):
    """Base class: subclasses implement :meth:`_detect` on the small frame; OpenCV objects load lazily."""

    Params: ClassVar[type[Params]] = DetectorParams
    _transient: ClassVar[tuple[str, ...]] = ("_engine",)

    def __init__(self, params: Any = None, **overrides: Any) -> None:
        super().__init__(params, **overrides)
        self._engine: Any = None

    def __getstate__(self) -> dict:
        """OpenCV detector objects cannot be pickled: drop them, they reload on first use."""
        state = self.__dict__.copy()
        for name in self._transient:
            state[name] = None
        return state

    def _load(self) -> Any:
        """Build the OpenCV detector object (called once, lazily)."""
        raise NotImplementedError

    def _detect(self, frame: np.ndarray) -> list[FaceBox]:
        """Boxes in the coordinates of ``frame`` (already downscaled)."""
        raise NotImplementedError

    @property
    def engine(self) -> Any:
        if self._engine is None:
            self._engine = self._load()
        return self._engine

    def detect(self, frame: np.ndarray) -> list[FaceBox]:
        frame = as_bgr(frame)
        small, scale = downscale(frame, self.params.detect_width)
        boxes = []
        for box in self._detect(small):
            if box.score < self.params.min_score:
                continue
            full = to_full_resolution(box, scale, frame.shape[0], frame.shape[1])
            if full is not None:
                boxes.append(full)
        return sorted(boxes, key=lambda b: (b.score, b.area), reverse=True)
