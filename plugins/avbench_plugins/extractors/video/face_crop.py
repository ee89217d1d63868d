"""Face crops of a clip's sampled frames, shared (and cached) by every frame extractor.

For each sampled frame a face detector plugin (by name, through the registry) finds
boxes; one face is kept (the largest, or the detector's best), widened by ``margin``
and to the output aspect ratio, cut out (edge pixels repeated where the box leaves
the frame) and resized. A frame without a face is either replaced by the centre of
the frame (``no_face="centre"``) or dropped (``no_face="drop"``); either way it is
counted in the clip's diagnostics. A clip left with no frame raises ClipError.

Crops are cached per clip as ``.npz`` under ``<cache_dir>/faces/``, keyed by the
video's content hash and every parameter that changes them (sampling, detector name,
version, parameters and the content hashes of its input files, crop settings), so the FER, embedding and crop
extractors detect faces only once per clip. Writes are atomic (temp file + rename).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from avbench.cache.input_hashes import input_hashes
from avbench.contract import Clip, ClipError, FaceBox, Params, RunContext

from .frame_sampling import FrameSamplingParams, SampledFrames, VideoReader, iter_sampled

CACHE_FORMAT = 1


class NoFace(str, Enum):
    """What to do with a sampled frame where no face is found."""

    CENTRE = "centre"  # use the centre of the frame instead
    DROP = "drop"  # leave the frame out


class FaceSelect(str, Enum):
    LARGEST = "largest"
    BEST = "best"  # the detector's highest score


class FaceCropParams(Params):
    """Face-cropping fields shared by every face-frame extractor's parameters."""

    detector: str = Field("haar", description="face detector plugin name")
    detector_params: dict[str, Any] = Field(default_factory=dict, description="its parameters")
    crop_width: int = Field(64, gt=0, description="crop width in pixels")
    crop_height: int = Field(64, gt=0, description="crop height in pixels")
    margin: float = Field(0.0, ge=0.0, le=2.0, description="fraction of the box size added on each side")
    grayscale: bool = Field(True, description="convert crops to grayscale (kept as three equal channels)")
    select: FaceSelect = Field(
        FaceSelect.LARGEST,
        description="face kept when several are found: the largest box or the detector's best score")
    no_face: NoFace = Field(NoFace.CENTRE,
                            description="frame without a face: crop its centre instead, or drop the frame")

    def crop_key(self) -> dict:
        return self.model_dump(mode="json", include=set(FaceCropParams.model_fields))


@dataclass
class FaceFrames(SampledFrames):
    """Face crops ``[T, h, w, 3]`` uint8 BGR (three equal channels when grayscale) of the sampled frames.

    ``found[t]`` says whether a face was detected in crop ``t``; ``boxes[t]`` is its
    ``x, y, w, h`` in the source frame (-1s when not found); ``diagnostics`` holds the
    per-clip counts (frames in the clip or -1 when not read to the end, frames sampled,
    padded, without a face, dropped). Counts are of output frames, so a faceless last
    frame repeated as padding counts each time it is used.
    """

    found: np.ndarray | None = None
    boxes: np.ndarray | None = None
    diagnostics: dict[str, Any] = field(default_factory=dict)


def choose_face(boxes: list[FaceBox], select: FaceSelect) -> FaceBox | None:
    if not boxes:
        return None
    if select is FaceSelect.LARGEST:
        return max(boxes, key=lambda b: (b.area, b.score))
    return max(boxes, key=lambda b: (b.score, b.area))


def crop_region(box: FaceBox, margin: float, out_width: int, out_height: int) -> tuple[int, int, int, int]:
    """``x0, y0, x1, y1`` of the box widened by ``margin`` per side and to the output aspect, same centre."""
    w, h = box.width * (1 + 2 * margin), box.height * (1 + 2 * margin)
    aspect = out_width / out_height
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    cx, cy = box.x + box.width / 2.0, box.y + box.height / 2.0
    x0, y0 = int(round(cx - w / 2.0)), int(round(cy - h / 2.0))
    return x0, y0, x0 + max(1, int(round(w))), y0 + max(1, int(round(h)))


def centre_region(height: int, width: int, out_width: int, out_height: int) -> tuple[int, int, int, int]:
    """The largest centred rectangle of the output aspect that fits the frame."""
    aspect = out_width / out_height
    w, h = (width, width / aspect) if width / height < aspect else (height * aspect, height)
    w, h = max(1, int(round(w))), max(1, int(round(h)))
    x0, y0 = (width - w) // 2, (height - h) // 2
    return x0, y0, x0 + w, y0 + h


def cut(frame: np.ndarray, region: tuple[int, int, int, int], out_width: int, out_height: int) -> np.ndarray:
    """Cut ``region`` out of ``frame`` (edge pixels repeated outside it) and resize to the output size."""
    import cv2

    x0, y0, x1, y1 = region
    height, width = frame.shape[:2]
    pad = (max(0, -y0), max(0, y1 - height), max(0, -x0), max(0, x1 - width))
    inside = frame[max(0, y0):min(height, y1), max(0, x0):min(width, x1)]
    if inside.size == 0:  # region entirely outside the frame: fall back to the nearest edge pixels
        inside = frame[min(max(y0, 0), height - 1):min(max(y0, 0), height - 1) + 1,
                       min(max(x0, 0), width - 1):min(max(x0, 0), width - 1) + 1]
        pad = (0, y1 - y0 - 1, 0, x1 - x0 - 1)
    if any(pad):
        inside = cv2.copyMakeBorder(inside, *pad, cv2.BORDER_REPLICATE)
    shrinking = inside.shape[1] > out_width or inside.shape[0] > out_height
    return cv2.resize(inside, (out_width, out_height),
                      interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def crop_face(frame: np.ndarray, boxes: list[FaceBox],
              params: FaceCropParams) -> tuple[np.ndarray | None, FaceBox | None]:
    """The output crop of one frame and the face used (``None, None`` when dropped for lack of a face)."""
    import cv2

    face = choose_face(boxes, params.select)
    w, h = params.crop_width, params.crop_height
    if face is not None:
        region = crop_region(face, params.margin, w, h)
    elif params.no_face is NoFace.CENTRE:
        region = centre_region(frame.shape[0], frame.shape[1], w, h)
    else:
        return None, None
    crop = cut(frame, region, w, h)
    if params.grayscale:
        crop = cv2.cvtColor(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    return crop, face


_content_digests: dict[tuple[str, int, int], str] = {}


def content_digest(path: Path) -> str:
    """BLAKE2 hash of a media file's bytes, remembered per (path, size, mtime) within the process."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _content_digests:
        h = hashlib.blake2b(digest_size=20)
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        _content_digests[key] = h.hexdigest()
    return _content_digests[key]


class FaceCropper:
    """Detects, crops and caches the faces of a clip's sampled frames (one per extractor instance)."""

    def __init__(self, sampling: FrameSamplingParams, crop: FaceCropParams, context: RunContext) -> None:
        self.sampling = sampling
        self.crop = crop
        self.context = context
        self._detector: Any = None

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_detector"] = None  # holds OpenCV objects; rebuilt lazily
        return state

    @property
    def detector(self) -> Any:
        if self._detector is None:
            from avbench.contract import PluginKind
            from avbench.registry import get_registry

            self._detector = get_registry().create(
                {"plugin": self.crop.detector, "params": self.crop.detector_params},
                kind=PluginKind.FACE_DETECTOR, context=self.context)
        return self._detector

    def cache_path(self, video: Path) -> Path:
        detector = self.detector
        key = json.dumps({
            "format": CACHE_FORMAT,
            "video": content_digest(video),
            "sampling": self.sampling.sampling_key(),
            "crop": self.crop.crop_key(),
            "detector": [detector.name, detector.version, detector.get_params(), detector.cache_salt(),
                         *([input_hashes(detector)] if detector.input_files() else [])],
        }, sort_keys=True)
        digest = hashlib.sha256(key.encode()).hexdigest()
        return Path(self.context.cache_dir) / "faces" / digest[:2] / f"{digest}.npz"

    def crops(self, clip: Clip) -> FaceFrames:
        """The clip's face crops, from the cache when present; ClipError when the clip has no usable frame."""
        try:
            video = clip.path("video")
        except KeyError as exc:
            raise ClipError(clip.clip_id, str(exc.args[0])) from None
        if not video.is_file():
            raise ClipError(clip.clip_id, f"{video}: video file not found")
        path = self.cache_path(video)
        cached = _read_cache(path, clip.clip_id)
        if cached is not None:
            return cached
        faces = self._compute(video, clip.clip_id)
        _write_cache(path, faces)
        return faces

    def cached_diagnostics(self, clip: Clip) -> dict[str, Any]:
        """Diagnostics of a clip whose crops are cached ({} when they are not)."""
        try:
            cached = _read_cache(self.cache_path(clip.path("video")), clip.clip_id)
        except (KeyError, OSError):
            return {}
        return dict(cached.diagnostics) if cached is not None else {}

    def _compute(self, video: Path, clip_id: str) -> FaceFrames:
        reader = VideoReader(video, clip_id)
        fps = reader.fps()
        frames, info = iter_sampled(reader, self.sampling)
        by_index: dict[int, tuple[np.ndarray | None, FaceBox | None]] = {}
        for index, frame in frames:
            by_index[index] = crop_face(frame, self.detector.detect(frame), self.crop)
        indices = info["indices"]
        kept = [int(i) for i in indices if by_index[int(i)][0] is not None]
        no_face = sum(1 for i in indices if by_index[int(i)][1] is None)
        diagnostics = {
            "frames_in_clip": int(info["n_source"]),
            "frames_sampled": int(len(indices)),
            "frames_padded": int(info["n_padded"]),
            "frames_no_face": int(no_face),
            "frames_dropped": int(len(indices) - len(kept)),
            "face_detector": self.crop.detector,
            "no_face_fallback": self.crop.no_face.value,
        }
        if not kept:
            raise ClipError(clip_id, f"{video}: no face found in any of the {len(indices)} sampled frames "
                                     f"(no_face='drop'; use no_face='centre' to keep them)")
        boxes = np.array([_box_row(by_index[i][1]) for i in kept], dtype=np.int32)
        return FaceFrames(
            frames=np.stack([by_index[i][0] for i in kept]), fps=fps, indices=np.asarray(kept, dtype=np.int64),
            clip_id=clip_id, n_source=int(info["n_source"]), n_padded=int(info["n_padded"]),
            found=np.array([by_index[i][1] is not None for i in kept]), boxes=boxes, diagnostics=diagnostics)


def _box_row(box: FaceBox | None) -> list[int]:
    return [-1, -1, -1, -1] if box is None else [box.x, box.y, box.width, box.height]


def _read_cache(path: Path, clip_id: str) -> FaceFrames | None:
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            crops = data["crops"]
            if crops.ndim == 3:
                crops = np.repeat(crops[..., None], 3, axis=-1)
            meta = json.loads(str(data["meta"]))
            return FaceFrames(frames=crops, fps=float(meta["fps"]), indices=data["indices"], clip_id=clip_id,
                              n_source=int(meta["n_source"]), n_padded=int(meta["n_padded"]),
                              found=data["found"], boxes=data["boxes"], diagnostics=meta["diagnostics"])
    except (OSError, ValueError, KeyError):
        return None  # unreadable cache entry: recompute (it is overwritten atomically)


def _write_cache(path: Path, faces: FaceFrames) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    crops = faces.frames
    gray = bool(np.array_equal(crops[..., 0], crops[..., 1]) and np.array_equal(crops[..., 0], crops[..., 2]))
    meta = {"fps": faces.fps, "n_source": faces.n_source, "n_padded": faces.n_padded,
            "diagnostics": faces.diagnostics}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, crops=crops[..., 0] if gray else crops, indices=faces.indices,
                                found=faces.found, boxes=faces.boxes, meta=np.array(json.dumps(meta)))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
