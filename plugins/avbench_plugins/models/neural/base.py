"""``TorchModel``: the Model plugin base that every torch network specialises.

A subclass says how to build its *trunk* (the feature part, without the final
classifier) from the fitted input shape, and optionally its head, its
per-clip preprocessing and its training-time batch augmentation. The base class
does the rest: input kind resolution, padding and standardisation fitted on
training data, the shared training loop, prediction, and pickling (the fitted
weights are kept as numpy arrays and the module is rebuilt lazily, so a fitted
model pickles without torch-specific state and loads on a machine without CUDA).

Fusion plugins reuse the same surface to train several trunks jointly:
:meth:`TorchModel.fit_inputs`, :meth:`TorchModel.prepare`,
:meth:`TorchModel.build_trunk` and :meth:`TorchModel.augment_batch`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from avbench.contract import Features, Model, OutputKind

from .inputs import InputLayout, Standardize, Truncate, as_float_arrays, fit_layout, infer_kind
from .training import (
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

if TYPE_CHECKING:  # torch (and the nn.Module classes of .layers) are imported when a network is built
    import torch
    from torch import nn


class TorchParams(TrainParams):
    """Training settings plus how clips become fixed-shape tensors.

    ``input_kind`` resolves 2-D clips (``[T, D]`` sequence or ``[F, T]``
    spectrogram) when their shapes cannot tell; ``max_len`` fixes the time
    length (None: the longest training clip), longer clips lose their tail
    (``truncate = "head"``) or both ends (``"center"``).
    """

    input_kind: Literal["auto", "sequence", "spectrogram", "image_stack", "vector"] = Field(
        "auto", description="2-D clips are sequences [T, D] or spectrograms [F, T]; auto: inferred from shapes")
    max_len: int | None = Field(None, ge=1,
                                description="time length clips are padded or cut to; None: the longest training clip")
    truncate: Truncate = Field(
        "head", description="a longer clip loses its tail ('head' keeps the start) or both ends ('center')")
    standardize: Standardize = Field(
        "feature",
        description="standardise inputs with training statistics: per feature, one global mean and SD, or not at all")


class TorchModel(Model):
    """Base of the torch model plugins; see the module docstring for what a subclass provides."""

    Params: ClassVar[type[TorchParams]] = TorchParams
    #: Random initial weights, batch order, dropout and augmentation: every seed gives another network.
    stochastic: ClassVar[bool] = True
    #: Whether the trunk takes ``(x, lengths)`` rather than ``(x,)`` (recurrent trunks that pack sequences).
    uses_lengths: ClassVar[bool] = False
    #: Recurrent trunks read ``[T, D]``: a spectrogram ``[F, T]`` is transposed to ``[T, F]`` first.
    time_major: ClassVar[bool] = False
    #: How to read 2-D clips whose shapes do not tell.
    preferred_2d: ClassVar[OutputKind] = OutputKind.SEQUENCE

    def __init__(self, params: Any = None, **overrides: Any) -> None:
        super().__init__(params, **overrides)
        self.layout: InputLayout | None = None
        self.n_classes: int | None = None
        self.train_result: TrainResult | None = None
        self._kind: OutputKind | None = None
        self._module: nn.Module | None = None
        self._weights: dict[str, np.ndarray] | None = None

    # ---- what subclasses provide -------------------------------------------------------------------------
    def build_trunk(self, input_shape: tuple[int, ...]) -> tuple[nn.Module, int]:
        """The feature network for clips of fixed ``input_shape`` (no batch axis) and its output width."""
        raise NotImplementedError

    def build_head(self, width: int, n_classes: int) -> nn.Module:
        """The classifier on top of the trunk; one linear layer unless the text says otherwise."""
        from torch import nn

        return nn.Linear(width, n_classes)

    def preprocess(self, x: np.ndarray) -> np.ndarray:
        """Per-clip reshaping before the layout (resizing, frame resampling); identity by default."""
        return x

    def augment_batch(self, inputs: tuple[torch.Tensor, ...], generator: torch.Generator
                      ) -> tuple[torch.Tensor, ...]:
        """Training-time augmentation of one batch; none by default."""
        return inputs

    # ---- inputs ------------------------------------------------------------------------------------------
    @property
    def train_params(self) -> TrainParams:
        return train_params_of(self.params)

    @property
    def seed(self) -> int:
        return self.params.seed if self.params.seed is not None else self.context.seed

    def _reshape(self, X: Features) -> list[np.ndarray]:
        arrays = as_float_arrays(X, self.name)
        if self.time_major and self._kind is OutputKind.SPECTROGRAM:
            arrays = [a.T for a in arrays]
        return [self.preprocess(a) for a in arrays]

    @property
    def layout_kind(self) -> OutputKind:
        """The kind the layout works in (a transposed spectrogram is a sequence)."""
        if self.time_major and self._kind is OutputKind.SPECTROGRAM:
            return OutputKind.SEQUENCE
        assert self._kind is not None
        return self._kind

    def fit_inputs(self, X: Features) -> InputLayout:
        """Resolve the input kind and fit the padding/standardisation layout on training clips."""
        declared = self.params.input_kind
        if declared == "auto" and self.input_kind is not None:  # the runner says what the extractor gives
            declared = self.input_kind.value
        self._kind = infer_kind(X, self.accepts, declared, self.preferred_2d, self.name)
        self.layout = fit_layout(self._reshape(X), self.layout_kind, max_len=self.params.max_len,
                                 standardize=self.params.standardize, truncate=self.params.truncate,
                                 with_lengths=self.uses_lengths, what=self.name)
        return self.layout

    def prepare(self, X: Features) -> tuple[np.ndarray, ...]:
        """Clips as the network's input arrays, with the fitted layout."""
        if self.layout is None:
            raise RuntimeError(f"{self.name}: fit the model (or fit_inputs) before preparing inputs")
        return self.layout.transform(self._reshape(X), self.name)

    def prepare_lazily(self, X: Features) -> tuple[Any, ...]:
        """What :meth:`prepare` gives, but the clips stay per-clip arrays and each batch is made when drawn
        (:class:`~.inputs.LazyRows`): no ``[N, *shape]`` copy of the whole set is ever held."""
        if self.layout is None:
            raise RuntimeError(f"{self.name}: fit the model (or fit_inputs) before preparing inputs")
        return self.layout.lazy(self._reshape(X), self.name)

    # ---- training and prediction -------------------------------------------------------------------------
    def build_network(self, n_classes: int) -> nn.Module:
        if self.layout is None:
            raise RuntimeError(f"{self.name}: the input layout is not fitted")
        from .layers import Classifier

        trunk, width = self.build_trunk(self.layout.shape)
        return Classifier(trunk, self.build_head(width, n_classes))

    def fit(self, X: Features, y: np.ndarray, *, n_classes: int, X_val: Features | None = None,
            y_val: np.ndarray | None = None) -> "TorchModel":
        y = np.asarray(y, dtype=np.int64)
        if len(X) != len(y):
            raise ValueError(f"{self.name}: {len(X)} clips but {len(y)} labels")
        config = self.train_params
        if (X_val is None or len(X_val) == 0) and config.val_fraction > 0:
            train_idx, val_idx = holdout_split(y, config.val_fraction, self.seed)
            X, X_val, y, y_val = [X[i] for i in train_idx], [X[i] for i in val_idx], y[train_idx], y[val_idx]
        self.fit_inputs(X)
        inputs = self.prepare_lazily(X)
        val_inputs = self.prepare_lazily(X_val) if X_val is not None and len(X_val) else None
        device = resolve_device(config.device, self.context)
        with torch_runtime(self.seed, device, deterministic=config.deterministic, num_threads=config.num_threads):
            module = self.build_network(n_classes).to(device)
            self.train_result = train_classifier(
                module, inputs, y, n_classes=n_classes, config=config, device=device, seed=self.seed,
                checkpoint_dir=self.context.cache_dir / "checkpoints", val_inputs=val_inputs,
                y_val=None if y_val is None else np.asarray(y_val, dtype=np.int64),
                augment=self.augment_batch, tag=self.name)
        self.n_classes = n_classes
        self._module = module
        self._weights = None
        return self

    def network(self) -> nn.Module:
        """The fitted module on this machine's device, rebuilt from stored weights after unpickling."""
        import torch

        if self._module is None:
            if self._weights is None or self.n_classes is None:
                raise RuntimeError(f"{self.name}: not fitted")
            module = self.build_network(self.n_classes)
            module.load_state_dict({k: torch.from_numpy(v) for k, v in self._weights.items()})
            self._module = module.to(resolve_device(self.params.device, self.context)).eval()
        return self._module

    def predict_proba(self, X: Features) -> np.ndarray:
        module = self.network()
        if len(X) == 0:
            return np.zeros((0, self.n_classes or 0), dtype=np.float32)
        inputs = self.prepare_lazily(X)
        device = next(module.parameters()).device
        with torch_runtime(self.seed, device, deterministic=self.params.deterministic,
                           num_threads=self.params.num_threads):
            return softmax(predict_logits(module, inputs, device, self.params.batch_size))

    def wants_cuda(self) -> bool:
        return self.device_is_cuda(self.params.device)

    @property
    def device(self) -> str:
        if self._module is not None:
            return str(next(self._module.parameters()).device)
        return str(resolve_device(self.params.device, self.context))

    # ---- pickling: weights as numpy arrays, the module rebuilt on first use -------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        if self._module is not None:
            state["_weights"] = {k: v.detach().cpu().numpy().copy() for k, v in self._module.state_dict().items()}
        state["_module"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


def conv_output_shape(features: nn.Module, in_shape: tuple[int, ...]) -> tuple[int, ...]:
    """Shape (without batch) of ``features``'s output for one input of ``in_shape``; uses no randomness."""
    import torch

    was_training = features.training
    features.eval()
    with torch.no_grad():
        out = features(torch.zeros(1, *in_shape))
    features.train(was_training)
    return tuple(out.shape[1:])


def pool_kernel(size: tuple[int, int], pool: int) -> tuple[int, int]:
    """A max-pool kernel that never pools an axis already shorter than the kernel (tiny inputs stay valid)."""
    return tuple(pool if s >= pool else 1 for s in size)  # type: ignore[return-value]
