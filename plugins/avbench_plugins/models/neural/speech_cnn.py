"""A small temporal CNN over log-Mel maps with attention pooling, trained from scratch, sized for one CPU core.

Strided temporal convolution blocks (mel bands as channels, BatchNorm, ReLU)
shrink a ``[mels, frames]`` map fast, so a fit of ~1300 clips costs seconds per
epoch on one core; an attention layer then weights the remaining time steps
(emotion is carried by a few stressed syllables, not by the silence around them),
optionally after a small bidirectional GRU. Training-time augmentation works on
standardised maps: SpecAugment masks (Park et al. 2019), a circular time shift,
a level offset, and *mix-in* of another clip of the batch at a minority weight
(mixup's input mixing with the main clip's label kept, since the shared training
loop trains on hard labels). No pretrained weights; nothing sees the test speakers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import Field, model_validator

from avbench import hookimpl
from avbench.contract import OutputKind

from .base import TorchModel, TorchParams

if TYPE_CHECKING:
    import torch
    from torch import nn

_NETWORK_NAMES = ("AttentionPool", "SpeechCnnTrunk", "augment_log_mel")


def __getattr__(name: str) -> Any:
    """The network's names, from :mod:`.speech_cnn_net`, imported (with torch) on first use."""
    if name in _NETWORK_NAMES:
        from . import speech_cnn_net

        return getattr(speech_cnn_net, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class SpeechCnn(TorchModel):
    """Temporal log-Mel CNN (strided Conv1d blocks + BatchNorm) with attention pooling, SpecAugment and mix-in."""

    name = "speech-cnn"
    version = "1.0"
    cites = ('Park et al. 2019, "SpecAugment: A Simple Data Augmentation Method for Automatic Speech '
             'Recognition", Proc. Interspeech (the masks); Zhang et al. 2018, "mixup" (input mixing)')
    accepts: ClassVar[frozenset[OutputKind]] = frozenset({OutputKind.SPECTROGRAM})
    preferred_2d: ClassVar[OutputKind] = OutputKind.SPECTROGRAM

    class Params(TorchParams):
        channels: tuple[int, ...] = Field((64, 64, 96), description="output channels of the temporal conv blocks")
        kernels: tuple[int, ...] = Field((5, 5, 5), description="kernel length (frames) of each block")
        strides: tuple[int, ...] = Field((2, 2, 2), description="time stride of each block")
        gru_units: int = Field(0, ge=0, description="units per direction of a BiGRU over the pooled time steps; 0: none")
        dropout: float = Field(0.3, ge=0, lt=1, description="dropout before the classifier")
        freq_masks: int = Field(2, ge=0, description="SpecAugment frequency masks per training clip")
        freq_width: int = Field(8, ge=0, description="widest frequency mask (mel bands)")
        time_masks: int = Field(2, ge=0, description="SpecAugment time masks per training clip")
        time_width: int = Field(20, ge=0, description="widest time mask (frames)")
        max_shift: int = Field(15, ge=0, description="largest circular time shift (frames) of a training clip")
        max_level: float = Field(0.3, ge=0, description="largest level offset (standardised units) of a training clip")
        mix_probability: float = Field(0.5, ge=0, le=1, description="chance a training clip gets another mixed in")
        mix_weight: float = Field(0.4, ge=0, lt=0.5,
                                  description="largest weight of the mixed-in clip (its label is not used)")
        clip_centre: bool = Field(
            False, description="subtract each clip's own mean per mel band (over its frames) before standardising: "
                               "removes the average spectrum of speaker and channel, from the clip alone")
        lr: float = Field(3e-3, gt=0, description="Adam learning rate")
        weight_decay: float = Field(1e-4, ge=0, description="Adam weight decay (L2 penalty)")
        batch_size: int = Field(32, ge=1, description="clips per training batch")
        max_epochs: int = Field(30, ge=1, description="most training epochs")
        patience: int = Field(8, ge=1, description="epochs without improvement before early stopping")

        @model_validator(mode="after")
        def _blocks(self) -> "SpeechCnn.Params":
            if not self.channels or min(self.channels) < 1:
                raise ValueError(f"channels must be positive block widths, got {self.channels}")
            if not len(self.channels) == len(self.kernels) == len(self.strides):
                raise ValueError(f"channels, kernels and strides give one value per block: got {len(self.channels)}, "
                                 f"{len(self.kernels)} and {len(self.strides)}")
            if min(self.kernels) < 1 or min(self.strides) < 1:
                raise ValueError("kernels and strides must be positive")
            return self

    def build_trunk(self, input_shape: tuple[int, ...]) -> tuple[nn.Module, int]:
        from .speech_cnn_net import SpeechCnnTrunk

        p = self.params
        trunk = SpeechCnnTrunk(tuple(input_shape), tuple(p.channels), tuple(p.kernels), tuple(p.strides),
                               p.gru_units, p.dropout)
        return trunk, trunk.width

    def preprocess(self, x: np.ndarray) -> np.ndarray:
        return x - x.mean(axis=1, keepdims=True) if self.params.clip_centre else x

    def augment_batch(self, inputs: tuple[torch.Tensor, ...], generator: torch.Generator
                      ) -> tuple[torch.Tensor, ...]:
        from .speech_cnn_net import augment_log_mel

        p = self.params
        (x,) = inputs
        return (augment_log_mel(x, generator, freq_masks=p.freq_masks, freq_width=p.freq_width,
                                time_masks=p.time_masks, time_width=p.time_width, max_shift=p.max_shift,
                                max_level=p.max_level, mix_probability=p.mix_probability,
                                mix_weight=p.mix_weight),)


@hookimpl
def avbench_plugins() -> list[type]:
    return [SpeechCnn]
