"""What the site takes from the configuration: each experiment's modality and its declared setup."""

from __future__ import annotations

import json

from avbench.config.schema import BenchmarkConfig
from avbench.registry import Registry

AUDIO_VISUAL = "audio-visual"


def modality(branch_modalities: list[str]) -> str:
    """``audio``, ``video``, ``audio-visual`` (audio and video branches), or the modalities joined by ``+``."""
    kinds = sorted(set(branch_modalities))
    if kinds == ["audio", "video"]:
        return AUDIO_VISUAL
    return " + ".join(kinds) or "?"


def experiment_modalities(config: BenchmarkConfig, registry: Registry | None) -> dict[str, str]:
    """Per experiment, the modality of its branches: the extractor's declared modality, else the branch name."""
    out = {}
    for name, exp in config.experiments.items():
        kinds = []
        for branch_name, branch in exp.branches.items():
            info = registry.plugins.get(branch.extractor.plugin) if registry is not None else None
            declared = getattr(getattr(info, "cls", None), "modality", None)
            declared = getattr(declared, "value", declared)  # an enum member: its value
            kinds.append(declared if isinstance(declared, str) and declared else branch_name)
        out[name] = modality(kinds)
    return out


def declared_setups(config: BenchmarkConfig) -> dict[str, str]:
    """Per experiment, its configuration as indented JSON (sorted keys), for pages of rows never computed."""
    return {name: json.dumps(exp.model_dump(mode="json", exclude_defaults=True), indent=1, sort_keys=True,
                             ensure_ascii=False)
            for name, exp in config.experiments.items()}
