"""ravdess-cnn's single-convolution network, shared by its audio and video branches.

Text 003, section 4.2: inputs ``[32, 1, 128, 216]`` (log-Mel), ``[32, 1, 30,
216]`` (MFCC) and ``[32, 1, 32, 512]`` (32 frames of 512-d VGG19-FER
features); "a convolutional layer with 16 filters, a size kernel of size 3, a
stride of 1 and zero padding ... followed by a ReLU activation function and a
2D max pooling level ... dropout ... 0.5 and finally there is a
fully-connected level"; Adam, learning rate 1e-5, cross-entropy, early stopping
on validation loss with patience 10, the checkpoint of the best validation loss
evaluated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from avbench import hookimpl
from avbench.contract import OutputKind

from .base import TorchModel, TorchParams

if TYPE_CHECKING:  # torch and the network classes are imported when a network is built
    from torch import nn


class RavdessCnn(TorchModel):
    """Conv2d(16, 3x3, stride 1) + ReLU + MaxPool(2) + Dropout(0.5) + one FC, over a 1-channel 2-D map.

    A spectrogram ``[F, T]`` and a sequence ``[T, D]`` (frames by features) are
    both read as the map they are; the time axis is padded or cut to
    ``max_len`` (None: the longest training clip; 216 in the text). "Zero
    padding" is read as no padding (PyTorch's ``padding=0``); set ``padding=1``
    for the other reading. Batch 32 as in the text's input shapes. The text
    gives no epoch limit: 100 here, with early stopping (patience 10). The trunk
    is everything before the FC layer (the flattened pooled maps), which the
    ``joint-trunks`` fusion concatenates across branches.
    """

    name = "ravdess-cnn"
    version = "1.0"
    #: tiny, fast settings for the conformance checks (avbench check)
    conformance_params: ClassVar[dict] = {"max_epochs": 2, "filters": 4}
    accepts: ClassVar[frozenset[OutputKind]] = frozenset({OutputKind.SPECTROGRAM, OutputKind.SEQUENCE})
    preferred_2d = OutputKind.SPECTROGRAM

    class Params(TorchParams):
        filters: int = Field(16, ge=1, description="convolution output channels")
        kernel_size: int = Field(3, ge=1, description="convolution kernel side")
        padding: int = Field(0, ge=0,
                             description="convolution zero padding (0: the text's 'zero padding' read as none)")
        pool: int = Field(2, ge=1, description="max-pooling size")
        dropout: float = Field(0.5, ge=0, lt=1, description="dropout after pooling")
        lr: float = Field(1e-5, gt=0, description="Adam learning rate")
        patience: int = Field(10, ge=1, description="epochs without improvement before early stopping")
        max_epochs: int = Field(100, ge=1, description="most training epochs (the text gives no limit)")

    def build_trunk(self, input_shape: tuple[int, ...]) -> tuple[nn.Module, int]:
        from .layers import Conv2dTrunk

        p = self.params
        trunk = Conv2dTrunk(input_shape, [p.filters], kernel=p.kernel_size, padding=p.padding, pool=p.pool,
                            conv_dropout=p.dropout)
        return trunk, trunk.width


@hookimpl
def avbench_plugins() -> list[type]:
    return [RavdessCnn]
