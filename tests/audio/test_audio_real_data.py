"""Real RAVDESS clips (AVBENCH_RAVDESS_ROOT): a handful of speech files through the audio extractors."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from avbench.contract import Clip
from avbench_plugins.extractors.audio.mfcc import MfccStats
from avbench_plugins.extractors.audio.short_term_stats import ShortTermStats

pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def real_clips() -> list[Clip]:
    root = os.environ.get("AVBENCH_RAVDESS_ROOT")
    if not root:
        pytest.skip("AVBENCH_RAVDESS_ROOT is not set (folder of RAVDESS Actor_XX/03-01-*.flac or .wav files)")
    files = [f for actor in ("01", "02") for f in sorted(Path(root).rglob(f"Actor_{actor}/03-01-0[15]-*"))[:3]]
    if len(files) < 6:
        pytest.skip(f"AVBENCH_RAVDESS_ROOT={root} holds no Actor_01 / Actor_02 speech files (03-01-*)")
    return [Clip(clip_id=f.stem.split("-", 1)[1], subject=f.stem.split("-")[-1], label=f.stem.split("-")[2],
                 media={"audio": str(f)}) for f in files]


def test_mfcc_stats_of_real_clips_are_finite_distinct_vectors(real_clips):
    features = np.stack([MfccStats().extract(clip) for clip in real_clips])
    assert features.shape == (6, 160) and features.dtype == np.float32
    assert np.isfinite(features).all()
    assert len({row.tobytes() for row in features}) == 6
    assert (features[:, 80:] >= 0).all()  # the second half are standard deviations


def test_short_term_stats_of_a_real_clip_are_finite(real_clips):
    out = ShortTermStats().extract(real_clips[0])
    assert out.shape == (136,) and np.isfinite(out).all()
