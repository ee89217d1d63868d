"""Clips become fixed-shape batches standardised with training statistics only."""

from __future__ import annotations

import numpy as np
import pytest

from avbench.contract import OutputKind
from avbench_plugins.models.neural.inputs import fit_layout, infer_kind

SEQ_KINDS = frozenset({OutputKind.SEQUENCE, OutputKind.SPECTROGRAM})


def test_sequences_are_padded_to_the_longest_training_clip_with_their_lengths():
    X = [np.ones((3, 2), np.float32), np.full((5, 2), 3.0, np.float32)]
    layout = fit_layout(X, OutputKind.SEQUENCE, with_lengths=True)
    data, lengths = layout.transform(X)
    assert data.shape == (2, 5, 2)
    assert lengths.tolist() == [3, 5]
    assert np.all(data[0, 3:] == 0)  # padding is the training mean after standardisation


def test_longer_clips_are_truncated_to_max_len_keeping_the_head_or_the_centre():
    clip = np.arange(10, dtype=np.float32)[:, None]
    head = fit_layout([clip], OutputKind.SEQUENCE, max_len=4, standardize="none")
    centre = fit_layout([clip], OutputKind.SEQUENCE, max_len=4, standardize="none", truncate="center")
    assert head.transform([clip])[0][0, :, 0].tolist() == [0, 1, 2, 3]
    assert centre.transform([clip])[0][0, :, 0].tolist() == [3, 4, 5, 6]


def test_spectrograms_pad_along_their_time_axis_and_standardise_per_frequency_row():
    X = [np.stack([np.full(4, 1.0), np.full(4, 10.0)]).astype(np.float32),
         np.stack([np.full(6, 3.0), np.full(6, 30.0)]).astype(np.float32)]
    layout = fit_layout(X, OutputKind.SPECTROGRAM)
    assert layout.shape == (2, 6)
    (data,) = layout.transform(X)
    for row in range(2):  # every frequency row has mean 0 over all real frames
        frames = np.concatenate([data[0, row, :4], data[1, row, :6]])
        assert abs(frames.mean()) < 1e-5 and abs(frames.std() - 1) < 1e-5


def test_statistics_come_from_training_clips_only():
    train = [np.zeros((4, 1), np.float32), np.full((4, 1), 2.0, np.float32)]
    layout = fit_layout(train, OutputKind.SEQUENCE)
    (test,) = layout.transform([np.full((4, 1), 100.0, np.float32)])
    assert np.allclose(test, (100.0 - 1.0) / 1.0)


def test_image_stacks_use_one_global_mean_and_deviation():
    X = [np.random.default_rng(0).normal(5, 2, size=(3, 4, 4)).astype(np.float32)]
    layout = fit_layout(X, OutputKind.IMAGE_STACK)
    assert layout.mean.shape == () and layout.std.shape == ()


def test_a_clip_with_another_feature_width_is_rejected_with_its_index():
    layout = fit_layout([np.zeros((3, 2), np.float32)], OutputKind.SEQUENCE)
    with pytest.raises(ValueError, match="clip 1"):
        layout.transform([np.zeros((3, 2), np.float32), np.zeros((3, 5), np.float32)])


def test_non_finite_features_are_rejected_with_the_clip_index():
    with pytest.raises(ValueError, match="clip 0 holds NaN"):
        fit_layout([np.array([[np.nan]], np.float32)], OutputKind.SEQUENCE)


def test_two_d_kind_follows_the_axis_whose_length_varies():
    varying_rows = [np.zeros((3, 4)), np.zeros((5, 4))]
    varying_cols = [np.zeros((4, 3)), np.zeros((4, 5))]
    assert infer_kind(varying_rows, SEQ_KINDS) is OutputKind.SEQUENCE
    assert infer_kind(varying_cols, SEQ_KINDS) is OutputKind.SPECTROGRAM
    fixed = [np.zeros((4, 4))]
    assert infer_kind(fixed, SEQ_KINDS, preferred_2d=OutputKind.SPECTROGRAM) is OutputKind.SPECTROGRAM
    assert infer_kind(fixed, SEQ_KINDS, declared="sequence", preferred_2d=OutputKind.SPECTROGRAM) \
        is OutputKind.SEQUENCE
