"""Generated test signals for the audio tests (imported by the test modules)."""

from __future__ import annotations

import numpy as np


def speechlike(seconds: float = 1.5, rate: int = 16000, f0: float = 180.0, seed: int = 0) -> np.ndarray:
    """A voiced-sounding test signal: harmonics of ``f0`` with a syllable-rate envelope, plus faint noise."""
    t = np.arange(int(round(seconds * rate))) / rate
    voice = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 8) if f0 * k < rate / 2)
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3.0 * t)
    noise = np.random.default_rng(seed).standard_normal(t.size) * 0.01
    return (0.25 * envelope * voice + noise).astype(np.float32)


def tone(freq: float, seconds: float = 1.0, rate: int = 16000, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(seconds * rate))) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)
