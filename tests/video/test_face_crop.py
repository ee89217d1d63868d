"""Face cropping: geometry, the no-face fallback and its count, the per-clip crop cache, the face-crops extractor."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from avbench.contract import ClipError, FaceBox
from avbench.registry import get_registry
from avbench_plugins.extractors.video.face_crop import (
    FaceCropParams,
    FaceCropper,
    centre_region,
    crop_face,
    crop_region,
    cut,
)
from avbench_plugins.extractors.video.face_crops import FaceCrops
from avbench_plugins.extractors.video.frame_sampling import FrameSamplingParams

from .generated_media import blank_frame, face_frame


def test_crop_region_adds_the_margin_and_widens_to_the_output_aspect():
    box = FaceBox(100, 100, 50, 50)
    assert crop_region(box, 0.0, 64, 64) == (100, 100, 150, 150)
    assert crop_region(box, 0.2, 64, 64) == (90, 90, 160, 160)
    x0, y0, x1, y1 = crop_region(box, 0.0, 98, 80)
    assert (x1 - x0) / (y1 - y0) == pytest.approx(98 / 80, rel=0.03)
    assert (y1 - y0) == 50 and (x0 + x1) / 2 == pytest.approx(125, abs=1)


def test_centre_region_is_the_largest_centred_rectangle_of_the_output_aspect():
    assert centre_region(720, 1280, 64, 64) == (280, 0, 1000, 720)
    assert centre_region(100, 50, 64, 64) == (0, 25, 50, 75)


def test_cut_repeats_edge_pixels_where_the_region_leaves_the_frame():
    frame = np.zeros((10, 10, 3), np.uint8)
    frame[:, 0] = 200  # left column bright
    crop = cut(frame, (-5, 0, 5, 10), 10, 10)
    assert crop.shape == (10, 10, 3)
    assert crop[:, :5].min() == 200  # the padding copies the bright edge
    assert crop[:, 7:].max() == 0


def test_crop_face_uses_the_largest_face_and_makes_grayscale_output():
    frame = np.random.default_rng(0).integers(0, 255, (100, 100, 3), dtype=np.uint8)
    boxes = [FaceBox(0, 0, 10, 10, score=0.99), FaceBox(40, 40, 40, 40, score=0.6)]
    crop, face = crop_face(frame, boxes, FaceCropParams(crop_width=48, crop_height=48))
    assert face == boxes[1] and crop.shape == (48, 48, 3)
    assert np.array_equal(crop[..., 0], crop[..., 2])
    _, best = crop_face(frame, boxes, FaceCropParams(select="best"))
    assert best == boxes[0]


def test_no_face_falls_back_to_the_centre_or_drops_the_frame():
    frame = blank_frame(64)
    crop, face = crop_face(frame, [], FaceCropParams(no_face="centre", crop_width=32, crop_height=32))
    assert face is None and crop.shape == (32, 32, 3)
    assert crop_face(frame, [], FaceCropParams(no_face="drop")) == (None, None)


def cropper(context, **kw) -> FaceCropper:
    sampling = {k: kw.pop(k) for k in list(kw) if k in FrameSamplingParams.model_fields}
    return FaceCropper(FrameSamplingParams(**sampling), FaceCropParams(**kw), context)


def test_faces_of_a_clip_are_found_and_cropped_to_the_output_size(make_clip, context):
    clip = make_clip([face_frame()] * 12)
    faces = cropper(context, sampling="equally_spaced", n_frames=4, crop_width=80, crop_height=98).crops(clip)
    assert faces.frames.shape == (4, 98, 80, 3)
    assert faces.found.all() and (faces.boxes[:, 2] > 20).all()
    assert faces.diagnostics["frames_no_face"] == 0 and faces.diagnostics["frames_sampled"] == 4


def test_frames_without_a_face_are_counted_and_centre_cropped(make_clip, context):
    frames = [face_frame()] * 6 + [blank_frame()] * 6
    faces = cropper(context, sampling="every").crops(make_clip(frames))
    assert len(faces) == 12
    assert faces.found.tolist() == [True] * 6 + [False] * 6
    assert faces.diagnostics["frames_no_face"] == 6 and faces.diagnostics["frames_dropped"] == 0
    assert (faces.boxes[6:] == -1).all()


def test_dropping_faceless_frames_keeps_the_others_and_counts_both(make_clip, context):
    frames = [blank_frame()] * 4 + [face_frame()] * 4
    faces = cropper(context, sampling="every", no_face="drop").crops(make_clip(frames))
    assert faces.indices.tolist() == [4, 5, 6, 7]
    assert faces.diagnostics["frames_no_face"] == 4 and faces.diagnostics["frames_dropped"] == 4


def test_a_clip_with_no_face_at_all_and_drop_is_a_clip_error(make_clip, context):
    clip = make_clip([blank_frame()] * 5, name="faceless")
    with pytest.raises(ClipError, match="no face") as err:
        cropper(context, sampling="every", no_face="drop").crops(clip)
    assert err.value.clip_id == "faceless"


def test_a_clip_without_video_media_is_a_clip_error(context):
    from avbench.contract import Clip

    clip = Clip("a1", "s1", "happy", {"audio": "x.wav"})
    with pytest.raises(ClipError, match="no video"):
        cropper(context).crops(clip)


def test_crops_are_cached_and_reused_without_detecting_again(make_clip, context, monkeypatch):
    clip = make_clip([face_frame()] * 8)
    first = cropper(context, sampling="equally_spaced", n_frames=3)
    faces = first.crops(clip)
    cached = list((Path(context.cache_dir) / "faces").rglob("*.npz"))
    assert len(cached) == 1
    assert not list((Path(context.cache_dir) / "faces").rglob("*.tmp"))

    second = cropper(context, sampling="equally_spaced", n_frames=3)
    monkeypatch.setattr(type(second.detector), "detect", lambda *a: pytest.fail("detector ran again"))
    again = second.crops(clip)
    assert np.array_equal(again.frames, faces.frames) and again.diagnostics == faces.diagnostics
    assert np.array_equal(again.indices, faces.indices) and np.array_equal(again.boxes, faces.boxes)


def test_changing_sampling_detector_or_crop_settings_changes_the_cache_entry(make_clip, context):
    clip = make_clip([face_frame()] * 8)
    path = Path(clip.media["video"])
    base = cropper(context).cache_path(path)
    assert cropper(context).cache_path(path) == base
    assert cropper(context, n_frames=5).cache_path(path) != base
    assert cropper(context, detector_params={"min_neighbors": 3}).cache_path(path) != base
    assert cropper(context, margin=0.1).cache_path(path) != base


def test_the_cache_key_follows_the_video_content(make_clip, context):
    clip = make_clip([face_frame()] * 4)
    path = Path(clip.media["video"])
    before = cropper(context).cache_path(path)
    path.write_bytes(path.read_bytes() + b"\0")
    assert cropper(context).cache_path(path) != before


def test_a_broken_cache_entry_is_recomputed(make_clip, context):
    clip = make_clip([face_frame()] * 4)
    crop = cropper(context, sampling="middle")
    crop.crops(clip)
    entry = crop.cache_path(Path(clip.media["video"]))
    entry.write_bytes(b"garbage")
    assert len(crop.crops(clip)) == 1


def test_face_crops_extractor_gives_an_image_stack_in_unit_range(make_clip, context):
    extractor = get_registry().create({"plugin": "face-crops", "params": {
        "sampling": "equally_spaced", "n_frames": 5, "crop_width": 48, "crop_height": 48}}, context=context)
    out = extractor.extract(make_clip([face_frame()] * 10))
    assert out.shape == (5, 48, 48) and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0 and out.std() > 0.01


def test_diagnostics_come_from_the_extractor_and_from_the_cache_in_a_fresh_one(make_clip, context):
    clip = make_clip([face_frame()] * 3 + [blank_frame()] * 3)
    extractor = FaceCrops(sampling="every")
    extractor.setup(context)
    assert extractor.diagnostics(clip) == {}
    extractor.extract(clip)
    assert extractor.diagnostics(clip)["frames_no_face"] == 3
    fresh = FaceCrops(sampling="every")
    fresh.setup(context)
    assert fresh.diagnostics(clip)["frames_no_face"] == 3


def test_face_extractors_pickle_after_use(make_clip, context):
    clip = make_clip([face_frame()] * 4)
    extractor = FaceCrops(sampling="middle")
    extractor.setup(context)
    out = extractor.extract(clip)
    clone = pickle.loads(pickle.dumps(extractor))
    assert np.array_equal(clone.extract(clip), out)
