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

from typing import ClassVar

import numpy as np
import torch
from pydantic import Field, model_validator
from torch import nn

from avbench import hookimpl
from avbench.contract import OutputKind

from .base import TorchModel, TorchParams


class AttentionPool(nn.Module):
    """Softmax-weighted mean over time of ``[N, C, T]`` -> ``[N, C]``, the weights from one linear score per step."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.score = nn.Conv1d(channels, 1, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights = torch.softmax(self.score(x), dim=-1)
        return (x * weights).sum(dim=-1)


class SpeechCnnTrunk(nn.Module):
    """Temporal conv blocks over ``[mels, frames]`` (mel bands as channels), optional BiGRU, attention pooling.

    Every block is Conv1d (no bias) + BatchNorm + ReLU; the first blocks stride 2
    over time. Mel bands as channels make each convolution one dense matrix
    product, several times faster on a CPU core than 2-D convolutions of the same
    arithmetic (TC-ResNet's argument, Choi et al. 2019).
    """

    def __init__(self, input_shape: tuple[int, ...], channels: tuple[int, ...], kernels: tuple[int, ...],
                 strides: tuple[int, ...], gru_units: int, dropout: float) -> None:
        super().__init__()
        if len(input_shape) != 2:
            raise ValueError(f"speech-cnn takes [mels, frames] maps, got clips of shape {input_shape}")
        blocks: list[nn.Module] = []
        previous = input_shape[0]
        for width, kernel, stride in zip(channels, kernels, strides):
            blocks += [nn.Conv1d(previous, width, kernel, stride=stride, padding=kernel // 2, bias=False),
                       nn.BatchNorm1d(width), nn.ReLU(inplace=True)]
            previous = width
        self.features = nn.Sequential(*blocks)
        self.gru = nn.GRU(previous, gru_units, batch_first=True, bidirectional=True) if gru_units else None
        self.width = 2 * gru_units if gru_units else previous
        self.pool = AttentionPool(self.width)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        steps = self.features(x)  # [N, C, T']
        if self.gru is not None:
            steps = self.gru(steps.transpose(1, 2))[0].transpose(1, 2)
        return self.dropout(self.pool(steps))


def augment_log_mel(x: torch.Tensor, generator: torch.Generator, *, freq_masks: int, freq_width: int,
                    time_masks: int, time_width: int, max_shift: int, max_level: float, mix_probability: float,
                    mix_weight: float) -> torch.Tensor:
    """Augmented copy of standardised maps ``x`` ``[N, F, T]``; every draw comes from ``generator`` (CPU).

    Masked cells become 0 (the training mean); a mixed-in clip gets a weight drawn
    uniformly from ``[0, mix_weight]``.
    """
    n, n_freq, n_time = x.shape
    out = x.clone()
    if max_shift > 0:
        shifts = torch.randint(-max_shift, max_shift + 1, (n,), generator=generator)
        index = (torch.arange(n_time).unsqueeze(0) - shifts.unsqueeze(1)) % n_time
        out = torch.gather(out, 2, index.unsqueeze(1).expand(n, n_freq, n_time).to(x.device))
    if max_level > 0:
        level = (torch.rand(n, generator=generator) * 2 - 1) * max_level
        out = out + level.to(x.device, x.dtype).view(n, 1, 1)
    if mix_probability > 0 and n > 1:
        partner = torch.randperm(n, generator=generator)
        weight = torch.rand(n, generator=generator) * mix_weight
        weight = torch.where(torch.rand(n, generator=generator) < mix_probability, weight, torch.zeros(n))
        weight = weight.to(x.device, x.dtype).view(n, 1, 1)
        out = (1 - weight) * out + weight * out[partner.to(x.device)]
    keep = torch.ones(n, n_freq, n_time, dtype=torch.bool)
    for axis, count, width, size in ((1, freq_masks, freq_width, n_freq), (2, time_masks, time_width, n_time)):
        for _ in range(count):
            widths = torch.randint(0, min(width, size) + 1, (n,), generator=generator)
            starts = (torch.rand(n, generator=generator) * (size - widths + 1)).long()
            positions = torch.arange(size).unsqueeze(0)
            band = (positions >= starts.unsqueeze(1)) & (positions < (starts + widths).unsqueeze(1))
            keep &= ~band.unsqueeze(2) if axis == 1 else ~band.unsqueeze(1)
    return out * keep.to(x.device, x.dtype)


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
        p = self.params
        trunk = SpeechCnnTrunk(tuple(input_shape), tuple(p.channels), tuple(p.kernels), tuple(p.strides),
                               p.gru_units, p.dropout)
        return trunk, trunk.width

    def preprocess(self, x: np.ndarray) -> np.ndarray:
        return x - x.mean(axis=1, keepdims=True) if self.params.clip_centre else x

    def augment_batch(self, inputs: tuple[torch.Tensor, ...], generator: torch.Generator
                      ) -> tuple[torch.Tensor, ...]:
        p = self.params
        (x,) = inputs
        return (augment_log_mel(x, generator, freq_masks=p.freq_masks, freq_width=p.freq_width,
                                time_masks=p.time_masks, time_width=p.time_width, max_shift=p.max_shift,
                                max_level=p.max_level, mix_probability=p.mix_probability,
                                mix_weight=p.mix_weight),)


@hookimpl
def avbench_plugins() -> list[type]:
    return [SpeechCnn]
