"""The ravdess plugin over the two real audio-visual mp4s, each extractor branch called directly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from avbench.contract import Clip, ClipError
from avbench.registry import get_registry
from avbench_plugins.datasets.ravdess import Ravdess

from .conftest import LANDMARKER, WITH_AUDIO, WITHOUT_AUDIO, require_models

pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def clips(ravdess_video_tree: Path) -> dict[str, Clip]:
    return {Path(clip.media["video"]).name: clip for clip in Ravdess().clips(ravdess_video_tree)}


def test_both_mp4s_read_as_clips_with_their_actor_and_label(clips):
    assert sorted(clips) == [WITH_AUDIO, WITHOUT_AUDIO]
    assert (clips[WITH_AUDIO].subject, clips[WITH_AUDIO].label) == ("01", "disgust")
    assert (clips[WITHOUT_AUDIO].subject, clips[WITHOUT_AUDIO].label) == ("19", "surprised")
    for name, clip in clips.items():  # no audio-only file: the mp4 is offered to the audio branch too
        assert Path(clip.media["audio"]).name == Path(clip.media["video"]).name == name


def test_the_aac_track_of_the_h264_mp4_gives_audio_features(clips, context):
    out = get_registry().create("mfcc-stats", context=context).extract(clips[WITH_AUDIO])
    assert out.shape == (160,) and np.isfinite(out).all()


def test_the_mp4_without_sound_is_a_clip_error_naming_the_file_and_no_audio_stream(clips, context):
    with pytest.raises(ClipError) as err:
        get_registry().create("mfcc-stats", context=context).extract(clips[WITHOUT_AUDIO])
    assert err.value.clip_id == clips[WITHOUT_AUDIO].clip_id
    assert str(err.value.reason).endswith(f"{WITHOUT_AUDIO} has no audio stream")


@pytest.mark.parametrize("name", [WITH_AUDIO, WITHOUT_AUDIO])
def test_blendshapes_come_out_for_both_mp4s(name, clips, context):
    require_models(LANDMARKER)
    extractor = get_registry().create({"plugin": "blendshapes", "params": {"n_frames": 6}}, context=context)
    out = extractor.extract(clips[name])
    assert out.shape == (6, 52) and np.isfinite(out).all() and (out.sum(axis=1) > 0).all()
    assert extractor.diagnostics(clips[name])["frames_no_face"] == 0
