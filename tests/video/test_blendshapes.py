"""blendshapes: MediaPipe Face Landmarker scores per sampled frame, zeros (counted) where no face."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from avbench.contract import ResourceMissingError, RunContext, VideoFrames
from avbench_plugins.extractors.video.blendshapes import Blendshapes

from .generated_media import astronaut_bgr, blank_frame, face_frame, require_model

MODEL = "face_landmarker.task"


@pytest.fixture
def extractor(context):
    require_model(MODEL)
    ext = Blendshapes(n_frames=6)
    ext.setup(context)
    return ext


def test_the_astronaut_gets_52_finite_scores_in_unit_range(extractor):
    scores = extractor.scores(astronaut_bgr())
    assert scores is not None and scores.shape == (52,)
    assert np.isfinite(scores).all() and scores.min() >= 0.0 and scores.max() <= 1.0
    assert scores.max() > 0.05  # some expression is measured, not all zeros


def test_a_clip_gives_one_row_per_sampled_frame_with_zeros_where_no_face(extractor, make_clip):
    frames = [face_frame(192)] * 6 + [blank_frame(192)] * 6
    clip = make_clip(frames, name="mixed")
    out = extractor.extract(clip)
    assert out.shape == (6, 52) and out.dtype == np.float32
    assert (out[:3].sum(axis=1) > 0).all() and (out[3:] == 0).all()
    diag = extractor.diagnostics(clip)
    assert diag["frames_no_face"] == 3 and diag["frames_sampled"] == 6


def test_drop_neutral_gives_the_51_scores_sapienza2024_counts(context):
    require_model(MODEL)
    ext = Blendshapes(drop_neutral=True)
    ext.setup(context)
    out = ext.features(VideoFrames(frames=astronaut_bgr()[None], fps=25.0))
    assert out.shape == (1, 51)


def test_the_default_is_50_equally_spaced_frames():
    params = Blendshapes().params
    assert params.sampling.value == "equally_spaced" and params.n_frames == 50


def test_the_extractor_pickles_after_use_and_rebuilds_mediapipe(extractor):
    first = extractor.scores(astronaut_bgr())
    clone = pickle.loads(pickle.dumps(extractor))
    assert clone._landmarker is None
    np.testing.assert_allclose(clone.scores(astronaut_bgr()), first, atol=1e-5)


def test_a_missing_landmarker_bundle_says_what_to_put_where(monkeypatch, tmp_path):
    monkeypatch.delenv("AVBENCH_MODELS", raising=False)
    ext = Blendshapes()
    ext.setup(RunContext(cache_dir=tmp_path))
    with pytest.raises(ResourceMissingError, match="face_landmarker.task"):
        ext.scores(astronaut_bgr())
