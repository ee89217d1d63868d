"""A voiced, speech-like signal: harmonics shaped by moving vowel formants, syllable by syllable.

Source-filter synthesis in the harmonic domain: the amplitude of harmonic ``k`` is
the vocal-tract response (three formant resonances) at ``k * f0(t)`` times a
spectral tilt, so pitch contour, syllable rate, loudness, brightness and breathiness
each carry the emotion while the actor's base pitch and formant scale carry identity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .styles import ActorTraits, EmotionStyle

# (F1, F2, F3) in Hz of an adult male vowel; scaled by the actor's formant_scale.
VOWELS = {"a": (730, 1090, 2440), "e": (530, 1840, 2480), "i": (270, 2290, 3010),
          "o": (570, 840, 2410), "u": (300, 870, 2240), "ae": (660, 1720, 2410)}
BANDWIDTHS = np.array([80.0, 100.0, 150.0])
# The vowel sequence of each RAVDESS statement ("Kids are talking by the door", "Dogs are sitting by the door").
STATEMENT_VOWELS = {1: ("i", "a", "o", "i", "a", "e", "o"), 2: ("o", "a", "i", "i", "a", "e", "o")}
MAX_HARMONIC_HZ = 6000.0
FRAME_HOP = 80  # samples between control points (5 ms at 16 kHz)


@dataclass(frozen=True)
class Voice:
    """A synthesised utterance and its loudness envelope (what moves the mouth)."""

    signal: np.ndarray     # float32, [-1, 1]
    envelope: np.ndarray   # float32, per sample, 0..1
    sample_rate: int


def contour_shape(name: str, u: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Intonation over the utterance (``u`` in 0..1), in units of the pitch range."""
    if name == "fall":
        return 0.5 - u
    if name == "flat":
        return 0.1 * np.sin(np.pi * u)
    if name == "arch":
        return np.sin(np.pi * u) - 0.3
    if name == "rise":
        return -0.3 + 1.3 * u ** 2
    if name == "fall-rise":
        return 0.5 * np.cos(2 * np.pi * u)
    if name == "tremble":
        return 0.5 - u + 0.25 * np.sin(2 * np.pi * 6.0 * t)
    raise ValueError(f"unknown intonation contour {name!r}")


def smooth_noise(rng: np.random.Generator, n: int, smoothness: int) -> np.ndarray:
    """Zero-mean, unit-variance noise low-passed over about ``smoothness`` points."""
    raw = rng.normal(size=n + 2 * smoothness)
    kernel = np.hanning(2 * smoothness + 1)
    out = np.convolve(raw, kernel / kernel.sum(), mode="same")[smoothness:smoothness + n]
    return out / (out.std() + 1e-9)


def syllable_envelope(n_frames: int, hop_s: float, start: float, end: float, rate: float,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Syllable loudness envelope on the control grid, and each syllable's centre time."""
    count = max(3, int(round(rate * (end - start))))
    edges = np.linspace(start, end, count + 1)
    edges[1:-1] += rng.uniform(-0.2, 0.2, count - 1) * (end - start) / count
    t = np.arange(n_frames) * hop_s
    env = np.zeros(n_frames)
    for i in range(count):
        a, b = edges[i], edges[i + 1]
        voiced_end = a + (b - a) * rng.uniform(0.65, 0.85)
        inside = (t >= a) & (t < voiced_end)
        phase = (t[inside] - a) / (voiced_end - a)
        stress = rng.uniform(0.6, 1.0) if i not in (0, count - 1) else rng.uniform(0.8, 1.0)
        env[inside] = stress * np.sin(np.pi * phase) ** 0.6
    return env, (edges[:-1] + edges[1:]) / 2


def synthesise_voice(style: EmotionStyle, actor: ActorTraits, statement: int, seconds: float,
                     sample_rate: int, rng: np.random.Generator) -> Voice:
    """One utterance of ``statement`` in ``style`` by ``actor`` (deterministic given ``rng``)."""
    n = int(round(seconds * sample_rate))
    n_frames = n // FRAME_HOP + 2
    hop_s = FRAME_HOP / sample_rate
    t_frames = np.arange(n_frames) * hop_s
    start = rng.uniform(0.08, 0.18)
    end = seconds - rng.uniform(0.08, 0.18)
    env, centres = syllable_envelope(n_frames, hop_s, start, end, style.rate, rng)
    if style.tremolo > 0:
        env = env * (1 - style.tremolo * 0.5 * (1 + np.sin(2 * np.pi * rng.uniform(5, 8) * t_frames)))

    u = np.clip((t_frames - start) / (end - start), 0, 1)
    semitones = (style.pitch + style.pitch_range * contour_shape(style.contour, u, t_frames)
                 + (style.jitter + 0.05) * smooth_noise(rng, n_frames, 8))
    f0_frames = actor.base_f0 * 2 ** (semitones / 12)

    vowels = STATEMENT_VOWELS[statement]
    picks = [vowels[i % len(vowels)] for i in range(len(centres))]
    targets = np.array([VOWELS[v] for v in picks], dtype=float) * actor.formant_scale
    targets *= rng.uniform(0.94, 1.06, targets.shape)
    formants = np.stack([np.interp(t_frames, centres, targets[:, j]) for j in range(3)])  # [3, frames]

    k_max = int(MAX_HARMONIC_HZ // f0_frames.min())
    k = np.arange(1, k_max + 1)[:, None]
    freqs = k * f0_frames[None, :]                                              # [K, frames]
    response = np.ones_like(freqs)
    for j in range(3):
        f_res, bw = formants[j][None, :], BANDWIDTHS[j]
        response *= f_res ** 2 / np.sqrt((f_res ** 2 - freqs ** 2) ** 2 + (bw * freqs) ** 2)
    amps = (response * k ** (-style.tilt) * (freqs < MAX_HARMONIC_HZ)).astype(np.float32)  # [K, frames]

    # control grid -> samples (linear interpolation), phase from the running pitch
    pos = np.arange(n) / FRAME_HOP
    i0 = pos.astype(int)
    w = (pos - i0).astype(np.float32)
    f0 = f0_frames[i0] * (1 - w) + f0_frames[i0 + 1] * w
    phase = (2 * np.pi * np.cumsum(f0) / sample_rate + rng.uniform(0, 2 * np.pi)) % (2 * np.pi)
    amp_s = amps[:, i0] * (1 - w) + amps[:, i0 + 1] * w
    voiced = np.einsum("kt,kt->t", amp_s, np.sin(k.astype(np.float32) * phase.astype(np.float32)[None, :]))
    voiced /= np.abs(voiced).max() + 1e-9

    env_s = env[i0] * (1 - w) + env[i0 + 1] * w
    breath = np.diff(rng.normal(size=n + 1)) * 0.5                              # high-tilted noise
    speech = env_s * (voiced + style.breath * 3.0 * breath)

    level = 0.08 * 10 ** (style.loudness / 20)
    speech *= level / (np.sqrt(np.mean(speech ** 2)) + 1e-9) * 0.5
    snr_db = rng.uniform(15, 30)
    noise = smooth_noise(rng, n, 2) * np.sqrt(np.mean(speech ** 2)) * 10 ** (-snr_db / 20)
    signal = np.clip(speech + noise, -1, 1).astype(np.float32)
    envelope = (env_s / (env_s.max() + 1e-9)).astype(np.float32)
    return Voice(signal, envelope, sample_rate)
