"""mini-Xception (Arriaga et al. 2017, face_classification) in torch, loading the Keras FER-2013 weights.

The Keras model (``fer2013_mini_XCEPTION.102-0.66.hdf5``, Keras 2.0.9, channels-last)
is rebuilt layer by layer so no TensorFlow is needed. What the port must get right:

* kernels: Keras ``Conv2D`` ``(kh, kw, in, out)`` -> torch ``(out, in, kh, kw)``;
  ``SeparableConv2D`` depthwise ``(kh, kw, in, 1)`` -> ``(in, 1, kh, kw)`` with
  ``groups=in``, pointwise ``(1, 1, in, out)`` -> ``(out, in, 1, 1)``;
* batch norm epsilon 1e-3 (Keras default; torch's is 1e-5);
* padding: the two stem convolutions are 'valid' (64 -> 62 -> 60); the 3x3
  max-pools with stride 2 are TensorFlow 'same', which pads the extra row/column
  at the bottom/right (60 -> 30 -> 15 -> 8 -> 4), unlike torch's symmetric padding;
* input: grayscale 64x64 scaled as in face_classification's ``preprocess_input``:
  ``(x / 255 - 0.5) * 2``.

Classes, in the network's output order: angry, disgust, fear, happy, sad, surprise, neutral.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .fer_classes import FER_CLASSES, INPUT_SIZE

EMBEDDING_DIM = 128
BN_EPS = 1e-3


def tf_same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow 'same' padding (before, after) of one axis: the odd pixel goes after."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class MaxPoolSame(nn.Module):
    """3x3 stride-2 max-pool with TensorFlow 'same' padding (padding never wins the max)."""

    def __init__(self, kernel: int = 3, stride: int = 2) -> None:
        super().__init__()
        self.kernel, self.stride = kernel, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        top, bottom = tf_same_padding(x.shape[-2], self.kernel, self.stride)
        left, right = tf_same_padding(x.shape[-1], self.kernel, self.stride)
        x = F.pad(x, (left, right, top, bottom), value=float("-inf"))
        return F.max_pool2d(x, self.kernel, self.stride)


class SeparableConv(nn.Module):
    """Keras SeparableConv2D (depth multiplier 1, no bias, 'same' 3x3): depthwise then pointwise."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False)
        self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS)


class ResidualBlock(nn.Module):
    """sep-conv, BN, ReLU, sep-conv, BN, max-pool; plus a strided 1x1 conv + BN shortcut."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.shortcut = nn.Conv2d(cin, cout, 1, stride=2, bias=False)
        self.shortcut_bn = _bn(cout)
        self.sep1, self.bn1 = SeparableConv(cin, cout), _bn(cout)
        self.sep2, self.bn2 = SeparableConv(cout, cout), _bn(cout)
        self.pool = MaxPoolSame()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = self.shortcut_bn(self.shortcut(x))
        y = F.relu(self.bn1(self.sep1(x)))
        y = self.pool(self.bn2(self.sep2(y)))
        return y + residual


class MiniXception(nn.Module):
    """The 7-class FER-2013 mini-Xception; ``features`` gives the 128-d pooled embedding and the logits."""

    def __init__(self, n_classes: int = len(FER_CLASSES)) -> None:
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(1, 8, 3, bias=False), _bn(8)
        self.conv2, self.bn2 = nn.Conv2d(8, 8, 3, bias=False), _bn(8)
        self.blocks = nn.ModuleList([ResidualBlock(c, 2 * c) for c in (8, 16, 32, 64)])
        self.head = nn.Conv2d(128, n_classes, 3, padding=1, bias=True)

    def trunk(self, x: torch.Tensor) -> torch.Tensor:
        """Output of the last residual block ``[N, 128, 4, 4]`` for preprocessed input ``[N, 1, 64, 64]``."""
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        for block in self.blocks:
            x = block(x)
        return x

    def features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(embedding [N, 128], logits [N, 7])``: the embedding is the global average of the trunk."""
        t = self.trunk(x)
        return t.mean(dim=(2, 3)), self.head(t).mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class posteriors ``[N, 7]`` (softmax, as the Keras model's last layer)."""
        return torch.softmax(self.features(x)[1], dim=1)


def preprocess(gray: np.ndarray) -> torch.Tensor:
    """uint8 faces ``[N, 64, 64]`` -> float tensor ``[N, 1, 64, 64]`` scaled to [-1, 1] like the original."""
    gray = np.asarray(gray)
    if gray.ndim != 3 or gray.shape[1:] != (INPUT_SIZE, INPUT_SIZE):
        raise ValueError(f"mini-Xception takes faces [N, {INPUT_SIZE}, {INPUT_SIZE}], got {gray.shape}")
    x = torch.from_numpy(gray.astype(np.float32))[:, None]
    return (x / 255.0 - 0.5) * 2.0


def _keras_layers() -> list[tuple[str, str]]:
    """(torch module path, Keras layer name) of every weighted layer, following the model_config graph."""
    pairs = [("conv1", "conv2d_1"), ("bn1", "batch_normalization_1"),
             ("conv2", "conv2d_2"), ("bn2", "batch_normalization_2")]
    for i in range(1, 5):
        b = f"blocks.{i - 1}"
        pairs += [(f"{b}.shortcut", f"conv2d_{i + 2}"), (f"{b}.shortcut_bn", f"batch_normalization_{3 * i}"),
                  (f"{b}.sep1", f"separable_conv2d_{2 * i - 1}"), (f"{b}.bn1", f"batch_normalization_{3 * i + 1}"),
                  (f"{b}.sep2", f"separable_conv2d_{2 * i}"), (f"{b}.bn2", f"batch_normalization_{3 * i + 2}")]
    pairs.append(("head", "conv2d_7"))
    return pairs


def _copy(target: torch.Tensor, value: np.ndarray, what: str) -> None:
    if tuple(target.shape) != value.shape:
        raise ValueError(f"{what}: weight shape {value.shape} does not fit {tuple(target.shape)}")
    with torch.no_grad():
        target.copy_(torch.from_numpy(np.ascontiguousarray(value)))


def load_keras_weights(model: MiniXception, path: str | Path) -> MiniXception:
    """Copy the Keras hdf5 weights into ``model`` (channels-last kernels transposed); returns it in eval mode."""
    import h5py

    path = Path(path)
    with h5py.File(path, "r") as f:
        if "model_weights" not in f:
            raise ValueError(f"{path}: not a Keras model file (no 'model_weights' group)")
        weights = f["model_weights"]
        modules = dict(model.named_modules())
        for module_name, layer in _keras_layers():
            if layer not in weights:
                raise ValueError(f"{path}: layer {layer!r} missing; is this fer2013_mini_XCEPTION?")
            group = weights[layer][layer]
            module = modules[module_name]
            what = f"{path.name}:{layer}"
            if isinstance(module, nn.BatchNorm2d):
                _copy(module.weight, group["gamma:0"][()], what)
                _copy(module.bias, group["beta:0"][()], what)
                _copy(module.running_mean, group["moving_mean:0"][()], what)
                _copy(module.running_var, group["moving_variance:0"][()], what)
            elif isinstance(module, SeparableConv):
                _copy(module.depthwise.weight, group["depthwise_kernel:0"][()].transpose(2, 3, 0, 1), what)
                _copy(module.pointwise.weight, group["pointwise_kernel:0"][()].transpose(3, 2, 0, 1), what)
            else:
                _copy(module.weight, group["kernel:0"][()].transpose(3, 2, 0, 1), what)
                if module.bias is not None:
                    _copy(module.bias, group["bias:0"][()], what)
    return model.eval()


_loaded: dict[tuple[str, int, str], MiniXception] = {}


def load_mini_xception(path: str | Path, device: str = "cpu") -> MiniXception:
    """The network with its weights, loaded once per process, file version and device."""
    path = Path(path)
    key = (str(path.resolve()), path.stat().st_mtime_ns, device)
    if key not in _loaded:
        _loaded[key] = load_keras_weights(MiniXception(), path).to(device)
    return _loaded[key]
