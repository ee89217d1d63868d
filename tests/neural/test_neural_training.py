"""The shared training loop: seeded, selects the best validation epoch from a weights-only checkpoint,
picks its device, leaves the process's torch settings alone, and fitted models pickle."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from avbench.contract import RunContext
from avbench_plugins.models.neural.cuny import CunyLstm
from avbench_plugins.models.neural.ravdess_cnn import RavdessCnn
from avbench_plugins.models.neural.training import class_weights, holdout_split, resolve_device

from . import synthetic

y_train = synthetic.labels(24, 3)
X_train = synthetic.sequences(y_train)
y_val = synthetic.labels(9, 3, seed=1)
X_val = synthetic.sequences(y_val, seed=1)


def tiny_lstm(**params) -> CunyLstm:
    defaults = dict(lstm_units=6, dense_units=(5,), tanh_units=4, max_epochs=3, lr=1e-2, device="cpu")
    return CunyLstm({**defaults, **params})


def test_same_seed_gives_the_same_probabilities():
    a = tiny_lstm(seed=7).fit(X_train, y_train, n_classes=3, X_val=X_val, y_val=y_val).predict_proba(X_val)
    b = tiny_lstm(seed=7).fit(X_train, y_train, n_classes=3, X_val=X_val, y_val=y_val).predict_proba(X_val)
    c = tiny_lstm(seed=8).fit(X_train, y_train, n_classes=3, X_val=X_val, y_val=y_val).predict_proba(X_val)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_seed_defaults_to_the_run_context_seed():
    a, b = tiny_lstm(), tiny_lstm()
    a.setup(RunContext(seed=3))
    b.setup(RunContext(seed=4))
    pa = a.fit(X_train, y_train, n_classes=3, X_val=X_val, y_val=y_val).predict_proba(X_val)
    pb = b.fit(X_train, y_train, n_classes=3, X_val=X_val, y_val=y_val).predict_proba(X_val)
    assert not np.allclose(pa, pb)


def _rising_val_loss_case():
    """Training labels follow the feature sign; validation labels are the opposite, so the better the model
    fits the training set, the worse its validation loss: the best epoch is the first."""
    rng = np.random.default_rng(0)
    y = np.arange(40) % 2
    X = [np.full((4, 3), 2.0 * c - 1.0, np.float32) + rng.normal(0, 0.1, (4, 3)).astype(np.float32) for c in y]
    X_v = X[:10]
    y_v = 1 - y[:10]
    return X, y, X_v, y_v


def test_early_stopping_stops_on_rising_validation_loss_and_restores_the_best_epoch():
    X, y, X_v, y_v = _rising_val_loss_case()
    params = dict(max_epochs=20, patience=2, lr=5e-2, seed=0)
    model = tiny_lstm(**params).fit(X, y, n_classes=2, X_val=X_v, y_val=y_v)
    result = model.train_result
    losses = [h["val_loss"] for h in result.history]
    best = int(np.argmin(losses)) + 1
    assert result.best_epoch == best
    assert losses[-1] > losses[best - 1]  # the last epoch is worse: restoring matters
    assert result.stopped_early and result.epochs_run == best + 2 < 20
    at_best = tiny_lstm(**{**params, "max_epochs": best}).fit(X, y, n_classes=2, X_val=X_v, y_val=y_v)
    np.testing.assert_allclose(model.predict_proba(X_v), at_best.predict_proba(X_v), rtol=1e-6)
    last = tiny_lstm(**{**params, "max_epochs": result.epochs_run, "early_stopping": False, "val_fraction": 0})
    assert not np.allclose(model.predict_proba(X_v), last.fit(X, y, n_classes=2).predict_proba(X_v))


def test_monitoring_validation_accuracy_keeps_the_most_accurate_epoch():
    X, y, X_v, y_v = _rising_val_loss_case()
    model = tiny_lstm(max_epochs=4, monitor="val_accuracy", early_stopping=False, seed=0).fit(
        X, y, n_classes=2, X_val=X_v, y_val=y_v)
    history = model.train_result.history
    best = max(range(len(history)), key=lambda i: (history[i]["val_accuracy"], -i))
    assert model.train_result.best_epoch == best + 1
    assert model.train_result.epochs_run == 4


def test_best_epoch_checkpoint_is_written_under_the_cache_and_loaded_weights_only(tmp_path, monkeypatch):
    calls = []
    real_load = torch.load

    def spy(path, *args, **kwargs):
        calls.append((Path(path), kwargs.get("weights_only")))
        return real_load(path, *args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)  # training imports torch where it trains
    model = tiny_lstm(keep_checkpoint=True)
    model.setup(RunContext(cache_dir=tmp_path))
    model.fit(X_train, y_train, n_classes=3, X_val=X_val, y_val=y_val)
    checkpoint = model.train_result.checkpoint
    assert checkpoint is not None and checkpoint.is_file()
    assert checkpoint.parent == tmp_path / "checkpoints"
    assert calls == [(checkpoint, True)]
    state = real_load(checkpoint, weights_only=True)
    fitted = model.network().state_dict()
    assert state.keys() == fitted.keys()
    assert all(torch.equal(state[k], fitted[k]) for k in state)


def test_checkpoint_is_removed_after_loading_unless_kept(tmp_path):
    model = tiny_lstm()
    model.setup(RunContext(cache_dir=tmp_path))
    model.fit(X_train, y_train, n_classes=3, X_val=X_val, y_val=y_val)
    assert model.train_result.checkpoint is None
    assert list((tmp_path / "checkpoints").iterdir()) == []


def test_without_validation_clips_a_seeded_stratified_fraction_of_training_clips_is_held_out():
    model = tiny_lstm(val_fraction=0.25).fit(X_train, y_train, n_classes=3)
    assert all("val_loss" in h for h in model.train_result.history)
    train, val = holdout_split(y_train, 0.25, seed=0)
    assert len(val) == 6 and not set(train) & set(val)
    assert np.bincount(y_train[val]).tolist() == [2, 2, 2]
    np.testing.assert_array_equal(val, holdout_split(y_train, 0.25, seed=0)[1])


def test_with_no_validation_and_no_holdout_it_trains_fixed_epochs_and_keeps_the_last():
    model = tiny_lstm(val_fraction=0, max_epochs=3).fit(X_train, y_train, n_classes=3)
    result = model.train_result
    assert result.epochs_run == 3 and result.best_epoch == 3
    assert all("val_loss" not in h for h in result.history)


def test_balanced_class_weights_are_inverse_to_class_frequency():
    weights = class_weights(np.array([0, 0, 0, 1]), 3)
    assert weights.tolist() == pytest.approx([4 / 6, 2.0, 0.0])


def test_class_weighting_changes_training():
    y = np.array([0] * 18 + [1] * 4 + [2] * 2)
    X = synthetic.sequences(y)
    plain = tiny_lstm(val_fraction=0).fit(X, y, n_classes=3).predict_proba(X)
    weighted = tiny_lstm(val_fraction=0, class_weight="balanced").fit(X, y, n_classes=3).predict_proba(X)
    assert not np.allclose(plain, weighted)


def test_device_cpu_is_honoured_and_auto_falls_back_to_cpu_without_cuda(monkeypatch):
    assert resolve_device("cpu") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    assert resolve_device("auto", RunContext(device="cpu")) == torch.device("cpu")
    with pytest.raises(RuntimeError, match="no CUDA"):
        resolve_device("cuda")
    with pytest.raises(RuntimeError, match="no CUDA"):
        resolve_device("auto", RunContext(device="cuda"))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")
    assert resolve_device("cpu", RunContext(device="cuda")) == torch.device("cpu")


def test_fitted_model_reports_the_device_it_ran_on():
    model = tiny_lstm(device="cpu", max_epochs=1).fit(X_train, y_train, n_classes=3)
    assert model.device == "cpu"


def test_pickled_fitted_model_predicts_the_same_and_holds_no_torch_module():
    model = tiny_lstm().fit(X_train, y_train, n_classes=3, X_val=X_val, y_val=y_val)
    expected = model.predict_proba(X_val)
    blob = pickle.dumps(model)
    restored = pickle.loads(blob)
    assert restored._module is None and all(isinstance(v, np.ndarray) for v in restored._weights.values())
    np.testing.assert_array_equal(restored.predict_proba(X_val), expected)


def test_unfitted_model_refuses_to_predict():
    with pytest.raises(RuntimeError, match="not fitted|fit the model"):
        tiny_lstm().predict_proba(X_val)


def test_training_leaves_thread_count_and_determinism_settings_as_they_were():
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    tiny_lstm(num_threads=1, max_epochs=1).fit(X_train, y_train, n_classes=3)
    assert torch.get_num_threads() == threads
    assert torch.are_deterministic_algorithms_enabled() == deterministic


def test_training_does_not_move_the_global_random_stream():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    tiny_lstm(max_epochs=1).fit(X_train, y_train, n_classes=3)
    assert torch.equal(torch.rand(3), expected)


def test_labels_outside_the_class_range_are_rejected():
    with pytest.raises(ValueError, match="labels must lie in 0..1"):
        tiny_lstm(val_fraction=0).fit(X_train, y_train, n_classes=2)


def test_ravdess_cnn_trains_on_spectrograms_with_validation_actors():
    y = synthetic.labels(18, 3)
    model = RavdessCnn(max_epochs=2, lr=1e-3)
    model.fit(synthetic.spectrograms(y), y, n_classes=3, X_val=synthetic.spectrograms(y[:6], seed=2),
              y_val=y[:6])
    assert model.predict_proba(synthetic.spectrograms(y[:4], seed=3)).shape == (4, 3)


def test_validation_clips_select_the_epoch_but_never_train():
    """X_val changes which epoch is kept, never the data trained on: standardisation sees training clips only."""
    model = tiny_lstm(seed=7, max_epochs=1).fit(X_train, y_train, n_classes=3, X_val=X_val, y_val=y_val)
    frames = np.concatenate(X_train)
    np.testing.assert_allclose(model.layout.mean.ravel(), frames.mean(axis=0), rtol=1e-5, atol=1e-6)
    unseen = tiny_lstm(seed=7, max_epochs=1).fit(X_train, y_train, n_classes=3, X_val=[x + 5 for x in X_val],
                                                 y_val=y_val)
    np.testing.assert_array_equal(model.predict_proba(X_train), unseen.predict_proba(X_train))
