"""``avbench run --dry-run``: plan the run and say what it would do, computing and writing nothing.

Per experiment: its clips and, per extractor, how many features are cached and how many would be
extracted; per protocol: folds x seeds, and how many units are done (a stored result of the same
fingerprint that verifies) and how many would run. No cache entry, clip table, fold file, dataset or
run summary is written; an embedded dataset not generated yet is reported as such.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from avbench.config.loader import load_config
from avbench.registry import Registry, get_registry

from .bad_media import BadMediaMemory
from .plan import Plan, build_plan, iter_fold_units, why_not_done


@dataclass
class ProtocolPlan:
    protocol: str
    folds: set[str] = field(default_factory=set)
    seeds: set[int] = field(default_factory=set)
    done: int = 0
    to_run: int = 0
    error: str | None = None


@dataclass
class ExperimentDryRun:
    name: str
    clips: int = 0
    features: dict[str, dict[str, int]] = field(default_factory=dict)  # extractor -> cached / to extract / skipped
    protocols: dict[str, ProtocolPlan] = field(default_factory=dict)
    error: str | None = None
    unconfigured: bool = False
    pending: bool = False  # its embedded dataset is not generated yet: counts unknown until it is


@dataclass
class DryRun:
    benchmark: str
    output_dir: Path
    experiments: dict[str, ExperimentDryRun]
    to_extract: dict[str, int]  # extractor -> features to extract across experiments (each once)
    estimate_line: str = ""
    generated: dict[str, str] = field(default_factory=dict)  # embedded dataset -> where a real run generates it

    @property
    def units_done(self) -> int:
        return sum(p.done for e in self.experiments.values() for p in e.protocols.values())

    @property
    def units_to_run(self) -> int:
        return sum(p.to_run for e in self.experiments.values() for p in e.protocols.values())

    def lines(self) -> list[str]:
        out = [f"dry run of benchmark {self.benchmark!r} (results would go to {self.output_dir}):"]
        out += [f"dataset {name}: embedded, not generated yet: a real run generates it first (into {where}), then "
                f"plans its experiments" for name, where in self.generated.items()]
        for exp in self.experiments.values():
            if exp.pending:
                out.append(f"{exp.name}: would run once its dataset is generated (see above)")
                continue
            if exp.error:
                word = "skipped (not configured here)" if exp.unconfigured else "would not run (error)"
                out.append(f"{exp.name}: {word}: {exp.error}")
                continue
            features = "; ".join(f"{name}: {n['cached']} cached, {n['to_extract']} to extract"
                                 + (f", {n['skipped']} skipped (bad or unreadable media)" if n["skipped"] else "")
                                 for name, n in exp.features.items())
            out.append(f"{exp.name}: {exp.clips} clips; features {features or 'none'}")
            for p in exp.protocols.values():
                if p.error:
                    out.append(f"  {p.protocol}: would not run (error): {p.error}")
                    continue
                out.append(f"  {p.protocol}: {len(p.folds)} fold(s) x {len(p.seeds)} seed(s): "
                           f"{p.done} done, {p.to_run} to run")
        extract = ", ".join(f"{name} {n}" for name, n in self.to_extract.items() if n) or "none"
        out.append(f"total: {self.units_done} unit(s) done, {self.units_to_run} to run; features to extract: "
                   f"{extract}; nothing was computed or written")
        if self.estimate_line:
            out.append(self.estimate_line)
        return out


def feature_counts(plan: Plan, known_bad: set[str], cached: Callable[[str, str], bool]
                   ) -> tuple[dict[str, dict[str, dict[str, int]]], dict[str, int]]:
    """Per experiment and extractor: features cached, to extract, skipped; and per extractor the total to extract."""
    per_experiment: dict[str, dict[str, dict[str, int]]] = {}
    totals: dict[str, int] = {}
    counted: set[str] = set()
    for exp in plan.experiments.values():
        if exp.error:
            continue
        counts = per_experiment.setdefault(exp.name, {})
        for branch in exp.branches:
            name = branch.extractor.plugin
            n = counts.setdefault(name, {"cached": 0, "to_extract": 0, "skipped": 0})
            keys = exp.keys[branch.name]
            for clip in exp.clips:
                key = keys[clip.clip_id]
                if clip.clip_id in exp.clip_errors or key in known_bad:
                    n["skipped"] += 1
                elif cached(name, key):
                    n["cached"] += 1
                else:
                    n["to_extract"] += 1
                    if key not in counted:
                        counted.add(key)
                        totals[name] = totals.get(name, 0) + 1
    return per_experiment, totals


def dry_run(config_path: str | Path, only: Sequence[str] | None = None,
            data_overrides: dict[str, str] | None = None, registry: Registry | None = None,
            log: Callable[[str], None] = lambda m: print(m, file=sys.stderr), *, strict: bool = False,
            retry_failed: bool = False) -> DryRun:
    """What ``avbench run`` with these arguments would do; reads the cache and stored results, writes nothing."""
    from avbench.cache.feature_cache import FeatureCache

    from .run import mark_absent_modalities

    registry = registry or get_registry()
    config_path = Path(config_path).resolve()
    config = load_config(config_path, registry, data_overrides)
    plan = build_plan(config, registry, config_path.parent, only, data_overrides, log=log, strict=strict,
                      dry_run=True)
    mark_absent_modalities(plan, registry)
    known_bad = {} if retry_failed else BadMediaMemory(plan.output_dir / "clip-errors.json").verdicts
    cache = FeatureCache(plan.context.cache_dir)
    features, to_extract = feature_counts(plan, set(known_bad), cache.has)
    report = DryRun(plan.benchmark, plan.output_dir, {}, to_extract)
    for exp in plan.experiments.values():
        pending = exp.dataset.pending and exp.error == exp.dataset.error
        report.experiments[exp.name] = ExperimentDryRun(exp.name, len(exp.clips), features.get(exp.name, {}),
                                                        error=exp.error, unconfigured=exp.unconfigured,
                                                        pending=pending)
        if pending:
            report.generated[exp.dataset.name] = exp.dataset.error.rsplit("generates it into ", 1)[-1].rstrip(")")
    errors: list[dict[str, Any]] = []
    folds_to_run: list[tuple[str, str]] = []
    for unit in iter_fold_units(plan, config, registry, dict(known_bad), errors=errors, write_tables=False):
        entry = report.experiments[unit.experiment].protocols.setdefault(unit.protocol_key,
                                                                          ProtocolPlan(unit.protocol_key))
        entry.folds.add(unit.fold_name)
        entry.seeds.add(unit.seed)
        if why_not_done(unit) is None:
            entry.done += 1
        else:
            entry.to_run += 1
            folds_to_run.append((unit.experiment, unit.protocol_key))
    from .estimate import estimate
    from .executor import usable_cores

    workers = config.benchmark.workers or usable_cores()
    report.estimate_line = estimate(plan.output_dir, to_extract, folds_to_run, workers).line(workers)
    for err in errors:
        exp = report.experiments[err["experiment"]]
        if exp.pending:
            continue
        if err["protocol"] is None:
            exp.error = exp.error or err["error"]
        else:
            exp.protocols[err["protocol"]] = ProtocolPlan(err["protocol"], error=err["error"])
    for exp in report.experiments.values():  # protocols in the config's order
        order = list(plan.experiments[exp.name].config.protocols)
        exp.protocols = dict(sorted(exp.protocols.items(), key=lambda kv: order.index(kv[0])
                                    if kv[0] in order else len(order)))
    return report
