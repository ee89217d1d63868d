"""Shared helpers of the fusion plugins: branch kinds, pooling, time alignment, model cloning."""

from __future__ import annotations

from typing import Any, Literal, Mapping, Sequence

import numpy as np

from avbench.contract import BranchBatch, Features, Model, OutputKind, Plugin, PluginFactory, RunContext

KindName = Literal["vector", "sequence", "spectrogram", "image_stack"]
Pool = Literal["mean", "meanstd", "flatten"]


def branch_names(features: Mapping[str, Features], expected: Sequence[str] | None = None,
                 what: str = "fusion") -> list[str]:
    """Branch names in a fixed order (as first seen at fit); a clear error when branches differ from ``expected``."""
    names = list(features)
    if not names:
        raise ValueError(f"{what}: no branches")
    if expected is not None and set(names) != set(expected):
        raise ValueError(f"{what}: fitted on branches {sorted(expected)} but given {sorted(names)}")
    if len({len(features[n]) for n in names}) > 1:
        raise ValueError(f"{what}: branches hold different clip counts: {({n: len(features[n]) for n in names})}")
    return list(expected) if expected is not None else names


def infer_kind(arrays: Features, declared: str | None = None) -> OutputKind:
    """A branch's output kind: declared, else from the clips' shapes (2-D: the axis that varies is time;
    when none varies, ``[T, D]`` sequence is assumed; declare ``spectrogram`` for ``[F, T]`` clips)."""
    if declared:
        return OutputKind(declared)
    ndim = np.ndim(arrays[0])
    if ndim == 1:
        return OutputKind.VECTOR
    if ndim == 3:
        return OutputKind.IMAGE_STACK
    if ndim == 2:
        varies_1 = len({np.shape(x)[1] for x in arrays}) > 1
        varies_0 = len({np.shape(x)[0] for x in arrays}) > 1
        return OutputKind.SPECTROGRAM if varies_1 and not varies_0 else OutputKind.SEQUENCE
    raise ValueError(f"cannot fuse {ndim}-D clips")


def resolve_kinds(batch: BranchBatch, declared: Mapping[str, str]) -> dict[str, OutputKind]:
    """Kinds per branch: the fusion's ``kinds`` param, else ``batch.kinds`` when the runner supplies it, else shapes."""
    given = dict(getattr(batch, "kinds", None) or {})
    return {name: infer_kind(arrays, declared.get(name) or _value(given.get(name)))
            for name, arrays in batch.features.items()}


def _value(kind: Any) -> str | None:
    return kind.value if isinstance(kind, OutputKind) else kind


def as_sequence(x: np.ndarray, kind: OutputKind) -> np.ndarray:
    """One clip as ``[T, D]``: a spectrogram transposed, an image stack flattened per frame, a vector as one frame."""
    x = np.asarray(x, dtype=np.float32)
    if kind is OutputKind.VECTOR:
        return x[None, :]
    if kind is OutputKind.SPECTROGRAM:
        return x.T
    if kind is OutputKind.IMAGE_STACK:
        return x.reshape(x.shape[0], -1)
    return x


def as_vector(x: np.ndarray, kind: OutputKind, pool: Pool) -> np.ndarray:
    """One clip as a vector: pooled over time (``mean``, ``meanstd``) or ``flatten``-ed (fixed shapes only)."""
    x = np.asarray(x, dtype=np.float32)
    if kind is OutputKind.VECTOR:
        return x
    if pool == "flatten":
        return x.reshape(-1)
    seq = as_sequence(x, kind)
    if pool == "meanstd":
        return np.concatenate([seq.mean(axis=0), seq.std(axis=0)])
    return seq.mean(axis=0)


def resample(seq: np.ndarray, length: int) -> np.ndarray:
    """``[T, D]`` linearly interpolated to ``[length, D]`` over the same span (one frame is repeated)."""
    t = seq.shape[0]
    if t == length:
        return seq.astype(np.float32, copy=False)
    if t == 1:
        return np.repeat(seq, length, axis=0).astype(np.float32)
    source = np.linspace(0.0, 1.0, t)
    target = np.linspace(0.0, 1.0, length)
    return np.stack([np.interp(target, source, seq[:, d]) for d in range(seq.shape[1])], axis=1).astype(np.float32)


def clone_model(model: Model) -> Model:
    """A fresh, unfitted copy of ``model`` with the same parameters and run context."""
    fresh = type(model)(model.params)
    fresh.setup(model.context)
    return fresh


def build_plugin(factory: PluginFactory, ref: Mapping[str, Any], context: RunContext, kind: type,
                 what: str) -> Any:
    """A plugin from the factory, checked to be of ``kind`` and given this run's context."""
    plugin: Plugin = factory(dict(ref))
    if not isinstance(plugin, kind):
        raise TypeError(f"{what}: {ref.get('plugin')!r} is a {type(plugin).__name__}, not a {kind.__name__}")
    plugin.setup(context)
    return plugin


def require_models(models: Mapping[str, Model | None], names: Sequence[str], what: str) -> dict[str, Model]:
    """The branches' models; a clear error naming the branches that declare none."""
    missing = [n for n in names if models.get(n) is None]
    if missing:
        raise ValueError(f"{what}: branches {missing} declare no model; this fusion trains the branches' own models")
    return {n: models[n] for n in names}  # type: ignore[misc]


def check_proba(proba: np.ndarray, n: int, n_classes: int, what: str) -> np.ndarray:
    proba = np.asarray(proba, dtype=np.float32)
    if proba.shape != (n, n_classes):
        raise ValueError(f"{what}: predict_proba returned shape {proba.shape}, expected {(n, n_classes)}")
    return proba
