"""Fixtures of the video tests: a run context with its own cache, and clips written on the fly."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from avbench.contract import Clip, RunContext

from .generated_media import write_video


@pytest.fixture
def context(tmp_path: Path) -> RunContext:
    return RunContext(cache_dir=tmp_path / "cache")


@pytest.fixture
def make_clip(tmp_path: Path) -> Callable[..., Clip]:
    """Write a video and wrap it in a Clip: ``make_clip(frames, fps=10, name="clip")``."""

    def make(frames: list[np.ndarray], fps: float = 10.0, name: str = "clip", fourcc: str = "mp4v") -> Clip:
        suffix = ".avi" if fourcc == "MJPG" else ".mp4"
        path = write_video(tmp_path / f"{name}{suffix}", frames, fps, fourcc)
        return Clip(clip_id=name, subject="s1", label="neutral", media={"video": str(path)})

    return make
