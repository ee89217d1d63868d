"""Frame sampling: which indices each mode picks, and decoding odd, rotated, short, lying or broken files."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from avbench.contract import ClipError
from avbench_plugins.extractors.video.frame_sampling import (
    FrameSamplingParams,
    VideoReader,
    plan_indices,
    read_frames,
    rotate_by_metadata,
)

from .generated_media import frame_number, numbered_frames, set_display_rotation, write_video


def params(**kw) -> FrameSamplingParams:
    return FrameSamplingParams(**kw)


def test_middle_mode_picks_the_middle_frame():
    assert plan_indices(101, params(sampling="middle")).indices.tolist() == [50]
    assert plan_indices(1, params(sampling="middle")).indices.tolist() == [0]


def test_equally_spaced_picks_distinct_sorted_frames_spread_over_the_clip():
    idx = plan_indices(100, params(sampling="equally_spaced", n_frames=20)).indices
    assert len(idx) == 20 and len(set(idx.tolist())) == 20
    assert np.all(np.diff(idx) == 5)  # 100 frames / 20 segments: the centre of each
    assert idx[0] == 2 and idx[-1] == 97


def test_equally_spaced_pads_a_short_clip_with_its_last_frame():
    plan = plan_indices(7, params(sampling="equally_spaced", n_frames=10))
    assert plan.indices.tolist() == [0, 1, 2, 3, 4, 5, 6, 6, 6, 6]
    assert plan.n_padded == 3


def test_consecutive_without_start_is_centred():
    idx = plan_indices(100, params(sampling="consecutive", n_frames=32)).indices
    assert idx.tolist() == list(range(34, 66))


def test_consecutive_from_a_start_offset_pads_when_the_clip_ends_early():
    plan = plan_indices(40, params(sampling="consecutive", n_frames=32, start_frame=20))
    assert plan.indices.tolist() == list(range(20, 40)) + [39] * 12
    assert plan.n_padded == 12


def test_a_start_beyond_the_clip_is_an_error():
    with pytest.raises(ValueError, match="start_frame=50"):
        plan_indices(40, params(sampling="consecutive", n_frames=5, start_frame=50))


def test_every_mode_keeps_each_stride_th_frame_up_to_max_frames():
    assert plan_indices(10, params(sampling="every", stride=3)).indices.tolist() == [0, 3, 6, 9]
    limited = params(sampling="every", stride=2, start_frame=1, max_frames=3)
    assert plan_indices(10, limited).indices.tolist() == [1, 3, 5]


def test_stride_is_refused_for_modes_that_do_not_use_it():
    with pytest.raises(ValidationError, match="stride"):
        params(sampling="equally_spaced", stride=2)


@pytest.mark.parametrize("mode, kw", [
    ("middle", {}), ("equally_spaced", {"n_frames": 5}), ("consecutive", {"n_frames": 4}),
    ("consecutive", {"n_frames": 4, "start_frame": 3}), ("every", {"stride": 4}),
])
def test_decoded_frames_are_the_planned_ones(tmp_path: Path, mode: str, kw: dict):
    path = write_video(tmp_path / "n.avi", numbered_frames(21), fps=10, fourcc="MJPG")
    sampling = params(sampling=mode, **kw)
    got = read_frames(path, sampling)
    expected = plan_indices(21, sampling).indices
    assert got.indices.tolist() == expected.tolist()
    assert [frame_number(f) for f in got.frames] == expected.tolist()


def test_an_odd_frame_rate_is_reported_and_frames_still_come_by_index(tmp_path: Path):
    path = write_video(tmp_path / "odd.avi", numbered_frames(15), fps=7.5, fourcc="MJPG")
    got = read_frames(path, params(sampling="equally_spaced", n_frames=3))
    assert got.fps == pytest.approx(7.5)
    assert [frame_number(f) for f in got.frames] == got.indices.tolist() == [2, 7, 12]


def test_a_short_clip_is_padded_by_repeating_its_last_decoded_frame(tmp_path: Path):
    path = write_video(tmp_path / "short.avi", numbered_frames(4), fps=10, fourcc="MJPG")
    got = read_frames(path, params(sampling="consecutive", n_frames=6))
    assert len(got) == 6 and got.n_padded == 2
    assert [frame_number(f) for f in got.frames] == [0, 1, 2, 3, 3, 3]


def test_a_frame_count_header_that_lies_is_not_trusted(tmp_path: Path):
    full = write_video(tmp_path / "full.avi", numbered_frames(30), fps=10, fourcc="MJPG")
    truncated = tmp_path / "truncated.avi"
    truncated.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    cap = cv2.VideoCapture(str(truncated))
    claimed = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.release()
    real = VideoReader(truncated).count_frames()
    assert 0 < real < claimed, "the test needs a file whose header over-counts"
    got = read_frames(truncated, params(sampling="equally_spaced", n_frames=2))
    assert got.n_source == real
    assert max(got.indices) < real
    assert [frame_number(f) for f in got.frames] == got.indices.tolist()


def test_rotation_metadata_is_applied(tmp_path: Path):
    frame = np.zeros((32, 64, 3), np.uint8)
    frame[:8, :8] = 255  # a white block in the top-left corner
    path = write_video(tmp_path / "rot.mp4", [frame] * 3, fps=10)
    set_display_rotation(path, clockwise_90=True)
    got = read_frames(path, params(sampling="middle"))
    assert got.frames.shape[1:3] == (64, 32)  # portrait now
    gray = got.frames[0].mean(axis=2)
    assert gray[:8, -8:].mean() > 200 and gray[:8, :8].mean() < 50  # top-left moved to top-right


def test_rotate_by_metadata_turns_clockwise():
    frame = np.arange(6, dtype=np.uint8).reshape(2, 3)
    assert np.array_equal(rotate_by_metadata(frame, 90), np.rot90(frame, k=-1))
    assert np.array_equal(rotate_by_metadata(frame, 270), np.rot90(frame, k=1))
    assert np.array_equal(rotate_by_metadata(frame, 180), np.rot90(frame, k=2))
    assert rotate_by_metadata(frame, 0) is frame


def test_a_video_with_zero_frames_is_a_clip_error(tmp_path: Path):
    path = write_video(tmp_path / "empty.avi", [], fps=10, fourcc="MJPG")
    with pytest.raises(ClipError, match="no frame") as err:
        read_frames(path, params(sampling="middle"), clip_id="c0")
    assert err.value.clip_id == "c0"


@pytest.mark.parametrize("content", [b"", b"not a video at all" * 100])
def test_a_corrupt_file_is_a_clip_error_naming_the_file(tmp_path: Path, content: bytes):
    path = tmp_path / "corrupt.mp4"
    path.write_bytes(content)
    with pytest.raises(ClipError, match="corrupt.mp4"):
        read_frames(path, params(sampling="every"), clip_id="c1")


def test_a_missing_file_is_a_clip_error(tmp_path: Path):
    with pytest.raises(ClipError, match="not found"):
        read_frames(tmp_path / "nope.mp4", params(sampling="middle"))


def test_max_width_shrinks_frames_keeping_their_aspect(tmp_path: Path):
    path = write_video(tmp_path / "w.avi", numbered_frames(3, height=48, width=96), fps=10, fourcc="MJPG")
    got = read_frames(path, params(sampling="middle"), max_width=48)
    assert got.frames.shape == (1, 24, 48, 3)


def test_reading_every_frame_counts_the_clip_but_an_early_stop_does_not(tmp_path: Path):
    path = write_video(tmp_path / "n.avi", numbered_frames(9), fps=10, fourcc="MJPG")
    assert read_frames(path, params(sampling="every", stride=2)).n_source == 9
    assert read_frames(path, params(sampling="every", max_frames=2)).n_source == -1
    assert read_frames(path, params(sampling="consecutive", n_frames=3, start_frame=0)).n_source == -1
