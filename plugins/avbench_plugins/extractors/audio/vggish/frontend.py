"""VGGish input examples: 16 kHz mono samples -> log-mel patches ``[N, 96, 64]``.

Follows the AudioSet release's ``vggish_input.waveform_to_examples`` and
``mel_features.py`` (tensorflow/models, research/audioset/vggish) step by step,
because the pretrained weights only mean something on exactly those inputs:

* frames of 25 ms (400 samples) every 10 ms (160 samples), no centring or padding;
* periodic Hann window, magnitude of a 512-point FFT (257 bins);
* 64 triangular mel bands from 125 to 7500 Hz whose edges are equally spaced on the
  HTK mel scale ``1127 ln(1 + f / 700)`` and whose slopes are linear *in mel*
  (librosa's ``htk=True`` filters are linear in Hz, so they differ slightly), DC bin
  weighted 0, no area normalisation;
* ``log(mel + 0.01)``;
* non-overlapping examples of 96 frames (0.96 s); an incomplete last example is dropped.

One deliberate addition: a clip too short for one example (fewer than
:data:`MIN_SAMPLES` samples, i.e. under 0.975 s) is zero-padded at the end to
exactly one example instead of giving none, so every clip has at least one embedding.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SAMPLE_RATE = 16000
WINDOW = 400  # 25 ms
HOP = 160  # 10 ms
FFT_SIZE = 512  # next power of two above the window, as mel_features.log_mel_spectrogram computes it
NUM_BANDS = 64
MEL_MIN_HZ = 125.0
MEL_MAX_HZ = 7500.0
LOG_OFFSET = 0.01
EXAMPLE_FRAMES = 96  # 0.96 s of 10 ms frames, also the hop between examples
#: Samples that give exactly one example: 96 frames of 400 samples, 160 apart.
MIN_SAMPLES = WINDOW + (EXAMPLE_FRAMES - 1) * HOP


def hertz_to_mel(hertz: np.ndarray | float) -> np.ndarray:
    """HTK mel scale, as ``mel_features.hertz_to_mel``."""
    return 1127.0 * np.log(1.0 + np.asarray(hertz, dtype=np.float64) / 700.0)


def periodic_hann(length: int) -> np.ndarray:
    """Hann window of period ``length`` (not ``length - 1`` like ``np.hanning``)."""
    return 0.5 - 0.5 * np.cos(2.0 * np.pi / length * np.arange(length))


@lru_cache(maxsize=4)
def mel_matrix(num_bands: int = NUM_BANDS, num_bins: int = FFT_SIZE // 2 + 1, sample_rate: int = SAMPLE_RATE,
               lower_hz: float = MEL_MIN_HZ, upper_hz: float = MEL_MAX_HZ) -> np.ndarray:
    """``[num_bins, num_bands]`` weights post-multiplying STFT magnitudes (``spectrogram_to_mel_matrix``)."""
    nyquist = sample_rate / 2.0
    if not 0.0 <= lower_hz < upper_hz <= nyquist:
        raise ValueError(f"mel band edges must satisfy 0 <= {lower_hz} < {upper_hz} <= Nyquist {nyquist}")
    bins_mel = hertz_to_mel(np.linspace(0.0, nyquist, num_bins))
    edges = np.linspace(hertz_to_mel(lower_hz), hertz_to_mel(upper_hz), num_bands + 2)
    lower, centre, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (bins_mel[:, None] - lower) / (centre - lower)
    falling = (upper - bins_mel[:, None]) / (upper - centre)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights[0, :] = 0.0  # HTK leaves out the DC bin
    weights.setflags(write=False)
    return weights


def stft_magnitude(samples: np.ndarray) -> np.ndarray:
    """``[frames, 257]`` FFT magnitudes of the periodic-Hann-windowed 400-sample frames, 160 apart."""
    frames = np.lib.stride_tricks.sliding_window_view(samples, WINDOW)[::HOP]
    return np.abs(np.fft.rfft(frames * periodic_hann(WINDOW), FFT_SIZE))


def log_mel(samples: np.ndarray) -> np.ndarray:
    """``[frames, 64]`` stabilised log-mel spectrogram of 16 kHz samples (at least one window long)."""
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 1 or samples.size < WINDOW:
        raise ValueError(f"need mono samples of at least {WINDOW}, got shape {samples.shape}")
    return np.log(stft_magnitude(samples) @ mel_matrix() + LOG_OFFSET)


def waveform_to_examples(samples: np.ndarray) -> np.ndarray:
    """``[N, 96, 64]`` float32 log-mel examples of mono 16 kHz ``samples`` (N >= 1; short clips zero-padded)."""
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 1 or samples.size == 0:
        raise ValueError(f"need non-empty mono samples, got shape {samples.shape}")
    if samples.size < MIN_SAMPLES:
        samples = np.pad(samples, (0, MIN_SAMPLES - samples.size))
    spectrogram = log_mel(samples)
    n_examples = spectrogram.shape[0] // EXAMPLE_FRAMES
    examples = spectrogram[:n_examples * EXAMPLE_FRAMES].reshape(n_examples, EXAMPLE_FRAMES, NUM_BANDS)
    return examples.astype(np.float32)
