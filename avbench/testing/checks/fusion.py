"""Fusion checks: two tiny branches, a stand-in factory, probabilities with and without a meta group."""

from __future__ import annotations

from functools import partial
from typing import Any, Callable, Iterator

import numpy as np

from avbench.contract import BranchBatch, Fusion, FusionData, Model, OutputKind, Plugin

from ..features import balanced_labels, samples, shape_for
from ..hooks import make_plugin
from ..sandbox import Workspace
from ..stand_ins import CentroidModel, ConformanceFactory
from .common import Check, roundtrip, yield_common_checks
from .model import assert_probabilities, assert_same_proba

DEFAULT_BRANCHES: dict[str, dict[str, Any]] = {
    "audio": {"output_kind": "vector", "shape": [12]},
    "video": {"output_kind": "vector", "shape": [8]},
}
#: Subjects per group, disjoint like a protocol's train / val / meta / test sides.
GROUPS = {"train": (8, 8), "val": (3, 2), "meta": (4, 4), "test": (4, 2)}  # (clips per class, subjects)


def branches(cls: type[Fusion]) -> dict[str, dict[str, Any]]:
    return {k: dict(v) for k, v in (getattr(cls, "conformance_branches", None) or DEFAULT_BRANCHES).items()}


def batch(cls: type[Fusion], group: str, classes: list[int]) -> BranchBatch:
    per_class, n_subjects = GROUPS[group]
    y = balanced_labels(classes, per_class)
    offset = sum(s for g, (_, s) in GROUPS.items() if list(GROUPS).index(g) < list(GROUPS).index(group))
    subjects = np.array([f"{offset + 1 + i % n_subjects:02d}" for i in range(len(y))])
    features = {}
    for index, (name, spec) in enumerate(branches(cls).items()):
        kind = OutputKind(spec.get("output_kind", "vector"))
        shape = tuple(spec["shape"]) if "shape" in spec else shape_for(kind)
        features[name] = samples(kind, shape, y, seed=100 * index + list(GROUPS).index(group))
    clip_ids = np.array([f"{group}-{i:03d}" for i in range(len(y))])
    return BranchBatch(features=features, y=y, subjects=subjects, clip_ids=clip_ids)


def fusion_data(cls: type[Fusion], meta: bool, validation: bool = True, n_classes: int = 3,
                present: list[int] | None = None) -> tuple[FusionData, BranchBatch]:
    seen = present if present is not None else list(range(n_classes))
    data = FusionData(train=batch(cls, "train", seen), n_classes=n_classes,
                      val=batch(cls, "val", seen) if validation else None,
                      meta=batch(cls, "meta", seen) if meta else None)
    return data, batch(cls, "test", list(range(n_classes)))


def branch_models(cls: type[Fusion], factory: ConformanceFactory) -> dict[str, Model]:
    models = {}
    for name, spec in branches(cls).items():
        ref = spec.get("model") or {"plugin": CentroidModel.name}
        models[name] = factory(ref)  # type: ignore[assignment]
    return models


def fit(plugin: Fusion, cls: type[Fusion], ws: Workspace, data: FusionData) -> None:
    factory = ConformanceFactory(ws)
    returned = plugin.fit(data, branch_models(cls, factory), factory)
    assert returned is plugin, f"fit returned {returned!r}; it must return self"


def fit_predict(cls: type[Fusion], ws: Workspace, cache: str = "cache", **kwargs: Any) -> tuple[Fusion, np.ndarray, int]:
    data, test = fusion_data(cls, **kwargs)
    plugin = make_plugin(cls, ws, cache=cache)
    fit(plugin, cls, ws, data)  # type: ignore[arg-type]
    proba = plugin.predict_proba(test.features)  # type: ignore[attr-defined]
    return plugin, assert_probabilities(proba, len(test.y), data.n_classes, "predict_proba"), len(test.y)


def run(body: Callable[[Workspace], None]) -> None:
    with Workspace() as ws, ws.entered():
        body(ws)


def check_fit_predict_proba(cls: type[Fusion]) -> None:
    """With train and validation groups and no meta group, predict_proba gives ``[N, n_classes]`` probabilities."""
    run(lambda ws: fit_predict(cls, ws, meta=False))


def check_fit_with_meta_group(cls: type[Fusion]) -> None:
    """With a protocol's separate meta group (the 8/12/4 split) it fits and predicts probabilities."""
    run(lambda ws: fit_predict(cls, ws, meta=True))


def check_fit_without_validation(cls: type[Fusion]) -> None:
    """It fits when the protocol gives no validation group."""
    run(lambda ws: fit_predict(cls, ws, meta=False, validation=False))


def check_unseen_class_columns(cls: type[Fusion]) -> None:
    """A class absent from training still gets its column."""
    run(lambda ws: fit_predict(cls, ws, meta=False, n_classes=4, present=[0, 1, 2]))


def check_deterministic(cls: type[Fusion]) -> None:
    """Two fits with the same seed give the same probabilities."""
    def body(ws: Workspace) -> None:
        _, a, _ = fit_predict(cls, ws, cache="cache-a", meta=False)
        _, b, _ = fit_predict(cls, ws, cache="cache-b", meta=False)
        assert_same_proba(a, b, "two fits with the same seed")
    run(body)


def check_picklable_after_fit(cls: type[Fusion]) -> None:
    """A fitted fusion survives pickling and predicts the same."""
    def body(ws: Workspace) -> None:
        plugin, before, _ = fit_predict(cls, ws, meta=False)
        _, test = fusion_data(cls, meta=False)
        assert_same_proba(before, np.asarray(roundtrip(plugin).predict_proba(test.features)), "after pickling")
    run(body)


def workload(cls: type[Plugin], ws: Workspace) -> Callable[[Plugin], Any]:
    data, test = fusion_data(cls, meta=False)  # type: ignore[arg-type]

    def go(plugin: Plugin) -> Any:
        fit(plugin, cls, ws, data)  # type: ignore[arg-type]
        return plugin.predict_proba(test.features)  # type: ignore[attr-defined]
    return go


def yield_checks(cls: type[Fusion]) -> Iterator[tuple[str, Check]]:
    yield from yield_common_checks(cls, workload)
    yield "check_fit_predict_proba", partial(check_fit_predict_proba, cls)
    yield "check_fit_with_meta_group", partial(check_fit_with_meta_group, cls)
    yield "check_fit_without_validation", partial(check_fit_without_validation, cls)
    yield "check_unseen_class_columns", partial(check_unseen_class_columns, cls)
    yield "check_deterministic", partial(check_deterministic, cls)
    yield "check_picklable_after_fit", partial(check_picklable_after_fit, cls)
