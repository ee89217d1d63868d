"""fer-posteriors, fer-mean-posteriors and fer-embedding on generated face clips."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from avbench.contract import OutputKind, ResourceMissingError, RunContext
from avbench.registry import get_registry
from avbench_plugins.extractors.video.fer import FerEmbedding, FerMeanPosteriors, FerPosteriors, resolve_device

from .generated_media import blank_frame, face_frame, require_model

MODEL = "fer2013_mini_XCEPTION.102-0.66.hdf5"


@pytest.fixture
def face_clip(make_clip):
    return make_clip([face_frame()] * 8 + [blank_frame()] * 2, name="01-03-01-01-01-01")


def make(cls, context, **params):
    require_model(MODEL)
    extractor = cls(params)
    extractor.setup(context)
    return extractor


def test_posteriors_are_a_distribution_per_sampled_frame(face_clip, context):
    out = make(FerPosteriors, context, sampling="every").extract(face_clip)
    assert out.shape == (10, 7) and out.dtype == np.float32
    np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-5)


def test_mean_posteriors_are_the_mean_of_the_frame_posteriors(face_clip, context):
    frames = make(FerPosteriors, context, sampling="every").extract(face_clip)
    mean = make(FerMeanPosteriors, context, sampling="every").extract(face_clip)
    assert mean.shape == (7,)
    np.testing.assert_allclose(mean, frames.mean(axis=0), atol=1e-6)


def test_embedding_defaults_to_32_consecutive_frames_of_128_features(face_clip, context):
    extractor = make(FerEmbedding, context)
    out = extractor.extract(face_clip)
    assert out.shape == (32, 128) and np.isfinite(out).all()
    assert extractor.diagnostics(face_clip)["frames_padded"] == 22  # the clip has 10 frames
    assert "VGG19" in FerEmbedding.description


def test_the_fer_extractors_share_one_face_detection_per_clip(face_clip, context):
    make(FerPosteriors, context, sampling="every").extract(face_clip)
    make(FerEmbedding, context, sampling="every").extract(face_clip)
    assert len(list((context.cache_dir / "faces").rglob("*.npz"))) == 1


def test_faceless_frames_are_counted_in_the_diagnostics(face_clip, context):
    extractor = make(FerPosteriors, context, sampling="every")
    extractor.extract(face_clip)
    assert extractor.diagnostics(face_clip)["frames_no_face"] == 2


def test_fer_extractors_pickle_after_use(face_clip, context):
    extractor = make(FerMeanPosteriors, context, sampling="middle")
    out = extractor.extract(face_clip)
    clone = pickle.loads(pickle.dumps(extractor))
    assert clone._network is None
    np.testing.assert_allclose(clone.extract(face_clip), out)


def test_a_missing_fer_model_says_which_file_and_variable(face_clip, monkeypatch, tmp_path):
    monkeypatch.delenv("AVBENCH_MODELS", raising=False)
    extractor = FerPosteriors()
    extractor.setup(RunContext(cache_dir=tmp_path))
    with pytest.raises(ResourceMissingError, match=MODEL.replace(".", r"\.")) as err:
        extractor.features(extractor.load(face_clip))
    assert "AVBENCH_MODELS" in str(err.value)


def test_device_auto_follows_the_run_and_falls_back_to_cpu():
    import torch

    assert resolve_device("cpu", "cuda") == "cpu"
    assert resolve_device("auto", "cpu") == "cpu"
    assert resolve_device("auto", "auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="cuda"):
            resolve_device("cuda", "auto")


def test_the_fer_plugins_are_registered_with_their_output_kinds():
    registry = get_registry()
    kinds = {n: registry.info(n).cls.output_kind for n in ("fer-posteriors", "fer-mean-posteriors", "fer-embedding")}
    assert kinds == {"fer-posteriors": OutputKind.SEQUENCE, "fer-mean-posteriors": OutputKind.VECTOR,
                     "fer-embedding": OutputKind.SEQUENCE}


def test_the_cache_salt_changes_with_the_detector_and_the_model(context):
    fer = make(FerPosteriors, context)
    other_detector = make(FerPosteriors, context, detector="yunet")
    require_model("face_detection_yunet_2026may.onnx")
    assert fer.cache_salt() != other_detector.cache_salt()
    assert fer.cache_salt().startswith("haar:")
