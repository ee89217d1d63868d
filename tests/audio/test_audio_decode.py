"""Audio decoding: every file becomes mono float32 at the configured rate, or a ClipError naming it."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import soundfile as sf

from audio_media import speechlike, tone
from avbench.contract import AudioSignal, ClipError
from avbench_plugins.extractors.audio.decode import decode_audio, load_clip_audio, wav_truncation


def dominant_frequency(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.fft.rfftfreq(samples.size, 1 / rate)[spectrum.argmax()])


@pytest.mark.parametrize("native_rate", [8000, 11025, 44100, 16000])
def test_any_native_rate_is_resampled_to_the_configured_rate_keeping_duration_and_pitch(write_audio, native_rate):
    path = write_audio(f"tone_{native_rate}.wav", tone(440.0, 1.0, native_rate), native_rate)
    audio = decode_audio(path, "c1", 16000)
    assert isinstance(audio, AudioSignal)
    assert audio.sample_rate == 16000
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert abs(audio.duration - 1.0) < 1e-3
    assert abs(dominant_frequency(audio.samples, 16000) - 440.0) < 3.0


def test_stereo_is_mixed_down_to_the_mean_of_its_channels(write_audio):
    left = tone(440.0, 0.5)
    path = write_audio("stereo.wav", np.stack([left, np.zeros_like(left)], axis=1), 16000, subtype="FLOAT")
    audio = decode_audio(path, "c1", 16000)
    np.testing.assert_allclose(audio.samples, left / 2, atol=1e-6)


def test_flac_and_pcm16_wav_decode_to_the_same_samples(write_audio):
    x = np.round(speechlike(0.5) * 32767).astype(np.int16)  # quantised once, so both files hold the same PCM
    a = decode_audio(write_audio("a.wav", x, subtype="PCM_16"), "a", 16000)
    b = decode_audio(write_audio("b.flac", x, subtype="PCM_16"), "b", 16000)
    np.testing.assert_array_equal(a.samples, b.samples)


def test_duration_pads_with_zeros_or_trims_to_exactly_that_length(write_audio):
    path = write_audio("short.wav", tone(300.0, 0.5), 16000, subtype="FLOAT")
    padded = decode_audio(path, "c", 16000, duration=1.0)
    assert padded.samples.shape == (16000,)
    assert not padded.samples[8000:].any() and padded.samples[:8000].any()
    trimmed = decode_audio(path, "c", 16000, duration=0.25)
    np.testing.assert_array_equal(trimmed.samples, padded.samples[:4000])


def test_offset_skips_the_start(write_audio):
    x = np.linspace(-0.5, 0.5, 16000, dtype=np.float32)
    audio = decode_audio(write_audio("ramp.wav", x, subtype="FLOAT"), "c", 16000, offset=0.5)
    np.testing.assert_array_equal(audio.samples, x[8000:])


def test_silence_decodes_to_zeros_not_an_error(write_audio):
    audio = decode_audio(write_audio("silence.wav", np.zeros(8000, np.float32)), "c", 16000)
    assert audio.samples.shape == (8000,) and not audio.samples.any()


def test_decoded_audio_remembers_its_clip_and_file(write_audio, clip_for):
    path = write_audio("03-01-01-01-01-01-01.wav", tone(200.0, 0.3))
    audio = load_clip_audio(clip_for(path), 16000)
    assert audio.clip_id == "03-01-01-01-01-01-01" and audio.path == str(path)


def test_a_clip_with_only_video_media_uses_the_videos_sound_track(write_audio, clip_for):
    path = write_audio("av.wav", tone(200.0, 0.3))
    assert load_clip_audio(clip_for(path, modality="video"), 16000).samples.size == 4800


def bad_file_cases(tmp_path):
    good = tmp_path / "good.wav"
    sf.write(str(good), tone(440.0, 1.0), 16000)
    data = good.read_bytes()
    flac = tmp_path / "good.flac"
    sf.write(str(flac), speechlike(1.0), 16000)
    cases = {
        "empty.wav": (b"", "empty"),
        "truncated.wav": (data[: len(data) // 2], "truncated"),
        "header_only.wav": (data[:30], "cannot decode"),
        "garbage.wav": (b"this is not audio" * 50, "cannot decode"),
        "truncated.flac": (flac.read_bytes()[: flac.stat().st_size // 2], "corrupt or truncated"),
    }
    for name, (content, _) in cases.items():
        (tmp_path / name).write_bytes(content)
    return {name: (tmp_path / name, reason) for name, (_, reason) in cases.items()}


@pytest.mark.parametrize("name", ["empty.wav", "truncated.wav", "header_only.wav", "garbage.wav", "truncated.flac"])
def test_a_bad_file_raises_clip_error_naming_the_clip_and_file(tmp_path, name):
    path, reason = bad_file_cases(tmp_path)[name]
    with pytest.raises(ClipError) as info:
        decode_audio(path, "clip-7", 16000)
    assert info.value.clip_id == "clip-7"
    assert str(path) in info.value.reason and reason in info.value.reason


def test_a_missing_file_raises_clip_error(tmp_path):
    with pytest.raises(ClipError, match="not found"):
        decode_audio(tmp_path / "nope.wav", "c", 16000)


def test_non_finite_samples_raise_clip_error(write_audio):
    x = tone(440.0, 0.2)
    x[100] = np.nan
    path = write_audio("nan.wav", x, subtype="FLOAT")
    with pytest.raises(ClipError, match="non-finite"):
        decode_audio(path, "c", 16000)


def test_wav_truncation_accepts_a_complete_file_and_reports_a_cut_one(write_audio, tmp_path):
    path = write_audio("ok.wav", tone(440.0, 0.2))
    assert wav_truncation(path) is None
    cut = tmp_path / "cut.wav"
    cut.write_bytes(path.read_bytes()[:-100])
    assert "declares" in wav_truncation(cut)


def write_container(path, rate=22050, seconds=1.0, freq=440.0, codec="aac"):
    av = pytest.importorskip("av")
    x = tone(freq, seconds, rate, 0.3)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate)
        stream.layout = "stereo"
        frame = av.AudioFrame.from_ndarray(np.stack([x, x]), format="fltp", layout="stereo")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


@pytest.mark.parametrize("suffix", ["mp4", "flv"])
def test_the_audio_track_of_a_video_container_decodes_through_pyav(tmp_path, suffix):
    path = write_container(tmp_path / f"clip.{suffix}")
    audio = decode_audio(path, "c", 16000)
    assert audio.sample_rate == 16000 and audio.samples.dtype == np.float32
    assert 0.9 < audio.duration < 1.2  # AAC adds encoder priming / padding
    assert abs(dominant_frequency(audio.samples, 16000) - 440.0) < 5.0


def test_a_truncated_mp4_raises_clip_error(tmp_path):
    path = write_container(tmp_path / "clip.mp4")
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ClipError, match="clip.mp4"):
        decode_audio(path, "c", 16000)


def test_without_pyav_an_undecodable_container_error_says_to_install_pyav_or_ffmpeg(tmp_path, monkeypatch):
    import librosa

    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    monkeypatch.setitem(sys.modules, "av", None)  # import av -> ImportError

    def no_backend(*args, **kwargs):
        raise RuntimeError("no audioread backend")

    monkeypatch.setattr(librosa, "load", no_backend)
    with pytest.raises(ClipError) as info:
        decode_audio(path, "c", 16000)
    assert "PyAV" in info.value.reason and "ffmpeg" in info.value.reason and str(path) in info.value.reason
