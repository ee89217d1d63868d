"""cuny2020's audio network: an MFCC sequence through LSTM(128) and three dense layers.

The text (000, section 3.a.i and figure 4): "the first layer is LSTM layer
with 128 neurons, then there are two dense layers which activation is Relu with
32 neurons, and following a third dense layer which activation is Tanh with 16
neurons, and last layer is a softmax layer."
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from torch import nn

from avbench import hookimpl
from avbench.contract import OutputKind

from .base import TorchModel, TorchParams
from .layers import LstmTrunk


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
    accepts: ClassVar[frozenset[OutputKind]] = frozenset({OutputKind.SEQUENCE, OutputKind.SPECTROGRAM})
    uses_lengths = True
    time_major = True

    class Params(TorchParams):
        lstm_units: int = Field(128, ge=1)
        dense_units: tuple[int, ...] = (32, 32)
        tanh_units: int = Field(16, ge=1)
        max_epochs: int = Field(100, ge=1)

    def build_trunk(self, input_shape: tuple[int, ...]) -> tuple[nn.Module, int]:
        p = self.params
        trunk = LstmTrunk(input_shape[-1], [p.lstm_units], dense_units=[*p.dense_units, p.tanh_units],
                          dense_activations=[nn.ReLU] * len(p.dense_units) + [nn.Tanh])
        return trunk, trunk.width


@hookimpl
def avbench_plugins() -> list[type]:
    return [CunyLstm]
