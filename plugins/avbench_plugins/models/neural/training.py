"""The one training loop every torch model and fusion plugin uses.

Adam with weight decay, shuffled mini-batches, cross-entropy (optionally
class-weighted), and model selection on a validation set: the weights of the
best validation epoch are written to a checkpoint under the run's cache folder
and read back with ``torch.load(..., weights_only=True)`` when training ends,
so what predicts is exactly what was selected. Runs are seeded and use
deterministic algorithms where torch has them, so the same seed gives the same
probabilities on the same device.
"""

from __future__ import annotations

import contextlib
import math
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Literal, Sequence

import numpy as np
from pydantic import Field

from avbench.contract import Params, RunContext

if TYPE_CHECKING:  # torch is imported by the functions that train or predict, not with the plugin
    import torch
    from torch import nn

#: A training-time augmentation: the inputs of one batch (already on the device) and a seeded CPU generator in,
#: augmented inputs of the same shapes out.
BatchAugment = Callable[[tuple["torch.Tensor", ...], "torch.Generator"], tuple["torch.Tensor", ...]]


class TrainParams(Params):
    """Optimiser, stopping and runtime settings shared by every torch model and fusion plugin.

    ``val_fraction`` is used only when ``fit`` receives no validation set: a
    seeded, class-stratified fraction of the training *clips* is then held out
    for model selection (models never see subjects, so this hold-out is not
    speaker-independent; protocols that name validation actors avoid it).
    ``val_fraction = 0`` trains ``max_epochs`` epochs and keeps the last one.
    """

    lr: float = Field(1e-3, gt=0, description="Adam learning rate")
    weight_decay: float = Field(0.0, ge=0, description="Adam weight decay (L2 penalty)")
    batch_size: int = Field(32, ge=1, description="clips per training batch")
    max_epochs: int = Field(50, ge=1, description="most training epochs")
    early_stopping: bool = Field(
        True, description="stop once monitor has not improved for patience epochs (the best epoch is kept)")
    patience: int = Field(10, ge=1, description="epochs without improvement before early stopping")
    monitor: Literal["val_loss", "val_accuracy"] = Field(
        "val_loss", description="validation measure that picks the kept epoch and drives early stopping")
    val_fraction: float = Field(
        0.1, ge=0, lt=1,
        description="no validation clips: hold out this fraction of training clips (stratified); 0: last epoch")
    class_weight: Literal["none", "balanced"] = Field(
        "none", description="'balanced': weight the loss by inverse class frequency")
    seed: int | None = Field(None, description="seeds initialisation and batch order; None: the run's seed")
    device: str = Field("auto", pattern=r"^(auto|cpu|cuda(:\d+)?)$",
                        description="'auto' (the run's device, else CUDA when present), 'cpu', 'cuda' or 'cuda:N'")
    num_threads: int | None = Field(
        None, ge=1, description="torch threads while training; None: as the run sets them ([benchmark] torch_threads)")
    deterministic: bool = Field(True,
                                description="torch deterministic algorithms, so the same seed gives the same weights")
    keep_checkpoint: bool = Field(
        False, description="keep the best epoch's checkpoint file in the cache folder (deleted otherwise)")


TRAIN_FIELDS: frozenset[str] = frozenset(TrainParams.model_fields)


def train_params_of(params: Params, overrides: dict[str, Any] | None = None) -> TrainParams:
    """The :class:`TrainParams` part of any parameter model (a subclass's own fields dropped), with overrides."""
    values = {k: v for k, v in params.model_dump().items() if k in TRAIN_FIELDS}
    values.update(overrides or {})
    return TrainParams.model_validate(values)


def resolve_device(requested: str, context: RunContext | None = None) -> torch.device:
    """The torch device for a ``device`` param: ``auto`` defers to the run's request, then to CUDA if present.

    Asking for ``cuda`` on a machine without it is an error rather than a silent fall-back.
    """
    import torch

    if requested == "auto" and context is not None:
        requested = context.device
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device {requested!r} requested but torch sees no CUDA device; use device='cpu' or 'auto'")
    return torch.device(requested)


@contextlib.contextmanager
def torch_runtime(seed: int, device: torch.device, *, deterministic: bool = True,
                  num_threads: int | None = None) -> Iterator[None]:
    """Seed torch, select deterministic kernels and the thread count; restore the process's settings afterwards.

    The global RNG state is forked so one model's training does not shift
    another's random stream in the same worker process.
    """
    import torch

    previous_threads = torch.get_num_threads()
    previous_det = torch.are_deterministic_algorithms_enabled()
    previous_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    previous_cudnn = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    cuda_devices = [device.index or 0] if device.type == "cuda" else []
    if device.type == "cuda":
        # cuBLAS needs this before its first call to be deterministic.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    try:
        with torch.random.fork_rng(devices=cuda_devices):
            torch.manual_seed(seed)
            if num_threads is not None:
                torch.set_num_threads(num_threads)
            if deterministic:
                torch.use_deterministic_algorithms(True, warn_only=True)
                torch.backends.cudnn.deterministic = True
                torch.backends.cudnn.benchmark = False
            yield
    finally:
        torch.set_num_threads(previous_threads)
        torch.use_deterministic_algorithms(previous_det, warn_only=previous_warn)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = previous_cudnn


def holdout_split(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, val) with ``fraction`` of the clips held out, stratified by class when every class allows it."""
    from sklearn.model_selection import train_test_split

    index = np.arange(len(y))
    n_val = max(1, int(round(fraction * len(y))))
    if n_val >= len(y):
        raise ValueError(f"cannot hold out {fraction:.0%} of {len(y)} training clips for validation")
    counts = np.bincount(y)
    stratify = y if counts[counts > 0].min() >= 2 and n_val >= (counts > 0).sum() else None
    train, val = train_test_split(index, test_size=n_val, random_state=seed, stratify=stratify)
    return np.sort(train), np.sort(val)


def class_weights(y: np.ndarray, n_classes: int) -> torch.Tensor:
    """``n / (k * count)`` per class (scikit-learn's "balanced"); classes absent from ``y`` weigh 0."""
    import torch

    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    present = counts > 0
    weights = np.zeros(n_classes)
    weights[present] = len(y) / (present.sum() * counts[present])
    return torch.tensor(weights, dtype=torch.float32)


@dataclass
class TrainResult:
    """What one training run did: epochs run, the epoch kept (1-based), per-epoch history, the checkpoint used."""

    epochs_run: int
    best_epoch: int
    stopped_early: bool
    history: list[dict[str, float]] = field(default_factory=list)
    checkpoint: Path | None = None


def _batches(n: int, batch_size: int, generator: torch.Generator | None) -> Iterator[torch.Tensor]:
    import torch

    order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def _to_device(arrays: Sequence[np.ndarray], index: torch.Tensor, device: torch.device) -> tuple[torch.Tensor, ...]:
    import torch

    idx = index.numpy()
    return tuple(torch.from_numpy(np.ascontiguousarray(a[idx])).to(device) for a in arrays)


def evaluate(module: nn.Module, inputs: Sequence[np.ndarray], y: np.ndarray, device: torch.device,
             batch_size: int) -> tuple[float, float]:
    """Mean (unweighted) cross-entropy and accuracy of ``module`` on a labelled set."""
    import torch
    from torch import nn

    logits = predict_logits(module, inputs, device, batch_size)
    target = torch.from_numpy(np.asarray(y, dtype=np.int64))
    loss = nn.functional.cross_entropy(torch.from_numpy(logits), target).item()
    accuracy = float((logits.argmax(axis=1) == y).mean())
    return loss, accuracy


def predict_logits(module: nn.Module, inputs: Sequence[np.ndarray], device: torch.device,
                   batch_size: int) -> np.ndarray:
    """Raw class scores ``[N, n_classes]`` in eval mode, in input order."""
    import torch

    module.eval()
    n = len(inputs[0])
    out = []
    with torch.inference_mode():
        for index in _batches(n, batch_size, None):
            out.append(module(*_to_device(inputs, index, device)).float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def train_classifier(
    module: nn.Module,
    inputs: Sequence[np.ndarray],
    y: np.ndarray,
    *,
    n_classes: int,
    config: TrainParams,
    device: torch.device,
    seed: int,
    checkpoint_dir: Path,
    val_inputs: Sequence[np.ndarray] | None = None,
    y_val: np.ndarray | None = None,
    augment: BatchAugment | None = None,
    tag: str = "model",
) -> TrainResult:
    """Train ``module`` (already on ``device``) in place and leave it holding the selected epoch's weights.

    ``inputs`` are arrays ``[N, ...]`` passed positionally to ``module``; the
    module returns logits. With a validation set, the best epoch by
    ``config.monitor`` is checkpointed to ``checkpoint_dir`` and reloaded with
    ``weights_only=True``; training stops after ``config.patience`` epochs
    without improvement when ``config.early_stopping`` is set. Without one the
    last epoch is kept. Call inside :func:`torch_runtime` for seeded runs.
    """
    import torch
    from torch import nn

    y = np.asarray(y, dtype=np.int64)
    if len(y) == 0:
        raise ValueError(f"{tag}: no training clips")
    if any(len(a) != len(y) for a in inputs):
        raise ValueError(f"{tag}: inputs have {[len(a) for a in inputs]} rows but there are {len(y)} labels")
    if y.min() < 0 or y.max() >= n_classes:
        raise ValueError(f"{tag}: labels must lie in 0..{n_classes - 1}, got {y.min()}..{y.max()}")
    has_val = val_inputs is not None and y_val is not None and len(y_val) > 0
    weight = class_weights(y, n_classes).to(device) if config.class_weight == "balanced" else None
    criterion = nn.CrossEntropyLoss(weight=weight)
    optimiser = torch.optim.Adam(module.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    generator = torch.Generator().manual_seed(seed)
    target = np.asarray(y, dtype=np.int64)

    checkpoint: Path | None = None
    if has_val:
        checkpoint_dir.mkdir(parents=True, exist_ok=True)
        checkpoint = checkpoint_dir / f"{tag}-{os.getpid()}-{uuid.uuid4().hex}.pt"
    best_score = math.inf
    best_epoch = 0
    history: list[dict[str, float]] = []
    stopped_early = False
    epoch = 0
    try:
        for epoch in range(1, config.max_epochs + 1):
            module.train()
            total, seen = 0.0, 0
            for index in _batches(len(y), config.batch_size, generator):
                batch = _to_device(inputs, index, device)
                if augment is not None:
                    batch = augment(batch, generator)
                labels = torch.from_numpy(target[index.numpy()]).to(device)
                optimiser.zero_grad(set_to_none=True)
                loss = criterion(module(*batch), labels)
                loss.backward()
                optimiser.step()
                total += loss.item() * len(index)
                seen += len(index)
            record = {"epoch": float(epoch), "train_loss": total / seen}
            if has_val:
                val_loss, val_acc = evaluate(module, val_inputs, np.asarray(y_val), device, config.batch_size)
                record.update(val_loss=val_loss, val_accuracy=val_acc)
                score = val_loss if config.monitor == "val_loss" else -val_acc
                if score < best_score:
                    best_score, best_epoch = score, epoch
                    torch.save(module.state_dict(), checkpoint)
                elif config.early_stopping and epoch - best_epoch >= config.patience:
                    history.append(record)
                    stopped_early = True
                    break
            history.append(record)
        if has_val:
            if best_epoch == 0:
                raise RuntimeError(f"{tag}: {config.monitor} was never finite; lower lr or check the features")
            state = torch.load(checkpoint, map_location=device, weights_only=True)
            module.load_state_dict(state)
        else:
            best_epoch = epoch
    finally:
        if checkpoint is not None and not config.keep_checkpoint and checkpoint.exists():
            checkpoint.unlink()
    module.eval()
    return TrainResult(epochs_run=epoch, best_epoch=best_epoch, stopped_early=stopped_early, history=history,
                       checkpoint=checkpoint if config.keep_checkpoint else None)
