"""Early concatenation: one vector per clip from all branches, one model from the fusion's params."""

from __future__ import annotations

import numpy as np
import pytest

from avbench.contract import BranchBatch, FusionData
from avbench_plugins.fusion.early_concat import EarlyConcat

from ..neural import synthetic
from .fakes import factory

y = synthetic.labels(6, 2)


def batch(seed: int = 0, n: int = 6) -> BranchBatch:
    labels = y[:n]
    return BranchBatch(features={"face": synthetic.vectors(labels, dim=5, seed=seed),
                                 "voice": synthetic.sequences(labels, dim=4, seed=seed)},
                       y=labels, subjects=np.array(["A"] * n), clip_ids=np.array([f"c{i}" for i in range(n)]))


def test_vector_and_mean_pooled_sequence_are_concatenated_in_branch_order():
    train = batch()
    fusion = EarlyConcat(model={"plugin": "recorder"}).fit(FusionData(train=train, n_classes=2), {}, factory)
    X = fusion.model.X
    assert X.shape == (6, 5 + 4)
    np.testing.assert_allclose(X[0, :5], train.features["face"][0])
    np.testing.assert_allclose(X[0, 5:], train.features["voice"][0].mean(axis=0), rtol=1e-6)
    assert fusion.predict_proba(batch(seed=1, n=3).features).shape == (3, 2)


def test_meanstd_pooling_doubles_the_sequence_width():
    fusion = EarlyConcat(model={"plugin": "recorder"}, pool="meanstd")
    fusion.fit(FusionData(train=batch(), n_classes=2), {}, factory)
    assert fusion.model.X.shape == (6, 5 + 2 * 4)


def test_declared_spectrogram_branch_is_pooled_over_its_time_axis():
    labels = y
    train = BranchBatch(features={"mel": synthetic.spectrograms(labels, bins=7, lengths=(10, 11))}, y=labels,
                        subjects=np.array(["A"] * 6), clip_ids=np.arange(6))
    fusion = EarlyConcat(model={"plugin": "recorder"}, kinds={"mel": "spectrogram"})
    fusion.fit(FusionData(train=train, n_classes=2), {}, factory)
    np.testing.assert_allclose(fusion.model.X[0], train.features["mel"][0].mean(axis=1), rtol=1e-6)


def test_validation_branches_reach_the_model_as_validation_vectors():
    fusion = EarlyConcat(model={"plugin": "recorder"})
    fusion.fit(FusionData(train=batch(), n_classes=2, val=batch(seed=2, n=4)), {}, factory)
    assert fusion.model.X_val.shape == (4, 9)


def test_a_model_that_takes_no_vectors_is_refused():
    with pytest.raises(ValueError, match="does not take vector"):
        EarlyConcat(model={"plugin": "sequence-only"}).fit(FusionData(train=batch(), n_classes=2), {}, factory)


def test_predicting_with_other_branches_than_fitted_is_refused():
    fusion = EarlyConcat(model={"plugin": "recorder"}).fit(FusionData(train=batch(), n_classes=2), {}, factory)
    with pytest.raises(ValueError, match="fitted on branches"):
        fusion.predict_proba({"face": batch().features["face"]})
