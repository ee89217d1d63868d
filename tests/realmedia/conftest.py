"""Real media for these tests: ``AVBENCH_REAL_MEDIA`` (the shared ``real-media-samples`` folder) and
``AVBENCH_MODELS`` (the pretrained files). Each test skips, saying which variable or file is missing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from avbench.contract import RunContext

MEDIA_ENV = "AVBENCH_REAL_MEDIA"
MODELS_ENV = "AVBENCH_MODELS"

FER_MODEL = "fer2013_mini_XCEPTION.102-0.66.hdf5"
LANDMARKER = "face_landmarker.task"
#: the files each face detector plugin needs in AVBENCH_MODELS (Haar's cascade ships with OpenCV)
DETECTOR_FILES = {"haar": (), "yunet": ("face_detection_yunet_2026may.onnx",),
                  "opencv-dnn-ssd": ("opencv_face_detector_uint8.pb", "opencv_face_detector.pbtxt")}

#: RAVDESS audio-visual samples: H.264 + AAC 640x480, and MPEG-4 Part 2 720x720 without a sound track
WITH_AUDIO = "01-01-07-02-02-01-01.mp4"
WITHOUT_AUDIO = "01-01-08-02-01-01-19.mp4"


def real_media_path(*parts: str) -> Path:
    """A path under AVBENCH_REAL_MEDIA, or skip naming the variable (or the missing sub-path)."""
    value = os.environ.get(MEDIA_ENV)
    if not value or not Path(value).is_dir():
        pytest.skip(f"{MEDIA_ENV} is not set to the real-media-samples folder (real media absent)")
    path = Path(value, *parts)
    if not path.exists():
        pytest.skip(f"{path} is not in {MEDIA_ENV}={value}")
    return path


def require_models(*names: str) -> Path:
    """The AVBENCH_MODELS folder holding ``names``, or skip naming what is missing."""
    value = os.environ.get(MODELS_ENV)
    if not value or not Path(value).is_dir():
        pytest.skip(f"{MODELS_ENV} is not set to the folder of pretrained model files")
    for name in names:
        if not Path(value, name).is_file():
            pytest.skip(f"{name} is not in {MODELS_ENV}={value}")
    return Path(value)


@pytest.fixture
def context(tmp_path: Path) -> RunContext:
    return RunContext(cache_dir=tmp_path / "cache")


@pytest.fixture(scope="session")
def crema_d_root() -> Path:
    return real_media_path("crema-d")


@pytest.fixture(scope="session")
def ravdess_video_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A RAVDESS tree of the two real audio-visual mp4s, symlinked into their ``Actor_XX`` folders."""
    folder = real_media_path("ravdess-video")
    root = tmp_path_factory.mktemp("ravdess-video") / "RAVDESS"
    for name in (WITH_AUDIO, WITHOUT_AUDIO):
        source = folder / name
        if not source.is_file():
            pytest.skip(f"{source} is not in {MEDIA_ENV}")
        actor = root / f"Actor_{name[-6:-4]}"
        actor.mkdir(parents=True, exist_ok=True)
        (actor / name).symlink_to(source)
    return root
