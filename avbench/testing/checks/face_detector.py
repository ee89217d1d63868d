"""Face detector checks: finds the generated face, none in a blank frame, copes with a tiny frame."""

from __future__ import annotations

from functools import partial
from typing import Any, Callable, Iterator

import numpy as np

from avbench.contract import FaceBox, FaceDetector, Plugin

from .. import media
from ..hooks import make_plugin
from ..results import CheckSkipped
from ..sandbox import Workspace
from .common import Check, yield_common_checks


def detect(plugin: FaceDetector, frame: np.ndarray, what: str) -> list[FaceBox]:
    boxes = plugin.detect(frame)
    assert isinstance(boxes, list), f"{what}: detect returned {type(boxes).__name__}, expected a list of FaceBox"
    assert all(isinstance(b, FaceBox) for b in boxes), f"{what}: detect must return FaceBox objects"
    scores = [b.score for b in boxes]
    assert scores == sorted(scores, reverse=True), f"{what}: boxes are not best first (scores {scores})"
    return boxes


def run(cls: type[FaceDetector], body: Callable[[FaceDetector], None]) -> None:
    with Workspace() as ws, ws.entered():
        body(make_plugin(cls, ws))  # type: ignore[arg-type]


def check_detects_face(cls: type[FaceDetector]) -> None:
    """The generated frontal face is found; the best box is inside the frame and on the head."""
    image = media.face_image()
    if not image.photographic:
        raise CheckSkipped("needs scikit-image for a photographic test face (the drawn one is not a real face)")

    def body(plugin: FaceDetector) -> None:
        boxes = detect(plugin, image.frame.copy(), "face frame")
        assert boxes, "found no face in a 320x240 frame with a frontal face about 190 px high"
        best = boxes[0]
        assert best.width > 0 and best.height > 0, f"degenerate box {best}"
        x, y, w, h = image.head
        cx, cy = best.x + best.width / 2, best.y + best.height / 2
        assert x <= cx <= x + w and y <= cy <= y + h, f"best box {best} is not on the face at {image.head}"
    run(cls, body)


def check_no_face_no_box(cls: type[FaceDetector]) -> None:
    """A blank frame gives no box."""
    def body(plugin: FaceDetector) -> None:
        boxes = detect(plugin, media.blank_frames(1)[0].copy(), "blank frame")
        assert not boxes, f"found {len(boxes)} face(s) in a blank grey frame: {boxes[:3]}"
    run(cls, body)


def check_tiny_frame(cls: type[FaceDetector]) -> None:
    """A 16x16 frame returns a (possibly empty) list of finite boxes rather than raising, also between larger
    frames (detectors that keep state per input size have failed only then), ten times over."""
    def body(plugin: FaceDetector) -> None:
        tiny = np.full((16, 16, 3), 128, np.uint8)
        for _ in range(10):
            detect(plugin, media.face_image().frame.copy(), "face frame")
            boxes = detect(plugin, tiny.copy(), "16x16 frame after a 320x240 one")
            assert all(np.isfinite([b.x, b.y, b.width, b.height, b.score]).all() for b in boxes), (
                f"16x16 frame: non-finite box {boxes}")
    run(cls, body)


def check_deterministic(cls: type[FaceDetector]) -> None:
    """The same frame gives the same boxes twice."""
    def body(plugin: FaceDetector) -> None:
        frame = media.face_image().frame
        assert detect(plugin, frame.copy(), "first call") == detect(plugin, frame.copy(), "second call"), \
            "boxes differ between two calls on the same frame"
    run(cls, body)


def workload(cls: type[Plugin], ws: Workspace) -> Callable[[Plugin], Any]:
    frame = media.face_image().frame
    return lambda plugin: plugin.detect(frame.copy())  # type: ignore[attr-defined]


def yield_checks(cls: type[FaceDetector]) -> Iterator[tuple[str, Check]]:
    yield from yield_common_checks(cls, workload)
    yield "check_detects_face", partial(check_detects_face, cls)
    yield "check_no_face_no_box", partial(check_no_face_no_box, cls)
    yield "check_tiny_frame", partial(check_tiny_frame, cls)
    yield "check_deterministic", partial(check_deterministic, cls)
