"""Modality ablation: a fused experiment with ``ablation = true`` gets one single-branch experiment per branch.

Each derived experiment, ``<experiment>.<branch>-only``, is the fused one with that branch alone and no
fusion: the same data, label map, classes, protocols and seeds, so its folds and test clips are the
fused row's. It is added to ``config.experiments`` when the config is read, so the planner, the runner
and the leaderboard treat it as any experiment (its fingerprint comes from its own plugins).
"""

from __future__ import annotations

from typing import Any

from .schema import BenchmarkConfig, ExperimentConfig, is_slug


def ablation_name(experiment: str, branch: str) -> str:
    """The name of ``experiment``'s ablation that keeps ``branch`` only."""
    return f"{experiment}.{branch}-only"


def expand_ablations(config: BenchmarkConfig, registry: Any = None) -> list[str]:
    """Add every ablation experiment to ``config.experiments``; returns problem lines (a name taken or unusable)."""
    problems = []
    for name, exp in list(config.experiments.items()):
        if not exp.ablation:
            continue
        seeds = exp.seeds or fused_default_seeds(config, exp, registry)
        for branch, settings in exp.branches.items():
            if settings.model is None:
                continue
            derived = ablation_name(name, branch)
            if not is_slug(derived):
                problems.append(f"experiments.{name}.ablation: branch {branch!r} gives the experiment name "
                                f"{derived!r}, not a plain name (letters, digits, '.', '_', '-')")
                continue
            if derived in config.experiments:
                problems.append(f"experiments.{name}.ablation: experiment {derived!r} is already declared; "
                                f"the ablation of branch {branch!r} needs that name")
                continue
            ablated = exp.model_copy(update={
                "branches": {branch: settings}, "fusion": None, "ablation": False, "reported": None,
                "seeds": list(seeds) if seeds else None,
                "description": f"ablation of {name}: {branch} only" + (f" ({exp.description})" if exp.description
                                                                       else "")})
            ablated._ablation_of = (name, branch)
            config.experiments[derived] = ablated
    return problems


def fused_default_seeds(config: BenchmarkConfig, exp: ExperimentConfig, registry: Any) -> list[int] | None:
    """The seeds the fused experiment runs when it names none (as :func:`avbench.runner.seeds.default_seeds`
    decides); None without a registry to ask whether a plugin is stochastic."""
    if registry is None:
        return None
    from avbench.runner.seeds import nested_plugins

    names = [ref.plugin for b in exp.branches.values() for ref in (b.model, b.augment) if ref is not None]
    if exp.fusion is not None:
        names += [exp.fusion.plugin, *nested_plugins(exp.fusion.params)]
    stochastic = any(getattr(info.cls, "stochastic", False) for info in map(registry.plugins.get, names) if info)
    return list(config.benchmark.stochastic_seeds if stochastic else config.benchmark.seeds)
