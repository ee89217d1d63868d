"""``JointNet``: the joint-trunks fusion's network, apart so that listing the plugin needs no torch."""

from __future__ import annotations

import torch
from torch import nn


class JointNet(nn.Module):
    """Each branch's trunk (and projection), their outputs concatenated, then the classifier head."""

    def __init__(self, trunks: list[nn.Module], projections: list[nn.Module], arities: list[int],
                 head: nn.Module) -> None:
        super().__init__()
        self.trunks = nn.ModuleList(trunks)
        self.projections = nn.ModuleList(projections)
        self.arities = list(arities)
        self.head = head

    def branch_features(self, *inputs: torch.Tensor) -> list[torch.Tensor]:
        parts, start = [], 0
        for trunk, projection, arity in zip(self.trunks, self.projections, self.arities):
            parts.append(projection(trunk(*inputs[start:start + arity])))
            start += arity
        return parts

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat(self.branch_features(*inputs), dim=1))
