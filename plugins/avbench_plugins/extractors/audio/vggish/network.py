"""The VGGish network (Hershey et al. 2017) in torch, and loading its weights.

Architecture as the AudioSet release's ``vggish_slim.py``: 3x3 convolutions
(stride 1, same padding) with ReLU, 2x2 max-pools: 64, pool, 128, pool, 256, 256,
pool, 512, 512, pool; then fully connected 12288 -> 4096 -> 4096 -> 128.

State-dict layout (that of the widely used torch port, harritaylor/torchvggish,
``torchvggish/vggish.py``; its release file is ``vggish-10086976.pth``): an
``nn.Sequential`` called ``features`` whose convolutions sit at indices
0, 3, 6, 8, 11, 13 and one called ``embeddings`` whose linear layers sit at 0, 2, 4::

    features.0.weight  [64, 1, 3, 3]      embeddings.0.weight [4096, 12288]
    features.3.weight  [128, 64, 3, 3]    embeddings.2.weight [4096, 4096]
    features.6.weight  [256, 128, 3, 3]   embeddings.4.weight [128, 4096]
    features.8.weight  [256, 256, 3, 3]   (+ a ``.bias`` for each)
    features.11.weight [512, 256, 3, 3]
    features.13.weight [512, 512, 3, 3]

The conv output ``[N, 512, 6, 4]`` is flattened in TensorFlow's (height, width,
channel) order before ``embeddings.0``, as the port does, so that the converted TF
weights apply unchanged.

The final ReLU: the release's embedding is pre-activation (``fc2`` has
``activation_fn=None`` since tensorflow/models PR #9080, Aug 2020, which fixed the
released model to match the released embeddings); the torch port and the TF code
before that fix apply a ReLU after ``fc2``. ``final_relu=False`` (the default) follows
the release; ``final_relu=True`` reproduces the port's output. The ReLU has no
weights, so both read the same file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from avbench.contract import ResourceMissingError

EMBEDDING_SIZE = 128
CONV_CHANNELS = (64, "M", 128, "M", 256, 256, "M", 512, 512, "M")
FLAT_SIZE = 512 * 6 * 4  # conv output for a [96, 64] patch after four 2x2 pools
#: Keys a state dict may hold besides the network's: the port's full model also stores its PCA here.
IGNORED_PREFIXES = ("pproc.",)


def make_features() -> nn.Sequential:
    layers: list[nn.Module] = []
    in_channels = 1
    for item in CONV_CHANNELS:
        if item == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [nn.Conv2d(in_channels, int(item), kernel_size=3, padding=1), nn.ReLU()]
            in_channels = int(item)
    return nn.Sequential(*layers)


class VGGish(nn.Module):
    """Log-mel examples ``[N, 1, 96, 64]`` -> embeddings ``[N, 128]``."""

    def __init__(self, final_relu: bool = False) -> None:
        super().__init__()
        self.features = make_features()
        head: list[nn.Module] = [nn.Linear(FLAT_SIZE, 4096), nn.ReLU(), nn.Linear(4096, 4096), nn.ReLU(),
                                 nn.Linear(4096, EMBEDDING_SIZE)]
        if final_relu:
            head.append(nn.ReLU())
        self.embeddings = nn.Sequential(*head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # [N, 512, 6, 4]
        x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)  # TF's NHWC flattening order
        return self.embeddings(x)


def load_vggish(path: Path, device: str | torch.device = "cpu", final_relu: bool = False) -> VGGish:
    """A :class:`VGGish` in eval mode with the weights in ``path`` (a state dict in the layout above)."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ResourceMissingError(f"{path} could not be read as a torch state dict "
                                   f"({type(exc).__name__}: {exc}); expected the VGGish weights in the "
                                   "harritaylor/torchvggish layout (vggish-10086976.pth)") from None
    if not isinstance(state, Mapping):
        raise ResourceMissingError(f"{path} holds a {type(state).__name__}, expected a state dict (mapping of "
                                   "parameter names to tensors) in the harritaylor/torchvggish layout")
    state = {k: v for k, v in state.items() if not k.startswith(IGNORED_PREFIXES)}
    with torch.device("meta"):  # shapes only: every parameter is replaced by the file's tensors below
        model = VGGish(final_relu=final_relu)
    expected = model.state_dict()
    problems = [f"unexpected {k}" for k in state if k not in expected]
    problems += [f"{k} has shape {list(getattr(v, 'shape', []))}, expected {list(expected[k].shape)}"
                 for k, v in state.items() if k in expected and (not isinstance(v, torch.Tensor)
                                                                  or v.shape != expected[k].shape)]
    problems += [f"missing {k}" for k in expected if k not in state]
    if problems:
        shown = "; ".join(problems[:6]) + (f"; and {len(problems) - 6} more" if len(problems) > 6 else "")
        raise ResourceMissingError(f"{path} is not a VGGish state dict in the harritaylor/torchvggish layout "
                                   f"(features.0.weight ... embeddings.4.bias): {shown}")
    model.load_state_dict({k: v.float().contiguous() for k, v in state.items()}, assign=True)
    return model.to(device).eval()
