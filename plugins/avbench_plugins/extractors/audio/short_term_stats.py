"""demokritos2022's clip vector: pyAudioAnalysis short-term features, mid-term statistics, long-term mean.

The text (seed 001): 50 ms short-term frames -> energy, zero-crossing rate, energy
entropy, spectral centroid / spread / entropy / flux / rolloff, 13 MFCCs, 12 chroma
bins + chroma deviation (34 features, plus their 34 frame-to-frame deltas); mean
and standard deviation of each over 1 s mid-term windows; the long-term average of
those -> one vector of ``2 * 68 = 136`` values. Normalisation is the model's job
(the classical models standardise on training data).

The short-term features come from pyAudioAnalysis itself
(``ShortTermFeatures.feature_extraction``). The mid-term step copies the window
arithmetic of ``MidTermFeatures.mid_feature_extraction`` in numpy rather than
importing it: that module imports ``audioBasicIO``, which needs eyed3 and pydub
(undeclared by pyAudioAnalysis 0.3.14) and the ``aifc``/``audioop`` modules that
Python 3.13 removed. Beat features (``compute_beat``) are left out, as for speech.
pyAudioAnalysis removes the DC offset and peak-normalises each clip itself.
"""

from __future__ import annotations

import warnings
from typing import ClassVar

import numpy as np
from pydantic import Field, model_validator

from avbench import hookimpl
from avbench.contract import OutputKind

from .base import AudioExtractor, AudioParams

N_SHORT_TERM = 34  # pyAudioAnalysis: 8 time/spectral + 13 MFCC + 13 chroma


def _short_term_module():
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scipy.fftpack deprecation notices inside pyAudioAnalysis
            from pyAudioAnalysis import ShortTermFeatures
    except ImportError as exc:
        raise ImportError(f"short-term-stats needs pyAudioAnalysis (pip install pyAudioAnalysis): {exc}") from exc
    return ShortTermFeatures


def mid_term_stats(short: np.ndarray, window: int, step: int, mid_window: int, mid_step: int) -> np.ndarray:
    """Mean then std of each short-term feature ``[F, T]`` over mid-term windows -> ``[2F, M]``.

    Same window arithmetic as pyAudioAnalysis' ``mid_feature_extraction`` (all in samples).
    """
    ratio = int(round((mid_window - (window - step)) / step))
    ratio = max(ratio, 1)
    hop = max(int(round(mid_step / step)), 1)
    starts = range(0, short.shape[1], hop)
    means = [short[:, s:s + ratio].mean(axis=1) for s in starts]
    stds = [short[:, s:s + ratio].std(axis=1) for s in starts]
    return np.concatenate([np.stack(means, axis=1), np.stack(stds, axis=1)], axis=0)


class ShortTermStats(AudioExtractor):
    """pyAudioAnalysis short-term features -> 1 s mid-term mean/std -> long-term mean: ``[136]``."""

    name = "short-term-stats"
    version = "1.0"
    cites = ('Giannakopoulos 2015, "pyAudioAnalysis: An Open-Source Python Library for Audio Signal Analysis", PLoS '
             'ONE 10(12)')
    libraries = AudioExtractor.libraries + ("pyAudioAnalysis", "numpy", "scipy")
    output_kind: ClassVar[OutputKind] = OutputKind.VECTOR

    class Params(AudioParams):
        short_window: float = Field(0.050, gt=0, description="short-term frame length (s)")
        short_step: float = Field(0.050, gt=0, description="short-term frame step (s)")
        mid_window: float = Field(1.0, gt=0, description="mid-term window length (s)")
        mid_step: float = Field(1.0, gt=0, description="mid-term window step (s)")
        deltas: bool = Field(True, description="append pyAudioAnalysis' frame-to-frame delta features")

        @model_validator(mode="after")
        def _windows(self) -> "ShortTermStats.Params":
            if self.mid_window < self.short_window:
                raise ValueError("mid_window must be at least short_window")
            return self

    def output_shape(self) -> tuple[int | None, ...]:
        return (2 * N_SHORT_TERM * (2 if self.params.deltas else 1),)

    def compute(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        p = self.params
        window, step = int(round(p.short_window * sample_rate)), int(round(p.short_step * sample_rate))
        if samples.size < window:
            raise ValueError(f"clip of {samples.size} samples is shorter than one {p.short_window * 1000:g} ms frame")
        short, _names = _short_term_module().feature_extraction(samples.astype(np.float64), sample_rate,
                                                                window, step, deltas=p.deltas)
        mid = mid_term_stats(short, window, step, int(round(p.mid_window * sample_rate)),
                             int(round(p.mid_step * sample_rate)))
        return mid.mean(axis=1)


@hookimpl
def avbench_plugins() -> list[type]:
    return [ShortTermStats]
