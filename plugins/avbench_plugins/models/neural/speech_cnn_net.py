"""The speech-cnn network and its training-time augmentation (torch): imported when the model builds or trains."""

from __future__ import annotations

import torch
from torch import nn


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
