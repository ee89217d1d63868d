"""Face detection, blendshapes and FER on one real frame of each of the 24 RAVDESS actors (398x224, neutral)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from avbench.contract import PluginKind, VideoFrames
from avbench.registry import get_registry
from avbench_plugins.extractors.video.blendshapes import N_BLENDSHAPES, Blendshapes
from avbench_plugins.extractors.video.face_crop import FaceCropParams, crop_face
from avbench_plugins.extractors.video.fer import FerPosteriors
from avbench_plugins.extractors.video.mini_xception import FER_CLASSES

from .conftest import DETECTOR_FILES, FER_MODEL, LANDMARKER, real_media_path, require_models

pytestmark = pytest.mark.real_data

ACTORS = 24
MUST_FIND = 23


@pytest.fixture(scope="module")
def stills() -> dict[str, np.ndarray]:
    """Actor name -> BGR frame, all 24 of them."""
    folder = real_media_path("ravdess-actor-stills")
    frames = {path.stem: cv2.imread(str(path)) for path in sorted(folder.glob("Actor_*.png"))}
    assert len(frames) == ACTORS, f"{folder} should hold Actor_01.png ... Actor_24.png, found {sorted(frames)}"
    assert all(frame is not None and frame.shape == (224, 398, 3) for frame in frames.values())
    return frames


def face_is_plausible(box, frame: np.ndarray) -> bool:
    """The stills are head-and-shoulders shots: one face, centred, a quarter to three quarters of the height."""
    height, width = frame.shape[:2]
    cx, cy = box.x + box.width / 2, box.y + box.height / 2
    return (abs(cx - width / 2) < width / 6 and cy < height * 0.6
            and height / 4 <= box.height <= height * 3 / 4 and 0.6 <= box.width / box.height <= 1.4)


@pytest.mark.parametrize("detector", sorted(DETECTOR_FILES))
def test_every_face_detector_finds_the_face_of_at_least_23_of_the_24_actors(detector, stills, context):
    require_models(*DETECTOR_FILES[detector])
    plugin = get_registry().create(detector, kind=PluginKind.FACE_DETECTOR, context=context)
    missed = {}
    for actor, frame in stills.items():
        boxes = plugin.detect(frame)
        if not boxes or not face_is_plausible(boxes[0], frame):
            missed[actor] = [(b.x, b.y, b.width, b.height, round(b.score, 2)) for b in boxes]
    assert len(stills) - len(missed) >= MUST_FIND, f"{detector} missed or misplaced the face of {missed}"


def test_blendshapes_come_out_for_at_least_23_of_the_24_actors(stills, context):
    require_models(LANDMARKER)
    extractor = Blendshapes()
    extractor.setup(context)
    rows = {actor: extractor.scores(frame) for actor, frame in stills.items()}
    missing = sorted(actor for actor, row in rows.items() if row is None)
    assert ACTORS - len(missing) >= MUST_FIND, f"no blendshapes for {missing}"
    scores = np.stack([row for row in rows.values() if row is not None])
    assert scores.shape[1] == N_BLENDSHAPES and np.isfinite(scores).all()
    assert scores.min() >= 0.0 and scores.max() <= 1.0
    assert scores.std(axis=0).max() > 0.05, "24 different faces should not give one and the same row"


def test_fer_reads_most_of_the_24_neutral_stills_as_neutral(stills, context):
    """The crop + mini-Xception path on real faces: the stills are neutral, so should most predictions be."""
    require_models(FER_MODEL, *DETECTOR_FILES["yunet"])
    fer = FerPosteriors(detector="yunet")
    fer.setup(context)
    crop = FaceCropParams(detector="yunet")
    crops = [crop_face(frame, fer.cropper.detector.detect(frame), crop)[0] for frame in stills.values()]
    posteriors = fer.features(VideoFrames(frames=np.stack(crops), fps=1.0))
    assert posteriors.shape == (ACTORS, len(FER_CLASSES))
    np.testing.assert_allclose(posteriors.sum(axis=1), 1.0, atol=1e-5)
    neutral = int((posteriors.argmax(axis=1) == FER_CLASSES.index("neutral")).sum())
    assert neutral >= 18, f"only {neutral} of 24 neutral faces read as neutral"
