"""Which frames of a clip to use, and decoding exactly those with OpenCV.

The seed systems pick frames in four ways: the middle frame (cuny2020), N equally
spaced frames (ristea2019: 20; sapienza2024: 50, its text does not say how they are
spaced, so equally spaced is our reading), K consecutive frames (ravdess-cnn: 32)
and every frame, optionally with a stride (demokritos2022).

Robustness rules, because real files disagree with their headers:

* The frame count in a container header (``CAP_PROP_FRAME_COUNT``) can be wrong
  (truncated files, variable frame rate). Modes that need the count (middle, equally
  spaced, centred consecutive) therefore count frames by decoding the clip
  sequentially; nothing here ever seeks.
* Rotation metadata is applied: ``CAP_PROP_ORIENTATION_AUTO`` is switched on, and when
  the backend refuses it the frame is rotated here from ``CAP_PROP_ORIENTATION_META``.
* A clip with fewer frames than asked for is padded by repeating its last frame
  (``n_padded`` says how many); the sampled indices show the repeats.
* A missing, unreadable or empty file raises :class:`ClipError` for that clip only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import numpy as np
from pydantic import Field, model_validator

from avbench.contract import ClipError, Params, VideoFrames

if TYPE_CHECKING:  # OpenCV is imported where frames are read or faces detected
    import cv2


class SamplingMode(str, Enum):
    """How frames are chosen from a clip of ``n`` frames."""

    MIDDLE = "middle"  # frame n // 2
    EQUALLY_SPACED = "equally_spaced"  # the centres of `count` equal segments
    CONSECUTIVE = "consecutive"  # `count` frames in a row, centred or from `start`
    EVERY = "every"  # start, start + stride, start + 2 * stride, ...


class FrameSamplingParams(Params):
    """Frame-sampling fields shared by every frame extractor's parameters."""

    sampling: SamplingMode = Field(SamplingMode.EQUALLY_SPACED,
                                   description="how frames are picked: middle, equally_spaced, consecutive or every")
    n_frames: int = Field(20, gt=0, description="frames to keep (equally_spaced, consecutive)")
    start_frame: int | None = Field(
        None, ge=0, description="first frame (consecutive: None centres the run; every: None is 0)")
    stride: int = Field(1, gt=0, description="step between kept frames (every)")
    max_frames: int | None = Field(
        None, gt=0, description="every: keep at most this many frames (None: no limit)")

    @model_validator(mode="after")
    def _stride_only_for_every(self) -> "FrameSamplingParams":
        if self.stride != 1 and self.sampling is not SamplingMode.EVERY:
            raise ValueError(f"stride={self.stride} applies only to sampling='every', not {self.sampling.value!r}")
        return self

    def sampling_key(self) -> dict:
        """Only the fields that decide which frames are read in this mode (cache keys ignore the others)."""
        mode = self.sampling
        key: dict = {"sampling": mode.value}
        if mode in (SamplingMode.EQUALLY_SPACED, SamplingMode.CONSECUTIVE):
            key["n_frames"] = self.n_frames
        if mode is SamplingMode.CONSECUTIVE:
            key["start_frame"] = self.start_frame
        if mode is SamplingMode.EVERY:
            key.update(start_frame=self.start_frame or 0, stride=self.stride, max_frames=self.max_frames)
        return key


@dataclass
class FramePlan:
    """Indices to output (with repeats when padded) for a clip of ``n_source`` frames."""

    indices: np.ndarray
    n_source: int
    n_padded: int


@dataclass
class SampledFrames(VideoFrames):
    """Decoded frames plus where they came from, for per-clip diagnostics."""

    clip_id: str = ""
    n_source: int = 0  # frames the clip really has (counted by decoding) or -1 if not counted
    n_padded: int = 0  # output frames that repeat the last frame because the clip was short


def _pad_to(indices: np.ndarray, count: int) -> tuple[np.ndarray, int]:
    missing = count - len(indices)
    if missing <= 0:
        return indices, 0
    return np.concatenate([indices, np.full(missing, indices[-1], dtype=np.int64)]), missing


def plan_indices(n_source: int, params: FrameSamplingParams) -> FramePlan:
    """The frame indices ``params`` picks from a clip of ``n_source`` frames (``n_source`` >= 1)."""
    if n_source < 1:
        raise ValueError(f"a clip needs at least one frame, got {n_source}")
    mode, count = params.sampling, params.n_frames
    if mode is SamplingMode.MIDDLE:
        return FramePlan(np.array([n_source // 2], dtype=np.int64), n_source, 0)
    if mode is SamplingMode.EQUALLY_SPACED:
        if n_source >= count:
            idx = np.floor((np.arange(count) + 0.5) * n_source / count).astype(np.int64)
            return FramePlan(idx, n_source, 0)
        idx, padded = _pad_to(np.arange(n_source, dtype=np.int64), count)
        return FramePlan(idx, n_source, padded)
    if mode is SamplingMode.CONSECUTIVE:
        start = params.start_frame if params.start_frame is not None else max(0, (n_source - count) // 2)
        if start >= n_source:
            raise ValueError(f"start_frame={start} but the clip has only {n_source} frames")
        idx, padded = _pad_to(np.arange(start, min(start + count, n_source), dtype=np.int64), count)
        return FramePlan(idx, n_source, padded)
    start = params.start_frame or 0
    if start >= n_source:
        raise ValueError(f"start_frame={start} but the clip has only {n_source} frames")
    idx = np.arange(start, n_source, params.stride, dtype=np.int64)
    return FramePlan(idx[: params.max_frames] if params.max_frames else idx, n_source, 0)


def rotate_by_metadata(frame: np.ndarray, degrees: float) -> np.ndarray:
    """Turn a decoded frame the way its container's display rotation says (clockwise degrees)."""
    import cv2

    turns = int(round(degrees / 90.0)) % 4
    if turns == 0:
        return frame
    code = {1: cv2.ROTATE_90_CLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_COUNTERCLOCKWISE}[turns]
    return cv2.rotate(frame, code)


class VideoReader:
    """Sequential OpenCV decoding of one file, rotation applied; raises ClipError naming the clip."""

    def __init__(self, path: str | Path, clip_id: str | None = None) -> None:
        self.path = Path(path)
        self.clip_id = clip_id or self.path.name

    def _fail(self, reason: str) -> ClipError:
        return ClipError(self.clip_id, f"{self.path}: {reason}")

    def _open(self) -> tuple[cv2.VideoCapture, float]:
        """An open capture and the clockwise rotation still to apply by hand (0 when OpenCV does it)."""
        import cv2

        if not self.path.is_file():
            raise self._fail("video file not found")
        cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        if not cap.isOpened():
            raise self._fail("OpenCV cannot open this file as a video (corrupt or unsupported container)")
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        auto = cap.get(cv2.CAP_PROP_ORIENTATION_AUTO) == 1
        manual = 0.0 if auto else float(cap.get(cv2.CAP_PROP_ORIENTATION_META) or 0.0)
        return cap, manual

    def fps(self) -> float:
        """Frame rate from the header (0.0 when the header gives none)."""
        import cv2

        cap, _ = self._open()
        try:
            fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        finally:
            cap.release()
        return fps if np.isfinite(fps) and 0 < fps < 1000 else 0.0

    def count_frames(self) -> int:
        """Frames that really decode (the header's count is not trusted)."""
        cap, _ = self._open()
        n = 0
        try:
            while cap.grab():
                n += 1
        finally:
            cap.release()
        return n

    def iter_frames(self, keep) -> Iterator[tuple[int, np.ndarray]]:
        """``(index, BGR frame)`` for every decoded frame whose index ``keep(index)`` accepts.

        ``keep`` returns True to keep, False to skip and None to stop reading. When
        the file ends first, ``reached_end`` is set and ``frames_decoded`` counts its frames.
        """
        import cv2

        cap, rotation = self._open()
        self.reached_end = False
        try:
            index = 0
            while True:
                decision = keep(index)
                if decision is None:
                    return
                if not cap.grab():
                    self.reached_end, self.frames_decoded = True, index
                    return
                if decision:
                    ok, frame = cap.retrieve()
                    if not ok or frame is None:
                        return
                    if frame.ndim == 2:
                        frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
                    yield index, rotate_by_metadata(frame, rotation)
                index += 1
        finally:
            cap.release()


def _needs_count(params: FrameSamplingParams) -> bool:
    if params.sampling is SamplingMode.EVERY:
        return False
    return not (params.sampling is SamplingMode.CONSECUTIVE and params.start_frame is not None)


def iter_sampled(reader: VideoReader, params: FrameSamplingParams) -> tuple[Iterator[tuple[int, np.ndarray]], dict]:
    """Stream the sampled frames of a clip, each decoded once, in clip order.

    Returns the iterator and a dict that is complete once the iterator is exhausted:
    ``indices`` (output order, with padding repeats), ``n_source`` (-1 when reading
    stopped before the end, so the clip's length is unknown) and ``n_padded``. Frames
    are yielded once per distinct index; the caller repeats them as ``indices`` says.
    Raises ClipError for an empty clip or a start beyond its end.
    """
    info: dict = {}
    if _needs_count(params):
        n_source = reader.count_frames()
        if n_source == 0:
            raise reader._fail("no frame could be decoded")
        try:
            plan = plan_indices(n_source, params)
        except ValueError as exc:
            raise reader._fail(str(exc)) from None
        info.update(indices=plan.indices, n_source=plan.n_source, n_padded=plan.n_padded)
        wanted = set(int(i) for i in plan.indices)
        last = int(plan.indices.max())

        def keep(i: int):
            return None if i > last else (i in wanted)

        return _checked(reader, reader.iter_frames(keep), info, expected=len(wanted)), info

    start = params.start_frame or 0
    if params.sampling is SamplingMode.CONSECUTIVE:
        stop, step, limit = start + params.n_frames, 1, params.n_frames
    else:
        stop, step, limit = None, params.stride, params.max_frames

    def keep_streaming(i: int):
        if stop is not None and i >= stop:
            return None
        return i >= start and (i - start) % step == 0

    def stream() -> Iterator[tuple[int, np.ndarray]]:
        seen: list[int] = []
        for index, frame in reader.iter_frames(keep_streaming):
            seen.append(index)
            yield index, frame
            if limit is not None and len(seen) >= limit:
                break
        if not seen:
            raise reader._fail(f"no frame decoded at or after start_frame={start}")
        idx = np.asarray(seen, dtype=np.int64)
        if params.sampling is SamplingMode.CONSECUTIVE:
            idx, padded = _pad_to(idx, params.n_frames)
        else:
            padded = 0
        counted = reader.frames_decoded if getattr(reader, "reached_end", False) else -1
        info.update(indices=idx, n_source=counted, n_padded=padded)

    return stream(), info


def _checked(reader: VideoReader, frames: Iterator[tuple[int, np.ndarray]], info: dict,
             expected: int) -> Iterator[tuple[int, np.ndarray]]:
    """Pass frames through; fail if the second decoding pass yields fewer than the first counted."""
    got = 0
    for item in frames:
        got += 1
        yield item
    if got < expected:
        raise reader._fail(f"decoded {got} of {expected} sampled frames on the second pass (file changed?)")


def read_frames(path: str | Path, params: FrameSamplingParams, clip_id: str | None = None,
                max_width: int | None = None) -> SampledFrames:
    """The sampled frames of one clip in memory, BGR uint8 ``[T, H, W, 3]``, padded as documented.

    ``max_width`` shrinks wider frames (aspect kept) to bound memory for long clips.
    """
    import cv2

    reader = VideoReader(path, clip_id)
    fps = reader.fps()
    frames_iter, info = iter_sampled(reader, params)
    by_index: dict[int, np.ndarray] = {}
    for index, frame in frames_iter:
        if max_width and frame.shape[1] > max_width:
            h = max(1, round(frame.shape[0] * max_width / frame.shape[1]))
            frame = cv2.resize(frame, (max_width, h), interpolation=cv2.INTER_AREA)
        by_index[index] = frame
    indices = info["indices"]
    frames = np.stack([by_index[int(i)] for i in indices])
    return SampledFrames(frames=frames, fps=fps, indices=indices, clip_id=reader.clip_id,
                         n_source=info["n_source"], n_padded=info["n_padded"])
