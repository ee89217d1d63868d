"""STFT spectrogram resized to a fixed image, as ristea2019 feeds its audio CNN.

The text (seed 004) computes an STFT magnitude spectrogram and, because clips differ
in length, resizes it "on the x axis" (time) to 192 x 120, the height being the same
for every signal. It gives no window sizes. Here a 382-sample FFT yields exactly
192 frequency bins (``n_fft // 2 + 1``), so by default only the time axis is
resized, as the text says; magnitudes are in dB relative to the clip's peak.
Time is shrunk with area averaging (OpenCV ``INTER_AREA``) and stretched linearly.
"""

from __future__ import annotations

from typing import ClassVar

import librosa
import numpy as np
from pydantic import Field

from avbench import hookimpl
from avbench.contract import OutputKind

from .base import AudioExtractor, AudioParams, LibrosaFeatures


class StftSpectrogram(LibrosaFeatures, AudioExtractor):
    """Log-magnitude STFT spectrogram resized to ``[height, width]`` (default ``[192, 120]``)."""

    name = "stft-spectrogram"
    version = "1.0"
    libraries = AudioExtractor.libraries + ("opencv-contrib-python",)
    output_kind: ClassVar[OutputKind] = OutputKind.SPECTROGRAM

    class Params(AudioParams):
        n_fft: int = Field(382, ge=16, description="FFT size; n_fft // 2 + 1 frequency bins (382 -> 192)")
        hop_length: int = Field(128, ge=1, description="samples between frames")
        win_length: int | None = Field(None, ge=1, description="window length (samples); None: n_fft")
        height: int = Field(192, ge=1, description="output rows (frequency)")
        width: int = Field(120, ge=1, description="output columns (time)")
        top_db: float | None = Field(80.0, gt=0, description="floor at this many dB below the peak; None: none")

    def output_shape(self) -> tuple[int | None, ...]:
        return (self.params.height, self.params.width)

    def compute(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        import cv2

        p = self.params
        magnitude = np.abs(librosa.stft(samples, n_fft=p.n_fft, hop_length=p.hop_length, win_length=p.win_length))
        spec = librosa.amplitude_to_db(magnitude, ref=np.max, top_db=p.top_db).astype(np.float32)
        rows, cols = spec.shape
        if (rows, cols) == (p.height, p.width):
            return spec
        shrink = cols > p.width or rows > p.height
        return cv2.resize(spec, (p.width, p.height), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


@hookimpl
def avbench_plugins() -> list[type]:
    return [StftSpectrogram]
