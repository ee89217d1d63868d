"""sapienza2024's two base networks: a four-block CNN over MFCCs and a two-layer LSTM over blendshapes.

Text 002, section 3.1: "the spectrograms pass through four convolutional
layers, each followed by a ReLU activation function and max pooling ... the
vector passes through a series of fully connected layers, with dropouts ...
softmax". Section 3.2: "two LSTM layers. The first LSTM layer returns
sequences ... Both LSTM layers have dropout ... a fully connected layer with
ReLU activation ... the final dense layer with softmax activation".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from avbench import hookimpl
from avbench.contract import OutputKind

from .base import TorchModel, TorchParams

if TYPE_CHECKING:  # torch and the network classes are imported when a network is built
    from torch import nn


class SapienzaMfccCnn(TorchModel):
    """Four Conv2d(3x3) + ReLU + MaxPool(2) blocks, then FC layers with dropout, softmax.

    The clip is one 1-channel map: a spectrogram ``[F, T]`` (MFCC rows by
    frames) or a sequence ``[T, D]`` as given; its time axis is padded or cut to
    ``max_len``. Silent in the text, chosen here: channels 16-32-64-128, padding
    1, FC layers (256, 64) with dropout 0.5, Adam lr 1e-3, batch 32, up to 50
    epochs keeping the epoch of best validation accuracy (the text keeps "the
    best accuracy across all epochs"), early stopping after 10 epochs without
    improvement.
    """

    name = "sapienza-mfcc-cnn"
    version = "1.0"
    cites = ('Coppola, D\'aprile, Gryka, Lazzaroni, "Emotion Recognition by Audio and Video", Sapienza AI Lab course '
             'report, 2023/24 (seed text sapienza2024)')
    #: tiny, fast settings for the conformance checks (avbench check)
    conformance_params: ClassVar[dict] = {"max_epochs": 2, "channels": (4, 8)}
    accepts: ClassVar[frozenset[OutputKind]] = frozenset({OutputKind.SPECTROGRAM, OutputKind.SEQUENCE})
    preferred_2d = OutputKind.SPECTROGRAM

    class Params(TorchParams):
        channels: tuple[int, ...] = Field((16, 32, 64, 128), min_length=1,
                                          description="output channels of each Conv2d + ReLU + MaxPool block")
        kernel_size: int = Field(3, ge=1, description="convolution kernel side (padding keeps the size)")
        fc_units: tuple[int, ...] = Field((256, 64), description="units of the FC layers after the convolutions")
        dropout: float = Field(0.5, ge=0, lt=1, description="dropout after each FC layer")
        monitor: Literal["val_loss", "val_accuracy"] = Field(
            "val_accuracy",
            description="validation measure that picks the kept epoch (the text keeps the best accuracy)")

    def build_trunk(self, input_shape: tuple[int, ...]) -> tuple[nn.Module, int]:
        from .layers import Conv2dTrunk

        p = self.params
        trunk = Conv2dTrunk(input_shape, p.channels, kernel=p.kernel_size, padding=p.kernel_size // 2,
                            fc_units=p.fc_units, fc_dropout=p.dropout)
        return trunk, trunk.width


class SapienzaBlendshapeLstm(TorchModel):
    """LSTM -> dropout -> LSTM -> dropout -> Dense(relu) -> softmax over per-frame blendshapes ``[50, 52]``.

    Silent in the text, chosen here: 64 units per LSTM, dropout 0.3, Dense(32),
    Adam lr 1e-3 (Keras's default), batch 32, up to 50 epochs keeping the best
    validation-loss epoch (Keras's ModelCheckpoint default), early stopping
    after 10. Sequences are padded or cut to ``max_len`` (default 50, the
    text's frame count) and packed so padding never enters the recurrence.
    Also the network of the ``fused-lstm`` fusion.
    """

    name = "sapienza-blendshape-lstm"
    version = "1.0"
    cites = ('Coppola, D\'aprile, Gryka, Lazzaroni, "Emotion Recognition by Audio and Video", Sapienza AI Lab course '
             'report, 2023/24 (seed text sapienza2024)')
    #: tiny, fast settings for the conformance checks (avbench check)
    conformance_params: ClassVar[dict] = {"max_epochs": 2, "lstm_units": (8,), "dense_units": 8, "max_len": 12}
    accepts: ClassVar[frozenset[OutputKind]] = frozenset({OutputKind.SEQUENCE, OutputKind.SPECTROGRAM})
    uses_lengths = True
    time_major = True

    class Params(TorchParams):
        lstm_units: tuple[int, ...] = Field((64, 64), min_length=1, description="units of each stacked LSTM layer")
        dropout: float = Field(0.3, ge=0, lt=1, description="dropout after each LSTM layer")
        dense_units: int = Field(32, ge=1, description="units of the ReLU dense layer (the trunk's width)")
        max_len: int | None = Field(50, ge=1, description="frames sequences are padded or cut to (the text's 50)")

    def build_trunk(self, input_shape: tuple[int, ...]) -> tuple[nn.Module, int]:
        from .layers import LstmTrunk

        p = self.params
        trunk = LstmTrunk(input_shape[-1], p.lstm_units, dropout=p.dropout, dense_units=[p.dense_units])
        return trunk, trunk.width


@hookimpl
def avbench_plugins() -> list[type]:
    return [SapienzaMfccCnn, SapienzaBlendshapeLstm]
