"""Fused LSTM: branch sequences aligned to one length by linear interpolation, concatenated per frame."""

from __future__ import annotations

import numpy as np

from avbench.contract import BranchBatch, FusionData
from avbench_plugins.fusion.branches import resample
from avbench_plugins.fusion.fused_lstm import FusedLstm

from ..neural import synthetic
from .fakes import factory

y = synthetic.labels(12, 3)


def batch(labels: np.ndarray, seed: int = 0) -> BranchBatch:
    return BranchBatch(features={"blend": synthetic.sequences(labels, dim=3, lengths=(40, 60), seed=seed),
                                 "mfcc": synthetic.spectrograms(labels, bins=5, lengths=(80, 120), seed=seed)},
                       y=labels, subjects=np.array(["A"] * len(labels)), clip_ids=np.arange(len(labels)))


def test_resampling_interpolates_linearly_over_the_same_span():
    seq = np.array([[0.0, 10.0], [1.0, 20.0], [2.0, 30.0]])
    np.testing.assert_allclose(resample(seq, 5), [[0, 10], [0.5, 15], [1, 20], [1.5, 25], [2, 30]])
    np.testing.assert_allclose(resample(seq[:1], 3), [[0, 10]] * 3)


def test_branches_are_resampled_to_one_length_and_concatenated_along_features():
    train = batch(y)
    fusion = FusedLstm(length=16, network={"lstm_units": [4], "dense_units": 4, "max_epochs": 1})
    fusion.fit(FusionData(train=train, n_classes=3), {}, factory)
    fused = fusion.sequences(train.features)
    assert fused[0].shape == (16, 3 + 5)
    np.testing.assert_allclose(fused[0][0], np.concatenate([train.features["blend"][0][0],
                                                            train.features["mfcc"][0][:, 0]]), rtol=1e-6)
    np.testing.assert_allclose(fused[0][-1, :3], train.features["blend"][0][-1], rtol=1e-6)


def test_fused_lstm_trains_and_predicts_probabilities():
    fusion = FusedLstm(length=8, network={"lstm_units": [4, 3], "dense_units": 4, "max_epochs": 2})
    fusion.fit(FusionData(train=batch(y), n_classes=3, val=batch(y[:6], seed=1)), {}, factory)
    proba = fusion.predict_proba(batch(y[:4], seed=2).features)
    assert proba.shape == (4, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert fusion.model.layout.shape == (8, 8)
