"""Every face detector on frames of the real videos (VP6 FLV, H.264 and MPEG-4 Part 2 mp4): a face in each
sampled frame, and the three detectors agree where it is."""

from __future__ import annotations

import numpy as np
import pytest

from avbench.contract import Clip
from avbench.registry import get_registry

from .conftest import DETECTOR_FILES, WITH_AUDIO, WITHOUT_AUDIO, real_media_path, require_models

pytestmark = pytest.mark.real_data

VIDEOS = {"crema-d-flv": ("crema-d", "VideoFlash", "1001_DFA_HAP_XX.flv"),
          "ravdess-h264": ("ravdess-video", WITH_AUDIO), "ravdess-mpeg4": ("ravdess-video", WITHOUT_AUDIO)}
N_FRAMES = 8


@pytest.mark.parametrize("video", sorted(VIDEOS))
def test_all_detectors_find_the_face_in_every_sampled_frame_and_agree_where(video, context):
    require_models(*(name for names in DETECTOR_FILES.values() for name in names))
    path = real_media_path(*VIDEOS[video])
    clip = Clip(video, "s", "neutral", {"video": str(path)})
    centres, widths = {}, {}
    for detector in sorted(DETECTOR_FILES):
        extractor = get_registry().create({"plugin": "face-crops", "params": {
            "sampling": "equally_spaced", "n_frames": N_FRAMES, "detector": detector}}, context=context)
        faces = extractor.cropper.crops(clip)
        assert faces.diagnostics["frames_no_face"] == 0, f"{detector} missed a face in {path.name}: {faces.diagnostics}"
        boxes = faces.boxes.astype(float)
        centres[detector] = boxes[:, :2] + boxes[:, 2:] / 2
        widths[detector] = boxes[:, 2]
    width = np.median(np.concatenate(list(widths.values())))
    for a in centres:
        for b in centres:
            distance = np.median(np.linalg.norm(centres[a] - centres[b], axis=1))
            assert distance < 0.25 * width, f"{a} and {b} place the face {distance:.0f} px apart in {path.name}"
