"""Frame-stack augmentation: seeded, shape-preserving, one transform for all frames of a clip."""

from __future__ import annotations

import torch

from avbench_plugins.models.neural.augment import augment_frame_stacks


def _batch() -> torch.Tensor:
    return torch.randn(3, 5, 16, 12, generator=torch.Generator().manual_seed(0))


def test_same_generator_seed_gives_the_same_augmentation():
    a = augment_frame_stacks(_batch(), torch.Generator().manual_seed(1))
    b = augment_frame_stacks(_batch(), torch.Generator().manual_seed(1))
    c = augment_frame_stacks(_batch(), torch.Generator().manual_seed(2))
    assert a.shape == _batch().shape
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)


def test_with_every_range_at_zero_the_frames_are_unchanged():
    x = _batch()
    out = augment_frame_stacks(x, torch.Generator().manual_seed(1), max_rotation_deg=0, min_crop=1.0,
                               flip_probability=0.0, max_gain=0.0, max_offset=0.0)
    assert torch.allclose(out, x, atol=1e-5)


def test_a_certain_flip_mirrors_every_frame_left_to_right():
    x = _batch()
    out = augment_frame_stacks(x, torch.Generator().manual_seed(1), max_rotation_deg=0, min_crop=1.0,
                               flip_probability=1.0, max_gain=0.0, max_offset=0.0)
    assert torch.allclose(out, x.flip(-1), atol=1e-5)


def test_illumination_change_is_shared_by_the_frames_of_a_clip():
    x = torch.zeros(2, 4, 6, 6)
    out = augment_frame_stacks(x, torch.Generator().manual_seed(3), max_rotation_deg=0, min_crop=1.0,
                               flip_probability=0.0, max_gain=0.0, max_offset=0.5)
    for clip in out:
        assert torch.allclose(clip, clip.flatten()[0].expand_as(clip))
    assert not torch.allclose(out[0], out[1])
