"""What every audio extractor shares: decoding, the output checks, and the error policy.

Subclasses implement :meth:`AudioExtractor.compute` (samples -> array) and
:meth:`AudioExtractor.output_shape`; :meth:`features` turns whatever goes wrong
for one clip (too short for the analysis window, a non-finite value) into a
:class:`ClipError` naming the clip and file, so no NaN ever leaves an extractor.
"""

from __future__ import annotations

import warnings
from typing import ClassVar

import numpy as np
from librosa.util.exceptions import ParameterError
from pydantic import Field

from avbench.contract import AudioSignal, Clip, ClipError, Extractor, Modality, Params

from .decode import LoadedAudio, load_clip_audio


class AudioParams(Params):
    """Decoding parameters every audio extractor has."""

    sample_rate: int = Field(16000, gt=0, le=384000, description="rate (Hz) the audio is resampled to")
    duration: float | None = Field(None, gt=0, description="cut / zero-pad every clip to this many seconds")
    offset: float = Field(0.0, ge=0, description="seconds skipped at the start of every clip")


class LibrosaFeatures:
    """Mixin of the extractors computed with librosa: a worker loads it before its first clip.

    ``librosa.feature`` loads librosa's core modules, scipy.signal and librosa's compiled numba kernels
    (about 1.5 s on this project's machine): work every worker does once, now while the run still plans.
    """

    @classmethod
    def warm_up(cls) -> None:
        import librosa

        librosa.feature.delta  # noqa: B018 (loading the lazily loaded module is the point)


class AudioExtractor(Extractor):
    """Base of the audio extractors (not a plugin itself)."""

    modality: ClassVar[Modality] = Modality.AUDIO
    Params: ClassVar[type[AudioParams]] = AudioParams

    #: Libraries whose version can change this extractor's numbers: recorded with every fold, never keyed.
    libraries: ClassVar[tuple[str, ...]] = ("librosa", "soxr", "soundfile", "av")

    def load(self, clip: Clip) -> LoadedAudio:
        p = self.params
        return load_clip_audio(clip, p.sample_rate, duration=p.duration, offset=p.offset)

    def decoding(self) -> tuple:
        """Settings with the same ``load`` and decoding parameters share one decoded copy of each clip."""
        p = self.params
        return (type(self).load, p.sample_rate, p.duration, p.offset)

    def output_shape(self) -> tuple[int | None, ...]:
        """The shape every output has; ``None`` for an axis that varies per clip (frames)."""
        raise NotImplementedError

    def compute(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        """The feature array of mono float32 ``samples`` (subclasses implement)."""
        raise NotImplementedError

    def features(self, raw: AudioSignal) -> np.ndarray:
        clip_id = getattr(raw, "clip_id", "<unknown clip>")
        where = getattr(raw, "path", "") or clip_id
        if raw.sample_rate != self.params.sample_rate:
            raise ClipError(clip_id, f"{where}: audio at {raw.sample_rate} Hz, {self.name} expects "
                                     f"{self.params.sample_rate} Hz (decode with this extractor's load)")
        samples = np.asarray(raw.samples, dtype=np.float32)
        if samples.ndim != 1 or samples.size == 0:
            raise ClipError(clip_id, f"{where}: expected non-empty mono samples, got shape {samples.shape}")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # librosa/opensmile short-input warnings: checked below
                out = np.asarray(self.compute(samples, raw.sample_rate), dtype=np.float32)
        except ClipError:
            raise
        except (ValueError, ArithmeticError, ParameterError) as exc:
            raise ClipError(clip_id, f"{where}: {self.name} failed: {type(exc).__name__}: {exc}") from None
        if not np.isfinite(out).all():
            raise ClipError(clip_id, f"{where}: {self.name} gave {int((~np.isfinite(out)).sum())} non-finite "
                                     f"values (clip of {samples.size / raw.sample_rate:.3f} s may be too short)")
        expected = self.output_shape()
        if out.ndim != len(expected) or any(e is not None and e != s for e, s in zip(expected, out.shape)):
            raise ClipError(clip_id, f"{where}: {self.name} gave shape {out.shape}, declared {expected} "
                                     f"(clip of {samples.size / raw.sample_rate:.3f} s may be too short)")
        return np.ascontiguousarray(out)


def delta_stack(features: np.ndarray, order: int) -> np.ndarray:
    """``features`` [D, T] with its first ``order`` time derivatives stacked below: [D * (order + 1), T].

    librosa's Savitzky-Golay deltas over 9 frames; clips with fewer frames use the
    widest odd window that fits (at least 3, edge-padded).
    """
    import librosa

    if order == 0:
        return features
    n = features.shape[-1]
    width = 9 if n >= 9 else max(3, n - (1 - n % 2))
    mode = "interp" if n >= width else "nearest"
    parts = [features] + [librosa.feature.delta(features, width=width, order=k, mode=mode)
                          for k in range(1, order + 1)]
    return np.concatenate(parts, axis=0)
