"""Recompute chosen stored folds here, into a temporary folder: what ``avbench verify`` runs on.

Folds are named by their fingerprint; the run plans them as ``avbench run`` would (so only folds whose
fingerprint the data and plugins here give can be recomputed), extracts what their experiments need
into the shared feature cache, and runs each fold in a worker process into a temporary folder, never
into the run folder.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

import polars as pl

from avbench.config.schema import BenchmarkConfig
from avbench.registry import Registry

from .folds import planned_units


@dataclass
class Recomputed:
    """One fold recomputed here: its predictions, or why it could not be."""

    fingerprint: str
    predictions: pl.DataFrame | None
    cause: str = ""


def plannable(config: BenchmarkConfig, registry: Registry, base: Path, experiments: Sequence[str],
              data_overrides: dict[str, str] | None = None) -> tuple[object, dict[str, object]]:
    """The plan of ``experiments`` and its fold units by fingerprint, as a run would make them now."""
    plan, units, _errors = planned_units(config, registry, base, sorted(set(experiments)), data_overrides)
    return plan, {u.fingerprint: u for u in units}


def recompute(plan: object, units: Sequence[object], config: BenchmarkConfig, workers: int | None = None,
              log: Callable[[str], None] = lambda _line: None) -> dict[str, Recomputed]:
    """Run ``units`` (of ``plan``) in worker processes into a temporary folder; results by fingerprint."""
    from avbench.runner.bad_media import BadMediaMemory
    from avbench.runner.executor import make_executor
    from avbench.runner.failures import UnitFailure
    from avbench.runner.run import run_extraction
    from avbench.runner.run_lock import run_folder_lock
    from avbench.runner.worker import run_fold

    out: dict[str, Recomputed] = {}
    with tempfile.TemporaryDirectory(prefix="avbench-verify-") as tmp:
        todo = [replace(unit, latency_clips=0, result_dir=Path(tmp) / str(i)) for i, unit in enumerate(units)]
        executor = make_executor(workers or 1)
        try:
            with run_folder_lock(plan.output_dir, log):  # extraction updates the run folder's clip memory
                memory = BadMediaMemory(plan.output_dir / "clip-errors.json")
                run_extraction(plan, executor, False, memory, config.benchmark.clip_timeout, log)
            results = {u.fingerprint: r for u, r in executor.map_unordered(run_fold, todo,
                                                                           timeout=config.benchmark.fold_timeout)}
        finally:
            executor.close()
        for unit in todo:
            record = results.get(unit.fingerprint)
            if isinstance(record, UnitFailure) or not record or record.get("status") != "ok":
                cause = record.cause if isinstance(record, UnitFailure) else (record or {}).get("error")
                out[unit.fingerprint] = Recomputed(unit.fingerprint, None, f"could not be recomputed here: {cause}")
                continue
            out[unit.fingerprint] = Recomputed(unit.fingerprint, pl.read_parquet(unit.stem.with_suffix(".parquet")))
    return out
