"""Audio extractors: declared shapes, float32, finite, deterministic, and ClipError instead of NaN."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from pydantic import ValidationError

from audio_media import speechlike, tone
from avbench.contract import ClipError, OutputKind
from avbench.registry import contract_problems, discover
from avbench_plugins.extractors.audio.decode import LoadedAudio
from avbench_plugins.extractors.audio.egemaps import Egemaps
from avbench_plugins.extractors.audio.mel_maps import LogMel, MfccMap
from avbench_plugins.extractors.audio.mfcc import MfccSequence, MfccStats
from avbench_plugins.extractors.audio.short_term_stats import ShortTermStats
from avbench_plugins.extractors.audio.stft_spectrogram import StftSpectrogram

ALL = [MfccSequence, MfccStats, LogMel, MfccMap, StftSpectrogram, ShortTermStats, Egemaps]
FIXED_SHAPES = {
    "mfcc-stats": (160,), "log-mel": (128, 216), "mfcc-map": (30, 216), "stft-spectrogram": (192, 120),
    "short-term-stats": (136,), "egemaps": (88,),
}
ids = [cls.name for cls in ALL]


@pytest.fixture(scope="module")
def speech_file(tmp_path_factory):
    import soundfile as sf

    path = tmp_path_factory.mktemp("audio") / "03-01-05-01-01-01-01.wav"
    sf.write(str(path), speechlike(1.5, 22050), 22050)
    return path


@pytest.mark.parametrize("cls", ALL, ids=ids)
def test_every_audio_extractor_declares_a_valid_plugin(cls):
    assert contract_problems(cls) == []
    assert cls.Params().model_dump()  # builds from defaults


def test_all_audio_plugins_are_installed_as_entry_points():
    registry = discover()
    assert set(ids) | {"audio-augment"} <= set(registry.names())
    mine = [line for line in registry.problems() if "audio" in line or "classical" in line]
    assert mine == []


@pytest.mark.parametrize("cls", ALL, ids=ids)
def test_features_are_float32_finite_and_of_the_declared_shape(cls, speech_file, clip_for):
    extractor = cls()
    out = extractor.extract(clip_for(speech_file))
    assert out.dtype == np.float32
    assert np.isfinite(out).all()
    assert out.ndim == {OutputKind.VECTOR: 1, OutputKind.SEQUENCE: 2, OutputKind.SPECTROGRAM: 2}[cls.output_kind]
    if cls.name in FIXED_SHAPES:
        assert out.shape == FIXED_SHAPES[cls.name]
    assert all(e is None or e == s for e, s in zip(extractor.output_shape(), out.shape))
    assert np.ptp(out) > 0  # not a constant array


def test_mfcc_sequence_has_one_row_per_hop(speech_file, clip_for):
    out = MfccSequence(deltas=2).extract(clip_for(speech_file))
    assert out.shape == (1 + 24000 // 160, 120)


@pytest.mark.parametrize("deltas, width", [(0, 80), (1, 160), (2, 240)])
def test_mfcc_stats_length_follows_n_mfcc_and_deltas(speech_file, clip_for, deltas, width):
    assert MfccStats(deltas=deltas).extract(clip_for(speech_file)).shape == (width,)
    assert MfccStats(deltas=deltas, n_mfcc=13).extract(clip_for(speech_file)).shape == (width * 13 // 40,)


@pytest.mark.parametrize("cls", ALL, ids=ids)
def test_features_are_deterministic_across_calls_instances_and_pickling(cls, speech_file, clip_for):
    clip = clip_for(speech_file)
    first = cls().extract(clip)
    np.testing.assert_array_equal(first, cls().extract(clip))
    np.testing.assert_array_equal(first, pickle.loads(pickle.dumps(cls())).extract(clip))


@pytest.mark.parametrize("cls", ALL, ids=ids)
def test_silence_gives_finite_features_of_the_declared_shape(cls, write_audio, clip_for):
    out = cls().extract(clip_for(write_audio("silence.wav", np.zeros(16000, np.float32))))
    assert out.dtype == np.float32 and np.isfinite(out).all()
    assert all(e is None or e == s for e, s in zip(cls().output_shape(), out.shape))


@pytest.mark.parametrize("cls", [MfccStats, ShortTermStats, Egemaps], ids=["mfcc-stats", "short-term-stats", "egemaps"])
@pytest.mark.parametrize("rate", [8000, 11025, 44100])
def test_odd_sample_rates_give_the_same_vector_length(cls, rate, write_audio, clip_for):
    out = cls().extract(clip_for(write_audio(f"r{rate}.wav", speechlike(1.0, rate), rate)))
    assert out.shape == FIXED_SHAPES.get(cls.name, (160,)) and np.isfinite(out).all()


def test_stereo_input_gives_the_same_features_as_its_mono_mix(write_audio, clip_for):
    left, right = speechlike(1.0, seed=1), speechlike(1.0, f0=120.0, seed=2)
    stereo = write_audio("stereo.wav", np.stack([left, right], axis=1), subtype="FLOAT")
    mono = write_audio("mono.wav", (left + right) / 2, subtype="FLOAT")
    np.testing.assert_allclose(MfccStats().extract(clip_for(stereo)), MfccStats().extract(clip_for(mono)), atol=1e-4)


@pytest.mark.parametrize("cls", [ShortTermStats, Egemaps], ids=["short-term-stats", "egemaps"])
def test_a_clip_too_short_to_analyse_raises_clip_error_naming_the_file(cls, write_audio, clip_for):
    path = write_audio("tiny.wav", speechlike(0.01))
    with pytest.raises(ClipError) as info:
        cls().extract(clip_for(path))
    assert info.value.clip_id == "tiny" and str(path) in info.value.reason


@pytest.mark.parametrize("cls, params", [(MfccStats, {"deltas": 2}), (MfccSequence, {"deltas": 2}),
                                         (StftSpectrogram, {})], ids=["mfcc-stats", "mfcc-sequence", "stft"])
def test_a_30_ms_clip_still_gives_finite_features(cls, params, write_audio, clip_for):
    out = cls(params).extract(clip_for(write_audio("short.wav", speechlike(0.03))))
    assert np.isfinite(out).all()


def test_a_non_finite_result_becomes_a_clip_error_not_nan_output(monkeypatch):
    extractor = MfccStats()
    monkeypatch.setattr(MfccStats, "compute", lambda self, samples, rate: np.full(160, np.nan))
    with pytest.raises(ClipError, match="non-finite") as info:
        extractor.features(LoadedAudio(tone(300.0, 0.5), 16000, clip_id="c9", path="/x/c9.wav"))
    assert info.value.clip_id == "c9" and "/x/c9.wav" in info.value.reason


def test_audio_at_another_rate_than_the_extractor_expects_is_a_clip_error():
    with pytest.raises(ClipError, match="44100 Hz"):
        MfccStats().features(LoadedAudio(tone(300.0, 0.5, 44100), 44100, clip_id="c"))


def test_log_mel_pads_short_clips_to_five_seconds_with_the_floor_value(write_audio, clip_for):
    out = LogMel().extract(clip_for(write_audio("one_second.wav", speechlike(1.0, 44100), 44100)))
    assert out.shape == (128, 216)
    frames_of_sound = 1 + 44100 // 1024
    assert out[:, frames_of_sound + 2:].max() == out.min() == -80.0
    assert out[:, : frames_of_sound - 2].max() == 0.0


def test_stft_spectrogram_puts_a_tone_in_the_row_of_its_frequency(write_audio, clip_for):
    out = StftSpectrogram().extract(clip_for(write_audio("tone.wav", tone(2000.0, 1.0))))
    assert out.shape == (192, 120)
    expected_row = round(2000.0 / 8000.0 * 191)
    assert abs(int(out.mean(axis=1).argmax()) - expected_row) <= 1


def test_short_term_stats_first_value_is_zero_crossing_rate(write_audio, clip_for):
    low = ShortTermStats().extract(clip_for(write_audio("low.wav", tone(200.0, 1.5))))
    high = ShortTermStats().extract(clip_for(write_audio("high.wav", tone(3000.0, 1.5))))
    assert high[0] > 5 * low[0]


def test_short_term_stats_without_deltas_halves_the_vector(speech_file, clip_for):
    assert ShortTermStats(deltas=False).extract(clip_for(speech_file)).shape == (68,)


@pytest.mark.parametrize("cls, bad", [
    (MfccStats, {"n_mfcc": 80, "n_mels": 40}),
    (MfccStats, {"fmax": 9000.0}),
    (MfccSequence, {"deltas": 3}),
    (LogMel, {"duration": None}),
    (MfccMap, {"n_mfcc": 200}),
    (ShortTermStats, {"mid_window": 0.01}),
    (StftSpectrogram, {"width": 0}),
    (Egemaps, {"feature_set": "ComParE"}),
    (MfccStats, {"unknown": 1}),
])
def test_inconsistent_parameters_are_rejected_at_construction(cls, bad):
    with pytest.raises(ValidationError):
        cls(bad)


def test_extractors_declare_the_libraries_that_shape_their_numbers_recorded_not_keyed():
    assert {"librosa", "soxr"} <= set(MfccStats.libraries) and MfccStats().cache_salt() == ""
    assert "pyAudioAnalysis" in ShortTermStats.libraries and ShortTermStats().cache_salt() == ""
    assert "opensmile" in Egemaps.libraries and Egemaps().cache_salt() == ""
