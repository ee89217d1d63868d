"""Stacking never lets the meta-classifier see a probability from a base model that trained on that clip."""

from __future__ import annotations

import numpy as np
import pytest

from avbench.contract import FusionData
from avbench_plugins.fusion.stacking import Stacking

from .fakes import Memorizer, factory, memo_batch

N_CLASSES = 3
BASE = {"audio": Memorizer(), "video": Memorizer()}


@pytest.fixture(autouse=True)
def _fresh_log():
    Memorizer.log.clear()


def stacking(**params) -> Stacking:
    return Stacking({"meta_classifier": {"plugin": "recorder"}, **params})


def is_one_hot(rows: np.ndarray) -> np.ndarray:
    return np.isclose(rows.max(axis=1), 1.0)


def test_without_a_meta_group_meta_inputs_are_out_of_fold_by_subject():
    train = memo_batch(subjects=[1, 2, 3, 4, 5, 6])
    fusion = stacking(n_splits=3).fit(FusionData(train=train, n_classes=N_CLASSES), BASE, factory)

    meta_x = fusion.meta_model.X
    assert meta_x.shape == (len(train.y), 2 * N_CLASSES)
    # A memorising base model gives one-hot rows for clips it trained on: none may reach the meta-classifier.
    assert not is_one_hot(meta_x[:, :N_CLASSES]).any() and not is_one_hot(meta_x[:, N_CLASSES:]).any()
    np.testing.assert_array_equal(fusion.meta_model.y, train.y)
    np.testing.assert_array_equal(fusion.meta_clip_ids, train.clip_ids)

    subject_of = dict(zip(train.clip_ids, train.subjects))
    predicted = np.concatenate([f["predicted_clip_ids"] for f in fusion.oof_folds])
    assert sorted(predicted) == sorted(train.clip_ids)  # every clip exactly once
    for fold in fusion.oof_folds:
        assert not {subject_of[c] for c in fold["predicted_clip_ids"]} & set(fold["fit_subjects"])
    out_of_fold_predictions = [e for e in Memorizer.log if e["event"] == "predict"]
    assert len(out_of_fold_predictions) == 3 * 2
    for event in out_of_fold_predictions:
        assert not event["subjects"] & event["fit_subjects"]


def test_without_a_meta_group_base_models_are_refit_on_all_training_subjects():
    train = memo_batch(subjects=[1, 2, 3, 4])
    fusion = stacking(n_splits=2).fit(FusionData(train=train, n_classes=N_CLASSES), BASE, factory)
    for model in fusion.base_models.values():
        assert model.fit_subjects == {1, 2, 3, 4}
    assert len([e for e in Memorizer.log if e["event"] == "fit"]) == (2 + 1) * 2
    # The memoriser does memorise: had a training clip's probability leaked, the test above would see one-hots.
    assert is_one_hot(fusion._base_proba(fusion.base_models, train.features)).all()


def test_with_a_meta_group_the_meta_classifier_trains_only_on_meta_rows_from_frozen_base_models():
    train = memo_batch(subjects=[1, 2, 3, 4])
    meta = memo_batch(subjects=[5, 6, 7], start=100)
    val = memo_batch(subjects=[8], start=200)
    fusion = stacking().fit(FusionData(train=train, n_classes=N_CLASSES, val=val, meta=meta), BASE, factory)

    assert fusion.meta_model.X.shape == (len(meta.y), 2 * N_CLASSES)
    np.testing.assert_array_equal(fusion.meta_model.y, meta.y)
    np.testing.assert_array_equal(fusion.meta_clip_ids, meta.clip_ids)
    assert not is_one_hot(fusion.meta_model.X[:, :N_CLASSES]).any()
    for model in fusion.base_models.values():
        assert model.fit_subjects == {1, 2, 3, 4}
    assert len([e for e in Memorizer.log if e["event"] == "fit"]) == 2


def test_with_a_meta_group_and_refit_base_models_are_refit_on_train_and_meta():
    train = memo_batch(subjects=[1, 2])
    meta = memo_batch(subjects=[3, 4], start=100)
    fusion = stacking(refit_base=True).fit(FusionData(train=train, n_classes=N_CLASSES, meta=meta), BASE, factory)
    assert not is_one_hot(fusion.meta_model.X[:, :N_CLASSES]).any()
    for model in fusion.base_models.values():
        assert model.fit_subjects == {1, 2, 3, 4}


def test_meta_group_sharing_a_subject_with_train_is_refused():
    train = memo_batch(subjects=[1, 2])
    meta = memo_batch(subjects=[2, 3], start=100)
    with pytest.raises(ValueError, match="share subjects"):
        stacking().fit(FusionData(train=train, n_classes=N_CLASSES, meta=meta), BASE, factory)


def test_out_of_fold_stacking_needs_two_training_subjects():
    with pytest.raises(ValueError, match="at least 2 training subjects"):
        stacking().fit(FusionData(train=memo_batch(subjects=[1]), n_classes=N_CLASSES), BASE, factory)


def test_prediction_feeds_concatenated_base_probabilities_to_the_meta_classifier():
    train = memo_batch(subjects=[1, 2, 3])
    fusion = stacking(n_splits=3).fit(FusionData(train=train, n_classes=N_CLASSES), BASE, factory)
    test = memo_batch(subjects=[9], start=500)
    proba = fusion.predict_proba(test.features)
    assert proba.shape == (len(test.y), N_CLASSES)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_a_branch_without_a_model_is_refused_by_name():
    train = memo_batch(subjects=[1, 2])
    with pytest.raises(ValueError, match="video"):
        stacking().fit(FusionData(train=train, n_classes=N_CLASSES), {"audio": Memorizer()}, factory)
