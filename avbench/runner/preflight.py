"""Checks made when a run is planned, before anything is extracted or fitted: configs that cannot run here.

A protocol that cannot split this data (one subject for leave-one-subject-out, two corpora where three
are asked for) is a configuration error naming the protocol's key and the parameter that changes it,
not an error row found after the features are extracted.
"""

from __future__ import annotations

from typing import Any, Callable

from avbench.contract.errors import UnfitConfigError


def unfit_protocols(plan: Any, config: Any, make_protocol: Callable[[str, str], Any]) -> list[str]:
    """One problem line per experiment x protocol whose protocol refuses the experiment's clips.

    ``make_protocol(experiment, protocol key)`` gives the protocol plugin an experiment runs under.
    """
    problems = []
    for exp in plan.experiments.values():
        if exp.error or not exp.clips:
            continue
        for key in exp.config.protocols:
            try:
                protocol = make_protocol(exp.name, key)
                folds = getattr(protocol, "iter_folds", None) or protocol.folds
                next(iter(folds(exp.clips)), None)  # the first fold is enough to know it can split the data
            except UnfitConfigError as exc:
                where = config.where(f"protocols.{key}") if key in config.protocols else \
                    config.where(f"experiments.{exp.name}")
                problems.append(f"{where}: experiment {exp.name!r} on dataset {exp.dataset.name!r}: {exc}")
            except Exception:  # any other problem is the experiment's own error row, found when its folds are made
                continue
    return problems
