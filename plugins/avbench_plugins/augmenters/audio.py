"""Audio augmentation as the ravdess-cnn text does it: additive noise, pitch shift, time shift.

The text (seed 003) generates new training clips by adding noise, changing the
pitch and shifting in time, and balances classes by augmenting minority classes
more. Each augmented copy applies each operation with its own probability; when the
draw picks none, one of them is applied anyway (chosen in proportion to the
probabilities), so that no copy is a plain duplicate. The runner calls this on
training-fold clips only; everything random comes from the ``rng`` it passes.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from avbench import hookimpl
from avbench.contract import Augmenter, AudioSignal, Modality, Params


def balanced_copies(labels: np.ndarray, copies: int) -> np.ndarray:
    """Copies per clip so that every class ends with as many clips (originals + copies) as the largest.

    The largest class gets ``copies`` per clip, so each class totals
    ``majority * (copies + 1)``; a smaller class shares its shortfall over its clips,
    the earlier clips (in the given order) taking one extra when it does not divide evenly.
    """
    labels = np.asarray(labels)
    out = np.zeros(len(labels), dtype=int)
    if len(labels) == 0:
        return out
    classes, counts = np.unique(labels, return_counts=True)
    target = int(counts.max()) * (copies + 1)
    for cls, n in zip(classes, counts):
        idx = np.flatnonzero(labels == cls)
        extra, remainder = divmod(target - int(n), int(n))
        out[idx] = extra
        out[idx[:remainder]] += 1
    return out


class AudioAugment(Augmenter):
    """Noise at a random SNR, pitch shift by random semitones, random time shift; optional class balancing."""

    name = "audio-augment"
    version = "1.0"
    modality: ClassVar[Modality] = Modality.AUDIO

    class Params(Params):
        copies: int = Field(1, ge=0, description="augmented variants per training clip (per majority-class clip "
                                                 "when balance is set)")
        balance: bool = Field(False, description="give minority classes more copies so every class reaches the "
                                                 "majority class's count")
        noise_prob: float = Field(0.5, ge=0, le=1, description="probability that a copy gets white noise")
        noise_snr_db: tuple[float, float] = Field((15.0, 30.0), description="SNR range (dB) of the noise, "
                                                                            "relative to the clip's RMS")
        pitch_prob: float = Field(0.5, ge=0, le=1, description="probability that a copy is pitch-shifted")
        pitch_semitones: float = Field(2.0, ge=0, le=12, description="largest shift, up or down, in semitones")
        shift_prob: float = Field(0.5, ge=0, le=1, description="probability that a copy is shifted in time")
        shift_seconds: float = Field(0.25, ge=0, description="largest time shift, either way, in seconds")
        shift_fill: Literal["roll", "zeros"] = Field("roll", description="wrap samples around or fill with silence")

        @model_validator(mode="after")
        def _ranges(self) -> "AudioAugment.Params":
            low, high = self.noise_snr_db
            if low > high:
                raise ValueError(f"noise_snr_db must be (low, high), got {self.noise_snr_db}")
            return self

    def copies_per_clip(self, labels: np.ndarray) -> np.ndarray:
        if self.params.balance:
            return balanced_copies(labels, self.params.copies)
        return np.full(len(labels), self.params.copies, dtype=int)

    def augment(self, raw: AudioSignal, rng: np.random.Generator) -> AudioSignal:
        p = self.params
        samples = np.asarray(raw.samples, dtype=np.float32)
        probs = np.array([p.noise_prob, p.pitch_prob, p.shift_prob])
        apply = rng.random(3) < probs
        if not apply.any() and probs.sum() > 0:
            apply[rng.choice(3, p=probs / probs.sum())] = True
        snr_db = rng.uniform(*p.noise_snr_db)
        semitones = rng.uniform(-p.pitch_semitones, p.pitch_semitones)
        shift = int(round(rng.uniform(-p.shift_seconds, p.shift_seconds) * raw.sample_rate))
        if apply[1] and semitones != 0:
            samples = pitch_shift(samples, raw.sample_rate, semitones)
        if apply[2] and shift != 0:
            samples = time_shift(samples, shift, p.shift_fill)
        if apply[0]:
            samples = add_noise(samples, snr_db, rng)
        samples = np.clip(samples, -1.0, 1.0).astype(np.float32)
        return _with_samples(raw, samples)


def add_noise(samples: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """White Gaussian noise at ``snr_db`` below the clip's RMS (silence stays silent)."""
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    noise = rng.standard_normal(samples.shape[0]) * (rms / 10 ** (snr_db / 20))
    return (samples + noise).astype(np.float32)


def pitch_shift(samples: np.ndarray, sample_rate: int, semitones: float) -> np.ndarray:
    """librosa's pitch shift (time stretch + resample): same length, pitch moved by ``semitones``."""
    import librosa

    return librosa.effects.pitch_shift(samples, sr=sample_rate, n_steps=semitones).astype(np.float32)


def time_shift(samples: np.ndarray, shift: int, fill: str) -> np.ndarray:
    """Move the signal ``shift`` samples later (earlier when negative), wrapping or zero-filling."""
    if fill == "roll":
        return np.roll(samples, shift)
    out = np.zeros_like(samples)
    if abs(shift) >= samples.shape[0]:
        return out
    if shift > 0:
        out[shift:] = samples[:-shift]
    else:
        out[:shift] = samples[-shift:]
    return out


def _with_samples(raw: Any, samples: np.ndarray) -> Any:
    """``raw`` with new samples, keeping its type and other fields (clip id, path)."""
    if dataclasses.is_dataclass(raw) and not isinstance(raw, type):
        return dataclasses.replace(raw, samples=samples)
    return AudioSignal(samples, raw.sample_rate)


@hookimpl
def avbench_plugins() -> list[type]:
    return [AudioAugment]
