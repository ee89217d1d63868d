"""``face-crops``: the grayscale face crops themselves, for CNNs that learn from pixels.

cuny2020 uses the middle frame's face (``sampling: middle``); ristea2019 stacks 20
equally spaced faces as channels (``n_frames: 20``). Its text gives the input as
``B x N x W x H = 32 x 20 x 98 x 80`` (width 98, height 80); faces are taller than
wide, so ``crop_height: 98, crop_width: 80`` may be what was meant. Both are
possible through the parameters; the crop is widened to the output aspect ratio
around the face rather than stretched.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from avbench import hookimpl
from avbench.contract import OutputKind, VideoFrames

from .face_frames import FaceFrameExtractor, gray_stack


class FaceCrops(FaceFrameExtractor):
    """Grayscale face crops of sampled frames -> IMAGE_STACK ``[T, crop_height, crop_width]`` in [0, 1]."""

    name = "face-crops"
    version = "1.0"
    #: tiny, fast settings for the conformance checks (avbench check)
    conformance_params: ClassVar[dict] = {"n_frames": 4}
    output_kind: ClassVar[OutputKind] = OutputKind.IMAGE_STACK
    description = "face crops of sampled frames (detector by name), grayscale, scaled to [0, 1]"

    def features(self, raw: VideoFrames) -> np.ndarray:
        p = self.params
        return gray_stack(raw, p.crop_width, p.crop_height).astype(np.float32) / 255.0


@hookimpl
def avbench_plugins():
    return [FaceCrops]
