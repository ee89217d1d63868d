"""SUPERB's downstream model for a frozen speech encoder: a learned weighting of its layers, pooling, a classifier.

Yang et al. 2021 (SUPERB) and EmoBox (Ma et al. 2024) evaluate a frozen self-supervised encoder by
training only this on top: every hidden state of the encoder, ``softmax(w)``-weighted and summed
(one weight per layer, learned), a linear projection, mean pooling over the clip's frames (or
self-attentive pooling), and a linear classifier. Input: ``ssl-encoder-layers`` clips, an image
stack ``[T, L, D]`` (frames, hidden states, width); ``[1, L, D]`` clips (``pool = "mean"`` there)
work with mean pooling. Padding frames never enter the pooling (the clips' lengths mask them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from pydantic import Field

from avbench import hookimpl
from avbench.contract import OutputKind

from .base import TorchModel, TorchParams
from .inputs import Standardize

if TYPE_CHECKING:  # torch and the network classes are imported when a network is built
    from torch import nn


class SuperbDownstream(TorchModel):
    """Learned softmax weighting of an encoder's layers -> Linear(projection) -> mean / attention pooling -> Linear.

    SUPERB's emotion task settings (s3prl ``downstream/emotion``): projection to 256, mean pooling,
    Adam at lr 1e-4, batch 32; each layer layer-normalised before the weighting (s3prl's
    ``normalize``). Here at most 50 epochs with early stopping on validation loss (patience 10);
    inputs are not standardised by default (the layer norm does it per frame).
    """

    name = "superb"
    version = "1.0"
    cites = ('Yang et al. 2021, "SUPERB: Speech processing Universal PERformance Benchmark", Interspeech 2021; '
             'Ma et al. 2024, "EmoBox: Multilingual Multi-corpus Speech Emotion Recognition Toolkit and '
             'Benchmark", LREC-COLING 2024')
    #: tiny, fast settings for the conformance checks (avbench check)
    conformance_params: ClassVar[dict] = {"max_epochs": 2, "projection_units": 8}
    accepts: ClassVar[frozenset[OutputKind]] = frozenset({OutputKind.IMAGE_STACK})
    uses_lengths = True

    class Params(TorchParams):
        projection_units: int = Field(256, ge=1, description="units of the linear projection of the weighted layers")
        pooling: Literal["mean", "attention"] = Field(
            "mean", description="over the clip's frames: their mean, or self-attentive pooling (a learned score "
                                "per frame)")
        layer_norm: bool = Field(True, description="layer-normalise each hidden state before the weighting")
        dropout: float = Field(0.0, ge=0, lt=1, description="dropout after the projection")
        lr: float = Field(1e-4, gt=0, description="Adam learning rate")
        standardize: Standardize = Field(
            "none", description="standardise inputs with training statistics (image stacks: one global mean and "
                                "SD); 'none' by default, the layer norm scales each frame")

    def build_trunk(self, input_shape: tuple[int, ...]) -> tuple[nn.Module, int]:
        from .layers import WeightedLayerPooling

        if len(input_shape) != 3:
            raise ValueError(f"{self.name} takes [frames, layers, width] clips (ssl-encoder-layers), got shape "
                             f"{input_shape}")
        p = self.params
        trunk = WeightedLayerPooling(input_shape[1], input_shape[2], p.projection_units, pooling=p.pooling,
                                     layer_norm=p.layer_norm, dropout=p.dropout)
        return trunk, trunk.width

    def layer_weights(self) -> np.ndarray:
        """The fitted softmax weight of each hidden state (which layers the task uses)."""
        trunk = self.network().trunk
        return trunk.layer_weights().detach().cpu().numpy().astype(np.float32)


@hookimpl
def avbench_plugins() -> list[type]:
    return [SuperbDownstream]
