"""Running a benchmark: extract features (cached, parallel), run every fold not already done, store each."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

from tqdm import tqdm

from avbench.config.loader import load_config
from avbench.registry import Registry, get_registry
from avbench.storage.atomic import write_json

from .executor import Executor, make_executor
from .plan import Plan, build_plan, extraction_tasks, fold_units, is_done
from .units import ExtractOutcome, FoldUnit
from .worker import extract_chunk, run_fold


@dataclass
class RunSummary:
    benchmark: str
    output_dir: Path
    done: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    clip_errors: dict[str, dict[str, str]] = field(default_factory=dict)
    extraction: dict[str, dict[str, float]] = field(default_factory=dict)
    leaderboard: Path | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"benchmark": self.benchmark, "done": self.done, "skipped": self.skipped, "failed": self.failed,
                "errors": self.errors, "clip_errors": self.clip_errors, "extraction": self.extraction}


def run_extraction(plan: Plan, executor: Executor, progress: bool
                   ) -> tuple[dict[str, str], dict[str, dict], dict]:
    """Fill the feature cache; return clip errors and clip diagnostics by feature key, and throughput.

    Keyed by feature key (extractor setting + media content + clip), never by clip id alone:
    two datasets may name different clips alike.
    """
    tasks = extraction_tasks(plan)
    errors: dict[str, str] = {}
    diagnostics: dict[str, dict] = {}
    stats: dict[str, dict[str, float]] = {}
    total = sum(len(t.clips) for t in tasks)
    start = time.perf_counter()
    with tqdm(total=total, desc="extracting features", unit="clip", disable=not progress or not total,
              file=sys.stderr) as bar:
        for task, outcome in executor.map_unordered(extract_chunk, tasks):
            if isinstance(outcome, BaseException):
                outcome = ExtractOutcome(task.extractor.plugin, (), {c.clip_id: f"worker failed: {outcome}"
                                                                     for c in task.clips}, 0.0, 0.0)
            key_of = {clip.clip_id: key for clip, key in zip(task.clips, task.keys)}
            errors.update({key_of[c]: reason for c, reason in outcome.errors.items()})
            diagnostics.update({key_of[c]: found for c, found in outcome.diagnostics.items()})
            s = stats.setdefault(task.extractor.plugin, {"clips": 0, "errors": 0, "media_seconds": 0.0,
                                                         "worker_seconds": 0.0})
            s["clips"] += len(outcome.done)
            s["errors"] += len(outcome.errors)
            s["media_seconds"] += outcome.media_seconds
            s["worker_seconds"] += outcome.seconds
            bar.update(len(task.clips))
    wall = time.perf_counter() - start
    workers = getattr(executor, "workers", 1)
    for s in stats.values():  # per extractor: work done per busy worker-second
        busy = s["worker_seconds"] or float("nan")
        s["clips_per_worker_second"] = s["clips"] / busy
        s["times_real_time_per_worker"] = s["media_seconds"] / busy
    stats = {name: s for name, s in stats.items() if s["clips"]}  # an extractor that failed every clip measured nothing
    if stats:  # the whole stage, wall clock, all workers together
        stats["(last extracting run, all extractors)"] = {
            "clips": sum(s["clips"] for s in stats.values()), "workers": workers, "wall_seconds": wall,
            "clips_per_second": sum(s["clips"] for s in stats.values()) / wall,
            "times_real_time": sum(s["media_seconds"] for s in stats.values()) / wall}
    # Clip errors and diagnostics outlive the run: a rerun with a warm cache reads them back.
    errors = _remembered(plan.output_dir / "clip-errors.json", errors)
    diagnostics = _remembered(plan.output_dir / "clip-diagnostics.json", diagnostics)
    if stats:  # keep the last measured throughput per extractor for the leaderboard
        stats_path = plan.output_dir / "extraction-stats.json"
        write_json(stats_path, {**_read_json(stats_path), **stats})
    return errors, diagnostics, stats


def _remembered(path: Path, new: dict[str, Any]) -> dict[str, Any]:
    """``new`` merged over what ``path`` holds; written back when it changed."""
    previous = _read_json(path)
    merged = {**previous, **new}
    if merged != previous:
        write_json(path, merged)
    return merged


def _read_json(path: Path) -> dict:
    import json

    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}


def run_benchmark(config_path: str | Path, only: Sequence[str] | None = None,
                  data_overrides: dict[str, str] | None = None, workers: int | None = None,
                  registry: Registry | None = None, progress: bool = True, render: bool = True,
                  log: Callable[[str], None] = lambda m: print(m, file=sys.stderr),
                  *, strict: bool = False) -> RunSummary:
    """Plan and run ``config_path``; finished folds with the same fingerprint are not recomputed."""
    registry = registry or get_registry()
    config_path = Path(config_path).resolve()
    config = load_config(config_path, registry, data_overrides)
    base = config_path.parent
    plan = build_plan(config, registry, base, only, data_overrides, log=log, strict=strict)
    summary = RunSummary(config.benchmark.name, plan.output_dir)
    executor = make_executor(workers or config.benchmark.workers)
    try:
        clip_errors, diagnostics, summary.extraction = run_extraction(plan, executor, progress)
        units, plan_errors = fold_units(plan, config, registry, clip_errors, diagnostics)
        summary.errors.extend(plan_errors)
        for err in plan_errors:
            log(f"SKIPPED {err['experiment']}" + (f" / {err['protocol']}" if err['protocol'] else "")
                + f": {err['error']}")
        todo = [u for u in units if not is_done(u)]
        summary.skipped = len(units) - len(todo)
        registry.hook.avbench_run_started(
            benchmark=plan.benchmark, units=[{**u.describe(), "skip": u not in todo} for u in units])
        if summary.skipped:
            log(f"{summary.skipped} fold(s) already done with the same fingerprint: not recomputed")
        with tqdm(total=len(todo), desc="running folds", unit="fold", disable=not progress or not todo,
                  file=sys.stderr) as bar:
            for unit, record in executor.map_unordered(run_fold, todo):
                if isinstance(record, BaseException):
                    record = crashed_record(unit, record)
                if record.get("status") == "ok":
                    summary.done += 1
                else:
                    summary.failed += 1
                    log(f"FAILED {unit.experiment} / {unit.protocol_key} / {unit.fold.name}: {record.get('error')}")
                registry.hook.avbench_fold_finished(record=record)
                bar.update(1)
    finally:
        executor.close()
    summary.clip_errors = {
        exp.name: {c: clip_errors[k] for b in exp.branches for c, k in exp.keys.get(b.name, {}).items()
                   if k in clip_errors}
        for exp in plan.experiments.values()}
    write_json(plan.output_dir / "not-run.json", {"errors": summary.errors})
    write_json(plan.output_dir / "run-summary.json",
               {**summary.as_dict(), "finished": datetime.now(timezone.utc).isoformat()})
    registry.hook.avbench_run_finished(benchmark=plan.benchmark, summary=summary.as_dict())
    if render:
        from avbench.leaderboard.build import render_leaderboard

        summary.leaderboard = render_leaderboard(config, base, registry=registry, only=list(plan.experiments))
    return summary


def crashed_record(unit: FoldUnit, exc: BaseException) -> dict[str, Any]:
    """A worker that died (killed, out of memory) still leaves an error record."""
    record = {**unit.describe(), "benchmark": unit.benchmark, "status": "error",
              "experiment_fingerprint": unit.experiment_fingerprint,
              "error": f"worker crashed: {type(exc).__name__}: {exc}".splitlines()[0],
              "finished": datetime.now(timezone.utc).isoformat()}
    write_json(unit.stem.with_suffix(".json"), record)
    return record
