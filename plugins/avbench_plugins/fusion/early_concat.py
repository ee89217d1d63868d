"""Early fusion: one vector per clip from every branch, concatenated, and one model trained on it.

cuny2020 concatenates MFCC features with face-image features into a dense
network; any VECTOR model plugin can play that network (``mlp`` for the text).
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
from pydantic import Field

from avbench import hookimpl
from avbench.contract import (BranchBatch, Features, Fusion, FusionData, Model, OutputKind, Params, PluginFactory,
                              PluginKind)

from .branches import KindName, Pool, as_vector, branch_names, build_plugin, resolve_kinds


class EarlyConcat(Fusion):
    """Concatenate the branches' features (sequences pooled over time or flattened) and fit ``model`` on them.

    The branches' own models are not used. ``pool`` turns non-vector features
    into vectors: ``mean`` (over time), ``meanstd`` (mean and standard
    deviation) or ``flatten`` (needs one shape for all clips). ``kinds``
    declares a branch's output kind when its shapes cannot tell (a fixed-size
    ``[F, T]`` spectrogram).
    """

    name = "early-concat"
    version = "1.0"

    class Params(Params):
        model: dict[str, Any] = Field(
            default_factory=lambda: {"plugin": "svm-rbf", "params": {}},
            description="VECTOR model fitted on the concatenated vectors: {'plugin': name, 'params': {...}}")
        pool: Pool = Field(
            "mean", description="non-vector features to vectors: mean over time, mean and SD, or flatten (one shape)")
        pool_by_branch: dict[str, Pool] = Field(default_factory=dict,
                                                description="pool per branch name, overriding pool")
        kinds: dict[str, KindName] = Field(
            default_factory=dict,
            description="output kind per branch name, for shapes that cannot tell (a fixed-size spectrogram)")

    def __init__(self, params: Any = None, **overrides: Any) -> None:
        super().__init__(params, **overrides)
        self.branches: list[str] | None = None
        self.kinds: dict[str, OutputKind] = {}
        self.model: Model | None = None

    def wants_cuda(self) -> bool:
        """As its ``model`` does (an ``mlp`` on CUDA puts the fusion's folds on a GPU slot)."""
        from avbench.registry import get_registry

        try:
            model = get_registry().create(self.params.model, PluginKind.MODEL, self.context)
        except Exception:  # an unknown or broken model: the fold says so when it builds it
            return False
        return model.wants_cuda()

    def vectors(self, features: Mapping[str, Features]) -> list[np.ndarray]:
        """One concatenated vector per clip, branches in the fitted order."""
        names = branch_names(features, self.branches, self.name)
        per_branch = [[as_vector(x, self.kinds[n], self.params.pool_by_branch.get(n, self.params.pool))
                       for x in features[n]] for n in names]
        out = []
        for i, parts in enumerate(zip(*per_branch)):
            widths = [p.shape for p in parts]
            out.append(np.concatenate(parts).astype(np.float32))
            if i and out[-1].shape != out[0].shape:
                raise ValueError(f"{self.name}: clip {i} gives branch widths {widths}; flatten needs one shape per "
                                 "branch (use pool='mean')")
        return out

    def fit(self, data: FusionData, models: Mapping[str, Model], factory: PluginFactory) -> "EarlyConcat":
        self.branches = branch_names(data.train.features, None, self.name)
        self.kinds = resolve_kinds(data.train, self.params.kinds)
        self.model = build_plugin(factory, self.params.model, self.context, Model, self.name)
        if OutputKind.VECTOR not in self.model.accepts:
            raise ValueError(f"{self.name}: model {self.model.name!r} does not take vector features")
        val: BranchBatch | None = data.val
        self.model.fit(self.vectors(data.train.features), data.train.y, n_classes=data.n_classes,
                       X_val=self.vectors(val.features) if val is not None else None,
                       y_val=val.y if val is not None else None)
        return self

    def predict_proba(self, features: Mapping[str, Features]) -> np.ndarray:
        if self.model is None:
            raise RuntimeError(f"{self.name}: not fitted")
        return np.asarray(self.model.predict_proba(self.vectors(features)), dtype=np.float32)

    @property
    def device(self) -> str:
        return self.model.device if self.model is not None else "cpu"


@hookimpl
def avbench_plugins() -> list[type]:
    return [EarlyConcat]
