"""OpenCV Haar cascade face detector (the detector cuny2020, demokritos2022 and ravdess-cnn used)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from avbench import hookimpl
from avbench.contract import FaceBox, ResourceMissingError

from .downscaling import DetectorParams, DownscalingFaceDetector

if TYPE_CHECKING:  # OpenCV is imported where frames are read or faces detected
    import cv2


class HaarFaceDetector(DownscalingFaceDetector):
    """Viola-Jones frontal-face cascade shipped with OpenCV; score = number of merged neighbour detections."""

    name = "haar"
    version = "1.0"
    cites = 'Viola, Jones 2001, "Rapid Object Detection using a Boosted Cascade of Simple Features", CVPR 2001'
    description = "OpenCV Haar cascade (frontal face), run on a downscaled grayscale copy of the frame"

    class Params(DetectorParams):
        cascade: str = Field("haarcascade_frontalface_default.xml",
                             description="file name in cv2.data.haarcascades, or a path")
        scale_factor: float = Field(1.1, gt=1.0, description="image pyramid scale step of detectMultiScale")
        min_neighbors: int = Field(5, ge=0, description="detections a face needs (the cascade's confidence)")
        min_size: int = Field(24, gt=0, description="smallest face side in pixels of the downscaled copy")
        equalize: bool = Field(False, description="equalise the histogram before detection")

    def _cascade_path(self) -> Path:
        import cv2

        path = Path(self.params.cascade)
        return path if path.is_file() else Path(cv2.data.haarcascades) / self.params.cascade

    def input_files(self) -> dict[str, Path]:
        """The cascade XML (OpenCV's own by default): a different file detects differently."""
        return {"cascade": self._cascade_path()}

    def _load(self) -> cv2.CascadeClassifier:
        import cv2

        path = self._cascade_path()
        cascade = cv2.CascadeClassifier(str(path))
        if cascade.empty():
            raise ResourceMissingError(
                f"haar: cannot load the cascade {self.params.cascade!r} (looked at {path}); give an existing "
                f"cascade XML with the parameter 'cascade'")
        return cascade

    def _detect(self, frame: np.ndarray) -> list[FaceBox]:
        import cv2

        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        if self.params.equalize:
            gray = cv2.equalizeHist(gray)
        size = self.params.min_size
        rects, neighbours = self.engine.detectMultiScale2(
            gray, scaleFactor=self.params.scale_factor, minNeighbors=self.params.min_neighbors,
            minSize=(size, size))
        return [FaceBox(int(x), int(y), int(w), int(h), float(n))
                for (x, y, w, h), n in zip(np.asarray(rects).reshape(-1, 4), np.asarray(neighbours).ravel())]


@hookimpl
def avbench_plugins():
    return [HaarFaceDetector]
