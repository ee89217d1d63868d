"""``blendshapes``: MediaPipe Face Landmarker blendshape scores per sampled frame (sapienza2024's video input).

sapienza2024 takes 50 frames per clip and, per frame, the face landmarker's
blendshape scores (jawOpen, eyeWideRight, ...) -> sequence ``[50, 52]``. Its text
does not say how the 50 frames are chosen; here they are equally spaced (short clips
are padded by repeating the last frame). It counts 51 values, probably without the
``_neutral`` score; ``drop_neutral`` gives that variant.

A frame where MediaPipe finds no face gets a row of zeros and is counted in the
clip's diagnostics. The Tasks API runs in IMAGE mode on CPU; its objects cannot be
pickled, so the landmarker is created lazily in each process.
"""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from avbench import hookimpl
from avbench.contract import Clip, ClipError, Extractor, Modality, OutputKind, VideoFrames

from ...face_detectors.model_files import model_file
from .frame_sampling import FrameSamplingParams, SamplingMode, read_frames

DEFAULT_MODEL = "face_landmarker.task"
N_BLENDSHAPES = 52


def _close_quietly(landmarker: Any) -> None:
    """Close a landmarker when its extractor goes, or at exit.

    At interpreter exit MediaPipe's executor is already shut down, so ``close`` fails
    and its ``__del__`` later prints a traceback; clearing the handle silences that
    (the process is ending and frees the native object anyway).
    """
    try:
        landmarker.close()
    except Exception:
        landmarker._handle = None


class BlendshapeParams(FrameSamplingParams):
    sampling: SamplingMode = Field(SamplingMode.EQUALLY_SPACED,
                                   description="how frames are picked: middle, equally_spaced, consecutive or every")
    n_frames: int = Field(50, gt=0, description="frames to keep (equally_spaced, consecutive); sapienza2024 uses 50")
    model: str | None = Field(None, description=f"MediaPipe task bundle (default: <models>/{DEFAULT_MODEL})")
    max_width: int | None = Field(640, gt=0, description="shrink wider frames to this width before MediaPipe")
    drop_neutral: bool = Field(False, description="leave out the '_neutral' score (51 columns)")
    min_face_detection_confidence: float = Field(0.5, ge=0.0, le=1.0,
                                                 description="MediaPipe's minimum face detection score")
    min_face_presence_confidence: float = Field(0.5, ge=0.0, le=1.0,
                                                description="MediaPipe's minimum face presence score")


class Blendshapes(Extractor):
    """MediaPipe Face Landmarker blendshapes of sampled frames -> SEQUENCE ``[T, 52]`` (zeros where no face)."""

    name = "blendshapes"
    version = "1.0"
    #: tiny, fast settings for the conformance checks (avbench check)
    conformance_params: ClassVar[dict] = {"n_frames": 8}
    modality: ClassVar[Modality] = Modality.VIDEO
    output_kind: ClassVar[OutputKind] = OutputKind.SEQUENCE
    description = "MediaPipe Face Landmarker: 52 blendshape scores per frame over 50 equally spaced frames"
    Params: ClassVar[type[BlendshapeParams]] = BlendshapeParams

    def __init__(self, params: Any = None, **overrides: Any) -> None:
        super().__init__(params, **overrides)
        self._landmarker: Any = None
        self._diagnostics: dict[str, dict[str, Any]] = {}

    def __getstate__(self) -> dict:
        """MediaPipe objects cannot be pickled: drop the landmarker, it is rebuilt on first use."""
        state = self.__dict__.copy()
        state["_landmarker"] = None
        return state

    def _model_path(self):
        return model_file(self.context, self.params.model, DEFAULT_MODEL, "model", self.name)

    def input_files(self) -> dict[str, Path]:
        return {"model": self._model_path()}

    @property
    def landmarker(self) -> Any:
        if self._landmarker is None:
            from mediapipe.tasks.python import BaseOptions, vision

            p = self.params
            options = vision.FaceLandmarkerOptions(
                base_options=BaseOptions(model_asset_path=str(self._model_path()),
                                         delegate=BaseOptions.Delegate.CPU),
                running_mode=vision.RunningMode.IMAGE, num_faces=1, output_face_blendshapes=True,
                min_face_detection_confidence=p.min_face_detection_confidence,
                min_face_presence_confidence=p.min_face_presence_confidence)
            self._landmarker = vision.FaceLandmarker.create_from_options(options)
            weakref.finalize(self, _close_quietly, self._landmarker)
        return self._landmarker

    def load(self, clip: Clip) -> VideoFrames:
        try:
            video = clip.path("video")
        except KeyError as exc:
            raise ClipError(clip.clip_id, str(exc.args[0])) from None
        return read_frames(video, self.params, clip.clip_id, max_width=self.params.max_width)

    def scores(self, frame_bgr: np.ndarray) -> np.ndarray | None:
        """The 52 blendshape scores of the most prominent face in one BGR frame (None when no face)."""
        import cv2
        import mediapipe as mp

        rgb = np.ascontiguousarray(cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB))
        result = self.landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))
        if not result.face_blendshapes:
            return None
        row = np.zeros(N_BLENDSHAPES, dtype=np.float32)
        for category in result.face_blendshapes[0]:
            row[category.index] = category.score
        return row

    def features(self, raw: VideoFrames) -> np.ndarray:
        rows, missing = [], 0
        for frame in raw.frames:
            row = self.scores(frame)
            if row is None:
                missing += 1
                row = np.zeros(N_BLENDSHAPES, dtype=np.float32)
            rows.append(row)
        out = np.stack(rows)
        if self.params.drop_neutral:
            out = out[:, 1:]
        clip_id = getattr(raw, "clip_id", "")
        if clip_id:
            self._diagnostics[clip_id] = {"frames_sampled": len(rows), "frames_no_face": missing,
                                          "frames_padded": int(getattr(raw, "n_padded", 0)),
                                          "frames_in_clip": int(getattr(raw, "n_source", -1))}
        return out.astype(np.float32)

    def diagnostics(self, clip: Clip) -> dict[str, Any]:
        """Counts from this process's last extraction of ``clip`` ({} when it was not extracted here)."""
        return dict(self._diagnostics.get(clip.clip_id, {}))


@hookimpl
def avbench_plugins():
    return [Blendshapes]
