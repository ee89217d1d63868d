"""Turning per-clip feature arrays into fixed-shape, standardised batches.

A torch network needs one shape per batch while clips differ in length. The
layout fitted on the training clips fixes the length along the time axis
(padding with zeros *after* standardisation, i.e. with the training mean, and
truncating longer clips), and holds the mean and standard deviation, so
validation and test clips are transformed with training statistics only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Sequence

import numpy as np

from avbench.contract import OUTPUT_NDIM, OutputKind

#: The axis that varies in length from clip to clip, per output kind.
TIME_AXIS: dict[OutputKind, int | None] = {
    OutputKind.VECTOR: None,
    OutputKind.SEQUENCE: 0,  # [T, D]
    OutputKind.SPECTROGRAM: 1,  # [F, T]
    OutputKind.IMAGE_STACK: 0,  # [T, H, W]
}

Standardize = Literal["feature", "global", "none"]
Truncate = Literal["head", "center"]


def as_float_arrays(X: Sequence[np.ndarray], what: str = "features") -> list[np.ndarray]:
    """Clips as float32 arrays; a clear error naming the clip index for empty or non-finite ones."""
    arrays = []
    for i, x in enumerate(X):
        a = np.asarray(x, dtype=np.float32)
        if a.size == 0:
            raise ValueError(f"{what}: clip {i} is empty (shape {a.shape})")
        if not np.isfinite(a).all():
            raise ValueError(f"{what}: clip {i} holds NaN or infinite values")
        arrays.append(a)
    return arrays


def infer_kind(X: Sequence[np.ndarray], accepts: frozenset[OutputKind], declared: str = "auto",
               preferred_2d: OutputKind = OutputKind.SEQUENCE, what: str = "model") -> OutputKind:
    """The output kind of a batch of clips, from ``declared`` or their shapes.

    Two-dimensional clips are ambiguous (``[T, D]`` sequence or ``[F, T]``
    spectrogram): the axis whose length varies across clips is taken as time;
    when neither varies ``preferred_2d`` (or any 2-D kind in ``accepts``) is used.
    """
    if not len(X):
        raise ValueError(f"{what}: no clips")
    ndims = {np.ndim(x) for x in X}
    if len(ndims) != 1:
        raise ValueError(f"{what}: clips have mixed dimensionality {sorted(ndims)}")
    (ndim,) = ndims
    if declared != "auto":
        kind = OutputKind(declared)
        if OUTPUT_NDIM[kind] != ndim:
            raise ValueError(f"{what}: input_kind {kind.value!r} needs {OUTPUT_NDIM[kind]}-D clips, got {ndim}-D")
    elif ndim == 2:
        varies = [len({np.shape(x)[axis] for x in X}) > 1 for axis in (0, 1)]
        two_d = [k for k in (OutputKind.SEQUENCE, OutputKind.SPECTROGRAM) if k in accepts]
        if varies[0] and not varies[1]:
            kind = OutputKind.SEQUENCE
        elif varies[1] and not varies[0]:
            kind = OutputKind.SPECTROGRAM
        else:
            kind = preferred_2d if preferred_2d in accepts or not two_d else two_d[0]
    else:
        matching = [k for k, n in OUTPUT_NDIM.items() if n == ndim]
        if not matching:
            raise ValueError(f"{what}: cannot use {ndim}-D clips")
        kind = matching[0]
    if kind not in accepts:
        raise ValueError(f"{what}: takes {sorted(k.value for k in accepts)} features, got {kind.value} "
                         f"(clip shape {np.shape(X[0])}); set input_kind if this guess is wrong")
    return kind


@dataclass
class InputLayout:
    """The fitted fixed shape and statistics of one model input."""

    kind: OutputKind
    shape: tuple[int, ...]
    mean: np.ndarray
    std: np.ndarray
    truncate: Truncate = "head"
    with_lengths: bool = False

    @property
    def time_axis(self) -> int | None:
        return TIME_AXIS[self.kind]

    def transform(self, X: Sequence[np.ndarray], what: str = "model") -> tuple[np.ndarray, ...]:
        """``[N, *shape]`` float32 (and ``[N]`` int64 lengths when ``with_lengths``)."""
        arrays = as_float_arrays(X, what)
        self.check(arrays, what)
        return self._rows(arrays)

    def lazy(self, X: Sequence[np.ndarray], what: str = "model") -> tuple["LazyRows | np.ndarray", ...]:
        """What :meth:`transform` gives, without the ``[N, *shape]`` copy: rows made when a batch asks for them.

        Every clip is checked now (shape, finite values); the lengths, small, are computed now.
        A batch holds the same float32 values :meth:`transform` would give for its clips.
        """
        arrays = as_float_arrays(X, what)
        self.check(arrays, what)
        rows = LazyRows(self, arrays)
        if not self.with_lengths:
            return (rows,)
        axis = self.time_axis
        lengths = np.array([1 if axis is None else min(a.shape[axis], self.shape[axis]) for a in arrays],
                           dtype=np.int64)
        return rows, lengths

    def check(self, arrays: Sequence[np.ndarray], what: str = "model") -> None:
        """Every clip has the fitted shape on every axis but time; a ValueError naming the first that has not."""
        axis = self.time_axis
        expected = tuple(s for d, s in enumerate(self.shape) if d != axis)
        for i, a in enumerate(arrays):
            fixed = tuple(s for d, s in enumerate(a.shape) if d != axis)
            if a.ndim != len(self.shape) or fixed != expected:
                raise ValueError(f"{what}: clip {i} has shape {a.shape}; the model was fitted on clips shaped "
                                 f"{self._describe()}")

    def _rows(self, arrays: Sequence[np.ndarray]) -> tuple[np.ndarray, ...]:
        """Checked float32 clips standardised, padded or cut into ``[N, *shape]`` (and their lengths)."""
        axis = self.time_axis
        out = np.zeros((len(arrays), *self.shape), dtype=np.float32)
        lengths = np.zeros(len(arrays), dtype=np.int64)
        for i, a in enumerate(arrays):
            a = (a - self.mean) / self.std
            if axis is not None:
                a = _fit_length(a, axis, self.shape[axis], self.truncate)
                lengths[i] = a.shape[axis]
                index = [slice(None)] * a.ndim
                index[axis] = slice(0, a.shape[axis])
                out[i][tuple(index)] = a
            else:
                out[i] = a
                lengths[i] = 1
        return (out, lengths) if self.with_lengths else (out,)

    def _describe(self) -> str:
        dims = [("T" if d == self.time_axis else str(s)) for d, s in enumerate(self.shape)]
        return "[" + ", ".join(dims) + "]"


class LazyRows:
    """A map-style dataset (``len``, indexing) of clips in a fitted layout, each row made when asked for.

    ``rows[i]`` is one clip ``[*shape]``; ``rows[index_array]`` a batch ``[k, *shape]``, as
    ``transform(X)[0][index_array]`` would be, without ever holding every clip padded at once.
    """

    def __init__(self, layout: InputLayout, arrays: Sequence[np.ndarray]) -> None:
        self.layout = layout
        self.arrays = list(arrays)

    def __len__(self) -> int:
        return len(self.arrays)

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self.arrays), *self.layout.shape)

    def __getitem__(self, index: int | slice | Sequence[int] | np.ndarray) -> np.ndarray:
        if isinstance(index, (int, np.integer)):
            return self.layout._rows([self.arrays[int(index)]])[0][0]
        picked = range(len(self.arrays))[index] if isinstance(index, slice) else np.asarray(index).reshape(-1)
        return self.layout._rows([self.arrays[int(i)] for i in picked])[0]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self[slice(None)]
        return out if dtype is None else out.astype(dtype)


def _moments(arrays: list[np.ndarray], axis: int | None, per_feature: bool) -> tuple[np.ndarray, np.ndarray]:
    """Mean and deviation over all clips (and frames), per feature or global, accumulated clip by clip in float64."""
    total = 0.0
    squares = 0.0
    count = 0
    for a in arrays:
        a64 = a.astype(np.float64)
        if per_feature:
            over = axis if axis is not None else ()
            total = total + a64.sum(axis=over, keepdims=axis is not None)
            squares = squares + (a64 ** 2).sum(axis=over, keepdims=axis is not None)
            count += a.shape[axis] if axis is not None else 1
        else:
            total += a64.sum()
            squares += (a64 ** 2).sum()
            count += a.size
    mean = np.asarray(total) / count
    var = np.maximum(np.asarray(squares) / count - mean ** 2, 0.0)
    return mean, np.sqrt(var)


def _fit_length(a: np.ndarray, axis: int, length: int, truncate: Truncate) -> np.ndarray:
    n = a.shape[axis]
    if n <= length:
        return a
    start = (n - length) // 2 if truncate == "center" else 0
    return np.take(a, np.arange(start, start + length), axis=axis)


def fit_layout(X: Sequence[np.ndarray], kind: OutputKind, *, max_len: int | None = None,
               standardize: Standardize = "feature", truncate: Truncate = "head",
               with_lengths: bool = False, what: str = "model") -> InputLayout:
    """Fix the shape (time length: ``max_len``, else the longest training clip) and statistics from training clips.

    ``feature`` standardisation is per feature: per column of a sequence, per
    frequency row of a spectrogram, per element of a vector; an image stack gets
    one global mean and deviation (per-pixel statistics would erase the face).
    """
    arrays = as_float_arrays(X, what)
    axis = TIME_AXIS[kind]
    first = arrays[0]
    for i, a in enumerate(arrays):
        if a.ndim != OUTPUT_NDIM[kind]:
            raise ValueError(f"{what}: clip {i} is {a.ndim}-D, {kind.value} clips are {OUTPUT_NDIM[kind]}-D")
        fixed = [s for d, s in enumerate(a.shape) if d != axis]
        if fixed != [s for d, s in enumerate(first.shape) if d != axis]:
            raise ValueError(f"{what}: clip {i} has shape {a.shape} but clip 0 has {first.shape}; only the time "
                             f"axis ({axis}) of {kind.value} clips may differ")
    shape = list(first.shape)
    if axis is not None:
        shape[axis] = max_len if max_len is not None else max(a.shape[axis] for a in arrays)
    if standardize == "none":
        mean, std = np.zeros(()), np.ones(())
    else:
        per_feature = standardize == "feature" and kind is not OutputKind.IMAGE_STACK
        mean, std = _moments(arrays, axis, per_feature)
    std = np.where(np.asarray(std) < 1e-8, 1.0, std)
    return InputLayout(kind=kind, shape=tuple(int(s) for s in shape), mean=np.asarray(mean, np.float32),
                       std=np.asarray(std, np.float32), truncate=truncate, with_lengths=with_lengths)
