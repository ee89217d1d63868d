"""MFCC extractors (librosa): the frame sequence for recurrent models, and its statistics for classical ones.

``mfcc-sequence`` feeds sequence models such as cuny2020's LSTM; ``mfcc-stats``
(mean and standard deviation over frames) feeds SVMs and other vector models.
Silence gives finite features (the mel power floor is librosa's ``amin``).
"""

from __future__ import annotations

from typing import ClassVar

import librosa
import numpy as np
from pydantic import Field, model_validator

from avbench import hookimpl
from avbench.contract import OutputKind

from .base import AudioExtractor, AudioParams, LibrosaFeatures, delta_stack


class MfccParams(AudioParams):
    """MFCC analysis: defaults are 32 ms windows every 10 ms at 16 kHz."""

    n_mfcc: int = Field(40, ge=1, le=128, description="MFCC coefficients per frame")
    n_mels: int = Field(64, ge=1, le=512, description="mel bands the coefficients are computed from")
    n_fft: int = Field(512, ge=16, description="FFT size (samples)")
    hop_length: int = Field(160, ge=1, description="samples between frames (160 at 16 kHz: 10 ms)")
    win_length: int | None = Field(None, ge=1, description="window length (samples); None: n_fft")
    fmin: float = Field(0.0, ge=0, description="lowest mel frequency (Hz)")
    fmax: float | None = Field(None, gt=0, description="highest mel frequency (Hz); None: sample_rate / 2")
    deltas: int = Field(0, ge=0, le=2, description="how many delta orders to append (0, 1 or 2)")

    @model_validator(mode="after")
    def _consistent(self) -> "MfccParams":
        if self.n_mfcc > self.n_mels:
            raise ValueError(f"n_mfcc ({self.n_mfcc}) cannot exceed n_mels ({self.n_mels})")
        if self.win_length is not None and self.win_length > self.n_fft:
            raise ValueError(f"win_length ({self.win_length}) cannot exceed n_fft ({self.n_fft})")
        if self.fmax is not None and self.fmax > self.sample_rate / 2:
            raise ValueError(f"fmax ({self.fmax}) is above the Nyquist frequency ({self.sample_rate / 2})")
        return self


def mfcc_frames(samples: np.ndarray, sample_rate: int, p: MfccParams) -> np.ndarray:
    """MFCCs (plus deltas) of ``samples``: ``[n_mfcc * (deltas + 1), T]``."""
    mfcc = librosa.feature.mfcc(y=samples, sr=sample_rate, n_mfcc=p.n_mfcc, n_mels=p.n_mels, n_fft=p.n_fft,
                                hop_length=p.hop_length, win_length=p.win_length, fmin=p.fmin, fmax=p.fmax)
    return delta_stack(mfcc, p.deltas)


class MfccSequence(LibrosaFeatures, AudioExtractor):
    """MFCC (+ optional deltas) per frame: ``[T, n_mfcc * (deltas + 1)]``, T varying with clip length."""

    name = "mfcc-sequence"
    version = "1.0"
    output_kind: ClassVar[OutputKind] = OutputKind.SEQUENCE

    class Params(MfccParams):
        pass

    def output_shape(self) -> tuple[int | None, ...]:
        return (None, self.params.n_mfcc * (self.params.deltas + 1))

    def compute(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        return mfcc_frames(samples, sample_rate, self.params).T


class MfccStats(LibrosaFeatures, AudioExtractor):
    """MFCC + deltas, mean then standard deviation over frames: ``[2 * n_mfcc * (deltas + 1)]``."""

    name = "mfcc-stats"
    version = "1.0"
    output_kind: ClassVar[OutputKind] = OutputKind.VECTOR

    class Params(MfccParams):
        deltas: int = Field(1, ge=0, le=2, description="how many delta orders to append (0, 1 or 2)")

    def output_shape(self) -> tuple[int | None, ...]:
        return (2 * self.params.n_mfcc * (self.params.deltas + 1),)

    def compute(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        frames = mfcc_frames(samples, sample_rate, self.params)
        return np.concatenate([frames.mean(axis=1), frames.std(axis=1)])


@hookimpl
def avbench_plugins() -> list[type]:
    return [MfccSequence, MfccStats]
