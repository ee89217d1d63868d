"""ristea2019's two CNNs: a small spectrogram CNN and a 2-D CNN taking 20 face frames as channels.

Text 004, section IV.C and V: spectrograms resized to 192x120, faces resized
to 98x80, 20 equally spaced frames, input ``B x 20 x 98 x 80``; the audio CNN
has "rather small" a number of convolutional layers and a last layer with
fewer neurons than the visual one (4:1); the classifier is two FC layers and a
softmax; Adam, lr 1e-4, weight decay 5e-5, batch 32, training stopped after
about four epochs; augmentation by rotation, random crops, illumination and
flips.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import Field

from avbench import hookimpl
from avbench.contract import OutputKind

from .base import TorchModel, TorchParams

if TYPE_CHECKING:  # torch and the network classes are imported when a network is built
    import torch
    from torch import nn


class RisteaParams(TorchParams):
    """The text's optimiser settings; the classifier is two FC layers (``hidden_units`` then the classes)."""

    lr: float = Field(1e-4, gt=0, description="Adam learning rate")
    weight_decay: float = Field(5e-5, ge=0, description="Adam weight decay (L2 penalty)")
    batch_size: int = Field(32, ge=1, description="clips per training batch")
    max_epochs: int = Field(4, ge=1, description="most training epochs (the text stops after about four)")
    patience: int = Field(2, ge=1, description="epochs without improvement before early stopping")
    hidden_units: int = Field(128, ge=1, description="units of the hidden FC layer before the classes")
    head_dropout: float = Field(0.0, ge=0, lt=1, description="dropout after the hidden FC layer")


def resize_2d(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of the last two axes of ``x`` to ``size`` (torch, no extra dependency)."""
    import torch
    from torch.nn import functional as F

    if tuple(x.shape[-2:]) == tuple(size):
        return x
    t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    lead = t.shape[:-2]
    t = t.reshape(-1, 1, *t.shape[-2:])
    out = F.interpolate(t, size=tuple(size), mode="bilinear", align_corners=False)
    return out.reshape(*lead, *size).numpy()


class _RisteaModel(TorchModel):
    def build_head(self, width: int, n_classes: int) -> nn.Module:
        from torch import nn

        from .layers import mlp

        hidden, _ = mlp(width, [self.params.hidden_units], nn.ReLU, self.params.head_dropout)
        return nn.Sequential(hidden, nn.Linear(self.params.hidden_units, n_classes))


class RisteaAudioCnn(_RisteaModel):
    """Spectrogram ``[F, T]`` resized to 192x120 -> three Conv(3x3)+ReLU+MaxPool(2) blocks -> FC(64) features.

    Silent in the text, chosen here: channels 16-32-64 ("rather small" a
    number of layers), a 64-unit feature layer (a quarter of the frame CNN's 256,
    the text's 4:1), a 128-unit hidden FC before the classes. Up to 4 epochs
    (the text stops after about four), keeping the best validation epoch.
    """

    name = "ristea-audio-cnn"
    version = "1.0"
    cites = ('Ristea, Dutu, Radoi 2019, "Emotion Recognition System from Speech and Visual Information based on '
             'Convolutional Neural Networks" (seed text ristea2019)')
    #: tiny, fast settings for the conformance checks (avbench check)
    conformance_params: ClassVar[dict] = {"max_epochs": 1, "resize": (32, 24), "channels": (4, 8), "feature_units": 8, "hidden_units": 8}
    accepts: ClassVar[frozenset[OutputKind]] = frozenset({OutputKind.SPECTROGRAM})
    preferred_2d = OutputKind.SPECTROGRAM

    class Params(RisteaParams):
        resize: tuple[int, int] | None = Field(
            (192, 120), description="(height, width) the spectrogram is resized to (bilinear); None: as given")
        channels: tuple[int, ...] = Field((16, 32, 64), min_length=1,
                                          description="output channels of each Conv(3x3) + ReLU + MaxPool block")
        feature_units: int = Field(64, ge=1, description="units of the feature layer (the trunk's width)")

    def preprocess(self, x: np.ndarray) -> np.ndarray:
        return resize_2d(x, self.params.resize) if self.params.resize else x

    def build_trunk(self, input_shape: tuple[int, ...]) -> tuple[nn.Module, int]:
        from .layers import Conv2dTrunk

        p = self.params
        trunk = Conv2dTrunk(input_shape, p.channels, kernel=3, padding=1, fc_units=[p.feature_units])
        return trunk, trunk.width


class RisteaFramesCnn(_RisteaModel):
    """20 face frames as the channels of one image ``[20, 98, 80]`` -> 2-D CNN -> FC(256) features.

    Clips with another frame count are resampled to ``n_frames`` equally
    spaced frames and faces resized to ``frame_size``. Silent in the text,
    chosen here: three Conv(3x3)+ReLU+MaxPool(2) blocks of 64-128-256 channels,
    a 256-unit feature layer, a 128-unit hidden FC before the classes. Training
    batches are augmented on the fly (``augment``): per clip one rotation (up
    to ``max_rotation_deg``), zoom-in crop, horizontal flip and illumination
    change for all its frames; the text made 30 augmented copies per video
    offline instead.
    """

    name = "ristea-frames-cnn"
    version = "1.0"
    cites = ('Ristea, Dutu, Radoi 2019, "Emotion Recognition System from Speech and Visual Information based on '
             'Convolutional Neural Networks" (seed text ristea2019)')
    #: tiny, fast settings for the conformance checks (avbench check)
    conformance_params: ClassVar[dict] = {"max_epochs": 1, "n_frames": 4, "frame_size": (24, 20), "channels": (4, 8), "feature_units": 8, "hidden_units": 8}
    accepts: ClassVar[frozenset[OutputKind]] = frozenset({OutputKind.IMAGE_STACK})

    class Params(RisteaParams):
        n_frames: int = Field(20, ge=1, description="frames per clip (resampled, equally spaced), the image's channels")
        frame_size: tuple[int, int] = Field((98, 80), description="(height, width) faces are resized to")
        channels: tuple[int, ...] = Field((64, 128, 256), min_length=1,
                                          description="output channels of each Conv(3x3) + ReLU + MaxPool block")
        feature_units: int = Field(256, ge=1, description="units of the feature layer (the trunk's width)")
        augment: bool = Field(True,
                              description="augment training batches on the fly (rotation, crop, flip, illumination)")
        max_rotation_deg: float = Field(10.0, ge=0, description="largest rotation, either way, in degrees")
        min_crop: float = Field(0.85, gt=0, le=1, description="smallest zoom-in crop, as a fraction of the frame side")
        flip_probability: float = Field(0.5, ge=0, le=1, description="probability of a horizontal flip")
        max_gain: float = Field(
            0.2, ge=0,
            description="largest illumination gain change, either way: intensities times 1 +- this (standardised)")
        max_offset: float = Field(
            0.2, ge=0, description="largest illumination offset, either way, added to the standardised intensities")

    def preprocess(self, x: np.ndarray) -> np.ndarray:
        n = self.params.n_frames
        if x.shape[0] != n:
            x = x[np.linspace(0, x.shape[0] - 1, n).round().astype(int)]
        return resize_2d(x, self.params.frame_size)

    def build_trunk(self, input_shape: tuple[int, ...]) -> tuple[nn.Module, int]:
        from .layers import Conv2dTrunk

        p = self.params
        trunk = Conv2dTrunk(input_shape, p.channels, kernel=3, padding=1, fc_units=[p.feature_units])
        return trunk, trunk.width

    def augment_batch(self, inputs: tuple[torch.Tensor, ...], generator: torch.Generator
                      ) -> tuple[torch.Tensor, ...]:
        from .augment import augment_frame_stacks

        p = self.params
        if not p.augment:
            return inputs
        frames = augment_frame_stacks(inputs[0], generator, max_rotation_deg=p.max_rotation_deg,
                                      min_crop=p.min_crop, flip_probability=p.flip_probability,
                                      max_gain=p.max_gain, max_offset=p.max_offset)
        return (frames, *inputs[1:])


@hookimpl
def avbench_plugins() -> list[type]:
    return [RisteaAudioCnn, RisteaFramesCnn]
