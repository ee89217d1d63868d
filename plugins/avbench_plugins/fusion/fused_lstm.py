"""Feature-level fusion over time: branch sequences aligned to one length, concatenated per frame, one LSTM.

Each branch's clip becomes ``[T_b, D_b]`` (spectrograms transposed, image
stacks flattened per frame, vectors as one frame), is resampled by linear
interpolation to ``length`` frames spanning the same clip, and the branches
are concatenated along features: ``[length, sum D_b]``. The stacked-LSTM
network of ``sapienza-blendshape-lstm`` (with ``network`` params) classifies it.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
from pydantic import Field

from avbench import hookimpl
from avbench.contract import Features, Fusion, FusionData, Model, OutputKind, Params, PluginFactory

from ..models.neural.sapienza import SapienzaBlendshapeLstm
from .branches import KindName, as_sequence, branch_names, resample, resolve_kinds


class FusedLstm(Fusion):
    """An LSTM over the branches' time-aligned, concatenated feature sequences.

    ``network`` holds parameters of the stacked LSTM (``lstm_units``,
    ``dropout``, ``dense_units`` and the training settings, see
    ``sapienza-blendshape-lstm``); its ``max_len`` is ``length``. ``kinds``
    declares a branch's output kind when its shapes cannot tell.
    """

    name = "fused-lstm"
    version = "1.0"
    stochastic = True  # trains a torch network
    #: tiny, fast settings for the conformance checks (avbench check)
    conformance_params = {"length": 8, "network": {"max_epochs": 2, "lstm_units": [8], "dense_units": 8}}

    class Params(Params):
        length: int = Field(50, ge=2, description="frames every branch sequence is resampled to (the LSTM's max_len)")
        network: dict[str, Any] = Field(
            default_factory=dict,
            description="parameters of the stacked LSTM (see sapienza-blendshape-lstm), training settings included")
        kinds: dict[str, KindName] = Field(default_factory=dict,
                                           description="output kind per branch name, for shapes that cannot tell")

    def __init__(self, params: Any = None, **overrides: Any) -> None:
        super().__init__(params, **overrides)
        self.branches: list[str] | None = None
        self.kinds: dict[str, OutputKind] = {}
        self.model: SapienzaBlendshapeLstm | None = None

    def sequences(self, features: Mapping[str, Features]) -> list[np.ndarray]:
        """Per clip, ``[length, sum D]``: every branch resampled to ``length`` frames, concatenated."""
        names = branch_names(features, self.branches, self.name)
        n = len(features[names[0]])
        return [np.concatenate([resample(as_sequence(features[b][i], self.kinds[b]), self.params.length)
                                for b in names], axis=1) for i in range(n)]

    def fit(self, data: FusionData, models: Mapping[str, Model], factory: PluginFactory) -> "FusedLstm":
        self.branches = branch_names(data.train.features, None, self.name)
        self.kinds = resolve_kinds(data.train, self.params.kinds)
        self.model = SapienzaBlendshapeLstm({**self.params.network, "max_len": self.params.length,
                                             "input_kind": "sequence"})
        self.model.setup(self.context)
        val = data.val
        self.model.fit(self.sequences(data.train.features), data.train.y, n_classes=data.n_classes,
                       X_val=self.sequences(val.features) if val is not None and len(val.y) else None,
                       y_val=val.y if val is not None and len(val.y) else None)
        return self

    def predict_proba(self, features: Mapping[str, Features]) -> np.ndarray:
        if self.model is None:
            raise RuntimeError(f"{self.name}: not fitted")
        return self.model.predict_proba(self.sequences(features))

    def wants_cuda(self) -> bool:
        return self.device_is_cuda(self.params.network.get("device", "auto"))

    @property
    def device(self) -> str:
        return self.model.device if self.model is not None else "cpu"


@hookimpl
def avbench_plugins() -> list[type]:
    return [FusedLstm]
