"""Late fusion by stacking: a meta-classifier over the branches' base-model probabilities.

demokritos2022 (random-forest meta-classifier) trains the base models on 8
actors and the meta-classifier on 12 *other* actors with the base models
frozen; sapienza2024 (MLP meta-classifier) does the same with a subtrain /
subtest split. The meta-classifier must only ever see probabilities for clips
the base models did not train on, or it learns to trust overfitted base
models. With a protocol's ``meta`` group that holds by construction; without
one, probabilities are built out of fold with subject-grouped k-fold.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
from pydantic import Field

from avbench import hookimpl
from avbench.contract import BranchBatch, Features, Fusion, FusionData, Model, Params, PluginFactory

from .branches import branch_names, build_plugin, check_proba, clone_model, require_models


class Stacking(Fusion):
    """Base models = the branches' own models; ``meta_classifier`` (by plugin name) on their concatenated
    class probabilities.

    With ``data.meta`` (a subject group disjoint from ``data.train``): base
    models fit on ``data.train`` (early stopping on ``data.val`` when given),
    the meta-classifier fits on their probabilities for ``data.meta``; with
    ``refit_base`` they are then refit on train + meta. Without it: out-of-fold
    probabilities over ``data.train`` by ``GroupKFold`` on the subjects (at most
    ``n_splits`` folds), so no clip's probability comes from a model that saw
    the clip's subject; the meta-classifier fits on those and the base models
    are refit on all of ``data.train``.
    """

    name = "stacking"
    version = "1.0"
    cites = 'Wolpert 1992, "Stacked Generalization", Neural Networks 5(2)'

    class Params(Params):
        meta_classifier: dict[str, Any] = Field(
            default_factory=lambda: {"plugin": "random-forest", "params": {}},
            description="VECTOR model on the base models' concatenated probabilities: {'plugin': ..., 'params': ...}")
        n_splits: int = Field(
            5, ge=2, description="most subject-grouped folds for out-of-fold probabilities (without a meta group)")
        refit_base: bool = Field(
            False, description="with a meta group: refit the base models on train + meta after the meta-classifier")

    def __init__(self, params: Any = None, **overrides: Any) -> None:
        super().__init__(params, **overrides)
        self.branches: list[str] | None = None
        self.base_models: dict[str, Model] = {}
        self.meta_model: Model | None = None
        self.n_classes: int | None = None
        #: What the meta-classifier was trained on: the probability rows and the clip ids they belong to.
        self.meta_inputs: np.ndarray | None = None
        self.meta_clip_ids: np.ndarray | None = None
        #: Per out-of-fold split, the subjects its base models trained on and the clip ids they predicted.
        self.oof_folds: list[dict[str, np.ndarray]] = []

    # ---- helpers -----------------------------------------------------------------------------------------
    def _fit_base(self, models: Mapping[str, Model], batch: BranchBatch, rows: np.ndarray | None,
                  val: BranchBatch | None) -> dict[str, Model]:
        fitted = {}
        for name in self.branches or []:
            model = clone_model(models[name])
            X = list(batch.features[name])
            y = np.asarray(batch.y)
            if rows is not None:
                X, y = [X[i] for i in rows], y[rows]
            model.fit(X, y, n_classes=self.n_classes,  # type: ignore[arg-type]
                      X_val=list(val.features[name]) if val is not None else None,
                      y_val=np.asarray(val.y) if val is not None else None)
            fitted[name] = model
        return fitted

    def _base_proba(self, fitted: Mapping[str, Model], features: Mapping[str, Features],
                    rows: np.ndarray | None = None) -> np.ndarray:
        parts = []
        for name in self.branches or []:
            X = list(features[name])
            if rows is not None:
                X = [X[i] for i in rows]
            parts.append(check_proba(fitted[name].predict_proba(X), len(X), self.n_classes,  # type: ignore[arg-type]
                                     f"{self.name}: base model of branch {name!r}"))
        return np.concatenate(parts, axis=1)

    def _out_of_fold(self, models: Mapping[str, Model], data: FusionData) -> np.ndarray:
        from sklearn.model_selection import GroupKFold

        subjects = np.asarray(data.train.subjects)
        n_groups = len(np.unique(subjects))
        if n_groups < 2:
            raise ValueError(f"{self.name}: out-of-fold stacking needs at least 2 training subjects, got "
                             f"{n_groups}; give the protocol a meta group instead")
        n = len(data.train.y)
        oof = np.full((n, len(self.branches or []) * data.n_classes), np.nan, dtype=np.float32)
        self.oof_folds = []
        for fit_rows, held_rows in GroupKFold(n_splits=min(self.params.n_splits, n_groups)).split(
                np.zeros(n), groups=subjects):
            fitted = self._fit_base(models, data.train, fit_rows, data.val)
            oof[held_rows] = self._base_proba(fitted, data.train.features, held_rows)
            self.oof_folds.append({"fit_subjects": np.unique(subjects[fit_rows]),
                                   "predicted_clip_ids": np.asarray(data.train.clip_ids)[held_rows]})
        return oof

    # ---- fit / predict -----------------------------------------------------------------------------------
    def fit(self, data: FusionData, models: Mapping[str, Model], factory: PluginFactory) -> "Stacking":
        self.branches = branch_names(data.train.features, None, self.name)
        given = require_models(models, self.branches, self.name)
        self.n_classes = data.n_classes
        if data.meta is not None and len(data.meta.y):
            overlap = set(np.asarray(data.meta.subjects)) & set(np.asarray(data.train.subjects))
            if overlap:
                raise ValueError(f"{self.name}: meta and train groups share subjects {sorted(overlap)}")
            self.base_models = self._fit_base(given, data.train, None, data.val)
            meta_x = self._base_proba(self.base_models, data.meta.features)
            meta_y, meta_ids = np.asarray(data.meta.y), np.asarray(data.meta.clip_ids)
        else:
            meta_x = self._out_of_fold(given, data)
            meta_y, meta_ids = np.asarray(data.train.y), np.asarray(data.train.clip_ids)
        self.meta_model = build_plugin(factory, self.params.meta_classifier, self.context, Model, self.name)
        self.meta_model.fit(list(meta_x), meta_y, n_classes=data.n_classes)
        self.meta_inputs, self.meta_clip_ids = meta_x, meta_ids
        if data.meta is None or not len(data.meta.y):
            self.base_models = self._fit_base(given, data.train, None, data.val)
        elif self.params.refit_base:
            self.base_models = self._fit_base(given, _concat(data.train, data.meta), None, data.val)
        return self

    def predict_proba(self, features: Mapping[str, Features]) -> np.ndarray:
        if self.meta_model is None:
            raise RuntimeError(f"{self.name}: not fitted")
        names = branch_names(features, self.branches, self.name)
        x = self._base_proba(self.base_models, {n: features[n] for n in names})
        return check_proba(self.meta_model.predict_proba(list(x)), len(x), self.n_classes,  # type: ignore[arg-type]
                           f"{self.name}: meta-classifier")


def _concat(a: BranchBatch, b: BranchBatch) -> BranchBatch:
    return BranchBatch(features={n: list(a.features[n]) + list(b.features[n]) for n in a.features},
                       y=np.concatenate([a.y, b.y]), subjects=np.concatenate([a.subjects, b.subjects]),
                       clip_ids=np.concatenate([a.clip_ids, b.clip_ids]))


@hookimpl
def avbench_plugins() -> list[type]:
    return [Stacking]
