"""Small learnable feature sets of each output kind, for model and fusion checks.

Each class has a fixed random prototype; samples are prototype plus noise, so
any sensible model can beat chance, yet sizes stay tiny (tens of samples).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from avbench.contract import OutputKind

DEFAULT_SHAPES: dict[OutputKind, tuple[int, ...]] = {
    OutputKind.VECTOR: (16,),
    OutputKind.SEQUENCE: (12, 8),
    OutputKind.SPECTROGRAM: (32, 48),
    OutputKind.IMAGE_STACK: (4, 32, 32),
}
#: Preference when a model accepts several kinds: the cheapest first.
KIND_ORDER = (OutputKind.VECTOR, OutputKind.SEQUENCE, OutputKind.SPECTROGRAM, OutputKind.IMAGE_STACK)
#: The axis whose length varies between clips (sequence frames, spectrogram frames).
TIME_AXIS = {OutputKind.SEQUENCE: 0, OutputKind.SPECTROGRAM: 1}


def shape_for(kind: OutputKind, overrides: Mapping[str, Sequence[int]] | None = None) -> tuple[int, ...]:
    shape = tuple((overrides or {}).get(kind.value, DEFAULT_SHAPES[kind]))
    if len(shape) != len(DEFAULT_SHAPES[kind]):
        raise AssertionError(f"conformance_shapes[{kind.value!r}] = {shape} has the wrong number of dimensions")
    return shape


def samples(kind: OutputKind, shape: tuple[int, ...], labels: np.ndarray, seed: int,
            vary_time: bool = False) -> list[np.ndarray]:
    """One float32 array per label: the class prototype plus noise (time axis cropped when ``vary_time``)."""
    n_classes = int(labels.max()) + 1 if len(labels) else 1
    prototypes = np.random.default_rng(1234).standard_normal((max(n_classes, 8), *shape)).astype(np.float32)
    rng = np.random.default_rng(seed)
    out = []
    for label in labels:
        x = prototypes[label] + 0.5 * rng.standard_normal(shape).astype(np.float32)
        if vary_time and kind in TIME_AXIS:
            axis = TIME_AXIS[kind]
            length = int(rng.integers(shape[axis] * 2 // 3, shape[axis] + 1))
            x = np.take(x, np.arange(length), axis=axis)
        out.append(np.ascontiguousarray(x, dtype=np.float32))
    return out


def balanced_labels(classes: Sequence[int], per_class: int) -> np.ndarray:
    return np.repeat(np.asarray(classes, dtype=np.int64), per_class)


@dataclass
class ModelData:
    """Train, validation and test sets of one kind, labels ``0..n_classes-1``."""

    X: list[np.ndarray]
    y: np.ndarray
    X_val: list[np.ndarray]
    y_val: np.ndarray
    X_test: list[np.ndarray]
    y_test: np.ndarray
    n_classes: int

    def fit_kwargs(self, validation: bool = True) -> dict[str, Any]:
        extra = {"X_val": self.X_val, "y_val": self.y_val} if validation else {}
        return {"n_classes": self.n_classes, **extra}


def model_data(kind: OutputKind, shape: tuple[int, ...], n_classes: int = 3,
               present: Sequence[int] | None = None, vary_time: bool = False) -> ModelData:
    """Train (8 per class), validation (3 per class) and test (4 per class) sets.

    ``present`` limits the classes that occur in train and validation (to check
    that a model still returns a column for every one of ``n_classes``).
    """
    seen = list(present if present is not None else range(n_classes))
    y = balanced_labels(seen, 8)
    y_val = balanced_labels(seen, 3)
    y_test = balanced_labels(range(n_classes), 4)
    return ModelData(samples(kind, shape, y, 1, vary_time), y, samples(kind, shape, y_val, 2, vary_time), y_val,
                     samples(kind, shape, y_test, 3, vary_time), y_test, n_classes)
