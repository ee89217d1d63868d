"""Intermediate fusion: the branches' torch trunks trained end to end under one classifier.

ravdess-cnn: "The outputs of the two CNNs (excluding the fully connected
layer) have been concatenated and the resulting vector passed into a fully
connected layer" (``ratio = {}``, ``hidden_units = []``). ristea2019: "the
abstract features are concatenated ... the lengths of the feature vectors for
frames and sound are different, in proportion of 4:1" then two FC layers and a
softmax (``ratio = {video = 4, audio = 1}``, ``hidden_units = [128]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
from pydantic import Field

from avbench import hookimpl
from avbench.contract import Features, Fusion, FusionData, Model, Params, PluginFactory

from ..models.neural.base import TorchModel
from ..models.neural.training import (
    TrainParams,
    TrainResult,
    holdout_split,
    predict_logits,
    resolve_device,
    softmax,
    torch_runtime,
    train_classifier,
    train_params_of,
)
from .branches import branch_names, clone_model, require_models

if TYPE_CHECKING:  # torch and the network are imported when a network is built
    import torch
    from torch import nn

    from .joint_net import JointNet


class JointTrunks(Fusion):
    """Concatenate the trunks of the branches' torch models, optionally projected to widths in a ratio, and train
    trunks and head jointly with the shared loop.

    ``ratio`` maps every branch to a relative width: each trunk output is then
    projected (Linear + ReLU) to ``round(ratio * unit)`` features before
    concatenation; empty means concatenate the raw trunk outputs. The head is
    ``hidden_units`` FC layers (ReLU, ``dropout``) and the output layer.
    Training settings are the first branch model's (the ``train_from`` branch's),
    overridden by ``training``. Each branch's own input layout (padding,
    standardisation) and training-time augmentation apply to its input.
    """

    name = "joint-trunks"
    version = "1.0"
    stochastic = True  # trains a torch network
    #: tiny, fast settings for the conformance checks (avbench check)
    conformance_branches = {  # joint training needs torch trunks in every branch
        "audio": {"output_kind": "spectrogram", "shape": [32, 48],
                  "model": {"plugin": "ravdess-cnn", "params": {"max_epochs": 1, "filters": 4}}},
        "video": {"output_kind": "sequence", "shape": [12, 8],
                  "model": {"plugin": "ravdess-cnn", "params": {"max_epochs": 1, "filters": 4}}},
    }

    class Params(Params):
        ratio: dict[str, float] = Field(
            default_factory=dict,
            description="relative width per branch: trunks projected to round(ratio * unit) features; empty: raw")
        unit: int = Field(64, ge=1, description="width of ratio 1 in the projections")
        hidden_units: tuple[int, ...] = Field(
            (), description="hidden FC layers (ReLU) of the joint head before the output layer")
        dropout: float = Field(0.0, ge=0, lt=1, description="dropout after each hidden FC layer")
        train_from: str | None = Field(
            None, description="branch whose model's training settings are used; None: the first branch")
        training: dict[str, Any] = Field(
            default_factory=dict, description="training settings overriding that branch model's (lr, max_epochs, ...)")

    def __init__(self, params: Any = None, **overrides: Any) -> None:
        super().__init__(params, **overrides)
        self.branches: list[str] | None = None
        self.models: dict[str, TorchModel] = {}
        self.widths: dict[str, int] = {}
        self.n_classes: int | None = None
        self.train_result: TrainResult | None = None
        self._module: JointNet | None = None
        self._weights: dict[str, np.ndarray] | None = None

    # ---- building ----------------------------------------------------------------------------------------
    def _training(self) -> TrainParams:
        source = self.params.train_from or self.branches[0]  # type: ignore[index]
        if source not in self.models:
            raise ValueError(f"{self.name}: train_from {source!r} is not a branch ({sorted(self.models)})")
        return train_params_of(self.models[source].params, self.params.training)

    def build_network(self, n_classes: int) -> JointNet:
        from torch import nn

        from ..models.neural.layers import mlp
        from .joint_net import JointNet

        trunks, projections, arities, widths = [], [], [], {}
        ratio = self.params.ratio
        if ratio and set(ratio) != set(self.models):
            raise ValueError(f"{self.name}: ratio names {sorted(ratio)} but the branches are {sorted(self.models)}")
        for name in self.branches or []:
            model = self.models[name]
            trunk, width = model.build_trunk(model.layout.shape)  # type: ignore[union-attr]
            if ratio:
                target = max(1, int(round(ratio[name] * self.params.unit)))
                projection: nn.Module = nn.Sequential(nn.Linear(width, target), nn.ReLU())
                width = target
            else:
                projection = nn.Identity()
            trunks.append(trunk)
            projections.append(projection)
            arities.append(2 if model.uses_lengths else 1)
            widths[name] = width
        self.widths = widths
        hidden, width = mlp(sum(widths.values()), self.params.hidden_units, nn.ReLU, self.params.dropout)
        head = nn.Sequential(hidden, nn.Linear(width, n_classes))
        return JointNet(trunks, projections, arities, head)

    def _prepare(self, features: Mapping[str, Features]) -> tuple[np.ndarray, ...]:
        names = branch_names(features, self.branches, self.name)
        return tuple(a for n in names for a in self.models[n].prepare(features[n]))

    def _augment(self, inputs: tuple[torch.Tensor, ...], generator: torch.Generator) -> tuple[torch.Tensor, ...]:
        out, start = [], 0
        for name in self.branches or []:
            model = self.models[name]
            arity = 2 if model.uses_lengths else 1
            out.extend(model.augment_batch(tuple(inputs[start:start + arity]), generator))
            start += arity
        return tuple(out)

    # ---- fit / predict -----------------------------------------------------------------------------------
    def fit(self, data: FusionData, models: Mapping[str, Model], factory: PluginFactory) -> "JointTrunks":
        self.branches = branch_names(data.train.features, None, self.name)
        given = require_models(models, self.branches, self.name)
        not_torch = [n for n, m in given.items() if not isinstance(m, TorchModel)]
        if not_torch:
            raise TypeError(f"{self.name}: branches {not_torch} use models without a torch trunk "
                            f"({[given[n].name for n in not_torch]}); use stacking or early-concat")
        self.models = {n: clone_model(m) for n, m in given.items()}  # type: ignore[misc]
        config = self._training()
        seed = config.seed if config.seed is not None else self.context.seed
        train = {n: list(data.train.features[n]) for n in self.branches}
        y = np.asarray(data.train.y, dtype=np.int64)
        val = {n: list(data.val.features[n]) for n in self.branches} if data.val is not None else None
        y_val = np.asarray(data.val.y, dtype=np.int64) if data.val is not None else None
        if (val is None or len(y_val) == 0) and config.val_fraction > 0:  # type: ignore[arg-type]
            tr, va = holdout_split(y, config.val_fraction, seed)
            val = {n: [train[n][i] for i in va] for n in self.branches}
            train = {n: [train[n][i] for i in tr] for n in self.branches}
            y, y_val = y[tr], y[va]
        for name in self.branches:
            self.models[name].fit_inputs(train[name])
        inputs = self._prepare(train)
        val_inputs = self._prepare(val) if val is not None and len(y_val) else None  # type: ignore[arg-type]
        device = resolve_device(config.device, self.context)
        with torch_runtime(seed, device, deterministic=config.deterministic, num_threads=config.num_threads):
            module = self.build_network(data.n_classes).to(device)
            self.train_result = train_classifier(
                module, inputs, y, n_classes=data.n_classes, config=config, device=device, seed=seed,
                checkpoint_dir=self.context.cache_dir / "checkpoints", val_inputs=val_inputs, y_val=y_val,
                augment=self._augment, tag=self.name)
        self.n_classes = data.n_classes
        self._module = module
        self._weights = None
        return self

    def network(self) -> JointNet:
        import torch

        if self._module is None:
            if self._weights is None or self.n_classes is None:
                raise RuntimeError(f"{self.name}: not fitted")
            module = self.build_network(self.n_classes)
            module.load_state_dict({k: torch.from_numpy(v) for k, v in self._weights.items()})
            self._module = module.to(resolve_device(self._training().device, self.context)).eval()
        return self._module

    def predict_proba(self, features: Mapping[str, Features]) -> np.ndarray:
        module = self.network()
        config = self._training()
        device = next(module.parameters()).device
        seed = config.seed if config.seed is not None else self.context.seed
        with torch_runtime(seed, device, deterministic=config.deterministic, num_threads=config.num_threads):
            return softmax(predict_logits(module, self._prepare(features), device, config.batch_size))

    def wants_cuda(self) -> bool:
        return self.device_is_cuda(self.params.training.get("device", "auto"))

    @property
    def device(self) -> str:
        return str(next(self._module.parameters()).device) if self._module is not None else "cpu"

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        if self._module is not None:
            state["_weights"] = {k: v.detach().cpu().numpy().copy() for k, v in self._module.state_dict().items()}
        state["_module"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


@hookimpl
def avbench_plugins() -> list[type]:
    return [JointTrunks]
