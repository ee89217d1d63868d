"""Contamination flags: a row whose pretrained parts were trained on a corpus the row itself reads.

A frozen encoder fine-tuned on RAVDESS and then "evaluated" on RAVDESS has seen the test speakers;
its number is not a held-out result. Each plugin declares its training corpora
(:meth:`avbench.contract.Plugin.training_data`); a corpus matches a dataset of the experiment when
the dataset's plugin name or config key, lower-cased with punctuation dropped (``crema-d`` ->
``cremad``), occurs in the declared name (``narad/ravdess``, ``CREMA_D`` and ``ravdess`` all match).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from avbench.config.schema import BenchmarkConfig
from avbench.contract import RunContext
from avbench.registry import Registry, get_registry


def normalised(name: str) -> str:
    """``name`` lower-cased with everything but letters and digits dropped."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def corpus_names(config: BenchmarkConfig, experiment: str) -> dict[str, set[str]]:
    """Per dataset the experiment reads: the normalised names a training corpus may carry (plugin name, key)."""
    names: dict[str, set[str]] = {}
    for key in config.experiments[experiment].corpora:
        dataset = config.datasets.get(key)
        candidates = {normalised(key)} | ({normalised(dataset.plugin)} if dataset is not None else set())
        names[key] = {n for n in candidates if n}
    return names


def contamination(config: BenchmarkConfig, experiment: str, registry: Registry | None = None) -> list[str]:
    """``"<plugin> (<branch> branch) was trained on <corpus>"`` for each declared training corpus the experiment reads.

    A plugin that is not installed here, or cannot be created with the row's parameters, declares nothing.
    """
    from avbench.runner.plan import resolve_resources

    exp = config.experiments[experiment]
    names = corpus_names(config, experiment)
    base = config._source.parent if config._source is not None else Path.cwd()
    context = RunContext(resources=resolve_resources(config, base))  # the models folder the run used
    specs: list[tuple[str, Any]] = []
    for branch_name, branch in exp.branches.items():
        specs += [(f"{branch_name} branch", ref) for ref in (branch.extractor, branch.model, branch.augment) if ref]
    if exp.fusion is not None:
        specs.append(("fusion", exp.fusion))
    found: list[str] = []
    for where, ref in specs:
        try:
            plugin = (registry or get_registry()).create({"plugin": ref.plugin, "params": ref.params},
                                                         context=context)
            declared = [str(d) for d in plugin.training_data()]
        except Exception:  # not installed here or invalid parameters: nothing is known about its training data
            continue
        for corpus in declared:
            hits = sorted(key for key, aliases in names.items() if any(a in normalised(corpus) for a in aliases))
            if hits:
                found.append(f"{ref.plugin} ({where}) was trained on {corpus}, and this row reads {', '.join(hits)}")
    return found
