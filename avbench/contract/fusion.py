"""Fusion plugins: combine the branches (one per modality) of an experiment."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping

import numpy as np

from .base import Plugin, PluginKind
from .extractor import OutputKind
from .model import Features, Model


@dataclass
class BranchBatch:
    """Features of the same clips, per branch name, with labels, subjects and each branch's output kind."""

    features: Mapping[str, Features]
    y: np.ndarray
    subjects: np.ndarray
    clip_ids: np.ndarray
    kinds: Mapping[str, OutputKind] = field(default_factory=dict)


@dataclass
class FusionData:
    """What a fusion strategy trains on.

    ``train`` fits base models; ``val`` (validation subjects) is for early
    stopping; ``meta`` is a disjoint subject group a protocol set aside for a
    meta-classifier (the 8/12/4 split); it is None when the protocol has none,
    and a stacking fusion must then build out-of-fold predictions itself.
    """

    train: BranchBatch
    n_classes: int
    val: BranchBatch | None = None
    meta: BranchBatch | None = None


#: Builds any registered plugin from a ``{"plugin": name, "params": {...}}`` reference.
PluginFactory = Callable[[Mapping[str, Any]], Plugin]


class Fusion(Plugin):
    """Trains on several branches and predicts class probabilities from all of them.

    ``models`` are the branches' own (unfitted) model plugins, as the experiment
    declares them; ``factory`` builds further plugins, such as a meta-classifier
    named in the fusion's parameters.
    """

    kind: ClassVar[PluginKind] = PluginKind.FUSION

    def fit(self, data: FusionData, models: Mapping[str, Model], factory: PluginFactory) -> "Fusion":
        raise NotImplementedError

    def predict_proba(self, features: Mapping[str, Features]) -> np.ndarray:
        raise NotImplementedError

    @property
    def device(self) -> str:
        return "cpu"
