"""Augmenter checks: same media type out, deterministic for a given rng, input untouched, edge media."""

from __future__ import annotations

import copy
from functools import partial
from typing import Any, Callable, Iterator

import numpy as np

from avbench.contract import AudioSignal, Augmenter, ClipError, Plugin, ResourceMissingError, VideoFrames

from .. import media
from ..hooks import make_plugin
from ..results import CheckSkipped
from ..sandbox import Workspace
from .common import Check, yield_common_checks

EDGE_CASES = {
    "audio": {"check_short_audio": "short", "check_silent_audio": "silence"},
    "video": {"check_single_frame_video": "single-frame", "check_video_without_face": "no-face"},
}


def raw_input(cls: type[Augmenter], case: str | None = None) -> Any:
    """Decoded media of the augmenter's modality: 2 s speech-like audio, or 10 face frames."""
    if cls.modality.value == "audio":
        return media.audio_signal(case or "speech")
    return media.video_frames(case or "face")


def assert_valid(original: Any, out: Any, what: str) -> None:
    assert type(out) is type(original), f"{what}: returned {type(out).__name__}, expected {type(original).__name__}"
    if isinstance(out, AudioSignal):
        s = out.samples
        assert isinstance(s, np.ndarray) and s.ndim == 1 and len(s), f"{what}: samples must be a non-empty 1-D array"
        assert s.dtype == np.float32, f"{what}: samples dtype {s.dtype}, expected float32"
        assert np.isfinite(s).all(), f"{what}: samples contain NaN or inf"
        assert out.sample_rate == original.sample_rate, f"{what}: sample rate changed to {out.sample_rate}"
    elif isinstance(out, VideoFrames):
        f = out.frames
        assert isinstance(f, np.ndarray) and f.ndim == 4 and f.shape[-1] == 3 and len(f), (
            f"{what}: frames must be [T>0, H, W, 3], got {getattr(f, 'shape', None)}")
        assert f.dtype == np.uint8, f"{what}: frames dtype {f.dtype}, expected uint8"


def payload(value: Any) -> np.ndarray:
    return value.samples if isinstance(value, AudioSignal) else value.frames


def run(cls: type[Augmenter], body: Callable[[Augmenter], None]) -> None:
    with Workspace() as ws, ws.entered():
        body(make_plugin(cls, ws))  # type: ignore[arg-type]


def check_augment_output(cls: type[Augmenter]) -> None:
    """augment returns the same media type, valid (float32 finite samples / uint8 frames), same rate."""
    def body(plugin: Augmenter) -> None:
        raw = raw_input(cls)
        assert_valid(raw, plugin.augment(raw, np.random.default_rng(0)), "augment")
    run(cls, body)


def check_deterministic(cls: type[Augmenter]) -> None:
    """The same input and rng seed give the same variant."""
    def body(plugin: Augmenter) -> None:
        raw = raw_input(cls)
        a = payload(plugin.augment(raw, np.random.default_rng(7)))
        b = payload(plugin.augment(raw_input(cls), np.random.default_rng(7)))
        assert a.shape == b.shape and np.allclose(a, b, atol=1e-6), (
            "two calls with the same rng seed differ; draw every random number from the given rng")
    run(cls, body)


def check_input_unchanged(cls: type[Augmenter]) -> None:
    """augment leaves its input as it was (the clean clip is still used)."""
    def body(plugin: Augmenter) -> None:
        raw = raw_input(cls)
        before = copy.deepcopy(payload(raw))
        plugin.augment(raw, np.random.default_rng(0))
        assert np.array_equal(before, payload(raw)), "augment modified its input in place"
    run(cls, body)


def check_copies_per_clip(cls: type[Augmenter]) -> None:
    """copies_per_clip gives one non-negative integer per training label."""
    def body(plugin: Augmenter) -> None:
        labels = np.array([0, 0, 0, 0, 1, 1, 2])
        copies = np.asarray(plugin.copies_per_clip(labels))
        assert copies.shape == labels.shape, f"shape {copies.shape}, expected {labels.shape}"
        assert np.issubdtype(copies.dtype, np.integer), f"dtype {copies.dtype}, expected integers"
        assert (copies >= 0).all(), f"negative copies: {copies}"
    run(cls, body)


def check_edge_case(cls: type[Augmenter], case: str) -> None:
    """An edge input gives a valid variant (or ClipError), never another exception."""
    what = media.describe(cls.modality.value, case)

    def body(plugin: Augmenter) -> None:
        raw = raw_input(cls, case)
        try:
            out = plugin.augment(raw, np.random.default_rng(0))
        except ClipError:
            return
        except (ResourceMissingError, CheckSkipped):
            raise
        except Exception as exc:
            raise AssertionError(f"{what}: raised {type(exc).__name__}: {exc}") from exc
        assert_valid(raw, out, what)
    run(cls, body)


def workload(cls: type[Plugin], ws: Workspace) -> Callable[[Plugin], Any]:
    raw = raw_input(cls)  # type: ignore[arg-type]
    return lambda plugin: plugin.augment(raw, np.random.default_rng(0))  # type: ignore[attr-defined]


def yield_checks(cls: type[Augmenter]) -> Iterator[tuple[str, Check]]:
    yield from yield_common_checks(cls, workload)
    yield "check_augment_output", partial(check_augment_output, cls)
    yield "check_deterministic", partial(check_deterministic, cls)
    yield "check_input_unchanged", partial(check_input_unchanged, cls)
    yield "check_copies_per_clip", partial(check_copies_per_clip, cls)
    for name, case in EDGE_CASES.get(cls.modality.value, {}).items():
        yield name, partial(check_edge_case, cls, case)
