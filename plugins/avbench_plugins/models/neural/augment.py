"""Training-time augmentation of face-frame stacks with torch ops only (no torchvision here).

ristea2019 augments each video with rotations, random crops, illumination
changes and flips. Here one random geometric transform (rotation, zoom-in crop
with shift, horizontal flip) and one random illumination change (gain and
offset) are drawn per clip and applied to all of its frames alike, so the
motion between frames is kept.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def augment_frame_stacks(x: torch.Tensor, generator: torch.Generator, *, max_rotation_deg: float = 10.0,
                         min_crop: float = 0.85, flip_probability: float = 0.5, max_gain: float = 0.2,
                         max_offset: float = 0.2) -> torch.Tensor:
    """Augmented copy of ``x`` ``[N, T, H, W]`` (frames as channels); draws from ``generator`` (CPU) only.

    ``min_crop`` is the smallest side fraction of the random crop (resized back
    to the full size); gain and offset act on the standardised intensities.
    """
    import torch
    from torch.nn import functional as F

    if x.ndim != 4:
        raise ValueError(f"frame augmentation takes [N, T, H, W] batches, got {tuple(x.shape)}")
    n, _, h, w = x.shape
    draw = torch.rand(n, 5, generator=generator, dtype=torch.float64)
    angle = (draw[:, 0] * 2 - 1) * math.radians(max_rotation_deg)
    scale = min_crop + (1 - min_crop) * draw[:, 1]
    shift_x = (draw[:, 2] * 2 - 1) * (1 - scale)
    shift_y = (draw[:, 3] * 2 - 1) * (1 - scale)
    flip = torch.where(draw[:, 4] < flip_probability, -1.0, 1.0).to(torch.float64)
    cos, sin = torch.cos(angle), torch.sin(angle)
    # Rotation in pixel units, expressed in the normalised [-1, 1] coordinates affine_grid uses (H != W).
    theta = torch.zeros(n, 2, 3, dtype=torch.float64)
    theta[:, 0, 0] = scale * cos * flip
    theta[:, 0, 1] = -scale * sin * (h / w)
    theta[:, 1, 0] = scale * sin * (w / h) * flip
    theta[:, 1, 1] = scale * cos
    theta[:, 0, 2] = shift_x
    theta[:, 1, 2] = shift_y
    grid = F.affine_grid(theta.to(device=x.device, dtype=x.dtype), list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    illumination = torch.rand(n, 2, generator=generator, dtype=torch.float64)
    gain = (1 + (illumination[:, 0] * 2 - 1) * max_gain).to(device=x.device, dtype=x.dtype)
    offset = ((illumination[:, 1] * 2 - 1) * max_offset).to(device=x.device, dtype=x.dtype)
    return out * gain.view(n, 1, 1, 1) + offset.view(n, 1, 1, 1)
