"""Tiny randomly initialised encoders of every family, written once per session with ``save_pretrained``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from avbench.contract import Clip
from avbench_plugins.extractors.audio.ssl.tiny import FAMILY_NAMES, write_tiny_checkpoint

RATE = 16000

#: family variants: (family, attention_mask) -> folder name. wav2vec2 both ways: like wav2vec2-base (group
#: norm, no mask) and like wav2vec2-large-lv60 (layer norm, masked).
VARIANTS = {("wav2vec2", False): "wav2vec2-base-like", ("wav2vec2", True): "wav2vec2-large-like",
            ("hubert", None): "hubert", ("wavlm", None): "wavlm", ("data2vec-audio", None): "data2vec-audio",
            ("whisper", None): "whisper"}


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> Path:
    """A models folder holding a tiny checkpoint per variant of :data:`VARIANTS` (whisper: a 1 s window)."""
    root = tmp_path_factory.mktemp("models")
    for (family, mask), name in VARIANTS.items():
        write_tiny_checkpoint(root / name, family, attention_mask=mask)
    assert {f for f, _ in VARIANTS} == set(FAMILY_NAMES)
    return root


def tone(seconds: float, frequency: float, rate: int = RATE, noise: float = 0.05, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * rate))) / rate
    return (0.5 * np.sin(2 * np.pi * frequency * t) + noise * rng.standard_normal(t.size)).astype(np.float32)


def wav_clip(folder: Path, name: str, samples: np.ndarray, rate: int = RATE, label: str = "happy",
             subject: str = "01") -> Clip:
    path = folder / f"{name}.wav"
    sf.write(str(path), samples, rate, subtype="FLOAT")
    return Clip(clip_id=name, subject=subject, label=label, media={"audio": str(path)})
