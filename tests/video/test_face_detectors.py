"""Face detector plugins: find the astronaut's face, map boxes back from the downscaled copy, say what is missing."""

from __future__ import annotations

import pickle

import cv2
import numpy as np
import pytest

from avbench.contract import FaceBox, ResourceMissingError, RunContext
from avbench.registry import get_registry
from avbench_plugins.face_detectors.downscaling import downscale, to_full_resolution
from avbench_plugins.face_detectors.haar import HaarFaceDetector
from avbench_plugins.face_detectors.opencv_dnn_ssd import OpenCvDnnSsdFaceDetector
from avbench_plugins.face_detectors.yunet import YuNetFaceDetector

from .generated_media import (
    HD_CROP_X,
    HD_OFFSET_X,
    HD_SCALE,
    astronaut_720p,
    astronaut_bgr,
    blank_frame,
    models_dir,
    require_model,
)

# Where the astronaut's face is in scikit-image's 512x512 photo: centre between these bounds.
FACE_CENTRE_X = (180, 270)
FACE_CENTRE_Y = (70, 170)


def iou(a: FaceBox, b: FaceBox) -> float:
    x0, y0 = max(a.x, b.x), max(a.y, b.y)
    x1, y1 = min(a.x + a.width, b.x + b.width), min(a.y + a.height, b.y + b.height)
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    return inter / float(a.area + b.area - inter)


def assert_is_astronaut_face(box: FaceBox, offset_x: float = 0, offset_y: float = 0, scale: float = 1.0) -> None:
    """The box is the face, given photo coordinates = (frame coordinates - offset) / scale."""
    cx = (box.x + box.width / 2 - offset_x) / scale
    cy = (box.y + box.height / 2 - offset_y) / scale
    assert FACE_CENTRE_X[0] < cx < FACE_CENTRE_X[1] and FACE_CENTRE_Y[0] < cy < FACE_CENTRE_Y[1], box
    assert 50 < box.width / scale < 200, box


def detectors_with_models(context: RunContext) -> list:
    found = [HaarFaceDetector()]
    for cls, files in ((YuNetFaceDetector, ["face_detection_yunet_2026may.onnx"]),
                       (OpenCvDnnSsdFaceDetector, ["opencv_face_detector_uint8.pb", "opencv_face_detector.pbtxt"])):
        for name in files:
            require_model(name)
        found.append(cls())
    for d in found:
        d.setup(context)
    return found


def test_haar_finds_the_astronaut_face():
    boxes = HaarFaceDetector().detect(astronaut_bgr())
    assert boxes, "no face found"
    assert_is_astronaut_face(boxes[0])


@pytest.mark.parametrize("cls, files", [
    (YuNetFaceDetector, ["face_detection_yunet_2026may.onnx"]),
    (OpenCvDnnSsdFaceDetector, ["opencv_face_detector_uint8.pb", "opencv_face_detector.pbtxt"]),
])
def test_cnn_detectors_find_the_astronaut_face_with_a_confident_score(cls, files, context):
    for name in files:
        require_model(name)
    detector = cls()
    detector.setup(context)
    boxes = detector.detect(astronaut_bgr())
    assert len(boxes) == 1
    assert_is_astronaut_face(boxes[0])
    assert 0.5 < boxes[0].score <= 1.0


@pytest.mark.parametrize("cls", [HaarFaceDetector, YuNetFaceDetector, OpenCvDnnSsdFaceDetector])
def test_no_face_gives_an_empty_list(cls, context):
    if cls is not HaarFaceDetector:
        require_model("face_detection_yunet_2026may.onnx" if cls is YuNetFaceDetector
                      else "opencv_face_detector_uint8.pb")
    detector = cls()
    detector.setup(context)
    assert detector.detect(blank_frame(256)) == []


def test_box_mapping_scales_back_and_clips_to_the_frame():
    assert to_full_resolution(FaceBox(10, 20, 30, 40, 0.9), 0.25, 720, 1280) == FaceBox(40, 80, 120, 160, 0.9)
    assert to_full_resolution(FaceBox(300, 170, 40, 40), 0.25, 720, 1280) == FaceBox(1200, 680, 80, 40)
    assert to_full_resolution(FaceBox(400, 10, 5, 5), 0.25, 720, 1280) is None


def test_downscale_keeps_the_aspect_and_leaves_small_frames_alone():
    small, scale = downscale(np.zeros((720, 1280, 3), np.uint8), 320)
    assert small.shape == (180, 320, 3) and scale == 0.25
    same, scale = downscale(np.zeros((100, 200, 3), np.uint8), 320)
    assert same.shape == (100, 200, 3) and scale == 1.0


def test_a_face_in_a_720p_frame_is_found_at_full_resolution_coordinates(context):
    frame = astronaut_720p()
    for detector in detectors_with_models(context) if _models_present() else [HaarFaceDetector()]:
        small = type(detector)(detect_width=320)
        full = type(detector)(detect_width=None)
        small.setup(detector.context)
        full.setup(detector.context)
        a, b = small.detect(frame), full.detect(frame)
        assert a and b, detector.name
        assert_is_astronaut_face(a[0], offset_x=HD_OFFSET_X - HD_CROP_X * HD_SCALE, scale=HD_SCALE)
        assert iou(a[0], b[0]) > 0.6, (detector.name, a[0], b[0])


def _models_present() -> bool:
    folder = models_dir()
    return bool(folder and (folder / "face_detection_yunet_2026may.onnx").is_file()
                and (folder / "opencv_face_detector_uint8.pb").is_file())


def test_boxes_come_best_first():
    frame = np.full((512, 1100, 3), 40, np.uint8)
    frame[:, :512] = astronaut_bgr()
    frame[100:356, 700:956] = cv2.resize(astronaut_bgr(), (256, 256), interpolation=cv2.INTER_AREA)
    boxes = HaarFaceDetector(detect_width=None, min_neighbors=3).detect(frame)
    assert len(boxes) >= 2
    assert [b.score for b in boxes] == sorted((b.score for b in boxes), reverse=True)


@pytest.mark.parametrize("cls, param", [(YuNetFaceDetector, "model"), (OpenCvDnnSsdFaceDetector, "model")])
def test_a_missing_model_file_says_what_to_put_where(cls, param, monkeypatch, tmp_path):
    monkeypatch.delenv("AVBENCH_MODELS", raising=False)
    detector = cls()
    detector.setup(RunContext(cache_dir=tmp_path))
    with pytest.raises(ResourceMissingError, match="AVBENCH_MODELS") as err:
        detector.detect(astronaut_bgr())
    assert ".pb" in str(err.value) or ".onnx" in str(err.value)
    monkeypatch.setenv("AVBENCH_MODELS", str(tmp_path))
    with pytest.raises(ResourceMissingError, match=str(tmp_path)):
        cls().detect(astronaut_bgr())
    with pytest.raises(ResourceMissingError, match=param):
        cls({param: str(tmp_path / "absent.bin")}).detect(astronaut_bgr())


def test_detectors_pickle_after_use_and_still_detect():
    detector = HaarFaceDetector()
    assert detector.detect(astronaut_bgr())
    clone = pickle.loads(pickle.dumps(detector))
    assert clone.detect(astronaut_bgr()) == detector.detect(astronaut_bgr())


def test_a_frame_that_is_not_uint8_bgr_is_refused_clearly():
    with pytest.raises(ValueError, match="uint8"):
        HaarFaceDetector().detect(np.zeros((10, 10, 3), np.float32))
    with pytest.raises(ValueError, match=r"\[H, W, 3\]"):
        HaarFaceDetector().detect(np.zeros((10, 10, 4), np.uint8))


def test_detectors_are_created_by_name_through_the_registry():
    registry = get_registry()
    assert {"haar", "yunet", "opencv-dnn-ssd"} <= set(registry.names("face_detector"))
    detector = registry.create({"plugin": "haar", "params": {"detect_width": 200}})
    assert isinstance(detector, HaarFaceDetector) and detector.params.detect_width == 200
