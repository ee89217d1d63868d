"""Tiny synthetic clips whose class shifts their values, so a few epochs can learn something."""

from __future__ import annotations

import numpy as np


def labels(n: int, n_classes: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).permutation(np.arange(n) % n_classes)


def sequences(y: np.ndarray, dim: int = 4, lengths: tuple[int, int] = (5, 12), seed: int = 0) -> list[np.ndarray]:
    """``[T, dim]`` clips of varying T."""
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(rng.integers(*lengths), dim)) + c).astype(np.float32) for c in y]


def spectrograms(y: np.ndarray, bins: int = 12, lengths: tuple[int, int] = (14, 20), seed: int = 0
                 ) -> list[np.ndarray]:
    """``[bins, T]`` clips of varying T."""
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(bins, rng.integers(*lengths))) + c).astype(np.float32) for c in y]


def image_stacks(y: np.ndarray, frames: int = 6, size: tuple[int, int] = (14, 12), seed: int = 0
                 ) -> list[np.ndarray]:
    """``[frames, H, W]`` clips."""
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(frames, *size)) + c).astype(np.float32) for c in y]


def vectors(y: np.ndarray, dim: int = 5, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=dim) + c).astype(np.float32) for c in y]
