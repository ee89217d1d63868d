"""audio-augment: noise / pitch / time shift change only what they should, deterministically per seed."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from audio_media import speechlike, tone
from avbench.contract import AudioSignal
from avbench.registry import contract_problems
from avbench_plugins.augmenters.audio import AudioAugment, balanced_copies, pitch_shift, time_shift
from avbench_plugins.extractors.audio.decode import LoadedAudio

ONLY_NOISE = {"noise_prob": 1.0, "pitch_prob": 0.0, "shift_prob": 0.0}
ONLY_PITCH = {"noise_prob": 0.0, "pitch_prob": 1.0, "shift_prob": 0.0}
ONLY_SHIFT = {"noise_prob": 0.0, "pitch_prob": 0.0, "shift_prob": 1.0}


@pytest.fixture
def signal() -> LoadedAudio:
    return LoadedAudio(speechlike(1.0), 16000, clip_id="03-01-05-01-01-01-01", path="/data/x.wav")


def dominant_frequency(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.fft.rfftfreq(samples.size, 1 / rate)[spectrum.argmax()])


def test_audio_augment_is_a_valid_plugin():
    assert contract_problems(AudioAugment) == []


def test_a_variant_keeps_type_clip_rate_length_and_range(signal):
    out = AudioAugment({"noise_snr_db": (0.0, 1.0)}).augment(signal, np.random.default_rng(0))
    assert isinstance(out, LoadedAudio)
    assert (out.clip_id, out.path, out.sample_rate) == (signal.clip_id, signal.path, 16000)
    assert out.samples.shape == signal.samples.shape and out.samples.dtype == np.float32
    assert np.abs(out.samples).max() <= 1.0
    assert not np.array_equal(out.samples, signal.samples)


def test_a_plain_audio_signal_stays_a_plain_audio_signal():
    out = AudioAugment(ONLY_NOISE).augment(AudioSignal(tone(300.0, 0.5), 16000), np.random.default_rng(0))
    assert type(out) is AudioSignal and out.samples.shape == (8000,)


def test_the_same_seed_gives_the_same_variant_and_another_seed_another(signal):
    augmenter = AudioAugment(copies=3)
    a = augmenter.augment(signal, np.random.default_rng(7))
    b = augmenter.augment(signal, np.random.default_rng(7))
    c = augmenter.augment(signal, np.random.default_rng(8))
    np.testing.assert_array_equal(a.samples, b.samples)
    assert not np.array_equal(a.samples, c.samples)


def test_augmenting_does_not_modify_the_input(signal):
    before = signal.samples.copy()
    AudioAugment().augment(signal, np.random.default_rng(0))
    np.testing.assert_array_equal(signal.samples, before)


@pytest.mark.parametrize("seed", range(5))
def test_noise_only_adds_noise_within_the_configured_snr(signal, seed):
    out = AudioAugment({**ONLY_NOISE, "noise_snr_db": (10.0, 20.0)}).augment(signal, np.random.default_rng(seed))
    residual = out.samples.astype(np.float64) - signal.samples
    snr = 10 * np.log10(np.mean(signal.samples.astype(np.float64) ** 2) / np.mean(residual ** 2))
    assert 9.5 < snr < 20.5


def test_noise_leaves_silence_silent():
    silence = LoadedAudio(np.zeros(8000, np.float32), 16000)
    out = AudioAugment(ONLY_NOISE).augment(silence, np.random.default_rng(0))
    assert not out.samples.any()


@pytest.mark.parametrize("seed", range(5))
def test_time_shift_only_rotates_the_samples(signal, seed):
    out = AudioAugment({**ONLY_SHIFT, "shift_seconds": 0.2}).augment(signal, np.random.default_rng(seed)).samples
    shifts = [k for k in range(-3200, 3201) if np.array_equal(np.roll(signal.samples, k), out)]
    assert len(shifts) == 1 and shifts[0] != 0


def test_zero_fill_shift_moves_the_signal_and_fills_with_silence():
    x = np.arange(1, 11, dtype=np.float32)
    np.testing.assert_array_equal(time_shift(x, 3, "zeros"), [0, 0, 0, 1, 2, 3, 4, 5, 6, 7])
    np.testing.assert_array_equal(time_shift(x, -2, "zeros"), [3, 4, 5, 6, 7, 8, 9, 10, 0, 0])
    assert not time_shift(x, 20, "zeros").any()


def test_pitch_shift_by_an_octave_doubles_the_frequency_and_keeps_the_length():
    x = tone(300.0, 1.0)
    up = pitch_shift(x, 16000, 12.0)
    assert up.shape == x.shape
    assert abs(dominant_frequency(up, 16000) - 600.0) < 6.0


def test_pitch_only_changes_the_pitch_not_the_timing(signal):
    x = LoadedAudio(tone(400.0, 1.0), 16000)
    out = AudioAugment({**ONLY_PITCH, "pitch_semitones": 3.0}).augment(x, np.random.default_rng(1))
    moved = dominant_frequency(out.samples, 16000) / 400.0
    assert out.samples.shape == x.samples.shape
    assert 2 ** (-3.1 / 12) < moved < 2 ** (3.1 / 12) and abs(moved - 1) > 0.005


@pytest.mark.parametrize("seed", range(8))
def test_a_copy_is_never_an_unchanged_duplicate_when_no_operation_is_drawn(signal, seed):
    tiny = {"noise_prob": 1e-9, "pitch_prob": 1e-9, "shift_prob": 1e-9}
    out = AudioAugment(tiny).augment(signal, np.random.default_rng(seed))
    assert not np.array_equal(out.samples, signal.samples)


def test_with_every_probability_zero_the_variant_equals_the_input(signal):
    off = {"noise_prob": 0.0, "pitch_prob": 0.0, "shift_prob": 0.0}
    np.testing.assert_array_equal(AudioAugment(off).augment(signal, np.random.default_rng(0)).samples,
                                  signal.samples)


def test_without_balance_every_clip_gets_the_same_number_of_copies():
    labels = np.array([0, 0, 0, 1, 2])
    np.testing.assert_array_equal(AudioAugment(copies=2).copies_per_clip(labels), [2, 2, 2, 2, 2])


@pytest.mark.parametrize("copies", [0, 1, 3])
def test_balance_brings_every_class_to_the_majority_total(copies):
    labels = np.array(["sad"] * 7 + ["calm"] * 3 + ["angry"] * 2 + ["happy"] * 5)
    per_clip = AudioAugment(copies=copies, balance=True).copies_per_clip(labels)
    assert per_clip.shape == labels.shape and per_clip.min() >= 0
    totals = {c: int((labels == c).sum() + per_clip[labels == c].sum()) for c in set(labels)}
    assert set(totals.values()) == {7 * (copies + 1)}
    assert (per_clip[labels == "sad"] == copies).all()
    calm = per_clip[labels == "calm"]
    assert calm.max() - calm.min() <= 1  # shortfall spread evenly


def test_balanced_copies_of_no_labels_is_empty():
    assert balanced_copies(np.array([], dtype=int), 2).shape == (0,)


def test_a_reversed_snr_range_is_rejected():
    with pytest.raises(ValidationError):
        AudioAugment(noise_snr_db=(30.0, 10.0))
