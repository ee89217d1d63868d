"""Planning a run: datasets to clips, clips to extraction tasks, experiments x protocols x folds x seeds to units."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Collection, Iterator, Sequence

import numpy as np

from avbench import __version__
from avbench.cache.feature_cache import stable_hash
from avbench.cache.file_hash import FileHashIndex, UnreadableMediaError
from avbench.cache.input_hashes import input_hashes
from avbench.config.loader import ConfigError, resolve_dataset_root
from avbench.config.paths import UnsetVariableError, expand_path
from avbench.config.schema import CROSS_CORPUS_PROTOCOL, BenchmarkConfig, ExperimentConfig, PluginRef
from avbench.contract import Clip, Fold, PluginKind, RunContext
from avbench.contract.errors import AvbenchError, ResourceMissingError
from avbench.registry import Registry, did_you_mean
from avbench.storage.fold_store import CorruptResultError, read_predictions, read_record

from .clip_table import TABLES_DIR, ClipTable, FoldRows, present_on_sides
from .corpora import class_coverage, experiment_clips, source_clip, source_id
from .determinism import source_revision
from .preflight import unfit_protocols
from .seeds import default_seeds
from .units import BranchSpec, ExtractTask, FoldUnit, PluginSpec, branch_plugins

CHUNK = 16
#: Per-file dataset problems and unreadable clips logged one per line up to this many, then counted.
SHOWN_PROBLEMS = 20
#: ... and under ``--strict``, where they are the error, this many.
STRICT_SHOWN_PROBLEMS = 50


@dataclass
class DatasetState:
    name: str
    plugin: PluginSpec
    synthetic: bool
    root: Path | None = None
    clips: list[Clip] = field(default_factory=list)
    error: str | None = None
    problems: list[str] = field(default_factory=list)  # files the dataset left out, one line each
    wrong_root: Path | None = None  # a root given (config, variable or --data) that is missing or no folder
    pending: bool = False  # (dry run) an embedded dataset a real run would generate first


@dataclass
class ExperimentPlan:
    name: str
    config: ExperimentConfig
    dataset: DatasetState
    classes: tuple[str, ...]
    clips: list[Clip]
    branches: tuple[BranchSpec, ...]
    fusion: PluginSpec | None
    keys: dict[str, dict[str, str]] = field(default_factory=dict)  # branch -> clip -> feature key
    media_hashes: dict[str, dict[str, str]] = field(default_factory=dict)  # clip -> modality -> content hash
    error: str | None = None
    unconfigured: bool = False  # not run because data or a resource is not configured here (not an error)
    # clip -> why its media cannot be read; found afresh by every plan, never remembered
    clip_errors: dict[str, str] = field(default_factory=dict)


@dataclass
class Plan:
    benchmark: str
    context: RunContext
    output_dir: Path
    datasets: dict[str, DatasetState]
    experiments: dict[str, ExperimentPlan]
    #: avbench's own output folders (the board): files avbench writes never make the checkout "dirty"
    outputs: tuple[Path, ...] = ()


def resolve_spec(registry: Registry, ref: PluginRef, kind: PluginKind, context: RunContext,
                 hashes: FileHashIndex | None = None) -> PluginSpec:
    """The plugin as configured, with the content hashes of the files it declares it reads."""
    plugin = registry.create(ref.model_dump(), kind, context)
    return PluginSpec(ref.plugin, plugin.version, plugin.get_params(), plugin.cache_salt(),
                      registry.info(ref.plugin).module, input_hashes(plugin, hashes), cuda=plugin.wants_cuda())


def pinned_device(context: RunContext, specs: Sequence[PluginSpec | None]) -> RunContext:
    """``context`` for a unit of ``specs``: a run device of ``auto`` becomes what planning found (``cuda`` when one
    of them runs on CUDA, else ``cpu``), so a worker resolves ``auto`` as the unit's keys say, whatever it sees."""
    if context.device != "auto":
        return context
    return replace(context, device="cuda" if any(s is not None and s.cuda for s in specs) else "cpu")


def cache_dir_for(config: BenchmarkConfig, base: Path) -> Path:
    """``$AVBENCH_CACHE``, else ``benchmark.cache`` (expanded when the file was read), else ``.avbench-cache``."""
    value = os.environ.get("AVBENCH_CACHE")
    try:
        value = expand_path(value) if value else (config.benchmark.cache or ".avbench-cache")
    except UnsetVariableError as exc:
        raise ConfigError([f"$AVBENCH_CACHE: {exc}"]) from None
    path = Path(value)
    return (path if path.is_absolute() else base / path).resolve()


def select_experiments(config: BenchmarkConfig, only: Sequence[str] | None) -> list[str]:
    if not only:
        return list(config.experiments)
    unknown = [n for n in only if n not in config.experiments]
    if unknown:
        raise ConfigError([f"--only {n}: no experiment {n!r}{did_you_mean(n, config.experiments)}" for n in unknown])
    return [n for n in config.experiments if n in only]


def resolve_resources(config: BenchmarkConfig, base: Path) -> dict[str, str]:
    out = {}
    for name, value in config.resources.items():
        try:
            expanded = expand_path(value)
        except UnsetVariableError:  # an unset variable: leave the resource unset
            continue
        path = Path(expanded)
        out[name] = str(path if path.is_absolute() else (base / path).resolve())
    return out


def root_source(name: str, config: BenchmarkConfig, data_overrides: dict[str, str] | None) -> str:
    """Where dataset ``name``'s root came from, for messages: ``--data``, its variable, or the file."""
    dataset = config.datasets[name]
    if (data_overrides or {}).get(name):
        return f"--data {name}"
    if os.environ.get(dataset.env_var(name)):
        return f"${dataset.env_var(name)}"
    return config.where(f"datasets.{name}.root")


def load_dataset(name: str, config: BenchmarkConfig, registry: Registry, context: RunContext, base: Path,
                 data_overrides: dict[str, str] | None, *, strict: bool = False, dry_run: bool = False
                 ) -> DatasetState:
    """The dataset's clips, or an error that skips its experiments.

    A root that is configured but missing or not a folder is a ConfigError (a wrong path is a
    mistake); an unconfigured root is a skip, or a ConfigError with ``strict``.
    """
    ref = config.datasets[name]
    plugin = registry.create({"plugin": ref.plugin, "params": ref.params}, PluginKind.DATASET, context)
    try:  # files the reader declares (a label table): their hashes key its data, as config_identity's do
        inputs = input_hashes(plugin)
    except ResourceMissingError as exc:
        inputs = {}
        missing = str(exc)
    else:
        missing = None
    state = DatasetState(name, PluginSpec(ref.plugin, plugin.version, plugin.get_params(), plugin.cache_salt(),
                                          inputs=inputs), synthetic=plugin.synthetic)
    if missing is not None:
        if strict:
            raise ConfigError([f"dataset {name}: {missing} (--strict)"])
        state.error = f"dataset {name!r}: {missing}"
        return state
    root = resolve_dataset_root(name, config, base, data_overrides)
    if root is None and plugin.embedded:
        root = context.cache_dir / "datasets" / f"{ref.plugin}-{stable_hash(plugin.get_params())[:10]}"
    if root is None:
        state.error = (f"dataset {name!r} has no root: set {ref.env_var(name)}, give `root` in the config, "
                       f"or pass --data {name}=PATH")
        if strict:
            raise ConfigError([f"dataset {name}: no root configured (--strict): set {ref.env_var(name)}, "
                               f"give `root` in the config, or pass --data {name}=PATH"])
        return state
    wrong = ("is not a folder" if root.exists() and not root.is_dir() else
             "does not exist" if not root.exists() and not plugin.embedded else None)  # embedded: generated there
    if wrong:  # missing data, like an unset root: a skip saying what to fix (an error with ``strict``)
        line = (f"dataset {name}: root {root} {wrong} (from {root_source(name, config, data_overrides)}): "
                f"point it at the data")
        if strict:
            raise ConfigError([f"{line} (--strict)"])
        state.error, state.wrong_root = line, root
        return state
    state.root = root
    if dry_run and plugin.embedded and not root.exists():
        state.error = f"dataset {name!r}: embedded, not generated yet (a real run generates it into {root})"
        state.pending = True
        return state
    try:
        if not dry_run:  # an embedded dataset generates its files here
            plugin.prepare(root)
        state.clips = plugin.clips(root)
    except AvbenchError as exc:
        state.error = f"dataset {name!r} at {root}: {exc}"
    except Exception as exc:  # a third-party reader's bug or an OSError: this dataset is skipped, not the run
        state.error = f"dataset {name!r} at {root}: {type(exc).__name__}: {exc}"
    else:
        state.problems = [str(p) for p in getattr(plugin, "problems", None) or ()]
    return state


def log_lines(log, lines: Sequence[str], what: str) -> None:
    """Up to SHOWN_PROBLEMS lines, then how many more there are."""
    for line in lines[:SHOWN_PROBLEMS]:
        log(line)
    if len(lines) > SHOWN_PROBLEMS:
        log(f"... and {len(lines) - SHOWN_PROBLEMS} more {what}")


def classes_without_clips(config: BenchmarkConfig, names: Sequence[str], datasets: dict[str, DatasetState]
                          ) -> list[str]:
    """A declared class no clip of the (available) dataset has: one problem line per class."""
    problems = []
    for name in names:
        exp = config.experiments[name]
        # every test side must hold every class: a dataset of a train/test experiment's training side need not
        sides = exp.test if exp.test is not None else exp.corpora
        for dataset_name in sides:
            dataset = datasets[dataset_name]
            if not exp.classes or dataset.error:
                continue
            present = {c.label for c in experiment_clips(exp, {dataset_name: dataset.clips})}
            for label in exp.classes:
                if label not in present:
                    mapped = " after label_map" if exp.label_map.get(dataset_name) else ""
                    side = " (a test corpus)" if exp.multi_corpus else ""
                    problems.append(f"{config.where(f'experiments.{name}.classes')}: class {label!r} has no clip in "
                                    f"dataset {dataset_name!r}{side} at {dataset.root}{mapped} "
                                    f"(it has: {', '.join(sorted(present)) or 'no clip'})")
    return problems


def hash_media(exp: ExperimentPlan, hashes: FileHashIndex, modalities: set[str]) -> None:
    """Content hashes of every clip's media; a clip whose media for ``modalities`` cannot be read gets a clip error."""
    for clip in exp.clips:
        exp.media_hashes[clip.clip_id] = {}
        for modality, path in sorted(clip.media.items()):
            try:
                exp.media_hashes[clip.clip_id][modality] = hashes.hash(path)
            except UnreadableMediaError as exc:
                exp.media_hashes[clip.clip_id][modality] = "unreadable"
                if modality in modalities:
                    exp.clip_errors.setdefault(clip.clip_id, str(exc))


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)


def feature_keys(extractor: dict[str, Any], clips: Sequence[Clip], media_hashes: dict[str, dict[str, str]]
                 ) -> dict[str, str]:
    """Clip id -> :func:`~avbench.cache.feature_cache.feature_key` of each clip, the same bytes hashed.

    The extractor's part of the canonical JSON is made once, not once per clip (a per-clip cost that
    dominated planning a large corpus).
    """
    encode = _CANONICAL.encode
    head = '{"augmentation":null,"clip":'
    middle = ',"extractor":' + encode(extractor) + ',"media":'
    sha256 = hashlib.sha256
    return {c.clip_id: sha256(f"{head}{encode(source_id(c))}{middle}{encode(media_hashes[c.clip_id])}}}".encode())
            .hexdigest() for c in clips}


def build_plan(config: BenchmarkConfig, registry: Registry, base: Path, only: Sequence[str] | None = None,
               data_overrides: dict[str, str] | None = None, log=print, *, strict: bool = False,
               detail=None, dry_run: bool = False) -> Plan:
    """Datasets listed, experiments resolved, media hashed and feature keys made.

    Per-file dataset problems and unreadable media are logged and their clips skipped; with
    ``strict`` they, and any dataset that cannot be used, are a ConfigError. A dataset that is not
    configured here is said to ``detail`` (default ``log``): a run summarises those itself. A
    ``dry_run`` plan writes nothing: no embedded dataset is generated and no file hash is remembered.
    """
    names = select_experiments(config, only)
    cache_dir = cache_dir_for(config, base)
    context = RunContext(cache_dir=cache_dir, device=config.benchmark.device,
                         resources=resolve_resources(config, base))
    datasets: dict[str, DatasetState] = {}
    refusals: list[str] = []
    for name in dict.fromkeys(d for n in names for d in config.experiments[n].corpora):
        try:
            datasets[name] = load_dataset(name, config, registry, context, base, data_overrides, strict=strict,
                                          dry_run=dry_run)
        except ConfigError as exc:
            refusals += exc.lines
            continue
        state = datasets[name]
        say = (detail or log) if state.root is None else log  # not configured here: a run summarises it
        say(f"dataset {name}: " + (f"SKIPPED: {state.error}" if state.error else
                                   f"{len(state.clips)} clips at {state.root}"
                                   + (" (synthetic)" if state.synthetic else "")
                                   + (f"; {len(state.problems)} file(s) left out" if state.problems else "")))
        if not strict:
            log_lines(log, [f"dataset {name}: left out: {p}" for p in state.problems], "file(s) left out")
            continue
        if state.error:
            refusals.append(f"{state.error} (--strict)")
        if state.problems:
            shown = state.problems[:STRICT_SHOWN_PROBLEMS]
            more = len(state.problems) - len(shown)
            refusals += [f"dataset {name}: {p}" for p in shown]
            if more:
                refusals.append(f"dataset {name}: ... and {more} more")
            refusals.append(f"dataset {name}: {len(state.problems)} file(s) it cannot use (--strict); fix them, "
                            f"leave them out with the dataset's 'exclude' parameter, or run without --strict")
    if refusals:
        raise ConfigError(refusals)
    missing_classes = classes_without_clips(config, names, datasets)
    if missing_classes:
        raise ConfigError(missing_classes)
    hashes = FileHashIndex(cache_dir)
    experiments = {}
    unreadable: dict[tuple[str, str], str] = {}  # (dataset, clip) -> reason, to log once per clip
    for name in names:
        exp = config.experiments[name]
        dataset = experiment_data(config, name, datasets)
        present = {c.label for c in dataset.clips}
        classes = tuple(exp.classes or [l for l in declared_classes(config, name, registry) if l in present])
        clips = [c for c in dataset.clips if c.label in classes]
        try:
            branches = tuple(
                BranchSpec(b, resolve_spec(registry, br.extractor, PluginKind.EXTRACTOR, context, hashes),
                           resolve_spec(registry, br.model, PluginKind.MODEL, context, hashes) if br.model else None,
                           resolve_spec(registry, br.augment, PluginKind.AUGMENTER, context, hashes)
                           if br.augment else None)
                for b, br in exp.branches.items())
            fusion = resolve_spec(registry, exp.fusion, PluginKind.FUSION, context, hashes) if exp.fusion else None
        except AvbenchError as exc:  # e.g. a pretrained file absent here: skip this experiment, not the whole run
            experiments[name] = ExperimentPlan(name, exp, dataset, classes, clips, (), None,
                                               error=dataset.error or str(exc),
                                               unconfigured=isinstance(exc, ResourceMissingError)
                                               or dataset.root is None)
            continue
        plan = ExperimentPlan(name, exp, dataset, classes, clips, branches, fusion, error=dataset.error,
                              unconfigured=dataset.root is None)
        # per experiment, never per clip id alone: datasets may share clip ids (the demo uses RAVDESS naming)
        hash_media(plan, hashes, {registry.info(b.extractor.plugin).cls.modality.value for b in branches})
        for clip_id, reason in plan.clip_errors.items():
            unreadable.setdefault((dataset.name, clip_id), reason)
        for branch in branches:
            plan.keys[branch.name] = feature_keys(branch.extractor.identity, clips, plan.media_hashes)
        experiments[name] = plan
    if not dry_run:
        hashes.save()
    planned = Plan(config.benchmark.name, context, base / config.benchmark.output / config.benchmark.name,
                   datasets, experiments, outputs=(base / config.benchmark.leaderboards,))
    def make_protocol(experiment: str, key: str) -> Any:
        spec = resolve_spec(registry, protocol_ref(config, experiment, key), PluginKind.PROTOCOL, context)
        return registry.create(spec.ref, PluginKind.PROTOCOL, context)

    if unfit := unfit_protocols(planned, config, make_protocol):  # before anything is extracted
        raise ConfigError(unfit)
    if strict and unreadable:
        raise ConfigError([f"dataset {d}: clip {c}: {r} (--strict)" for (d, c), r in sorted(unreadable.items())])
    log_lines(log, [f"dataset {d}: clip {c} skipped: {r}" for (d, c), r in sorted(unreadable.items())],
              "unreadable clip(s)")
    return planned


def extraction_tasks(plan: Plan, known_bad: Collection[str] = ()) -> list[ExtractTask]:
    """Tasks of chunks of clips, each clip-feature once across experiments.

    The settings of one modality that read media share tasks: a task lists each clip's items (one per
    setting that lacks its features) together, so a worker decodes the clip once for all of them.
    Feature keys in ``known_bad`` (remembered bad media) are not extracted again.
    """
    from avbench.cache.feature_cache import FeatureCache

    cache = FeatureCache(plan.context.cache_dir)
    todo: dict[str, tuple[PluginSpec, list[Clip], list[str]]] = {}
    seen: set[str] = set(known_bad)
    for exp in plan.experiments.values():
        if exp.error:
            continue
        for branch in exp.branches:
            setting = stable_hash(branch.extractor.identity)
            spec, clips, keys = todo.setdefault(setting, (branch.extractor, [], []))
            for clip in exp.clips:
                if clip.clip_id in exp.clip_errors:  # its media cannot be read: never handed to an extractor
                    continue
                key = exp.keys[branch.name][clip.clip_id]
                if key not in seen and not cache.has(spec.plugin, key):
                    clips.append(source_clip(clip))  # as its dataset gave it: extractors may look ids up
                    keys.append(key)
                seen.add(key)
    groups: dict[Any, list[tuple[PluginSpec, list[Clip], list[str]]]] = {}
    for spec, clips, keys in todo.values():
        if clips:
            groups.setdefault(_media_group(spec), []).append((spec, clips, keys))
    tasks = []
    for group, members in groups.items():
        if group is None or len(members) == 1:
            for spec, clips, keys in members:
                for i in range(0, len(clips), CHUNK):
                    tasks.append(ExtractTask(spec, tuple(clips[i:i + CHUNK]), tuple(keys[i:i + CHUNK]),
                                             pinned_device(plan.context, [spec])))
            continue
        tasks.extend(_shared_tasks(members, plan.context))
    return tasks


def _media_group(spec: PluginSpec) -> Any:
    """Settings that may share decoded clips: those reading media of one modality (None: shares nothing)."""
    from avbench.registry import get_registry, registry_with

    try:
        cls = (registry_with([spec.module]) if spec.module else get_registry()).info(spec.plugin).cls
    except Exception:
        return None
    if not getattr(cls, "reads_media", True) or getattr(cls, "modality", None) is None:
        return None
    return cls.modality


def _shared_tasks(members: list[tuple[PluginSpec, list[Clip], list[str]]], context: RunContext) -> list[ExtractTask]:
    """Chunks of ``CHUNK`` clips, each clip's items (one per setting that lacks it) next to each other."""
    items: dict[tuple, tuple[Clip, list[tuple[int, str]]]] = {}
    for s, (_, clips, keys) in enumerate(members):
        for clip, key in zip(clips, keys):
            identity = (clip.clip_id, tuple(sorted(clip.media.items())))
            items.setdefault(identity, (clip, []))[1].append((s, key))
    specs = tuple(spec for spec, _, _ in members)
    ordered = list(items.values())
    tasks = []
    for i in range(0, len(ordered), CHUNK):
        chunk = [(clip, s, key) for clip, wanted in ordered[i:i + CHUNK] for s, key in wanted]
        used = sorted({s for _, s, _ in chunk})  # the task's own specs: the first is its ``extractor``
        position = {s: n for n, s in enumerate(used)}
        tasks.append(ExtractTask(specs[used[0]], tuple(c for c, _, _ in chunk), tuple(k for _, _, k in chunk),
                                 pinned_device(context, [specs[s] for s in used]),
                                 others=tuple(specs[s] for s in used[1:]),
                                 spec_of=tuple(position[s] for _, s, _ in chunk)))
    return tasks


def check_no_leakage(fold: Fold, clips: dict[str, Clip], where: str) -> None:
    """No subject may be on both the training side and the test side of a fold."""
    train_subjects = {clips[c].subject for c in fold.training_side()}
    test_subjects = {clips[c].subject for c in fold.test}
    shared = train_subjects & test_subjects
    if shared:
        raise AvbenchError(f"{where}: fold {fold.name!r} puts subject(s) {sorted(shared)} in both train and test")
    overlap = set(fold.test) & fold.training_side()
    if overlap:
        raise AvbenchError(f"{where}: fold {fold.name!r} has {len(overlap)} clip(s) in both train and test")


def check_test_classes(fold: Fold, clips: dict[str, Clip], classes: Sequence[str], where: str) -> None:
    """Every class of the experiment has a test clip in the fold (a cross-corpus test side may lack one)."""
    coverage = class_coverage(clips, sorted(fold.training_side()), fold.test)
    absent = [c for c in classes if c not in coverage["test"]]
    if absent:
        raise AvbenchError(f"{where}: fold {fold.name!r}: class(es) {', '.join(map(repr, absent))} of the experiment "
                           f"have no test clip (test side has: {', '.join(coverage['test']) or 'no clip'}); "
                           f"drop them from `classes` or map them with `label_map`")


def check_rows_no_leakage(rows: FoldRows, table: ClipTable, where: str) -> None:
    """:func:`check_no_leakage` on a fold as table rows: linear in the fold's test side when train is the rest."""
    training, test = present_on_sides(rows, table, "subject")
    shared = training & test
    if shared:
        raise AvbenchError(f"{where}: fold {rows.name!r} puts subject(s) {sorted(shared)} in both train and test")
    side = np.concatenate([rows.val, rows.meta] if rows.train is None else [rows.train, rows.val, rows.meta])
    overlap = np.intersect1d(rows.test, side)
    if len(overlap):
        raise AvbenchError(f"{where}: fold {rows.name!r} has {len(overlap)} clip(s) in both train and test")


def check_rows_test_classes(rows: FoldRows, table: ClipTable, classes: Sequence[str], where: str) -> None:
    """:func:`check_test_classes` on a fold as table rows."""
    _, test = present_on_sides(rows, table, "label")
    absent = [c for c in classes if c not in test]
    if absent:
        raise AvbenchError(f"{where}: fold {rows.name!r}: class(es) {', '.join(map(repr, absent))} of the experiment "
                           f"have no test clip (test side has: {', '.join(sorted(test)) or 'no clip'}); "
                           f"drop them from `classes` or map them with `label_map`")


def check_rows_train_classes(rows: FoldRows, table: ClipTable, classes: Sequence[str], where: str) -> None:
    """Every class of the experiment has a training clip in the fold: a model cannot learn a class it never sees."""
    training, _ = present_on_sides(rows, table, "label")
    absent = [c for c in classes if c not in training]
    if absent:
        raise AvbenchError(f"{where}: fold {rows.name!r}: class(es) {', '.join(map(repr, absent))} of the experiment "
                           f"have no training clip (training side has: {', '.join(sorted(training)) or 'no clip'}); "
                           f"drop them from `classes` or map them with `label_map`")


def check_rows_normalisation(rows: FoldRows, table: ClipTable, settings: dict[str, dict[str, Any]],
                             where: str) -> None:
    """The normalisation check of :func:`avbench.runner.normalise.check_fold` on a fold as table rows."""
    for branch, setting in settings.items():
        if setting["scope"] == "corpus" and not setting["transductive"]:
            training, test = present_on_sides(rows, table, "corpus")
            unseen = sorted(test - training)
            if unseen:
                raise ValueError(f"{where}: fold {rows.name!r}: branch {branch!r} normalises per corpus, but corpus "
                                 f"{', '.join(unseen)} has no training clip, so its statistics would come from test "
                                 f"clips: set normalise.transductive = true or use scope 'global'")


def _without_clip(reason: str, clip_id: str) -> str:
    """A clip's error with its id and file paths blanked, so equal causes count together."""
    return re.sub(r"\S*/\S*", "<file>", reason.replace(clip_id, "<clip>"))


def diagnostics_summary(exp: ExperimentPlan, diagnostics: dict[str, dict]) -> dict[str, dict[str, int]]:
    """Integer extraction diagnostics (by feature key) summed over the experiment's clips, per branch."""
    out: dict[str, dict[str, int]] = {}
    for branch in exp.branches:
        totals: dict[str, int] = {}
        unknown: set[str] = set()
        for clip in exp.clips:
            for key, value in diagnostics.get(exp.keys[branch.name][clip.clip_id], {}).items():
                if isinstance(value, int) and not isinstance(value, bool):
                    if value < 0:  # a count the extractor could not make for this clip
                        unknown.add(key)
                    totals[key] = totals.get(key, 0) + value
        totals = {k: v for k, v in totals.items() if k not in unknown}
        if totals:
            out[branch.name] = totals
    return out


def declared_classes(config: BenchmarkConfig, experiment: str, registry: Registry) -> list[str]:
    """The experiment's classes as the config declares them: its list, else every label of its dataset plugin."""
    exp = config.experiments[experiment]
    if isinstance(exp.classes, (list, tuple)) and exp.classes:
        return list(exp.classes)
    per_dataset = []
    for name in exp.corpora:
        labels = registry.info(config.datasets[name].plugin).cls.labels
        per_dataset.append(list(dict.fromkeys(m for m in (exp.mapped_label(name, l) for l in labels) if m)))
    shared = set.intersection(*(set(labels) for labels in per_dataset))  # the class set every corpus has
    return [label for label in per_dataset[0] if label in shared]


def experiment_identity(config: BenchmarkConfig, experiment: str, registry: Registry, dataset: PluginSpec,
                        branches: Sequence[BranchSpec], fusion: PluginSpec | None,
                        protocol: PluginSpec) -> dict[str, Any]:
    """Everything about one experiment under one protocol that can change its results, except its input data.

    Fold fingerprints are built on it, and its hash is stored in every fold record as ``config_fingerprint``;
    the leaderboard recomputes it from the config alone (:func:`config_identity`) to tell stale results from
    current ones. A new setting that can change a result is added here, once.
    """
    exp = config.experiments[experiment]
    identity = {
        "avbench": __version__,
        "dataset": dataset.identity,
        "classes": declared_classes(config, experiment, registry),
        "branches": [branch_identity(b, exp.branches[b.name].normalise if b.name in exp.branches else None)
                     for b in branches],
        "fusion": fusion.identity if fusion else None,
        "protocol": protocol.identity,
        "torch_threads": config.benchmark.torch_threads,
    }
    if exp.label_map and not exp.multi_corpus:  # a multi-corpus dataset spec holds its label map already
        identity["label_map"] = {d: dict(sorted(m.items())) for d, m in sorted(exp.label_map.items())}
    return identity


def branch_identity(branch: BranchSpec, normalise: Any) -> dict[str, Any]:
    """A branch's plugins and, when it declares one, its normalisation stage (absent otherwise: keys stay)."""
    out = {"name": branch.name, "extractor": branch.extractor.identity,
           "model": branch.model.identity if branch.model else None,
           "augment": branch.augment.identity if branch.augment else None}
    if normalise is not None:
        out["normalise"] = normalise.model_dump()
    return out


def data_spec(config: BenchmarkConfig, experiment: str, specs: dict[str, PluginSpec]) -> PluginSpec:
    """The experiment's data as one spec: its dataset's, or for several datasets each one's identity, the
    train/test sides and the label map (everything about its data that can change a result)."""
    exp = config.experiments[experiment]
    if not exp.multi_corpus:
        return specs[exp.dataset]
    params = {"datasets": {name: specs[name].identity for name in exp.corpora},
              "train": list(exp.train) if exp.train is not None else None,
              "test": list(exp.test) if exp.test is not None else None,
              "label_map": {d: dict(sorted(m.items())) for d, m in sorted(exp.label_map.items())}}
    return PluginSpec("corpora", "1", params)


def experiment_data(config: BenchmarkConfig, experiment: str, datasets: dict[str, DatasetState]) -> DatasetState:
    """The experiment's clips as one dataset: its own dataset's (labels mapped), or several namespaced."""
    exp = config.experiments[experiment]
    states = [datasets[name] for name in exp.corpora]
    clips = experiment_clips(exp, {s.name: s.clips for s in states})
    if not exp.multi_corpus and clips == states[0].clips:
        return states[0]
    errors = [s.error for s in states if s.error]
    roots = [s.root for s in states]
    return DatasetState(exp.data_label, data_spec(config, experiment, {s.name: s.plugin for s in states}),
                        synthetic=any(s.synthetic for s in states),
                        root=None if any(r is None for r in roots) else roots[0], clips=clips,
                        error=errors[0] if errors else None)


def protocol_ref(config: BenchmarkConfig, experiment: str, protocol_key: str) -> PluginRef:
    """The protocol an experiment runs under: a declared one, or a train/test experiment's own one-fold split."""
    exp = config.experiments[experiment]
    if exp.train is not None and protocol_key == CROSS_CORPUS_PROTOCOL:
        return PluginRef(plugin="corpus-split", params={"train": list(exp.train), "test": list(exp.test or [])})
    return config.protocols[protocol_key]


def config_identity(config: BenchmarkConfig, experiment: str, protocol_key: str, registry: Registry,
                    context: RunContext) -> dict[str, Any]:
    """:func:`experiment_identity` from the config and the registry alone: no dataset is listed or read.

    Raises :class:`AvbenchError` when a plugin cannot be set up here (e.g. a pretrained file is absent).
    """
    exp = config.experiments[experiment]
    specs = {name: resolve_spec(registry, PluginRef(plugin=config.datasets[name].plugin,
                                                    params=config.datasets[name].params), PluginKind.DATASET, context)
             for name in exp.corpora}
    dataset = data_spec(config, experiment, specs)
    branches = tuple(
        BranchSpec(name, resolve_spec(registry, br.extractor, PluginKind.EXTRACTOR, context),
                   resolve_spec(registry, br.model, PluginKind.MODEL, context) if br.model else None,
                   resolve_spec(registry, br.augment, PluginKind.AUGMENTER, context) if br.augment else None)
        for name, br in exp.branches.items())
    fusion = resolve_spec(registry, exp.fusion, PluginKind.FUSION, context) if exp.fusion else None
    protocol = resolve_spec(registry, protocol_ref(config, experiment, protocol_key), PluginKind.PROTOCOL, context)
    return experiment_identity(config, experiment, registry, dataset, branches, fusion, protocol)


def config_context(config: BenchmarkConfig, base: Path) -> RunContext:
    """The context plugins are created in for a run of ``config`` (no seed)."""
    return RunContext(cache_dir=cache_dir_for(config, base), device=config.benchmark.device,
                      resources=resolve_resources(config, base))


def experiment_table(exp: ExperimentPlan, skipped: dict[str, str]) -> ClipTable:
    """The experiment's clips, media hashes, feature keys and skipped clips as one table for its units."""
    return ClipTable(tuple(exp.clips), tuple(exp.media_hashes[c.clip_id] for c in exp.clips),
                     {b.name: tuple(exp.keys[b.name][c.clip_id] for c in exp.clips) for b in exp.branches},
                     skipped)


def iter_fold_units(plan: Plan, config: BenchmarkConfig, registry: Registry, skipped: dict[str, str],
                    diagnostics: dict[str, dict] | None = None, errors: list[dict[str, Any]] | None = None,
                    *, write_tables: bool = True) -> Iterator[FoldUnit]:
    """Units for every experiment x protocol x fold x seed, one at a time; what cannot be planned goes to ``errors``.

    Each experiment's clips become one :class:`ClipTable`, written once under the cache (not with
    ``write_tables=False``: a dry run writes nothing) and shared by its units, which hold row numbers.
    """
    errors = errors if errors is not None else []
    # once per run, in the main process: the commit (and the installed avbench version, never keyed) the folds
    # are computed with; a wheel install has no commit, and its version is what names the code
    source = {**source_revision(outputs=plan.outputs), "avbench_version": __version__}
    for exp in plan.experiments.values():
        if exp.error:
            errors.append({"experiment": exp.name, "protocol": None, "error": exp.error,
                           "unconfigured": exp.unconfigured})
            continue
        exp_skipped = dict(exp.clip_errors)  # unreadable media, found while planning
        for branch in exp.branches:
            for clip_id, key in exp.keys[branch.name].items():
                if key in skipped:
                    exp_skipped.setdefault(clip_id, f"{branch.extractor.plugin}: {skipped[key]}")
        if exp.clips and len(exp_skipped) == len(exp.clips):
            reasons = Counter(_without_clip(r, c) for c, r in exp_skipped.items())
            reason, count = reasons.most_common(1)[0]
            errors.append({"experiment": exp.name, "protocol": None,
                           "error": f"no usable clip: all {len(exp.clips)} failed extraction "
                                    f"({count} with: {reason})"})
            continue
        seeds = exp.config.seeds or default_seeds(exp.branches, exp.fusion, config.benchmark, registry)
        normalise_settings = {b: br.normalise.model_dump() for b, br in exp.config.branches.items() if br.normalise}
        table = experiment_table(exp, exp_skipped)
        table_path = (table.save(plan.context.cache_dir, log=_warn) if write_tables else
                      table.remember(plan.context.cache_dir / TABLES_DIR / f"unsaved-{exp.name}"))
        data_hash = stable_hash({c.clip_id: exp.media_hashes[c.clip_id] for c in exp.clips})
        first = True
        for protocol_key in exp.config.protocols:
            try:
                protocol_spec = resolve_spec(registry, protocol_ref(config, exp.name, protocol_key),
                                             PluginKind.PROTOCOL, plan.context)
                protocol = registry.create(protocol_spec.ref, PluginKind.PROTOCOL, plan.context)
                where = f"protocol {protocol_key}"
                folds = []
                folds_one_by_one = getattr(protocol, "iter_folds", None) or protocol.folds
                for fold in folds_one_by_one(exp.clips):  # each fold becomes row numbers at once, then is dropped
                    rows = FoldRows.of(fold, table)
                    check_rows_no_leakage(rows, table, where)
                    if exp.config.multi_corpus:
                        check_rows_test_classes(rows, table, exp.classes, where)
                    check_rows_train_classes(rows, table, exp.classes, where)
                    check_rows_normalisation(rows, table, normalise_settings, where)
                    folds.append(rows)
            except Exception as exc:
                errors.append({"experiment": exp.name, "protocol": protocol_key,
                               "error": f"{type(exc).__name__}: {exc}".splitlines()[0]})
                continue
            identity = experiment_identity(config, exp.name, registry, exp.dataset.plugin, exp.branches,
                                           exp.fusion, protocol_spec)
            exp_fp = stable_hash({**identity, "data": data_hash, "seeds": seeds, "skipped": exp_skipped})
            metadata = {"dataset": exp.dataset.name, "dataset_plugin": exp.dataset.plugin.identity,
                        "corpora": list(exp.config.corpora), "cross_corpus": exp.config.multi_corpus,
                        "transductive": any(s["transductive"] for s in normalise_settings.values()),
                        "synthetic": exp.dataset.synthetic, "plugins": plugin_versions(exp, protocol_spec),
                        "setup": identity, "computed_with": source, "config_fingerprint": stable_hash(identity), "data_fingerprint": data_hash,
                        "description": exp.config.description,
                        "protocol_folds": [f.name for f in folds], "planned_seeds": list(seeds),
                        "extraction_diagnostics": diagnostics_summary(exp, diagnostics or {})}
            unit_specs = [exp.fusion, *branch_plugins(exp.branches)]
            for seed in seeds:
                for rows in folds:
                    yield FoldUnit(
                        benchmark=plan.benchmark, experiment=exp.name, protocol=protocol_spec,
                        protocol_key=protocol_key, rows=rows, seed=seed, classes=exp.classes,
                        branches=exp.branches, fusion=exp.fusion, table_path=table_path,
                        context=replace(pinned_device(plan.context, unit_specs), seed=seed),
                        result_dir=plan.output_dir / exp.name / protocol_key / f"seed-{seed}",
                        experiment_fingerprint=exp_fp,
                        latency_clips=config.benchmark.latency_clips if first else 0,
                        torch_threads=config.benchmark.torch_threads,
                        metadata=metadata)
                    first = False


def _warn(line: str) -> None:
    print(f"avbench: {line}", file=sys.stderr)


def fold_units(plan: Plan, config: BenchmarkConfig, registry: Registry, skipped: dict[str, str],
               diagnostics: dict[str, dict] | None = None, *, write_tables: bool = True
               ) -> tuple[list[FoldUnit], list[dict[str, Any]]]:
    """Units for every experiment x protocol x fold x seed, and error rows for what cannot be planned.

    A unit is small (its fold as row numbers of the experiment's shared clip table), so the list is too.
    """
    errors: list[dict[str, Any]] = []
    units = list(iter_fold_units(plan, config, registry, skipped, diagnostics, errors, write_tables=write_tables))
    return units, errors


def plugin_versions(exp: ExperimentPlan, protocol: PluginSpec) -> dict[str, str]:
    specs = [exp.dataset.plugin, protocol, *branch_plugins(exp.branches)]
    if exp.fusion:
        specs.append(exp.fusion)
    versions = {s.plugin: s.version for s in specs}
    if exp.config.multi_corpus:  # each dataset plugin's own version, not the combined spec's
        versions.pop(exp.dataset.plugin.plugin, None)
        versions.update({d["plugin"]: d["version"] for d in exp.dataset.plugin.params["datasets"].values()})
    return versions


def is_done(unit: FoldUnit) -> bool:
    """A fold with a stored successful result of the same fingerprint, verified on disk, needs no work."""
    return why_not_done(unit) is None


def why_not_done(unit: FoldUnit) -> str | None:
    """Why the fold must run: no record, a record or predictions that do not verify, an error, another fingerprint."""
    path = unit.stem.with_suffix(".json")
    try:
        record = read_record(path)
    except FileNotFoundError:
        return "no stored result"
    except CorruptResultError as exc:
        return str(exc)
    if record.get("status") != "ok":
        return f"stored result is {record.get('status')!r}"
    if record.get("fingerprint") != unit.fingerprint:
        return "stored result has another fingerprint"
    if (record.get("experiment"), record.get("fold"), record.get("seed")) != (unit.experiment, unit.fold_name, unit.seed):
        return "stored result is another fold's (their names map to one file name)"
    try:
        read_predictions(path, record, parse=False)  # the checksum: the bytes the record was written with
    except CorruptResultError as exc:
        return str(exc)
    return None
