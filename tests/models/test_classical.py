"""Classical (scikit-learn) models: probabilities for every class, scaler fitted on training data only, seeded."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from avbench.registry import contract_problems, discover
from avbench_plugins.models.classical import (
    DecisionTree,
    Knn,
    LogisticRegressionModel,
    Mlp,
    RandomForest,
    SvmLinear,
    SvmRbf,
)

ALL = [SvmRbf, SvmLinear, RandomForest, Knn, DecisionTree, Mlp, LogisticRegressionModel]
FAST = {"random-forest": {"n_estimators": 30}, "mlp": {"hidden_sizes": (16,), "max_iter": 200}}
ids = [cls.name for cls in ALL]


def make(cls, **params):
    return cls({**FAST.get(cls.name, {}), **params})


def blobs(n_per_class: int, classes, dim: int = 6, seed: int = 0, offset: float = 0.0):
    """Well separated Gaussian blobs, one per class, as a list of per-clip vectors."""
    rng = np.random.default_rng(seed)
    centres = np.eye(max(classes) + 1, dim) * 6.0
    X = [rng.standard_normal(dim).astype(np.float32) + centres[c] + offset for c in classes for _ in range(n_per_class)]
    y = np.repeat(np.asarray(classes), n_per_class)
    return X, y


@pytest.mark.parametrize("cls", ALL, ids=ids)
def test_every_classical_model_declares_a_valid_vector_model(cls):
    assert contract_problems(cls) == []
    assert [k.value for k in cls.accepts] == ["vector"]


def test_all_classical_models_are_installed_as_entry_points():
    assert set(ids) <= set(discover().names("model"))


@pytest.mark.parametrize("cls", ALL, ids=ids)
def test_probabilities_have_one_column_per_class_and_rows_sum_to_one(cls):
    X, y = blobs(12, [0, 1, 2])
    Xt, yt = blobs(5, [0, 1, 2], seed=1)
    proba = make(cls).fit(X, y, n_classes=3).predict_proba(Xt)
    assert proba.shape == (15, 3)
    assert (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)


@pytest.mark.parametrize("cls", ALL, ids=ids)
def test_models_learn_separable_classes(cls):
    X, y = blobs(12, [0, 1, 2])
    Xt, yt = blobs(10, [0, 1, 2], seed=1)
    assert (make(cls).fit(X, y, n_classes=3).predict(Xt) == yt).mean() > 0.9


@pytest.mark.parametrize("cls", ALL, ids=ids)
def test_a_class_missing_from_training_gets_a_zero_column(cls):
    X, y = blobs(10, [0, 1, 3])
    proba = make(cls).fit(X, y, n_classes=5).predict_proba(blobs(4, [0, 1, 2, 3], seed=2)[0])
    assert proba.shape == (16, 5)
    assert not proba[:, [2, 4]].any()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)


@pytest.mark.parametrize("cls", ALL, ids=ids)
def test_a_class_with_one_training_vector_still_gets_valid_probabilities(cls):
    X, y = blobs(8, [0, 1])
    X1, y1 = blobs(1, [2], seed=8)
    proba = make(cls).fit(X + X1, np.concatenate([y, y1]), n_classes=3).predict_proba(blobs(3, [0, 1, 2], seed=9)[0])
    assert proba.shape == (9, 3) and (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)


@pytest.mark.parametrize("cls", ALL, ids=ids)
def test_training_on_a_single_class_predicts_it_with_certainty(cls):
    X, y = blobs(6, [2])
    proba = make(cls).fit(X, y, n_classes=4).predict_proba(blobs(3, [0, 1], seed=3)[0])
    np.testing.assert_array_equal(proba, np.tile([0.0, 0.0, 1.0, 0.0], (6, 1)))


@pytest.mark.parametrize("cls", ALL, ids=ids)
def test_the_scaler_is_fitted_on_training_data_only(cls):
    X, y = blobs(10, [0, 1])
    model = make(cls).fit(X, y, n_classes=2)
    scaler = model.pipeline_.named_steps["scale"]
    np.testing.assert_allclose(scaler.mean_, np.mean(X, axis=0), rtol=1e-5)
    mean, scale = scaler.mean_.copy(), scaler.scale_.copy()
    far_away = blobs(10, [0, 1], seed=4, offset=100.0)[0]
    model.predict_proba(far_away)
    np.testing.assert_array_equal(scaler.mean_, mean)
    np.testing.assert_array_equal(scaler.scale_, scale)


@pytest.mark.parametrize("cls", ALL, ids=ids)
def test_validation_data_is_never_trained_on(cls):
    """Whether validation subjects train is the protocol's decision, applied by the runner: the model ignores X_val."""
    X, y = blobs(8, [0, 1])
    Xv, yv = blobs(4, [0, 1, 2], seed=5, offset=1.0)
    Xt = blobs(3, [0, 1, 2], seed=7)[0]
    with_val = make(cls).fit(X, y, n_classes=3, X_val=Xv, y_val=yv)
    without = make(cls).fit(X, y, n_classes=3)
    np.testing.assert_allclose(with_val.pipeline_.named_steps["scale"].mean_, np.mean(X, axis=0), rtol=1e-5)
    assert list(with_val.pipeline_.classes_) == [0, 1]  # class 2 only appears in the validation data
    np.testing.assert_array_equal(with_val.predict_proba(Xt), without.predict_proba(Xt))


@pytest.mark.parametrize("cls", ALL, ids=ids)
def test_the_same_seed_gives_the_same_probabilities(cls):
    X, y = blobs(10, [0, 1, 2], seed=6)
    noisy = [x + np.random.default_rng(i).standard_normal(x.shape).astype(np.float32) * 3 for i, x in enumerate(X)]
    Xt = blobs(5, [0, 1, 2], seed=7)[0]
    a = make(cls, seed=3).fit(noisy, y, n_classes=3).predict_proba(Xt)
    b = make(cls, seed=3).fit(noisy, y, n_classes=3).predict_proba(Xt)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cls", [RandomForest, Mlp], ids=["random-forest", "mlp"])
def test_the_seed_changes_randomised_models(cls):
    rng = np.random.default_rng(0)
    X = list(rng.standard_normal((40, 6)).astype(np.float32))
    y = rng.integers(0, 3, 40)
    Xt = list(rng.standard_normal((10, 6)).astype(np.float32))
    a = make(cls, seed=1).fit(X, y, n_classes=3).predict_proba(Xt)
    b = make(cls, seed=2).fit(X, y, n_classes=3).predict_proba(Xt)
    assert not np.array_equal(a, b)


def test_without_a_seed_parameter_the_runs_seed_is_used():
    from avbench.contract import RunContext

    rng = np.random.default_rng(0)
    X, y = list(rng.standard_normal((40, 6)).astype(np.float32)), rng.integers(0, 3, 40)
    Xt = list(rng.standard_normal((10, 6)).astype(np.float32))

    def run(run_seed, **params):
        model = make(RandomForest, **params)
        model.setup(RunContext(seed=run_seed))
        return model.fit(X, y, n_classes=3).predict_proba(Xt)

    np.testing.assert_array_equal(run(5), run(5))
    assert not np.array_equal(run(5), run(6))
    np.testing.assert_array_equal(run(5, seed=1), run(6, seed=1))  # an explicit seed wins


def test_knn_with_k_above_the_training_size_uses_every_training_vector():
    X, y = blobs(2, [0, 1])
    proba = Knn(k=50).fit(X, y, n_classes=2).predict_proba(X)
    np.testing.assert_allclose(proba, 0.5)


def test_non_finite_features_are_refused_with_the_rows_named():
    X, y = blobs(5, [0, 1])
    X[3] = X[3].copy()
    X[3][0] = np.nan
    with pytest.raises(ValueError, match=r"rows \[3\]"):
        SvmRbf().fit(X, y, n_classes=2)


def test_non_vector_features_are_refused():
    with pytest.raises(ValueError, match="one vector per clip"):
        SvmRbf().fit([np.zeros((3, 4), np.float32)] * 4, np.array([0, 1, 0, 1]), n_classes=2)


def test_labels_outside_the_class_range_are_refused():
    X, y = blobs(3, [0, 1])
    with pytest.raises(ValueError, match="0..1"):
        SvmRbf().fit(X, y + 1, n_classes=2)


def test_predicting_before_fitting_is_an_error():
    with pytest.raises(RuntimeError, match="before fit"):
        SvmRbf().predict_proba([np.zeros(3, np.float32)])


@pytest.mark.parametrize("cls, bad", [
    (SvmRbf, {"gamma": -1.0}), (SvmRbf, {"C": 0}), (Mlp, {"hidden_sizes": ()}), (Knn, {"k": 0}),
    (RandomForest, {"n_estimators": 0}), (LogisticRegressionModel, {"class_weight": "weird"}),
])
def test_bad_parameters_are_rejected_at_construction(cls, bad):
    with pytest.raises(ValidationError):
        cls(bad)
