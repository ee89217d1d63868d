"""Base class of the extractors that work on face crops of sampled frames, with per-clip diagnostics."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from avbench.contract import Clip, Extractor, Modality, VideoFrames

from .face_crop import FaceCropParams, FaceCropper, FaceFrames
from .frame_sampling import FrameSamplingParams


class FaceFrameParams(FrameSamplingParams, FaceCropParams):
    """Which frames to sample and how to crop their faces."""


class FaceFrameExtractor(Extractor):
    """``load`` returns the clip's cached :class:`FaceFrames`; subclasses implement ``features``.

    ``diagnostics(clip)`` gives the per-clip counts (frames sampled, padded, without
    a face, dropped) for the runner to record; it reads them from the crop cache when
    the crops were made by another process.
    """

    modality: ClassVar[Modality] = Modality.VIDEO
    Params: ClassVar[type[FaceFrameParams]] = FaceFrameParams
    _transient: ClassVar[tuple[str, ...]] = ("_cropper",)

    def __init__(self, params: Any = None, **overrides: Any) -> None:
        super().__init__(params, **overrides)
        self._cropper: FaceCropper | None = None
        self._diagnostics: dict[str, dict[str, Any]] = {}

    def __getstate__(self) -> dict:
        """Heavy or unpicklable members (detectors, networks) are rebuilt lazily after unpickling."""
        state = self.__dict__.copy()
        for name in self._transient:
            state[name] = None
        return state

    @property
    def cropper(self) -> FaceCropper:
        if self._cropper is None or self._cropper.context is not self.context:
            self._cropper = FaceCropper(self.params, self.params, self.context)
        return self._cropper

    def cache_salt(self) -> str:
        """The face detector's version: crops change with it though our params do not."""
        detector = self.cropper.detector
        return f"{detector.name}:{detector.version}:{detector.cache_salt()}"

    def input_files(self) -> dict[str, Path]:
        """The face detector's model files (``detector.<name>``): crops change with them."""
        return {f"detector.{name}": path for name, path in self.cropper.detector.input_files().items()}

    def load(self, clip: Clip) -> FaceFrames:
        faces = self.cropper.crops(clip)
        self._diagnostics[clip.clip_id] = dict(faces.diagnostics)
        return faces

    def diagnostics(self, clip: Clip) -> dict[str, Any]:
        """Per-clip counts of the last load (or of the cached crops); {} when the clip was never cropped."""
        if clip.clip_id in self._diagnostics:
            return dict(self._diagnostics[clip.clip_id])
        return self.cropper.cached_diagnostics(clip)


def gray_stack(raw: VideoFrames, width: int, height: int) -> np.ndarray:
    """Frames as uint8 grayscale ``[T, height, width]`` (resized when they are another size)."""
    import cv2

    frames = np.asarray(raw.frames)
    if frames.ndim == 3:  # already [T, H, W] gray
        gray = frames
    elif frames.ndim == 4 and frames.shape[-1] == 3:
        gray = np.stack([cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in frames])
    elif frames.ndim == 4 and frames.shape[-1] == 1:
        gray = frames[..., 0]
    else:
        raise ValueError(f"expected frames [T, H, W, 3] or [T, H, W], got shape {frames.shape}")
    if gray.dtype != np.uint8:
        raise ValueError(f"expected uint8 frames, got {gray.dtype}")
    if gray.shape[1:] != (height, width):
        gray = np.stack([cv2.resize(g, (width, height), interpolation=cv2.INTER_AREA) for g in gray])
    return gray
