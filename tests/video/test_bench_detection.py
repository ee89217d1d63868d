"""Micro-benchmark: face detection on a 720p frame at full resolution vs downscaled to 320 px wide.

Skipped unless pytest runs with ``--benchmark-enable``, e.g.
``pytest tests/video/test_bench_detection.py --benchmark-enable --benchmark-group-by=param:detector``.
It checks nothing about speed (no timed assertions); the table shows the ratio.
"""

from __future__ import annotations

import pytest

from avbench.contract import RunContext
from avbench.registry import get_registry

from .generated_media import astronaut_720p, require_model

MODEL_FILES = {"haar": [], "yunet": ["face_detection_yunet_2026may.onnx"],
               "opencv-dnn-ssd": ["opencv_face_detector_uint8.pb", "opencv_face_detector.pbtxt"]}


@pytest.fixture(autouse=True)
def _only_when_benchmarking(request):
    if not request.config.getoption("benchmark_enable", default=False):
        pytest.skip("benchmark: run with --benchmark-enable")


@pytest.mark.benchmark(group="face-detection-720p")
@pytest.mark.parametrize("detect_width", [None, 320], ids=["full-res", "downscaled-320"])
@pytest.mark.parametrize("detector", sorted(MODEL_FILES))
def test_detection_time_on_a_720p_frame(benchmark, detector: str, detect_width: int | None, tmp_path):
    for name in MODEL_FILES[detector]:
        require_model(name)
    plugin = get_registry().create({"plugin": detector, "params": {"detect_width": detect_width}},
                                   context=RunContext(cache_dir=tmp_path))
    frame = astronaut_720p()
    plugin.detect(frame)  # load the model outside the timing
    boxes = benchmark(plugin.detect, frame)
    assert boxes, f"{detector} found no face in the 720p frame"
