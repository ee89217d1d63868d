"""Audio test media, generated on the fly with numpy + soundfile (a second or two each)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import soundfile as sf

from avbench.contract import Clip


@pytest.fixture
def write_audio(tmp_path: Path) -> Callable[..., Path]:
    """Write ``samples`` ([n] or [n, channels]) to ``tmp_path/name`` with soundfile."""

    def write(name: str, samples: np.ndarray, rate: int = 16000, subtype: str | None = None) -> Path:
        path = tmp_path / name
        sf.write(str(path), samples, rate, subtype=subtype)
        return path

    return write


@pytest.fixture
def clip_for() -> Callable[[Path], Clip]:
    """A RAVDESS-like clip whose audio is ``path`` (clip id = the file's stem)."""

    def make(path: Path, modality: str = "audio") -> Clip:
        return Clip(clip_id=path.stem, subject="01", label="neutral", media={modality: str(path)})

    return make
