"""Extractor checks: declared kind, shape and dtype; finite; deterministic; edge media handled."""

from __future__ import annotations

from functools import partial
from typing import Any, Callable, Iterator

import numpy as np

from avbench.contract import OUTPUT_NDIM, Clip, ClipError, Extractor, OutputKind, Plugin, ResourceMissingError

from .. import media
from ..hooks import declared_clips, make_plugin
from ..results import CheckSkipped
from ..sandbox import Workspace
from .common import Check, roundtrip, yield_common_checks

#: Axes whose length must not depend on the clip (models stack or batch over them).
FIXED_AXES = {
    OutputKind.VECTOR: (0,),
    OutputKind.SEQUENCE: (1,),
    OutputKind.SPECTROGRAM: (0,),
    OutputKind.IMAGE_STACK: (1, 2),
}

EDGE_CASES = {
    "audio": {"check_short_audio": "short", "check_silent_audio": "silence", "check_long_audio": "long"},
    "video": {"check_video_without_face": "no-face", "check_single_frame_video": "single-frame"},
}


def reference_clips(cls: type[Extractor], ws: Workspace) -> list[Clip]:
    """The plugin's own ``conformance_clips``, else the generated standard clip (audio + face video)."""
    return declared_clips(cls, ws.data) or [media.standard_clip()]


def extract_reference(cls: type[Extractor], plugin: Extractor, clips: list[Clip]) -> list[np.ndarray]:
    """Features of every reference clip; a ClipError here is a failure (or a skip for a drawn face)."""
    arrays = []
    for clip in clips:
        try:
            arrays.append(plugin.extract(clip))
        except ClipError as exc:
            generated = clip.clip_id == "conformance-standard"
            if generated and cls.modality.value == "video" and not media.face_image().photographic:
                raise CheckSkipped("the generated face is drawn (scikit-image is not installed) and the "
                                   f"extractor found no usable face: {exc}") from None
            what = media.describe(cls.modality.value, "speech" if cls.modality.value == "audio" else "face") \
                if generated else f"conformance clip {clip.clip_id}"
            raise AssertionError(f"raised ClipError on the everyday input ({what}): {exc}") from None
    return arrays


def assert_valid_output(cls: type[Extractor], array: Any, what: str) -> None:
    kind = cls.output_kind
    assert isinstance(array, np.ndarray), f"{what}: returned {type(array).__name__}, expected a numpy array"
    assert array.dtype == np.float32, f"{what}: dtype {array.dtype}, expected float32"
    assert array.ndim == OUTPUT_NDIM[kind], (
        f"{what}: shape {array.shape} has {array.ndim} dimension(s), but output_kind {kind.value!r} "
        f"needs {OUTPUT_NDIM[kind]}")
    assert all(n > 0 for n in array.shape), f"{what}: empty shape {array.shape}"


def fixed_shape(cls: type[Extractor], array: np.ndarray) -> tuple[int, ...]:
    return tuple(array.shape[i] for i in FIXED_AXES[cls.output_kind])


def assert_finite(array: np.ndarray, what: str) -> None:
    bad = ~np.isfinite(array)
    assert not bad.any(), f"{what}: {int(bad.sum())} of {array.size} values are NaN or inf"


def run_extractor(cls: type[Extractor], body: Callable[[Extractor, list[Clip], Workspace], None]) -> None:
    with Workspace() as ws:
        clips = reference_clips(cls, ws)
        with ws.entered():
            body(make_plugin(cls, ws), clips, ws)


def check_output_kind_shape_dtype(cls: type[Extractor]) -> None:
    """One float32 array per clip with the dimensions ``output_kind`` declares, fixed axes equal across clips."""
    def body(plugin: Extractor, clips: list[Clip], ws: Workspace) -> None:
        arrays = extract_reference(cls, plugin, clips)
        for clip, array in zip(clips, arrays):
            assert_valid_output(cls, array, clip.clip_id)
        shapes = {fixed_shape(cls, a) for a in arrays}
        assert len(shapes) == 1, f"axes {FIXED_AXES[cls.output_kind]} differ between clips: {sorted(shapes)}"
    run_extractor(cls, body)


def check_output_finite(cls: type[Extractor]) -> None:
    """No NaN or inf in the features of everyday clips."""
    def body(plugin: Extractor, clips: list[Clip], ws: Workspace) -> None:
        for clip, array in zip(clips, extract_reference(cls, plugin, clips)):
            assert_finite(np.asarray(array, dtype=np.float64), clip.clip_id)
    run_extractor(cls, body)


def assert_same(a: list[np.ndarray], b: list[np.ndarray], what: str) -> None:
    for x, y in zip(a, b):
        assert np.shape(x) == np.shape(y), f"{what}: shapes {np.shape(x)} and {np.shape(y)}"
        if not np.allclose(x, y, rtol=1e-5, atol=1e-6, equal_nan=True):
            diff = np.nanmax(np.abs(np.asarray(x, np.float64) - np.asarray(y, np.float64)))
            raise AssertionError(f"{what}: outputs differ (max abs difference {diff:.3g}); seed every random "
                                 "step from params or context.seed")


def check_deterministic(cls: type[Extractor]) -> None:
    """The same clip and seed give the same features: twice from one instance, and from a fresh one."""
    with Workspace() as ws:
        clips = reference_clips(cls, ws)
        with ws.entered():
            first = make_plugin(cls, ws, cache="cache-a")
            a = extract_reference(cls, first, clips)
            assert_same(a, extract_reference(cls, first, clips), "same instance, called twice")
            b = extract_reference(cls, make_plugin(cls, ws, cache="cache-b"), clips)
            assert_same(a, b, "two instances with the same seed")


def check_picklable_after_use(cls: type[Extractor]) -> None:
    """After extracting (resources loaded), the plugin still pickles and the copy gives the same features."""
    def body(plugin: Extractor, clips: list[Clip], ws: Workspace) -> None:
        before = extract_reference(cls, plugin, clips)
        assert_same(before, extract_reference(cls, roundtrip(plugin), clips), "after pickling")
    run_extractor(cls, body)


def check_edge_case(cls: type[Extractor], case: str) -> None:
    """An edge input gives valid features (finite, same fixed axes) or a ClipError for that clip; nothing else."""
    modality = cls.modality.value
    what = media.describe(modality, case)

    def body(plugin: Extractor, clips: list[Clip], ws: Workspace) -> None:
        edge = media.clip(modality, case)
        try:
            array = plugin.extract(edge)
        except ClipError as exc:
            assert exc.clip_id == edge.clip_id, (
                f"{what}: ClipError names clip {exc.clip_id!r}, expected {edge.clip_id!r}")
            return
        except (ResourceMissingError, CheckSkipped):
            raise
        except Exception as exc:
            raise AssertionError(f"{what}: raised {type(exc).__name__}: {exc}; a clip that cannot be used must "
                                 "raise ClipError(clip.clip_id, reason)") from exc
        assert_valid_output(cls, array, what)
        assert_finite(np.asarray(array, dtype=np.float64), what)
        try:
            reference = extract_reference(cls, plugin, clips)[0]
        except (AssertionError, CheckSkipped):
            return  # the everyday-input checks report that problem
        assert fixed_shape(cls, array) == fixed_shape(cls, reference), (
            f"{what}: shape {array.shape}, but the everyday clip gives {reference.shape}; axes "
            f"{FIXED_AXES[cls.output_kind]} must not depend on the clip")
    run_extractor(cls, body)


def workload(cls: type[Plugin], ws: Workspace) -> Callable[[Plugin], Any]:
    clips = reference_clips(cls, ws)  # type: ignore[arg-type]
    return lambda plugin: extract_reference(cls, plugin, clips)  # type: ignore[arg-type]


def yield_checks(cls: type[Extractor]) -> Iterator[tuple[str, Check]]:
    yield from yield_common_checks(cls, workload)
    yield "check_output_kind_shape_dtype", partial(check_output_kind_shape_dtype, cls)
    yield "check_output_finite", partial(check_output_finite, cls)
    yield "check_deterministic", partial(check_deterministic, cls)
    yield "check_picklable_after_use", partial(check_picklable_after_use, cls)
    for name, case in EDGE_CASES.get(cls.modality.value, {}).items():
        yield name, partial(check_edge_case, cls, case)
