"""cuny2020's networks: an MFCC sequence through LSTM(128) and three dense layers, and a small face CNN.

The text (000, section 3.a.i and figure 4): "the first layer is LSTM layer
with 128 neurons, then there are two dense layers which activation is Relu with
32 neurons, and following a third dense layer which activation is Tanh with 16
neurons, and last layer is a softmax layer."

Section 3.b: the middle frame of each video, grayscale, the face found by a
pretrained cascade and cropped; "several models were built with different
convolutional and dense layers ... the models were not trained with more than
five epochs" (15-19% accuracy). Its layers are not listed, so ``cuny-face-cnn``
is one such small Keras-style Conv2D net.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from avbench import hookimpl
from avbench.contract import OutputKind

from .base import TorchModel, TorchParams

if TYPE_CHECKING:  # torch and the network classes are imported when a network is built
    from torch import nn


class CunyLstm(TorchModel):
    """LSTM(128) -> Dense(32, relu) -> Dense(32, relu) -> Dense(16, tanh) -> softmax over MFCC frames.

    Silent in the text, chosen here: Adam at Keras's default lr 1e-3, batch 32
    (Keras's default), up to 100 epochs with early stopping (patience 10) on
    validation loss. The LSTM reads each clip's real frames only (packed
    sequences) and its last state feeds the dense layers; a spectrogram-shaped
    MFCC ``[F, T]`` is transposed to ``[T, F]``. The trunk ends at the tanh
    layer (width 16).
    """

    name = "cuny-lstm"
    version = "1.0"
    cites = ('Coban, Zhao, Jean-Baptiste, "Audio-Visual Emotion and Sentiment Research", CUNY Graduate Center project '
             'report, about 2020 (seed text cuny2020)')
    #: tiny, fast settings for the conformance checks (avbench check)
    conformance_params: ClassVar[dict] = {"max_epochs": 2, "lstm_units": 8, "dense_units": (8,), "tanh_units": 4}
    accepts: ClassVar[frozenset[OutputKind]] = frozenset({OutputKind.SEQUENCE, OutputKind.SPECTROGRAM})
    uses_lengths = True
    time_major = True

    class Params(TorchParams):
        lstm_units: int = Field(128, ge=1, description="LSTM units")
        dense_units: tuple[int, ...] = Field((32, 32), description="units of the ReLU dense layers after the LSTM")
        tanh_units: int = Field(16, ge=1, description="units of the last (tanh) dense layer: the trunk's width")
        max_epochs: int = Field(100, ge=1, description="most training epochs")

    def build_trunk(self, input_shape: tuple[int, ...]) -> tuple[nn.Module, int]:
        from torch import nn

        from .layers import LstmTrunk

        p = self.params
        trunk = LstmTrunk(input_shape[-1], [p.lstm_units], dense_units=[*p.dense_units, p.tanh_units],
                          dense_activations=[nn.ReLU] * len(p.dense_units) + [nn.Tanh])
        return trunk, trunk.width


class CunyFaceCnn(TorchModel):
    """Conv2D(32, 3x3) + ReLU + MaxPool(2) -> Conv2D(64, 3x3) + ReLU + MaxPool(2) -> Dense(128, relu) -> softmax.

    Input: the grayscale face crop(s) of a clip as an image stack ``[T, H, W]``
    (cuny2020: ``T = 1``, the middle frame; several frames become channels).
    Silent in the text, chosen here as Keras defaults would give them: "valid"
    convolutions (no padding), Adam at lr 1e-3, batch 32; at most 5 epochs as
    the text trained ("not trained with more than five epochs"), keeping the
    epoch of best validation loss. The trunk ends at the 128-unit dense layer.
    """

    name = "cuny-face-cnn"
    version = "1.0"
    cites = ('Coban, Zhao, Jean-Baptiste, "Audio-Visual Emotion and Sentiment Research", CUNY Graduate Center project '
             'report, about 2020 (seed text cuny2020)')
    #: tiny, fast settings for the conformance checks (avbench check)
    conformance_params: ClassVar[dict] = {"max_epochs": 1, "channels": (4, 8), "dense_units": (8,)}
    accepts: ClassVar[frozenset[OutputKind]] = frozenset({OutputKind.IMAGE_STACK})

    class Params(TorchParams):
        channels: tuple[int, ...] = Field((32, 64), min_length=1,
                                          description="output channels of each Conv2D + ReLU + MaxPool block")
        kernel_size: int = Field(3, ge=1, description="convolution kernel side")
        padding: int = Field(0, ge=0, description="convolution zero padding (0: Keras 'valid')")
        pool: int = Field(2, ge=1, description="max-pooling size")
        dense_units: tuple[int, ...] = Field((128,),
                                             description="units of the ReLU dense layers after the convolutions")
        dropout: float = Field(0.0, ge=0, lt=1, description="dropout after each dense layer")
        max_epochs: int = Field(5, ge=1, description="most training epochs (the text trained at most five)")
        patience: int = Field(5, ge=1, description="epochs without improvement before early stopping")

    def build_trunk(self, input_shape: tuple[int, ...]) -> tuple[nn.Module, int]:
        from .layers import Conv2dTrunk

        p = self.params
        trunk = Conv2dTrunk(input_shape, p.channels, kernel=p.kernel_size, padding=p.padding, pool=p.pool,
                            fc_units=p.dense_units, fc_dropout=p.dropout)
        return trunk, trunk.width


@hookimpl
def avbench_plugins() -> list[type]:
    return [CunyLstm, CunyFaceCnn]
