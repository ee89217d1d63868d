"""Shared by the seed-system tests: the synthetic demo set (generated once) and a stand-in action-unit table."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from avbench.contract import Clip
from avbench_plugins.datasets.synthetic_av import SyntheticAV
from avbench_plugins.extractors.video.openface_au import AU_INTENSITIES, AU_PRESENCES

from .seed_configs import DEMO_PARAMS


@dataclass(frozen=True)
class DemoSet:
    root: Path
    clips: list[Clip]
    au_csv: Path  # OpenFace-shaped clip-mean table for the demo clips (the real one covers RAVDESS only)


def write_au_table(path: Path, clips: list[Clip], seed: int = 0) -> Path:
    """A ``;``-separated clip-mean AU table in the published RAVDESS layout, rows named ``01-<clip id>``,
    values shifted by the clip's class so the AU models have something to learn."""
    rng = np.random.default_rng(seed)
    labels = sorted({c.label for c in clips})
    lines = [";".join((*AU_INTENSITIES, *AU_PRESENCES, "name"))]
    for clip in clips:
        values = rng.normal(size=len(AU_INTENSITIES) + len(AU_PRESENCES)) + labels.index(clip.label)
        lines.append(";".join(f"{v:.5f}" for v in values) + f";01-{clip.clip_id}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="session")
def demo_set(tmp_path_factory) -> DemoSet:
    """The synthetic demo set (6 actors x 8 emotions x 2 takes) generated once for every seed test."""
    folder = tmp_path_factory.mktemp("seed-demo")
    dataset = SyntheticAV(DEMO_PARAMS)
    dataset.prepare(folder / "demo")
    clips = dataset.clips(folder / "demo")
    return DemoSet(folder / "demo", clips, write_au_table(folder / "clip_mean_action_units.csv", clips))


@pytest.fixture(scope="session")
def models_folder() -> str | None:
    """The folder of pretrained files (FER-2013 CNN, face landmarker), or None when AVBENCH_MODELS is unset."""
    value = os.environ.get("AVBENCH_MODELS")
    return value if value and Path(value).is_dir() else None
