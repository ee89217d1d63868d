"""YuNet CNN face detector through ``cv2.FaceDetectorYN`` (more robust to pose and light than Haar)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from avbench import hookimpl
from avbench.contract import FaceBox

from .downscaling import DetectorParams, DownscalingFaceDetector
from .model_files import model_file

if TYPE_CHECKING:  # OpenCV is imported where frames are read or faces detected
    import cv2

DEFAULT_MODEL = "face_detection_yunet_2026may.onnx"


class YuNetFaceDetector(DownscalingFaceDetector):
    """YuNet (OpenCV Zoo) ONNX model; score = the model's face confidence in [0, 1]."""

    name = "yunet"
    version = "1.0"
    cites = 'Wu, Peng, Yu 2023, "YuNet: A Tiny Millisecond-level Face Detector", Machine Intelligence Research 20'
    description = f"YuNet face detector (cv2.FaceDetectorYN); needs {DEFAULT_MODEL} in AVBENCH_MODELS or param model"

    class Params(DetectorParams):
        model: str | None = Field(None, description=f"path of the ONNX file (default: <models>/{DEFAULT_MODEL})")
        min_score: float = Field(0.6, ge=0.0, le=1.0, description="drop faces scoring below this")
        nms_threshold: float = Field(0.3, ge=0.0, le=1.0, description="non-maximum suppression IoU threshold")
        top_k: int = Field(50, gt=0, description="most faces kept per frame before suppression")

    def _path(self):
        return model_file(self.context, self.params.model, DEFAULT_MODEL, "model", "yunet")

    def input_files(self) -> dict[str, Path]:
        return {"model": self._path()}

    def _load(self) -> cv2.FaceDetectorYN:
        import cv2

        p = self.params
        return cv2.FaceDetectorYN.create(str(self._path()), "", (320, 320), p.min_score, p.nms_threshold, p.top_k)

    def _detect(self, frame: np.ndarray) -> list[FaceBox]:
        detector = self.engine
        detector.setInputSize((frame.shape[1], frame.shape[0]))
        _, faces = detector.detect(frame)
        if faces is None:
            return []
        # OpenCV's YuNet can return non-finite rows for tiny frames: they are no detections
        return [FaceBox(int(round(f[0])), int(round(f[1])), int(round(f[2])), int(round(f[3])), float(f[-1]))
                for f in faces if np.isfinite(f[:4]).all()]


@hookimpl
def avbench_plugins():
    return [YuNetFaceDetector]
