"""benchmarks/video_throughput.py: its distinct copies of a clip are the same video to every decoder."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from avbench_plugins.extractors.video.face_crop import content_digest
from avbench_plugins.extractors.video.frame_sampling import VideoReader

from .conftest import WITH_AUDIO, real_media_path

pytestmark = pytest.mark.real_data

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "video_throughput.py"


def load_script():
    spec = importlib.util.spec_from_file_location("video_throughput", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def frames_of(path: Path) -> list[np.ndarray]:
    return [frame for _, frame in VideoReader(path).iter_frames(lambda i: True)]


def test_copies_differ_in_content_hash_but_decode_to_the_same_frames(tmp_path):
    video = real_media_path("ravdess-video", WITH_AUDIO)
    copies = load_script().distinct_copies(video, 2, tmp_path)
    assert len({content_digest(p) for p in [video, *copies]}) == 3  # no copy shares another's face-crop cache
    original = frames_of(video)
    for copy in copies:
        decoded = frames_of(copy)
        assert len(decoded) == len(original) == 120
        assert all(np.array_equal(a, b) for a, b in zip(decoded, original))
