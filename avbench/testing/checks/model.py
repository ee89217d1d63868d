"""Model checks: fit/predict_proba shapes, probabilities, determinism, pickling after fit."""

from __future__ import annotations

from functools import partial
from typing import Any, Callable, Iterator

import numpy as np

from avbench.contract import Model, OutputKind, Plugin

from ..features import KIND_ORDER, TIME_AXIS, ModelData, model_data, shape_for
from ..hooks import make_plugin
from ..sandbox import Workspace
from .common import Check, roundtrip, yield_common_checks


def primary_kind(cls: type[Model]) -> OutputKind:
    return next(k for k in KIND_ORDER if k in cls.accepts)


def data_for(cls: type[Model], kind: OutputKind | None = None, **kwargs: Any) -> ModelData:
    kind = kind or primary_kind(cls)
    return model_data(kind, shape_for(kind, getattr(cls, "conformance_shapes", None)), **kwargs)


def assert_probabilities(proba: Any, n_rows: int, n_classes: int, what: str) -> np.ndarray:
    """``[n_rows, n_classes]`` finite numbers in [0, 1] whose rows sum to one."""
    assert isinstance(proba, np.ndarray), f"{what}: returned {type(proba).__name__}, expected a numpy array"
    assert proba.shape == (n_rows, n_classes), f"{what}: shape {proba.shape}, expected {(n_rows, n_classes)}"
    assert np.issubdtype(proba.dtype, np.floating), f"{what}: dtype {proba.dtype}, expected floating point"
    assert np.isfinite(proba).all(), f"{what}: contains NaN or inf"
    assert proba.min() >= -1e-6 and proba.max() <= 1 + 1e-6, (
        f"{what}: values outside [0, 1] (min {proba.min():.3g}, max {proba.max():.3g})")
    sums = proba.sum(axis=1)
    assert np.allclose(sums, 1.0, atol=1e-4), f"{what}: rows sum to {sums.min():.6f}..{sums.max():.6f}, not 1"
    return proba


def fit(plugin: Model, data: ModelData, validation: bool = True) -> np.ndarray:
    returned = plugin.fit(data.X, data.y, **data.fit_kwargs(validation))
    assert returned is plugin, f"fit returned {returned!r}; it must return self"
    return plugin.predict_proba(data.X_test)


def run_model(cls: type[Model], body: Callable[[Workspace], None]) -> None:
    with Workspace() as ws, ws.entered():
        body(ws)


def check_fit_predict_proba(cls: type[Model]) -> None:
    """fit returns self; predict_proba gives ``[N, n_classes]`` probabilities; predict is their argmax."""
    def body(ws: Workspace) -> None:
        data = data_for(cls)
        plugin = make_plugin(cls, ws)
        proba = assert_probabilities(fit(plugin, data), len(data.X_test), data.n_classes, "predict_proba")
        labels = np.asarray(plugin.predict(data.X_test))
        assert labels.shape == (len(data.X_test),), f"predict: shape {labels.shape}, expected ({len(data.X_test)},)"
        assert np.issubdtype(labels.dtype, np.integer), f"predict: dtype {labels.dtype}, expected integers"
        assert np.array_equal(labels, proba.argmax(axis=1)), "predict disagrees with argmax of predict_proba"
    run_model(cls, body)


def check_fit_without_validation(cls: type[Model]) -> None:
    """fit works when the protocol gives no validation subjects (``X_val=None``)."""
    def body(ws: Workspace) -> None:
        data = data_for(cls)
        assert_probabilities(fit(make_plugin(cls, ws), data, validation=False), len(data.X_test), data.n_classes,
                             "predict_proba after fit without X_val")
    run_model(cls, body)


def check_unseen_class_columns(cls: type[Model]) -> None:
    """A class absent from training still gets its column: ``n_classes`` columns, not the classes seen."""
    def body(ws: Workspace) -> None:
        data = data_for(cls, n_classes=4, present=[0, 1, 2])
        assert_probabilities(fit(make_plugin(cls, ws), data), len(data.X_test), 4,
                             "predict_proba with n_classes=4 but only classes 0-2 in training")
    run_model(cls, body)


def check_predict_single_sample(cls: type[Model]) -> None:
    """predict_proba on one clip gives one row."""
    def body(ws: Workspace) -> None:
        data = data_for(cls)
        plugin = make_plugin(cls, ws)
        fit(plugin, data)
        assert_probabilities(plugin.predict_proba(data.X_test[:1]), 1, data.n_classes, "predict_proba of one clip")
    run_model(cls, body)


def assert_same_proba(a: np.ndarray, b: np.ndarray, what: str) -> None:
    if not np.allclose(a, b, rtol=1e-5, atol=1e-6):
        raise AssertionError(f"{what}: probabilities differ (max abs difference {np.abs(a - b).max():.3g}); "
                             "seed every random step from params or context.seed")


def check_deterministic(cls: type[Model]) -> None:
    """Two fits on the same data with the same seed give the same probabilities."""
    def body(ws: Workspace) -> None:
        data = data_for(cls)
        a = fit(make_plugin(cls, ws, cache="cache-a"), data)
        b = fit(make_plugin(cls, ws, cache="cache-b"), data)
        assert_same_proba(a, b, "two fits with the same seed")
    run_model(cls, body)


def check_picklable_after_fit(cls: type[Model]) -> None:
    """A fitted model survives pickling (workers send it back) and predicts the same."""
    def body(ws: Workspace) -> None:
        data = data_for(cls)
        plugin = make_plugin(cls, ws)
        before = fit(plugin, data)
        assert_same_proba(before, np.asarray(roundtrip(plugin).predict_proba(data.X_test)), "after pickling")
    run_model(cls, body)


def check_variable_length_inputs(cls: type[Model]) -> None:
    """Sequences or spectrograms of different lengths in one batch are accepted (as extractors produce them)."""
    def body(ws: Workspace) -> None:
        for kind in (k for k in KIND_ORDER if k in cls.accepts and k in TIME_AXIS):
            data = data_for(cls, kind, vary_time=True)
            assert_probabilities(fit(make_plugin(cls, ws), data), len(data.X_test), data.n_classes,
                                 f"predict_proba on {kind.value} inputs of varying length")
    run_model(cls, body)


def check_accepts_each_kind(cls: type[Model]) -> None:
    """Every output kind in ``accepts`` (beyond the one the other checks use) can be fitted and predicted."""
    def body(ws: Workspace) -> None:
        for kind in (k for k in KIND_ORDER if k in cls.accepts and k is not primary_kind(cls)):
            data = data_for(cls, kind)
            assert_probabilities(fit(make_plugin(cls, ws), data), len(data.X_test), data.n_classes,
                                 f"predict_proba on {kind.value} inputs")
    run_model(cls, body)


def workload(cls: type[Plugin], ws: Workspace) -> Callable[[Plugin], Any]:
    data = data_for(cls)  # type: ignore[arg-type]
    return lambda plugin: fit(plugin, data)  # type: ignore[arg-type]


def yield_checks(cls: type[Model]) -> Iterator[tuple[str, Check]]:
    yield from yield_common_checks(cls, workload)
    yield "check_fit_predict_proba", partial(check_fit_predict_proba, cls)
    yield "check_fit_without_validation", partial(check_fit_without_validation, cls)
    yield "check_unseen_class_columns", partial(check_unseen_class_columns, cls)
    yield "check_predict_single_sample", partial(check_predict_single_sample, cls)
    yield "check_deterministic", partial(check_deterministic, cls)
    yield "check_picklable_after_fit", partial(check_picklable_after_fit, cls)
    if any(k in TIME_AXIS for k in cls.accepts):
        yield "check_variable_length_inputs", partial(check_variable_length_inputs, cls)
    if len(cls.accepts) > 1:
        yield "check_accepts_each_kind", partial(check_accepts_each_kind, cls)
