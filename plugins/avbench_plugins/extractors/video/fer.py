"""Per-frame facial-expression features from the FER-2013 mini-Xception (torch port of the Keras model).

* ``fer-posteriors``: 7-class posteriors per sampled frame, SEQUENCE ``[T, 7]``.
* ``fer-mean-posteriors``: their mean over the clip, VECTOR ``[7]`` (demokritos2022
  averages frame posteriors; its network was a VGG19 trained on FER-2013).
* ``fer-embedding``: the 128-d pooled penultimate features per frame, SEQUENCE
  ``[T, 128]``. It stands in for the 512-d VGG19-FER features of ravdess-cnn and
  demokritos2022, whose weights are not available here.

Class order: angry, disgust, fear, happy, sad, surprise, neutral.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from avbench import hookimpl
from avbench.contract import OutputKind, VideoFrames

from ...face_detectors.model_files import model_file
from .face_frames import FaceFrameExtractor, FaceFrameParams, gray_stack
from .fer_classes import FER_CLASSES, INPUT_SIZE
from .frame_sampling import SamplingMode

DEFAULT_MODEL = "fer2013_mini_XCEPTION.102-0.66.hdf5"


class FerParams(FaceFrameParams):
    model: str | None = Field(None, description=f"Keras hdf5 weights (default: <models>/{DEFAULT_MODEL})")
    device: Literal["auto", "cpu", "cuda"] = Field(
        "auto", description="torch device: 'auto' (the run's device, else CUDA when present), 'cpu' or 'cuda'")
    batch_size: int = Field(256, gt=0, description="face crops per forward pass")
    sampling: SamplingMode = Field(
        SamplingMode.EVERY, description="how frames are picked: every frame by default (stride, max_frames apply)")


def resolve_device(requested: str, context_device: str) -> str:
    """``auto`` defers to the run's device, then to CUDA when present; ``cuda`` without CUDA is an error."""
    import torch

    if requested == "auto":
        requested = context_device if context_device in ("cpu", "cuda") else "auto"
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device='cuda' was requested but torch sees no CUDA device")
    return requested


class _FerExtractor(FaceFrameExtractor):
    """Runs the mini-Xception on the clip's 64x64 grayscale face crops."""

    Params: ClassVar[type[FerParams]] = FerParams
    _transient: ClassVar[tuple[str, ...]] = ("_cropper", "_network")

    def wants_cuda(self) -> bool:
        return self.device_is_cuda(self.params.device)

    def _model_path(self):
        return model_file(self.context, self.params.model, DEFAULT_MODEL, "model", self.name)

    def input_files(self) -> dict[str, Path]:
        return {**super().input_files(), "model": self._model_path()}

    @property
    def network(self):
        if getattr(self, "_network", None) is None:
            from .mini_xception import load_mini_xception

            device = resolve_device(self.params.device, self.context.device)
            self._network = load_mini_xception(self._model_path(), device)
        return self._network

    def _run(self, raw: VideoFrames) -> tuple[np.ndarray, np.ndarray]:
        """``(embeddings [T, 128], posteriors [T, 7])`` of the frames in ``raw``."""
        import torch

        from .mini_xception import preprocess

        faces = gray_stack(raw, INPUT_SIZE, INPUT_SIZE)
        net = self.network
        device = next(net.parameters()).device
        embeddings, posteriors = [], []
        with torch.no_grad():
            for start in range(0, len(faces), self.params.batch_size):
                x = preprocess(faces[start:start + self.params.batch_size]).to(device)
                emb, logits = net.features(x)
                embeddings.append(emb.cpu())
                posteriors.append(torch.softmax(logits, dim=1).cpu())
        return torch.cat(embeddings).numpy(), torch.cat(posteriors).numpy()


class FerPosteriors(_FerExtractor):
    """FER-2013 mini-Xception posteriors per sampled face frame -> SEQUENCE ``[T, 7]``."""

    name = "fer-posteriors"
    version = "1.0"
    cites = ('Arriaga, Valdenegro-Toro, Ploger 2017, "Real-time Convolutional Neural Networks for Emotion and Gender '
             'Classification", arXiv:1710.07557')
    #: tiny, fast settings for the conformance checks (avbench check)
    conformance_params: ClassVar[dict] = {"sampling": "equally_spaced", "n_frames": 4}
    output_kind: ClassVar[OutputKind] = OutputKind.SEQUENCE
    description = "per-frame 7-class FER-2013 posteriors (mini-Xception, " + ", ".join(FER_CLASSES) + ")"

    def features(self, raw: VideoFrames) -> np.ndarray:
        return self._run(raw)[1].astype(np.float32)


class FerMeanPosteriors(_FerExtractor):
    """Clip mean of the per-frame FER-2013 posteriors -> VECTOR ``[7]`` (demokritos2022's video branch)."""

    name = "fer-mean-posteriors"
    version = "1.0"
    cites = ('Arriaga, Valdenegro-Toro, Ploger 2017, "Real-time Convolutional Neural Networks for Emotion and Gender '
             'Classification", arXiv:1710.07557')
    #: tiny, fast settings for the conformance checks (avbench check)
    conformance_params: ClassVar[dict] = {"sampling": "equally_spaced", "n_frames": 4}
    output_kind: ClassVar[OutputKind] = OutputKind.VECTOR
    description = "mean over frames of FER-2013 posteriors (demokritos2022 averages per-frame predictions)"

    def features(self, raw: VideoFrames) -> np.ndarray:
        return self._run(raw)[1].mean(axis=0).astype(np.float32)


class FerEmbedding(_FerExtractor):
    """128-d penultimate mini-Xception features per frame -> SEQUENCE ``[T, 128]``.

    A stand-in for the 512-d VGG19-FER frame features of ravdess-cnn (32 consecutive
    frames, the default here) and demokritos2022: same role, smaller network.
    """

    name = "fer-embedding"
    version = "1.0"
    cites = ('Arriaga, Valdenegro-Toro, Ploger 2017, "Real-time Convolutional Neural Networks for Emotion and Gender '
             'Classification", arXiv:1710.07557')
    #: tiny, fast settings for the conformance checks (avbench check)
    conformance_params: ClassVar[dict] = {"n_frames": 4}
    output_kind: ClassVar[OutputKind] = OutputKind.SEQUENCE
    description = ("per-frame 128-d FER-2013 mini-Xception embedding; stands in for the 512-d VGG19-FER "
                   "features of ravdess-cnn/demokritos2022 (weights not available)")

    class Params(FerParams):
        sampling: SamplingMode = Field(SamplingMode.CONSECUTIVE,
                                       description="how frames are picked (ravdess-cnn: 32 consecutive frames)")
        n_frames: int = Field(32, gt=0, description="frames to keep (equally_spaced, consecutive)")

    def features(self, raw: VideoFrames) -> np.ndarray:
        return self._run(raw)[0].astype(np.float32)


@hookimpl
def avbench_plugins():
    return [FerPosteriors, FerMeanPosteriors, FerEmbedding]
