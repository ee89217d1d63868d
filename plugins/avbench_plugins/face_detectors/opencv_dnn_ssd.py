"""OpenCV's ResNet-10 SSD face detector (TensorFlow graph) through ``cv2.dnn``."""

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

DEFAULT_MODEL = "opencv_face_detector_uint8.pb"
DEFAULT_CONFIG = "opencv_face_detector.pbtxt"
# Input settings of this model in OpenCV's samples/dnn/models.yml (entry opencv_fd).
MEAN_BGR = (104.0, 177.0, 123.0)


class OpenCvDnnSsdFaceDetector(DownscalingFaceDetector):
    """SSD on a 300x300 blob of the frame; score = the network's face confidence in [0, 1]."""

    name = "opencv-dnn-ssd"
    version = "1.0"
    cites = 'Liu et al. 2016, "SSD: Single Shot MultiBox Detector", ECCV 2016'
    description = (f"OpenCV DNN SSD face detector; needs {DEFAULT_MODEL} and {DEFAULT_CONFIG} in "
                   "AVBENCH_MODELS or params model/config")

    class Params(DetectorParams):
        model: str | None = Field(None, description=f"path of the graph (default: <models>/{DEFAULT_MODEL})")
        config: str | None = Field(None, description=f"path of the text graph (default: <models>/{DEFAULT_CONFIG})")
        min_score: float = Field(0.5, ge=0.0, le=1.0, description="drop boxes the network scores below this")
        input_size: int = Field(300, gt=0, description="side (pixels) the frame is resized to for the network")

    def _paths(self):
        p = self.params
        return (model_file(self.context, p.model, DEFAULT_MODEL, "model", self.name),
                model_file(self.context, p.config, DEFAULT_CONFIG, "config", self.name))

    def input_files(self) -> dict[str, Path]:
        model, config = self._paths()
        return {"model": model, "config": config}

    def _load(self) -> cv2.dnn.Net:
        import cv2

        model, config = self._paths()
        return cv2.dnn.readNetFromTensorflow(str(model), str(config))

    def _detect(self, frame: np.ndarray) -> list[FaceBox]:
        import cv2

        h, w = frame.shape[:2]
        size = self.params.input_size
        blob = cv2.dnn.blobFromImage(frame, 1.0, (size, size), MEAN_BGR, swapRB=False, crop=False)
        net = self.engine
        net.setInput(blob)
        detections = net.forward().reshape(-1, 7)
        boxes = []
        for _, _, score, x0, y0, x1, y1 in detections:
            x0, x1 = np.clip([x0, x1], 0.0, 1.0) * w
            y0, y1 = np.clip([y0, y1], 0.0, 1.0) * h
            if x1 - x0 >= 1 and y1 - y0 >= 1:
                boxes.append(FaceBox(int(round(x0)), int(round(y0)), int(round(x1 - x0)), int(round(y1 - y0)),
                                     float(score)))
        return boxes


@hookimpl
def avbench_plugins():
    return [OpenCvDnnSsdFaceDetector]
