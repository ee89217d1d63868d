"""Which seeds an experiment runs when it names none: more for systems whose output depends on the seed."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from avbench.config.schema import BenchmarkSection
from avbench.registry import Registry

from .units import BranchSpec, PluginSpec


def default_seeds(branches: Iterable[BranchSpec], fusion: PluginSpec | None, benchmark: BenchmarkSection,
                  registry: Registry) -> list[int]:
    """``benchmark.stochastic_seeds`` when any plugin of the experiment is stochastic, else ``benchmark.seeds``."""
    if is_stochastic(branches, fusion, registry):
        return list(benchmark.stochastic_seeds)
    return list(benchmark.seeds)


def is_stochastic(branches: Iterable[BranchSpec], fusion: PluginSpec | None, registry: Registry) -> bool:
    """Whether a model, augmenter or fusion of the experiment (or a plugin a fusion names) declares ``stochastic``."""
    names = [s.plugin for b in branches for s in (b.model, b.augment) if s is not None]
    if fusion is not None:
        names += [fusion.plugin, *nested_plugins(fusion.params)]
    return any(getattr(info.cls, "stochastic", False) for info in map(registry.plugins.get, names) if info)


def nested_plugins(value: Any) -> list[str]:
    """Plugin names referenced inside parameters as ``{"plugin": name, "params": {...}}`` (a fusion's model)."""
    if isinstance(value, Mapping):
        own = [value["plugin"]] if isinstance(value.get("plugin"), str) else []
        return own + [n for v in value.values() for n in nested_plugins(v)]
    if isinstance(value, (list, tuple)):
        return [n for v in value for n in nested_plugins(v)]
    return []
