"""The SUPERB downstream model: learns on a tiny encoder's layers, masks padding, weights layers by softmax."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from avbench.contract import RunContext
from avbench_plugins.extractors.audio.ssl import SslEncoderLayers
from avbench_plugins.models.neural.layers import WeightedLayerPooling
from avbench_plugins.models.neural.superb import SuperbDownstream

from .conftest import tone
from .test_ssl_encoder import signal


def superb(tmp_path, **params) -> SuperbDownstream:
    model = SuperbDownstream({"device": "cpu", "max_epochs": 20, "lr": 1e-2, "projection_units": 8,
                              "val_fraction": 0.0, "batch_size": 8, **params})
    model.setup(RunContext(cache_dir=tmp_path))
    return model


@pytest.fixture(scope="module")
def toy_task(tiny_models) -> tuple[list[np.ndarray], np.ndarray]:
    """The tiny WavLM's hidden states of 60 tones (0.4-0.8 s), labelled by a linear function of one layer.

    A random tiny encoder does not separate acoustic classes, so the labels are made separable in its
    output space: the side of the median of each clip's projection on the first principal axis of layer 2's
    frame mean (frames layer-normalised, as the model sees them); the 20% nearest the median are dropped.
    """
    extractor = SslEncoderLayers({"checkpoint": str(tiny_models / "wavlm"), "device": "cpu", "batch_size": 16})
    rng = np.random.default_rng(0)
    clips = [signal(tone(float(rng.uniform(0.4, 0.8)), float(rng.uniform(80, 4000)),
                         noise=float(rng.uniform(0.0, 0.5)), seed=i), f"c{i}") for i in range(60)]
    X = extractor.features_batch(clips)
    normed = [(x[:, 2] - x[:, 2].mean(axis=1, keepdims=True)) / x[:, 2].std(axis=1, keepdims=True) for x in X]
    summary = np.array([n.mean(axis=0) for n in normed])
    centred = summary - summary.mean(axis=0)
    projection = centred @ np.linalg.svd(centred, full_matrices=False)[2][0]
    distance = np.abs(projection - np.median(projection))
    keep = np.argsort(distance)[len(X) // 5:]
    keep = np.sort(keep)
    return [X[i] for i in keep], (projection[keep] > np.median(projection)).astype(np.int64)


def test_superb_learns_a_separable_task_on_the_encoders_layers(toy_task, tmp_path):
    X, y = toy_task
    assert len(X) == 48 and 0.3 < y.mean() < 0.7
    for pooling in ("mean", "attention"):
        model = superb(tmp_path, pooling=pooling).fit(X[:32], y[:32], n_classes=2)
        proba = model.predict_proba(X[32:])
        assert proba.shape == (16, 2) and np.allclose(proba.sum(axis=1), 1, atol=1e-5)
        assert (proba.argmax(axis=1) == y[32:]).mean() >= 0.9, pooling
        weights = model.layer_weights()
        assert weights.shape == (3,) and np.isclose(weights.sum(), 1.0) and (weights > 0).all()
        assert not np.allclose(weights, 1 / 3)  # the weighting was learned


def test_padding_frames_never_change_a_clips_summary():
    torch.manual_seed(0)
    for pooling in ("mean", "attention"):
        trunk = WeightedLayerPooling(3, 16, 8, pooling=pooling, layer_norm=True, dropout=0.0).eval()
        clip = torch.randn(1, 10, 3, 16)
        padded = torch.cat([clip, torch.randn(1, 6, 3, 16) * 100], dim=1)  # garbage where the padding is
        alone = trunk(clip, torch.tensor([10]))
        in_batch = trunk(torch.cat([padded, torch.randn(1, 16, 3, 16)]), torch.tensor([10, 16]))
        torch.testing.assert_close(in_batch[:1], alone, rtol=1e-5, atol=1e-6)


def test_mean_pooled_layer_clips_work_and_a_fitted_model_pickles(toy_task, tmp_path):
    X, y = toy_task
    pooled = [x.mean(axis=0, keepdims=True) for x in X]  # what ssl-encoder-layers gives with pool = "mean"
    model = superb(tmp_path).fit(pooled[:32], y[:32], n_classes=2)
    assert (model.predict_proba(pooled[32:]).argmax(axis=1) == y[32:]).mean() >= 0.9
    copy = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(copy.predict_proba(pooled[32:]), model.predict_proba(pooled[32:]))
