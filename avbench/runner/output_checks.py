"""Checks on what plugins hand back, before it is cached, used or scored.

Features: the declared rank and shape, non-empty, finite, and one size per fixed axis
across the clips of a fold. Probabilities: shape ``(clips, classes)``, finite,
non-negative, rows summing to one. A failure names the plugin and the first bad clip.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Sequence

import numpy as np

from avbench.contract import OUTPUT_NDIM, AvbenchError, Extractor, OutputKind
from avbench.contract.extractor import FIXED_AXES

#: A probability this far below zero is rounding (clipped to 0); further below is an error.
NEGATIVE_TOLERANCE = 1e-9
#: How far a row of probabilities may sum from one.
SUM_TOLERANCE = 1e-4


class InvalidOutputError(AvbenchError):
    """A plugin's output cannot be used: wrong shape, NaN, probabilities that are not probabilities."""


def declared_shape(extractor: Extractor) -> tuple[int | None, ...] | None:
    """The shape ``extractor`` declares for its outputs, or None when it declares none."""
    try:
        shape = extractor.output_shape()
    except NotImplementedError:
        return None
    return None if shape is None else tuple(shape)


def _matches(shape: tuple[int, ...], expected: tuple[int | None, ...]) -> bool:
    return len(shape) == len(expected) and all(e is None or e == s for e, s in zip(expected, shape))


def checked_features(extractor: Extractor, value: Any, clip_id: str | None = None) -> np.ndarray:
    """The extractor's output as float32, refusing the wrong rank or declared shape, emptiness and NaN/inf."""
    where = f"clip {clip_id}: " if clip_id else ""
    array = np.asarray(value, dtype=np.float32)
    want = OUTPUT_NDIM[extractor.output_kind]
    if array.ndim != want:
        raise InvalidOutputError(f"{where}{extractor.name} declared {extractor.output_kind.value} ({want}-D) "
                                 f"but gave shape {array.shape}")
    if array.size == 0:
        raise InvalidOutputError(f"{where}{extractor.name} gave an empty array {array.shape}")
    expected = declared_shape(extractor)
    if expected is not None and not _matches(array.shape, expected):
        raise InvalidOutputError(f"{where}{extractor.name} gave shape {array.shape}, expected {expected} "
                                 f"as its output_shape declares (None: any size)")
    if not np.isfinite(array).all():
        raise InvalidOutputError(f"{where}{extractor.name} gave NaN or inf values")
    return array


class FixedAxes:
    """Holds one branch's sizes on the fixed axes of its output kind, set by the first batch of a fold.

    The reference is the most common shape in the first batch, so the odd clip is the one named.
    """

    def __init__(self, branch: str, extractor: str, kind: OutputKind) -> None:
        self.branch, self.extractor, self.axes = branch, extractor, FIXED_AXES[kind]
        self.reference: tuple[str, tuple[int, ...]] | None = None  # (clip id, full shape)

    def _sizes(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(shape[i] for i in self.axes)

    def check(self, clip_ids: Sequence[str], arrays: Sequence[np.ndarray]) -> None:
        if not arrays:
            return
        if self.reference is None:
            sizes = [self._sizes(a.shape) for a in arrays]
            common = Counter(sizes).most_common(1)[0][0]
            i = sizes.index(common)
            self.reference = (str(clip_ids[i]), tuple(arrays[i].shape))
        ref_clip, ref_shape = self.reference
        for clip_id, array in zip(clip_ids, arrays):
            if self._sizes(array.shape) != self._sizes(ref_shape):
                raise InvalidOutputError(
                    f"branch {self.branch!r}: clip {clip_id} has {self.extractor} features of shape "
                    f"{tuple(array.shape)} but clip {ref_clip} has {ref_shape}; one extractor setting must "
                    f"give the same size on axes {self.axes} for every clip")


def checked_probabilities(proba: Any, clip_ids: Sequence[str], n_classes: int, who: str) -> np.ndarray:
    """``proba`` as float64 ``(clips, classes)`` rows that are probabilities; tiny negative rounding is clipped.

    ``who`` names the plugin (``model 'svm-rbf'``); the error names the first bad clip and what is wrong.
    """
    expected = f"expected {n_classes} finite, non-negative values summing to 1"
    try:
        array = np.asarray(proba, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidOutputError(f"{who} gave probabilities that are not a numeric array ({exc})") from None
    want = (len(clip_ids), n_classes)
    if array.shape != want:
        raise InvalidOutputError(f"{who} gave probabilities of shape {array.shape}; expected {want} "
                                 f"(clips x classes)")
    finite = np.isfinite(array)
    with np.errstate(invalid="ignore"):
        negative = finite & (array < -NEGATIVE_TOLERANCE)
        bad_sum = finite.all(axis=1) & (np.abs(array.sum(axis=1) - 1.0) > SUM_TOLERANCE)
    bad = ~finite.all(axis=1) | negative.any(axis=1) | bad_sum
    if bad.any():
        row = int(np.argmax(bad))
        values = array[row]
        if not finite[row].all():
            kinds = " and ".join(k for k, hit in (("NaN", np.isnan(values).any()), ("inf", np.isinf(values).any()))
                                 if hit)
            what = f"{kinds} probabilities ({int((~finite[row]).sum())} of {n_classes} values)"
        elif negative[row].any():
            what = f"negative probabilities (down to {values.min():.6g})"
        else:
            what = f"probabilities summing to {values.sum():.6g}"
        more = f" and {int(bad.sum()) - 1} more clip(s)" if bad.sum() > 1 else ""
        raise InvalidOutputError(f"{who} gave {what} for clip {clip_ids[row]}{more}; {expected}")
    return np.clip(array, 0.0, None)
