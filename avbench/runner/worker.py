"""What runs inside an executor's worker: feature extraction for a chunk of clips, and one fold.

Both functions take a picklable unit and touch no global state but a per-process
memo of plugin instances.
"""

from __future__ import annotations

import copy
import json
import sys
import time
import traceback
import warnings
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

import numpy as np

from avbench import __version__
from avbench.cache.feature_cache import CorruptCacheEntryError, FeatureCache, feature_key
from avbench.contract import (
    AudioSignal,
    BranchBatch,
    Clip,
    ClipError,
    FusionData,
    OutputKind,
    PluginKind,
    RunContext,
    VideoFrames,
)
from avbench.registry import Registry, UnknownPluginError, get_registry, registry_with
from avbench.storage.fold_store import write_predictions_frame, write_record

from .corpora import class_coverage, source_clip
from .failures import is_failed_work, one_line
from .normalise import FoldNormaliser, settings_of
from .output_checks import FixedAxes, InvalidOutputError, checked_features, checked_probabilities
from .determinism import apply_determinism, fold_device
from .units import BranchSpec, ExtractOutcome, ExtractTask, FoldUnit, PluginSpec
from .worker_process import report_progress

_instances: dict[str, Any] = {}


def plugin_for(spec: PluginSpec, kind: PluginKind, context: RunContext) -> Any:
    """A plugin instance for ``spec``, reused within this process (extractors load models once)."""
    key = json.dumps([spec.plugin, spec.params, str(context)], sort_keys=True, default=str)
    if key not in _instances:
        registry = registry_with([spec.module]) if spec.module else get_registry()
        _instances[key] = registry.create(spec.ref, kind, context)
    return _instances[key]


def factory_for(registry: Registry, context: RunContext):
    """Builds plugins a fusion names in its parameters, loading the full registry only when needed."""

    def create(ref: Any) -> Any:
        try:
            return registry.create(ref, context=context)
        except UnknownPluginError:
            return get_registry().create(ref, context=context)

    return create


def media_seconds(raw: Any) -> float:
    if isinstance(raw, AudioSignal):
        return raw.duration
    if isinstance(raw, VideoFrames) and raw.fps:
        return len(raw) / raw.fps
    return 0.0


def extract_chunk(task: ExtractTask) -> ExtractOutcome:
    """Extract and cache features for each item (clip, setting); a bad clip is recorded and skipped.

    Each item's start and end are reported to the main process as they happen, so a worker that
    dies or hangs on one clip costs only that item. A failure of the environment (cache write,
    full disk, memory, a plugin exiting) is failed work, never a verdict on the clip's media.
    The outcome is keyed by feature key: two datasets may name different clips alike. Settings
    whose :meth:`~avbench.contract.Extractor.decoding` is equal decode each clip once between them.
    """
    cache = FeatureCache(task.context.cache_dir)
    done, errors, failed, diagnostics = [], {}, {}, {}
    seconds = media = 0.0
    extractors: dict[int, Any] = {}
    unusable: dict[int, str] = {}
    for s, spec in enumerate(task.specs):
        try:
            extractors[s] = plugin_for(spec, PluginKind.EXTRACTOR, task.context)
        except Exception as exc:  # a plugin that cannot be set up here: no clip is to blame
            unusable[s] = f"extractor {spec.plugin!r} could not be set up: {one_line(exc)}"
    if not extractors:
        return ExtractOutcome(task.extractor.plugin, (), {}, 0.0, 0.0, {},
                              {key: unusable[task.spec_of[i] if task.spec_of else 0] for i, key in enumerate(task.keys)})
    signatures = {s: _decoding(e) for s, e in extractors.items()}
    shared = {sig for sig in signatures.values() if sig is not None
              and sum(1 for s in set(task.spec_of or (0,)) if signatures.get(s) == sig) > 1}
    per_extractor: dict[str, dict[str, float]] = {}
    decoded: dict[Any, Any] = {}
    previous: Clip | None = None
    for index, (clip, key) in enumerate(zip(task.clips, task.keys)):
        s = task.spec_of[index] if task.spec_of else 0
        plugin = task.specs[s].plugin
        if s in unusable:
            failed[key] = unusable[s]
            continue
        extractor = extractors[s]
        if clip != previous:  # the items of one clip follow each other: its decoded media is kept until the next
            decoded, previous = {}, clip
        report_progress(("start", index))
        start = time.perf_counter()
        status, reason, clip_media = "done", "", 0.0
        try:
            raw = _load(extractor, clip, signatures[s], decoded if signatures[s] in shared else None)
            value = checked_features(extractor, extractor.features(raw))
            clip_media = media_seconds(raw)
        except ClipError as exc:
            status, reason = "error", exc.reason
        except BaseException as exc:  # one bad clip never loses the others; SystemExit included
            status, reason = ("failed" if is_failed_work(exc) else "error"), one_line(exc)
            if isinstance(exc, SystemExit):
                reason = f"plugin ended its process ({reason})"
        else:
            try:
                cache.put(plugin, key, value)
            except Exception as exc:  # avbench's own folder: never the clip's fault
                status, reason = "failed", f"cannot write the feature cache: {one_line(exc)}"
        elapsed = time.perf_counter() - start
        try:
            found = dict(extractor.diagnostics(clip) or {})
        except Exception as exc:  # diagnostics never cost a clip its features
            found = {"diagnostics_error": one_line(exc)}
        if status == "failed":
            reason = f"{reason} extracting clip {clip.clip_id} with plugin {plugin!r}"
        counts = per_extractor.setdefault(plugin, {"clips": 0, "errors": 0, "media_seconds": 0.0,
                                                   "worker_seconds": 0.0})
        if status == "done":
            done.append(key)
            media += clip_media
            counts["clips"] += 1
            counts["media_seconds"] += clip_media
        else:
            (errors if status == "error" else failed)[key] = reason
            counts["errors"] += status == "error"
        seconds += elapsed
        counts["worker_seconds"] += elapsed
        if found:
            diagnostics[key] = found
        report_progress(("end", index, status, reason, elapsed, clip_media, found))
    return ExtractOutcome(task.extractor.plugin, tuple(done), errors, seconds, media, diagnostics, failed,
                          per_extractor if task.others else {})


def _decoding(extractor: Any) -> Any:
    """What the extractor's ``load`` depends on (None: not shared); a plugin whose method fails shares nothing."""
    try:
        signature = extractor.decoding()
        hash(signature)
    except Exception:
        return None
    return signature


def _load(extractor: Any, clip: Clip, signature: Any, decoded: dict[Any, Any] | None) -> Any:
    """The clip's decoded media: decoded once per signature (a decoding error too), each user given its own copy."""
    if decoded is None:
        return extractor.load(clip)
    if signature not in decoded:
        try:
            decoded[signature] = extractor.load(clip)
        except ClipError as exc:
            decoded[signature] = exc
    found = decoded[signature]
    if isinstance(found, ClipError):
        raise ClipError(found.clip_id, found.reason)
    return copy.deepcopy(found)  # an extractor may change its input in place: the next one sees it untouched


#: Bytes of loaded features a worker keeps beyond the setting in use (least recently used dropped first).
LOADED_BYTES = 1 << 30


class LoadedFeatures:
    """Verified features of one extractor setting by feature key, loaded once per worker process.

    Fixed-size vectors are kept as one stacked ``(clips, D)`` array; a fold's batch is one gather
    from it. Every array handed out is a copy, so no model can change what later folds see.
    """

    def __init__(self) -> None:
        self.rows_of: dict[str, int] = {}
        self.stacked: np.ndarray | None = None
        self.single: dict[str, np.ndarray] = {}
        self.scanned: set[tuple[str, str]] = set()  # (clip table, branch) whose entries were read in already

    def __contains__(self, key: str) -> bool:
        return key in self.rows_of or key in self.single

    @property
    def nbytes(self) -> int:
        return (self.stacked.nbytes if self.stacked is not None else 0) + sum(v.nbytes for v in self.single.values())

    def add(self, found: Mapping[str, np.ndarray], stack: bool) -> None:
        if not found:
            return
        shapes = {v.shape for v in found.values()}
        if self.stacked is not None:
            shapes.add(self.stacked.shape[1:])
        if stack and len(shapes) == 1:
            new = np.stack([found[k] for k in found])
            base = len(self.rows_of)
            self.stacked = new if self.stacked is None else np.concatenate([self.stacked, new])
            self.rows_of.update({k: base + i for i, k in enumerate(found)})
        else:
            self.single.update(found)

    def copy_of(self, key: str) -> np.ndarray:
        row = self.rows_of.get(key)
        return self.stacked[row].copy() if row is not None else self.single[key].copy()

    def rows(self, keys: Sequence[str]) -> list[np.ndarray] | None:
        """Copies of the arrays of ``keys`` in order (one gather when all are stacked); None if any is absent."""
        if self.stacked is not None and all(k in self.rows_of for k in keys):
            return list(self.stacked[[self.rows_of[k] for k in keys]]) if keys else []
        if all(k in self for k in keys):
            return [self.copy_of(k) for k in keys]
        return None


_loaded_features: dict[tuple[str, str], LoadedFeatures] = {}


class FoldData:
    """Features and labels of one fold, per branch, loaded from the feature cache and checked.

    A cache entry that is missing, damaged or of the wrong shape is dropped and re-extracted
    here, with a warning in :attr:`warnings` (and on stderr); features of one extractor setting
    must agree on their fixed axes across every clip of the fold.
    """

    def __init__(self, unit: FoldUnit) -> None:
        self.unit = unit
        self.cache = FeatureCache(unit.context.cache_dir)
        self.index = {label: i for i, label in enumerate(unit.classes)}
        self.augmentation_errors: dict[str, str] = {}
        self.warnings: list[str] = []
        self.table = unit.table  # the experiment's clips, shared by its units: looked up by id, never copied
        settings = settings_of(unit)
        self.normaliser = FoldNormaliser(settings, self.table.by_id) if settings else None
        registry = registry_with(unit.modules)
        self.kinds = {b.name: registry.info(b.extractor.plugin).cls.output_kind for b in unit.branches}
        self.fixed_axes = {b.name: FixedAxes(b.name, b.extractor.plugin, self.kinds[b.name]) for b in unit.branches}
        self.loaded = {b.name: self._preloaded(b) for b in unit.branches}

    def _preloaded(self, branch: BranchSpec) -> "LoadedFeatures":
        """Every clip's cached features for ``branch``, read once per worker process in a few large reads.

        Only whole, verified, well-shaped entries are kept; any other clip takes the per-clip path of
        :meth:`features_of` when a fold asks for it (warning, dropped entry, re-extraction).
        """
        unit = self.unit
        memo_key = (str(self.cache.root), json.dumps(branch.extractor.identity, sort_keys=True, default=str))
        loaded = _loaded_features.pop(memo_key, None) or LoadedFeatures()
        _loaded_features[memo_key] = loaded  # most recently used last
        while len(_loaded_features) > 1 and sum(f.nbytes for f in _loaded_features.values()) > LOADED_BYTES:
            _loaded_features.pop(next(iter(_loaded_features)))
        scan = (str(unit.table_path), branch.name)
        if scan in loaded.scanned:  # this experiment's entries were read once already: later folds reuse them
            return loaded
        loaded.scanned.add(scan)
        table = self.table  # every clip of the experiment: one bulk read serves all its folds
        wanted = [k for c, k in zip(table.ids, table.feature_keys[branch.name])
                  if c not in table.skipped and k not in loaded]
        if wanted:
            extractor = plugin_for(branch.extractor, PluginKind.EXTRACTOR, unit.context)
            found = {}
            for key, value in self.cache.load_many(branch.extractor.plugin, wanted).items():
                if isinstance(value, np.ndarray):
                    try:
                        found[key] = checked_features(extractor, value)
                    except InvalidOutputError:
                        pass
            loaded.add(found, stack=self.kinds[branch.name] == OutputKind.VECTOR)
        return loaded

    def usable(self, ids: tuple[str, ...]) -> list[str]:
        return [c for c in ids if c not in self.table.skipped]

    def batch(self, ids: list[str]) -> BranchBatch:
        unit = self.unit
        features = {}
        for branch in unit.branches:
            keys = [self.table.key(branch.name, c) for c in ids]
            loaded = self.loaded[branch.name].rows(keys)
            if loaded is None:  # some clip is not in the worker's memo: one at a time, each checked
                loaded = [self.features_of(branch, c, k) for c, k in zip(ids, keys)]
            self.fixed_axes[branch.name].check(ids, loaded)
            features[branch.name] = loaded
        clips = [self.table.clip(c) for c in ids]
        return BranchBatch(features, np.array([self.index[c.label] for c in clips], dtype=np.int64),
                           np.array([c.subject for c in clips]), np.array(ids), self.kinds)

    def warn(self, message: str) -> None:
        """Kept for the fold record and printed now: worker output may not reach the user otherwise."""
        self.warnings.append(message)
        unit = self.unit
        print(f"WARNING {unit.experiment} / {unit.protocol_key} / {unit.fold.name}: {message}", file=sys.stderr)

    def cached(self, branch: BranchSpec, clip_id: str, key: str, *, expected: bool) -> np.ndarray | None:
        """A clip's cached features, verified; None when absent (a warning if ``expected``) or unusable.

        An unusable entry (checksum, truncation, wrong shape, NaN) is removed, with a warning.
        """
        name = branch.extractor.plugin
        path = self.cache.path(name, key)
        try:
            return checked_features(plugin_for(branch.extractor, PluginKind.EXTRACTOR, self.unit.context),
                                    self.cache.load(name, key))
        except FileNotFoundError:
            if expected:
                self.warn(f"{name}: features of clip {clip_id} were missing from the cache ({path}); re-extracting")
            return None
        except CorruptCacheEntryError as exc:
            problem = exc.reason
        except InvalidOutputError as exc:
            problem = str(exc)
        self.cache.discard(name, key)
        self.warn(f"{name}: cached features of clip {clip_id} in {path} were unusable ({problem}); "
                  f"dropped, re-extracting")
        return None

    def features_of(self, branch: BranchSpec, clip_id: str, key: str) -> np.ndarray:
        """A clip's features from the cache, re-extracted (and cached again) when the entry is missing or bad.

        A copy: what a model does to its input never reaches the worker's memo of loaded features.
        """
        loaded = self.loaded[branch.name]
        if key in loaded:
            return loaded.copy_of(key)
        found = self.cached(branch, clip_id, key, expected=True)
        if found is not None:
            loaded.add({key: found}, stack=False)
            return found.copy()
        name = branch.extractor.plugin
        extractor = plugin_for(branch.extractor, PluginKind.EXTRACTOR, self.unit.context)
        try:
            value = checked_features(extractor, extractor.extract(source_clip(self.table.clip(clip_id))), clip_id)
        except Exception as exc:
            reason = exc.reason if isinstance(exc, ClipError) else f"{type(exc).__name__}: {exc}"
            raise InvalidOutputError(f"clip {clip_id}: re-extracting its {name} features for branch "
                                     f"{branch.name!r} failed: {reason}".splitlines()[0]) from exc
        self.cache.put(name, key, value)
        loaded.add({key: value}, stack=False)
        return value.copy()

    def augmented(self, batch: BranchBatch) -> BranchBatch:
        """Training batch plus augmented copies from each branch that declares an augmenter."""
        unit = self.unit
        augmenting = [b for b in unit.branches if b.augment is not None]
        if not augmenting or len(batch.y) == 0:
            return batch
        copies = np.zeros(len(batch.y), dtype=int)
        augmenters = {}
        for branch in augmenting:
            augmenters[branch.name] = plugin_for(branch.augment, PluginKind.AUGMENTER, unit.context)
            copies = np.maximum(copies, augmenters[branch.name].copies_per_clip(batch.y))
        features = {name: list(values) for name, values in batch.features.items()}
        extra_rows: list[int] = []
        for row, n in enumerate(copies):
            clip = self.table.clip(str(batch.clip_ids[row]))
            for k in range(int(n)):
                try:
                    copy = {b.name: self._augmented_copy(b, augmenters[b.name], clip, k)
                            for b in unit.branches if b.name in augmenters}
                except ClipError as exc:  # this copy is dropped; the clip itself still trains
                    self.augmentation_errors[clip.clip_id] = exc.reason
                    continue
                extra_rows.append(row)
                for branch in unit.branches:
                    features[branch.name].append(copy.get(branch.name, batch.features[branch.name][row]))
        rows = np.array(extra_rows, dtype=int)
        return BranchBatch(features, np.concatenate([batch.y, batch.y[rows]]),
                           np.concatenate([batch.subjects, batch.subjects[rows]]),
                           np.concatenate([batch.clip_ids, batch.clip_ids[rows]]), batch.kinds)

    def _augmented_copy(self, branch: BranchSpec, augmenter: Any, clip: Clip, k: int) -> np.ndarray:
        unit = self.unit
        identity = {"augmenter": branch.augment.identity, "seed": unit.seed, "copy": k}
        key = feature_key(branch.extractor.identity, self.table.media_hash(clip.clip_id), clip.clip_id, identity)
        value = self.cached(branch, clip.clip_id, key, expected=False)
        if value is None:
            extractor = plugin_for(branch.extractor, PluginKind.EXTRACTOR, unit.context)
            rng = np.random.default_rng([unit.seed, k, int(feature_key({}, {}, clip.clip_id)[:8], 16)])
            value = checked_features(extractor, extractor.features(augmenter.augment(extractor.load(source_clip(clip)), rng)),
                                     clip.clip_id)
            self.cache.put(branch.extractor.plugin, key, value)
        self.fixed_axes[branch.name].check([clip.clip_id], [value])
        return value


def fit_predictor(unit: FoldUnit, data: FoldData) -> tuple[Any, dict[str, int]]:
    """Fit the experiment's model (one branch) or fusion (several) on the fold's training side."""
    registry = registry_with(unit.modules)
    plain = data.batch(data.usable(unit.fold.train))
    train = data.augmented(plain)
    val_ids = data.usable(unit.fold.val)
    val = data.batch(val_ids) if val_ids else None
    meta_ids = data.usable(unit.fold.meta)
    meta = data.batch(meta_ids) if meta_ids else None
    sizes = {"train": len(data.usable(unit.fold.train)), "train_with_augmentation": len(train.y),
             "val": len(val_ids), "meta": 0, "failed_augmentations": len(data.augmentation_errors)}
    if len(train.y) == 0:
        raise RuntimeError("no usable training clips in this fold")
    if data.normaliser is not None:  # statistics from the training side's own clips, never from test clips
        data.normaliser.fit([b for b in (plain, val, meta) if b is not None])
        train, val, meta = (data.normaliser.training(b) if b is not None else None for b in (train, val, meta))
    if unit.fusion is None:
        (branch,) = unit.branches
        model = registry.create(branch.model.ref, PluginKind.MODEL, unit.context)
        model.input_kind = data.kinds[branch.name]
        model.fit(train.features[branch.name], train.y, n_classes=len(unit.classes),
                  X_val=val.features[branch.name] if val else None, y_val=val.y if val else None)
        return model, sizes
    sizes["meta"] = len(meta_ids)
    fusion = registry.create(unit.fusion.ref, PluginKind.FUSION, unit.context)
    models = {b.name: registry.create(b.model.ref, PluginKind.MODEL, unit.context)
              for b in unit.branches if b.model is not None}
    for name, model in models.items():
        model.input_kind = data.kinds[name]
    fusion.fit(FusionData(train, len(unit.classes), val=val, meta=meta),
               models, factory_for(registry, unit.context))
    return fusion, sizes


def predictor_name(unit: FoldUnit) -> str:
    """The plugin whose ``predict_proba`` gives the fold's probabilities, as errors name it."""
    if unit.fusion is not None:
        return f"fusion {unit.fusion.plugin!r}"
    (branch,) = unit.branches
    return f"model {branch.model.plugin!r}"


def predict(unit: FoldUnit, predictor: Any, features: Mapping[str, list],
            clip_ids: Sequence[str] | None = None) -> np.ndarray:
    """Checked class probabilities ``(clips, classes)`` of ``features``; see :func:`checked_probabilities`."""
    if unit.fusion is None:
        (branch,) = unit.branches
        proba = predictor.predict_proba(features[branch.name])
    else:
        proba = predictor.predict_proba(features)
    n = len(next(iter(features.values())))
    ids = list(clip_ids) if clip_ids is not None else [f"#{i}" for i in range(n)]
    return checked_probabilities(proba, ids, len(unit.classes), predictor_name(unit))


def test_features(data: FoldData, test_ids: list[str]) -> Mapping[str, list]:
    """The test clips' features as the predictor sees them: standardised when a branch declares it."""
    batch = data.batch(test_ids)
    if data.normaliser is None:
        return batch.features
    data.normaliser.fit_test(replace(batch, y=np.full(len(batch.y), -1)))  # unlabelled: no test label reaches it
    return data.normaliser.testing(batch).features


def measure_latency(unit: FoldUnit, predictor: Any, test_ids: list[str],
                    normaliser: FoldNormaliser | None = None) -> dict[str, Any]:
    """End-to-end time per clip: decode + extract every branch (no cache) + predict, one clip at a time."""
    extractors = {b.name: plugin_for(b.extractor, PluginKind.EXTRACTOR, unit.context) for b in unit.branches}
    times = []
    for clip_id in test_ids[: unit.latency_clips]:
        clip = unit.table.clip(clip_id)
        start = time.perf_counter()
        features = {name: [ex.extract(source_clip(clip))] for name, ex in extractors.items()}
        if normaliser is not None:
            features = normaliser.test_features(features, [clip_id])
        predict(unit, predictor, features)
        times.append((time.perf_counter() - start) * 1000)
    if not times:
        return {}
    return {"clips": len(times), "p50_ms": float(np.percentile(times, 50)),
            "p95_ms": float(np.percentile(times, 95)), "device": getattr(predictor, "device", "cpu")}


def run_fold(unit: FoldUnit) -> dict[str, Any]:
    """Fit, predict and store one fold; any failure becomes a stored error record, not a lost run."""
    started = datetime.now(timezone.utc)
    record: dict[str, Any] = {**unit.describe(), "benchmark": unit.benchmark,
                              "experiment_fingerprint": unit.experiment_fingerprint,
                              "classes": list(unit.classes), "avbench_version": __version__,
                              "test_subjects": list(unit.fold.test_subjects), "started": started.isoformat(),
                              **dict(unit.metadata)}
    if unit.metadata.get("cross_corpus"):  # which classes each side of the fold has
        fold = unit.fold
        record["class_coverage"] = class_coverage(unit.table.by_id, sorted(fold.training_side()), fold.test)
    data: FoldData | None = None
    with warnings.catch_warnings(record=True) as caught:  # library warnings: counted in the record, not printed
        warnings.simplefilter("default")
        data = _fit_and_store(unit, record)
    record["warnings"] = list(data.warnings) if data is not None else []
    if library := library_warnings(caught):
        record["library_warnings"] = library
    record["finished"] = datetime.now(timezone.utc).isoformat()
    return write_record(unit.stem.with_suffix(".json"), record)


def library_warnings(caught: Sequence[warnings.WarningMessage]) -> dict[str, int]:
    """Warnings raised while a fold ran, as ``{"Category: first line": count}`` (sorted by text)."""
    counts: dict[str, int] = {}
    for w in caught:
        text = f"{w.category.__name__}: {str(w.message).strip().splitlines()[0] if str(w.message).strip() else ''}"
        counts[text[:300]] = counts.get(text[:300], 0) + 1
    return dict(sorted(counts.items()))


def _fit_and_store(unit: FoldUnit, record: dict[str, Any]) -> FoldData | None:
    """Fit, predict and store the fold, filling ``record`` (an exception becomes an error status); its data."""
    data: FoldData | None = None
    try:
        record["computed_with"] = apply_determinism(unit)
        data = FoldData(unit)
        t0 = time.perf_counter()
        predictor, sizes = fit_predictor(unit, data)
        fit_s = time.perf_counter() - t0
        test_ids = data.usable(unit.fold.test)
        t0 = time.perf_counter()
        proba = (predict(unit, predictor, test_features(data, test_ids), test_ids) if test_ids
                 else np.zeros((0, len(unit.classes))))
        predict_s = time.perf_counter() - t0
        stored = write_predictions(unit, test_ids, proba)
        record["computed_with"]["device"] = fold_device(unit.context.device)
        record.update(status="ok", sizes={**sizes, "test": len(test_ids)}, fit_seconds=fit_s,
                      predict_seconds=predict_s, device=getattr(predictor, "device", "cpu"),
                      skipped_test_clips=sorted(c for c in unit.fold.test if c in unit.table.skipped), **stored)
        if unit.latency_clips and test_ids:
            record["latency"] = measure_latency(unit, predictor, test_ids, data.normaliser)
    except Exception as exc:
        record.update(status="error", error=f"{type(exc).__name__}: {exc}".splitlines()[0],
                      traceback=traceback.format_exc())
    return data


def write_predictions(unit: FoldUnit, test_ids: list[str], proba: np.ndarray) -> dict[str, Any]:
    """Store the fold's predictions; returns the fields its record keeps to verify them later."""
    import polars as pl

    clips = [unit.table.clip(c) for c in test_ids]
    index = {label: i for i, label in enumerate(unit.classes)}
    predicted = proba.argmax(axis=1) if len(proba) else np.zeros(0, dtype=int)
    frame = pl.DataFrame({
        "clip_id": test_ids,
        "subject": [c.subject for c in clips],
        "label": [c.label for c in clips],
        "label_index": [index[c.label] for c in clips],
        "predicted": [unit.classes[i] for i in predicted],
        "predicted_index": predicted.astype(np.int64),
        "probabilities": [row.tolist() for row in proba],
        # breakdowns: what the dataset says of each clip (None where it does not say)
        "gender": [_text(c.meta.get("gender")) for c in clips],
        "corpus": [_text(c.meta.get("corpus")) for c in clips],
    }, schema_overrides={"probabilities": pl.List(pl.Float64), "label_index": pl.Int64,
                         "gender": pl.String, "corpus": pl.String})
    return write_predictions_frame(unit.stem.with_suffix(".parquet"), frame)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
