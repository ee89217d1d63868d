"""Network building blocks shared by the model plugins: convolutional and recurrent trunks."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

from .base import conv_output_shape, pool_kernel


class Classifier(nn.Module):
    """A trunk followed by a head that returns logits (softmax is applied by the loss and at prediction)."""

    def __init__(self, trunk: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.trunk = trunk
        self.head = head

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(*inputs))


def mlp(width: int, units: Sequence[int], activation: type[nn.Module] = nn.ReLU, dropout: float = 0.0
        ) -> tuple[nn.Sequential, int]:
    """Linear + activation (+ dropout) per entry of ``units``; returns the stack and its output width."""
    layers: list[nn.Module] = []
    for u in units:
        layers += [nn.Linear(width, u), activation()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = u
    return nn.Sequential(*layers), width


class Conv2dTrunk(nn.Module):
    """Blocks of Conv2d + ReLU + MaxPool (+ dropout), flattened, then optional fully connected layers.

    Input ``[N, H, W]`` is read as a one-channel map; ``[N, C, H, W]`` (an
    image stack) uses its first axis as channels. A pooling axis shorter than
    the pool size is left unpooled so tiny inputs stay valid.
    """

    def __init__(self, input_shape: tuple[int, ...], channels: Sequence[int], *, kernel: int = 3,
                 padding: int = 1, pool: int = 2, conv_dropout: float = 0.0, fc_units: Sequence[int] = (),
                 fc_dropout: float = 0.0) -> None:
        super().__init__()
        if len(input_shape) not in (2, 3):
            raise ValueError(f"a 2-D CNN takes [H, W] or [C, H, W] clips, got shape {input_shape}")
        self.add_channel = len(input_shape) == 2
        shape = (1, *input_shape) if self.add_channel else tuple(input_shape)
        blocks: list[nn.Module] = []
        for out_channels in channels:
            h, w = shape[1] + 2 * padding, shape[2] + 2 * padding
            if h < kernel or w < kernel:
                raise ValueError(f"input {input_shape} is too small for {len(channels)} conv blocks of kernel "
                                 f"{kernel} (a block got {shape[1:]})")
            block = [nn.Conv2d(shape[0], out_channels, kernel, stride=1, padding=padding), nn.ReLU()]
            conv_shape = conv_output_shape(nn.Sequential(*block), shape)
            block.append(nn.MaxPool2d(pool_kernel(conv_shape[1:], pool)))
            if conv_dropout > 0:
                block.append(nn.Dropout(conv_dropout))
            blocks += block
            shape = conv_output_shape(nn.Sequential(*blocks), (1, *input_shape) if self.add_channel
                                      else tuple(input_shape))
        self.features = nn.Sequential(*blocks, nn.Flatten())
        flat = int(torch.Size(shape).numel())
        self.fc, self.width = mlp(flat, fc_units, nn.ReLU, fc_dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.add_channel:
            x = x.unsqueeze(1)
        return self.fc(self.features(x))


def _dropout_packed(packed: PackedSequence, dropout: nn.Module) -> PackedSequence:
    return packed._replace(data=dropout(packed.data))


class LstmTrunk(nn.Module):
    """Stacked LSTMs over padded ``[N, T, D]`` sequences with their lengths, then dense layers.

    Sequences are packed so padding never enters the recurrence; the last
    layer's state at each clip's true last frame is the summary. ``dropout``
    acts between LSTM layers and after the last one.
    """

    def __init__(self, n_features: int, lstm_units: Sequence[int], *, dropout: float = 0.0,
                 dense_units: Sequence[int] = (), dense_activations: Sequence[type[nn.Module]] | None = None
                 ) -> None:
        super().__init__()
        if not lstm_units:
            raise ValueError("an LSTM trunk needs at least one LSTM layer")
        self.lstms = nn.ModuleList()
        width = n_features
        for units in lstm_units:
            self.lstms.append(nn.LSTM(width, units, batch_first=True))
            width = units
        self.dropout = nn.Dropout(dropout)
        activations = list(dense_activations or [nn.ReLU] * len(dense_units))
        if len(activations) != len(dense_units):
            raise ValueError("one activation per dense layer")
        layers: list[nn.Module] = []
        for units, activation in zip(dense_units, activations):
            layers += [nn.Linear(width, units), activation()]
            width = units
        self.dense = nn.Sequential(*layers)
        self.width = width

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(x, lengths.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False)
        last = None
        for i, lstm in enumerate(self.lstms):
            packed, (h, _) = lstm(packed)
            last = h[-1]
            if i + 1 < len(self.lstms):
                packed = _dropout_packed(packed, self.dropout)
        return self.dense(self.dropout(last))


class WeightedLayerPooling(nn.Module):
    """``[N, T, L, D]`` + lengths -> ``[N, units]``: softmax layer weights, projection, masked mean or attention pooling."""

    def __init__(self, n_layers: int, width: int, units: int, *, pooling: str, layer_norm: bool,
                 dropout: float) -> None:
        super().__init__()
        self.layer_logits = nn.Parameter(torch.zeros(n_layers))  # uniform weights at the start, as SUPERB
        self.layer_norm = layer_norm
        self.projection = nn.Linear(width, units)
        self.attention = nn.Linear(units, 1) if pooling == "attention" else None
        self.dropout = nn.Dropout(dropout)
        self.width = units

    def layer_weights(self) -> torch.Tensor:
        return torch.softmax(self.layer_logits, dim=0)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        if self.layer_norm:
            x = F.layer_norm(x, (x.shape[-1],))
        mixed = torch.einsum("ntld,l->ntd", x, self.layer_weights())
        h = self.dropout(self.projection(mixed))  # [N, T, units]
        valid = torch.arange(h.shape[1], device=h.device)[None, :] < lengths.clamp(min=1)[:, None].to(h.device)
        if self.attention is None:
            weights = valid.to(h.dtype) / valid.sum(dim=1, keepdim=True).to(h.dtype)
        else:
            scores = self.attention(h).squeeze(-1).masked_fill(~valid, float("-inf"))
            weights = torch.softmax(scores, dim=1)
        return torch.einsum("ntu,nt->nu", h, weights)
