"""Running a benchmark: extract features (cached, parallel), run every fold not already done, store each.

Failure model (the README's "When things fail" says the same for users):

- bad media (a property of a clip's file under one extractor setting) is remembered by feature key
  and the clip is skipped, by name, until the file or the setting changes;
- failed work (full disk, I/O errors, memory, a dead or hung worker, a plugin that exits) is never
  remembered: the run says what failed, exits 1, and a plain rerun retries it;
- a worker that dies costs one unit: the clip it was extracting, or the fold it was running. That
  unit is retried once in a fresh worker, then recorded as failed with its cause;
- the Ray cluster going away (its head, or the connection to it) ends the run with one line saying
  how many folds are kept and how to resume (:class:`~avbench.runner.failures.ClusterLost`);
- exit codes: 0 when every planned fold ran or was already done; 1 when anything failed or an
  experiment could not run for an error; 2 for a configuration error; 3 when the Ray cluster was
  lost mid-run. Experiments whose data or resources are not configured here are skipped (an error
  only with ``strict``).
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from avbench.config.loader import load_config
from avbench.registry import Registry, get_registry
from avbench.storage.atomic import write_json
from avbench.storage.fold_store import write_record

from .bad_media import BadMediaMemory
from .executor import Executor, make_executor, with_executor
from .failures import ClusterLost, UnitFailure
from .plan import Plan, build_plan, extraction_tasks, fold_units, why_not_done
from .progress import StageProgress
from .run_lock import run_folder_lock
from .units import ExtractOutcome, ExtractTask, FoldUnit
from .worker import extract_chunk, run_fold

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2  # as a configuration error: what --strict makes of data or resources not configured
#: The Ray cluster went away mid-run (``avbench run`` prints one line saying what is kept; a rerun resumes).
EXIT_CLUSTER_LOST = 3


class RunInterrupted(BaseException):
    """The main process received SIGTERM: stop the workers and exit non-zero."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@dataclass
class RunSummary:
    benchmark: str
    output_dir: Path
    done: int = 0
    skipped: int = 0
    failed: int = 0
    planned: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    clip_errors: dict[str, dict[str, str]] = field(default_factory=dict)
    failed_work: dict[str, dict[str, str]] = field(default_factory=dict)
    extraction: dict[str, dict[str, float]] = field(default_factory=dict)
    strict: bool = False
    leaderboard: Path | None = None
    computed: set[tuple[str, str]] = field(default_factory=set)  # (experiment, protocol) with a fold run now
    #: per (experiment, protocol): library warning text -> count, and how many folds raised any
    library_warnings: dict[tuple[str, str], Counter] = field(default_factory=dict)

    @property
    def experiment_errors(self) -> list[dict[str, Any]]:
        """Experiments (or protocols) that could not run for an error, not for missing configuration."""
        return [e for e in self.errors if self.strict or not e.get("unconfigured")]

    @property
    def exit_code(self) -> int:
        """0 when every planned fold ran or was already done and nothing failed; 2 under ``strict`` when data or
        a resource is not configured (as a configuration error); 0 when all there was to run is not configured
        here (skipped, each said once); 1 when anything failed or could not run, or nothing was planned."""
        if self.strict and any(e.get("unconfigured") for e in self.errors):
            return EXIT_CONFIG
        if self.failed or self.experiment_errors or any(self.failed_work.values()):
            return EXIT_FAILED
        if not self.planned and self.errors and all(e.get("unconfigured") for e in self.errors):
            return EXIT_OK
        return EXIT_OK if self.planned else EXIT_FAILED

    def as_dict(self) -> dict[str, Any]:
        return {"benchmark": self.benchmark, "done": self.done, "skipped": self.skipped, "failed": self.failed,
                "planned": self.planned, "errors": self.errors, "clip_errors": self.clip_errors,
                "failed_work": self.failed_work, "extraction": self.extraction, "exit_code": self.exit_code}


@dataclass
class ExtractionResult:
    bad_media: dict[str, str]  # feature key -> reason, remembered
    failed: dict[str, str]  # feature key -> cause, this run only
    diagnostics: dict[str, dict]
    stats: dict[str, dict[str, float]]


def _outcome_from_progress(task: ExtractTask, failure: UnitFailure) -> tuple[ExtractOutcome, set[int], int | None]:
    """What a dead or killed chunk finished before it failed, the clips it ended, and the clip it was on."""
    done, errors, failed, diagnostics = [], {}, {}, {}
    seconds = media = 0.0
    ended: set[int] = set()
    started: list[int] = []
    for event in failure.progress:
        if event[0] == "start":
            started.append(event[1])
            continue
        _, index, status, reason, elapsed, clip_media, found = event
        key = task.keys[index]
        ended.add(index)
        seconds += elapsed
        if status == "done":
            done.append(key)
            media += clip_media
        else:
            (errors if status == "error" else failed)[key] = reason
        if found:
            diagnostics[key] = found
    current = next((i for i in reversed(started) if i not in ended), None)
    return ExtractOutcome(task.extractor.plugin, tuple(done), errors, seconds, media, diagnostics, failed), ended, current


def _salvage(task: ExtractTask, failure: UnitFailure, queue: deque, retried: set[str]) -> ExtractOutcome:
    """Keep what a failed chunk finished; requeue its other clips; retry the clip it died on once."""
    outcome, ended, current = _outcome_from_progress(task, failure)
    failed = dict(outcome.failed)

    def subtask(indices: list[int]) -> ExtractTask:
        return task.subset(indices)

    if current is None:  # it failed before its first clip (setting up the plugin) or after its last
        rest = [i for i in range(len(task.clips)) if i not in ended]
        if rest and failure.retryable and task.keys[rest[0]] not in retried:
            retried.add(task.keys[rest[0]])
            queue.append(subtask(rest))
        else:
            failed.update({task.keys[i]: f"{failure.cause} setting up extractor {task.spec(i).plugin!r} for clip "
                                         f"{task.clips[i].clip_id}" for i in rest})
    else:
        after = [i for i in range(current + 1, len(task.clips)) if i not in ended]
        if after:
            queue.append(subtask(after))
        key, clip_id = task.keys[current], task.clips[current].clip_id
        if failure.retryable and key not in retried:
            retried.add(key)
            queue.append(subtask([current]))
        else:
            failed[key] = f"{failure.cause} extracting clip {clip_id} with plugin {task.spec(current).plugin!r}"
    return ExtractOutcome(outcome.extractor, outcome.done, outcome.errors, outcome.seconds, outcome.media_seconds,
                          outcome.diagnostics, failed)


def run_extraction(plan: Plan, executor: Executor, progress: bool, memory: BadMediaMemory,
                   timeout: float | None = None, log: Callable[[str], None] = print) -> ExtractionResult:
    """Fill the feature cache; return bad media, failed work and diagnostics by feature key, and throughput.

    Keyed by feature key (extractor setting + media content + clip), never by clip id alone:
    two datasets may name different clips alike.
    """
    queue: deque[ExtractTask] = deque(extraction_tasks(plan, known_bad=memory.verdicts))
    retried: set[str] = set()
    bad: dict[str, str] = {}
    failed: dict[str, str] = {}
    extracted: list[str] = []
    diagnostics: dict[str, dict] = {}
    stats: dict[str, dict[str, float]] = {}
    total = sum(len(t.clips) for t in queue)
    start = time.perf_counter()
    with StageProgress("extracting features", total, "clip", enabled=progress, warming=_warming(executor)) as bar:
        for task, outcome in executor.map_unordered(extract_chunk, queue, timeout=timeout):
            if isinstance(outcome, UnitFailure):
                before = len(queue)
                outcome = _salvage(task, outcome, queue, retried)
                requeued = sum(len(t.clips) for t in list(queue)[before:])
            else:
                requeued = 0
            bad.update(outcome.errors)
            failed.update(outcome.failed)
            extracted.extend(outcome.done)
            for key in outcome.done:  # a retried clip that now extracted is no longer failed
                failed.pop(key, None)
            diagnostics.update(outcome.diagnostics)
            for reason in outcome.failed.values():
                log(f"FAILED: {reason}")
            for plugin, counts in (outcome.by_extractor or {task.extractor.plugin: {
                    "clips": len(outcome.done), "errors": len(outcome.errors),
                    "media_seconds": outcome.media_seconds, "worker_seconds": outcome.seconds}}).items():
                s = stats.setdefault(plugin, {"clips": 0, "errors": 0, "media_seconds": 0.0, "worker_seconds": 0.0})
                for name in s:
                    s[name] += counts[name]
            bar.update(len(task.clips) - requeued)
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
    memory.update(bad, extracted, planned_features(plan))
    memory.save()
    # Diagnostics outlive the run: a rerun with a warm cache reads them back.
    diagnostics = _remembered(plan.output_dir / "clip-diagnostics.json", diagnostics)
    if stats:  # the last measured throughput per extractor (this machine's, kept in the run folder, not on the board)
        stats_path = plan.output_dir / "extraction-stats.json"
        write_json(stats_path, {**_read_json(stats_path), **stats})
    return ExtractionResult(dict(memory.verdicts), failed, diagnostics, stats)


def _warming(executor: Executor) -> str:
    """What the first units of a stage wait for: worker processes starting and loading their plugins."""
    workers = getattr(executor, "workers", 1)
    return f"{workers} worker process{'es' if workers != 1 else ''} starting and loading plugins"


def planned_features(plan: Plan) -> dict[str, str]:
    """Every feature key of the plan, with what it is about: extractor setting, dataset and clip."""
    from avbench.cache.feature_cache import stable_hash

    out = {}
    for exp in plan.experiments.values():
        for branch in exp.branches:
            setting = stable_hash(branch.extractor.ref)[:16]
            for clip_id, key in exp.keys.get(branch.name, {}).items():
                out[key] = f"{branch.extractor.plugin}:{setting}|{exp.dataset.name}/{clip_id}"
    return out


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


def _plugins_of(unit: FoldUnit) -> str:
    names = [unit.fusion.plugin] if unit.fusion else []
    names += [b.model.plugin for b in unit.branches if b.model]
    return ", ".join(repr(n) for n in names)


def _unextracted(unit: FoldUnit, failed: dict[str, str]) -> list[tuple[str, str]]:
    """Clips of the fold whose features failed to extract this run (failed work), with the cause."""
    if not failed:  # the usual case: no need to list the fold's clips
        return []
    out = []
    for branch, keys in unit.feature_keys.items():
        for clip_id, key in keys.items():
            if key in failed and clip_id not in unit.skipped:
                out.append((clip_id, failed[key]))
    return sorted(set(out))


@dataclass
class _SignalGuard:
    """SIGTERM raises :class:`RunInterrupted` in the main thread for the duration of a run."""

    previous: Any = None

    def __enter__(self) -> "_SignalGuard":
        if threading.current_thread() is threading.main_thread():
            def stop(signum: int, _frame: Any) -> None:
                raise RunInterrupted(signum)

            self.previous = signal.signal(signal.SIGTERM, stop)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)


def run_benchmark(config_path: str | Path, only: Sequence[str] | None = None,
                  data_overrides: dict[str, str] | None = None, workers: int | None = None,
                  registry: Registry | None = None, progress: bool = True, render: bool = True,
                  log: Callable[[str], None] = lambda m: print(m, file=sys.stderr),
                  *, strict: bool = False, retry_failed: bool = False, verbose: bool = False,
                  executor: str | None = None, address: str | None = None) -> RunSummary:
    """Plan and run ``config_path``; finished folds with the same fingerprint are not recomputed.

    What is skipped because it is not configured here is logged as one line per cause (per dataset:
    how many experiments wait for which variable); ``verbose`` names every skipped experiment too.
    Errors are always logged in full. ``executor``/``address`` override ``[benchmark]``'s.
    """
    registry = registry or get_registry()
    config_path = Path(config_path).resolve()
    config = with_executor(load_config(config_path, registry, data_overrides), executor, address)
    base = config_path.parent
    with _SignalGuard():
        pool = make_executor(workers or config.benchmark.workers, config.benchmark)
        with contextlib.closing(pool):
            if targets := warm_up_targets(config, registry, only):  # workers start up while this plans
                pool.warm(targets)
            plan = build_plan(config, registry, base, only, data_overrides, log=log, strict=strict,
                              detail=log if verbose else _silent)
            with run_folder_lock(plan.output_dir, log):
                summary = _run_plan(plan, config, registry, pool, progress, log, strict, retry_failed, verbose)
                pool.close()  # before rendering: the workers' memory goes back now (closing twice is harmless)
                if render:  # again only when something it is made of changed
                    from .leaderboard_stamp import render_unless_unchanged

                    if progress and summary.done:
                        log("rendering the leaderboard (intervals, charts, site)...")

                    summary.leaderboard = render_unless_unchanged(config, base, registry,
                                                                  only=list(plan.experiments))
    return summary


def warm_up_targets(config: Any, registry: Registry, only: Sequence[str] | None) -> list[tuple[str, str]]:
    """The extractor classes of the selected experiments that have something to warm up, as ``(module, name)``."""
    from avbench.contract import Plugin

    from .plan import select_experiments

    targets: dict[tuple[str, str], None] = {}
    for name in select_experiments(config, only):
        for branch in config.experiments[name].branches.values():
            try:
                cls = registry.info(branch.extractor.plugin).cls
            except Exception:  # planning says what is wrong with it
                continue
            if getattr(cls.warm_up, "__func__", None) is not Plugin.warm_up.__func__:
                targets[(cls.__module__, cls.__qualname__)] = None
    return list(targets)


def mark_absent_modalities(plan: Plan, registry: Registry) -> None:
    """An experiment reading a modality that no clip of its dataset copy has is not configured here.

    (The RAVDESS audio-only download has no video, say.) It is skipped like a dataset without a
    root, saying what is missing, instead of failing every clip's extraction.
    """
    for exp in plan.experiments.values():
        if exp.error or not exp.clips:
            continue
        present = {m for clip in exp.clips for m in clip.media}
        for branch in exp.branches:
            cls = registry.info(branch.extractor.plugin).cls
            if not getattr(cls, "reads_media", True):
                continue
            modality = getattr(cls, "modality", None)
            name = getattr(modality, "value", modality)
            if name and name not in present:
                exp.error = (f"dataset {exp.dataset.name!r} at {exp.dataset.root} has no {name} media "
                             f"(has: {', '.join(sorted(present))}); branch {branch.name!r} needs it: point the "
                             f"dataset at a copy with {name}")
                exp.unconfigured = True
                break


def _silent(_line: str) -> None:
    pass


#: Experiments named on a summary line of those waiting for a file or a modality (the rest counted).
NAMED_WAITING = 4


def unconfigured_lines(plan: Plan, config: Any, errors: Sequence[dict[str, Any]]) -> list[str]:
    """One line per cause of the experiments skipped for what is not configured here.

    Per dataset without a root: how many experiments wait for its variable (or ``--data``); other
    causes (a model file, a modality the copy lacks) by their message.
    """
    waiting: dict[tuple[str, ...], set[str]] = {}
    for error in errors:
        exp = plan.experiments.get(error["experiment"])
        corpora = list(exp.config.corpora) if exp is not None else []
        missing = tuple(d for d in corpora if d in plan.datasets and plan.datasets[d].root is None
                        and plan.datasets[d].wrong_root is None)  # a wrong root is said by its own message
        waiting.setdefault(missing or ("", error["error"]), set()).add(error["experiment"])
    lines = []
    for cause, names in waiting.items():
        count = f"{len(names)} experiment{'s wait' if len(names) != 1 else ' waits'}"
        if cause[0]:
            variables = " and ".join(config.datasets[d].env_var(d) for d in cause)
            flags = " ".join(f"--data {d}=PATH" for d in cause)
            lines.append(f"{' + '.join(cause)}: {count} for {variables} (or {flags})")
        else:  # a file or a modality: say which experiments need it (a few by name)
            shown = sorted(names)[:NAMED_WAITING]
            more = f", ... {len(names) - len(shown)} more" if len(names) > len(shown) else ""
            lines.append(f"{count} ({', '.join(shown)}{more}) for: {cause[1]}")
    return lines


def _run_plan(plan: Plan, config: Any, registry: Registry, executor: Executor, progress: bool,
              log: Callable[[str], None], strict: bool, retry_failed: bool, verbose: bool = False) -> RunSummary:
    summary = RunSummary(config.benchmark.name, plan.output_dir, strict=strict)
    mark_absent_modalities(plan, registry)
    memory = BadMediaMemory(plan.output_dir / "clip-errors.json")
    if retry_failed and (count := memory.forget_all()):
        log(f"--retry-failed: {count} remembered bad-media verdict(s) dropped; those clips are extracted again")
    try:
        extraction = run_extraction(plan, executor, progress, memory, config.benchmark.clip_timeout, log)
    except ClusterLost as exc:
        exc.kept = (f"it was lost while extracting features (those extracted are cached); {_stored_folds(plan)} "
                    f"fold(s) done earlier are kept")
        raise
    summary.extraction = extraction.stats
    units, plan_errors = fold_units(plan, config, registry, extraction.bad_media, extraction.diagnostics)
    summary.planned = len(units)
    summary.errors.extend(plan_errors)
    skipped = [err for err in plan_errors if err.get("unconfigured") and not strict]
    said_by_dataset: dict[str, list[str]] = {}  # a dataset's error was printed when it was planned: not again
    for err in plan_errors:
        if err in skipped and not verbose:
            continue
        exp = plan.experiments.get(err["experiment"])
        if err not in skipped and exp is not None and err["protocol"] is None and exp.dataset.error \
                and err["error"] == exp.dataset.error:
            said_by_dataset.setdefault(exp.dataset.name, []).append(err["experiment"])
            continue
        word = "SKIPPED" if err in skipped else "NOT RUN (error)"
        log(f"{word} {err['experiment']}" + (f" / {err['protocol']}" if err['protocol'] else "")
            + f": {err['error']}")
    for dataset, names in said_by_dataset.items():
        shown = ", ".join(sorted(names)[:NAMED_WAITING]) + (f", ... {len(names) - NAMED_WAITING} more"
                                                            if len(names) > NAMED_WAITING else "")
        log(f"NOT RUN (error) {len(names)} experiment(s) of dataset {dataset} ({shown}): the dataset's error above")
    for line in unconfigured_lines(plan, config, skipped):
        log(f"SKIPPED (not configured here) {line}")
    if skipped and not verbose:
        log("(avbench run --verbose names each skipped experiment)")
    todo = []
    for unit in units:
        reason = why_not_done(unit)
        if reason is None:
            continue
        todo.append(unit)
        if "checksum" in reason or "read back" in reason or "missing" in reason or "prediction rows" in reason:
            log(f"RECOMPUTING {unit.experiment} / {unit.protocol_key} / {unit.fold.name}: {reason}")
    summary.skipped = len(units) - len(todo)
    registry.hook.avbench_run_started(
        benchmark=plan.benchmark, units=[{**u.describe(), "skip": not any(u is t for t in todo)} for u in units])
    if summary.skipped:
        log(f"{summary.skipped} fold(s) already done with the same fingerprint: not recomputed")
    runnable = deque()
    for unit in todo:  # a fold whose features failed to extract this run cannot run now
        missing = _unextracted(unit, extraction.failed)
        if missing:
            clip_id, cause = missing[0]
            _finish_fold(summary, registry, log, failed_record(
                unit, f"features of {len(missing)} clip(s) could not be extracted in this run "
                      f"(first: {clip_id}: {cause}); rerun to retry"))
        else:
            runnable.append(unit)
    warming = None if extraction.stats or extraction.failed else _warming(executor)  # extracting warmed them up
    try:
        _run_folds(summary, registry, log, executor, runnable, config.benchmark.fold_timeout, progress, warming)
    except ClusterLost as exc:
        exc.kept = (f"{summary.skipped + summary.done} of {summary.planned} fold(s) done and kept "
                    f"({summary.done} in this run, {summary.skipped} before)")
        raise
    for line in library_warning_lines(summary):
        log(line)
    summary.failed_work = {
        exp.name: {c: extraction.failed[k] for b in exp.branches for c, k in exp.keys.get(b.name, {}).items()
                   if k in extraction.failed}
        for exp in plan.experiments.values()}
    summary.clip_errors = {
        exp.name: {**{c: extraction.bad_media[k] for b in exp.branches for c, k in exp.keys.get(b.name, {}).items()
                      if k in extraction.bad_media}, **exp.clip_errors}
        for exp in plan.experiments.values() if not exp.error}
    write_json(plan.output_dir / "not-run.json", {"errors": summary.errors})
    write_json(plan.output_dir / "run-summary.json",
               {**summary.as_dict(), "finished": datetime.now(timezone.utc).isoformat()})
    registry.hook.avbench_run_finished(benchmark=plan.benchmark, summary=summary.as_dict())
    return summary


def _run_folds(summary: RunSummary, registry: Registry, log: Callable[[str], None], executor: Executor,
               runnable: deque, timeout: float | None, progress: bool, warming: str | None) -> None:
    """Run the folds of ``runnable``; a worker's death retries a fold once, then records it as failed."""
    attempts: Counter[str] = Counter()
    with StageProgress("running folds", len(runnable), "fold", enabled=progress, warming=warming) as bar:
        for unit, record in executor.map_unordered(run_fold, runnable, timeout=timeout):
            if isinstance(record, UnitFailure):
                where = (f"running fold {unit.fold.name!r} (seed {unit.seed}) of {unit.experiment} / "
                         f"{unit.protocol_key} with plugin(s) {_plugins_of(unit)}")
                if record.retryable and attempts[unit.fingerprint] == 0:
                    attempts[unit.fingerprint] += 1
                    log(f"RETRYING: {record.cause} {where}")
                    runnable.append(unit)
                    continue
                record = failed_record(unit, f"{record.cause} {where}")
            _finish_fold(summary, registry, log, record)
            bar.update(1)


def _stored_folds(plan: Plan) -> int:
    """Finished fold records under the plan's experiments (said when the cluster is lost before any fold ran)."""
    import json

    count = 0
    for name in plan.experiments:
        for path in (plan.output_dir / name).glob("*/seed-*/*.json"):
            try:
                count += json.loads(path.read_text()).get("status") == "ok"
            except (OSError, ValueError, AttributeError):
                continue
    return count


def _finish_fold(summary: RunSummary, registry: Registry, log: Callable[[str], None], record: dict) -> None:
    if record.get("status") == "ok":
        summary.done += 1
        summary.computed.add((record["experiment"], record["protocol"]))
    else:
        summary.failed += 1
        log(f"FAILED {record['experiment']} / {record['protocol']} / {record['fold']}: {record.get('error')}")
    for warning in record.get("warnings", []) or []:
        log(f"WARNING {record['experiment']} / {record['protocol']} / {record['fold']}: {warning}")
    if record.get("library_warnings"):
        counts = summary.library_warnings.setdefault((record["experiment"], record["protocol"]), Counter())
        counts.update(record["library_warnings"])
        counts[FOLDS_WITH_WARNINGS] += 1
    registry.hook.avbench_fold_finished(record=record)


FOLDS_WITH_WARNINGS = ""  # the counter entry that counts folds, not warnings
#: Distinct library warnings named per row at the end of a run (the rest counted).
NAMED_WARNINGS = 2


def library_warning_lines(summary: RunSummary) -> list[str]:
    """One line per row whose folds raised library warnings (scikit-learn, numpy...): how many, the commonest."""
    lines = []
    for (experiment, protocol), counts in sorted(summary.library_warnings.items()):
        folds = counts[FOLDS_WITH_WARNINGS]
        texts = [(t, n) for t, n in counts.most_common() if t != FOLDS_WITH_WARNINGS]
        shown = "; ".join(f"{t} (x{n})" for t, n in texts[:NAMED_WARNINGS])
        more = f"; {len(texts) - NAMED_WARNINGS} other kind(s)" if len(texts) > NAMED_WARNINGS else ""
        lines.append(f"library warnings in {folds} fold(s) of {experiment} / {protocol}: {shown}{more} "
                     f"(each fold record lists them under library_warnings)")
    return lines


def failed_record(unit: FoldUnit, cause: str) -> dict[str, Any]:
    """A fold that ended without a result (dead worker, timeout, missing features) still leaves an error record."""
    record = {**unit.describe(), "benchmark": unit.benchmark, "status": "error",
              "experiment_fingerprint": unit.experiment_fingerprint, "classes": list(unit.classes),
              "error": cause.splitlines()[0], "finished": datetime.now(timezone.utc).isoformat(),
              **dict(unit.metadata)}
    return write_record(unit.stem.with_suffix(".json"), record)


def iter_failed_work(summary: RunSummary) -> Iterator[tuple[str, str, str]]:
    for exp, clips in summary.failed_work.items():
        for clip, cause in sorted(clips.items()):
            yield exp, clip, cause
