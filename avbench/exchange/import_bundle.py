"""``avbench import``: check a bundle against the maintainer's config and data, then store it as submitted.

Checked, one line per problem: the manifest (schema, every file's sha256), each record's own checksum
and its predictions' checksum, that the record's config fingerprint is the one the maintainer's config
and installed plugins give (and that its stored setup hashes to it), that each fold fingerprint follows
from that identity and the bundle's fold definitions, that the predictions are the folds' test clips
with the bundle's labels, that the bundle's fold definitions meet the rules local folds meet (no subject
on both sides, the protocol's folds for those clips, each record's fold tied to its file name, no fold
twice: :mod:`.fold_rules`), that free-form fields have avbench's shape (:mod:`.free_fields`), every
file within :mod:`.limits`, and, where the maintainer has the experiment's data configured, that the
clip ids, labels and folds are the maintainer's. Anything wrong: nothing is stored. Folds of an
experiment not compared with the maintainer's data are stored as *unverified* (their row says so and
is never marked best or tied over a verified row).

Accepted folds go to ``<output>/<benchmark>/submitted/<submitter>/<experiment>/<protocol>/seed-N/``
(never beside local folds), their records marked with who submitted them; predictions are copied
byte for byte, nothing is recomputed. The submitter's folder is replaced in one step
(:mod:`.folder_swap`): an import killed partway leaves it as it was.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from avbench.cache.feature_cache import stable_hash
from avbench.config.schema import BenchmarkConfig
from avbench.leaderboard.stored import SUBMITTED
from avbench.registry import Registry
from avbench.storage.atomic import atomic_path, write_json
from avbench.storage.fold_store import CorruptResultError, file_sha256, read_predictions, read_record, write_record

from .bundle import FOLDS, MANIFEST, RECORDS, BundleError, now, read_manifest, submitter_slug
from .fold_rules import definition_problems, protocol_problems
from .free_fields import record_problems
from .limits import DEFAULT_LIMITS, BundleLimits, LimitError, read_json_bounded
from .submitter_names import confusable_with
from .folder_swap import copy_tree_linked, folder_lock, new_folder_beside, recover_folder, replace_folder
from .folds import fold_fingerprint, planned_units

SHOWN = 3


@dataclass
class BundleFold:
    """One fold record of a bundle, verified, with its predictions."""

    relative: Path  # under records/: <experiment>/<protocol>/seed-N/<fold>.json
    record: dict[str, Any]
    predictions: pl.DataFrame


@dataclass
class Validation:
    """What a bundle holds and every problem found in it (none: it may be merged)."""

    label: str
    manifest: dict[str, Any] | None = None
    folds: list[BundleFold] = field(default_factory=list)
    definitions: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    compared: set[tuple[str, str]] = field(default_factory=set)  # (experiment, protocol) checked against data here

    @property
    def submitter(self) -> str:
        return str((self.manifest or {}).get("submitter") or "")


def validate_bundle(folder: Path, label: str, config: BenchmarkConfig, registry: Registry, base: Path,
                    data_overrides: dict[str, str] | None = None,
                    limits: BundleLimits = DEFAULT_LIMITS) -> Validation:
    """Every check of the module docstring on the unpacked bundle ``folder`` (named ``label`` in messages)."""
    result = Validation(label)
    result.manifest, result.problems = read_manifest(folder, label, limits)
    if result.manifest is None:
        return result
    try:
        result.definitions = read_json_bounded(folder / FOLDS, f"{label}/{FOLDS}", limits.folds_bytes, limits)
        if not isinstance(result.definitions, dict):
            raise ValueError("not an object")
    except LimitError as exc:
        result.problems.append(str(exc))
        return result
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        result.problems.append(f"{label}/{FOLDS}: does not read back as a JSON object ({type(exc).__name__})")
        return result
    _read_folds(folder, result, limits)
    _check_against_config(result, config, registry, base)
    _check_definitions(result, config, registry, base)
    _check_against_data(result, config, registry, base, data_overrides)
    return result


def _read_folds(folder: Path, result: Validation, limits: BundleLimits = DEFAULT_LIMITS) -> None:
    from avbench.runner.units import fold_file_name

    root = folder / RECORDS
    paths = sorted(root.glob("*/*/seed-*/*.json"))
    if not paths:
        result.problems.append(f"{result.label}/{RECORDS}: no fold record (expected "
                               f"{RECORDS}/<experiment>/<protocol>/seed-N/<fold>.json)")
    if len(paths) != len(list(root.rglob("*.json"))):
        result.problems.append(f"{result.label}/{RECORDS}: a record outside <experiment>/<protocol>/seed-N/")
    seen: dict[tuple, str] = {}
    for path in paths:
        name = f"{result.label}/{path.relative_to(folder).as_posix()}"
        try:
            read_json_bounded(path, name, limits.record_bytes, limits)
        except LimitError as exc:
            result.problems.append(str(exc))
            continue
        except (OSError, ValueError, UnicodeDecodeError):
            pass  # read_record names what is wrong
        try:
            record = read_record(path)
            frame = read_predictions(path, record)
        except CorruptResultError as exc:  # it names the file: as the bundle's, not as unpacked here
            result.problems.append(str(exc).replace(str(folder), result.label, 1))
            continue
        experiment, protocol, seed = path.relative_to(root).parts[:3]
        if (record.get("experiment"), record.get("protocol"), f"seed-{record.get('seed')}") != \
                (experiment, protocol, seed) or record.get("status") != "ok":
            result.problems.append(f"{name}: record says {record.get('experiment')} / {record.get('protocol')} / "
                                   f"seed {record.get('seed')} (status {record.get('status')!r}); expected a "
                                   f"finished fold of {experiment} / {protocol} / {seed}")
            continue
        if path.stem != fold_file_name(str(record.get("fold"))):
            result.problems.append(f"{name}: record of fold {str(record.get('fold'))[:80]!r} in a file named "
                                   f"{path.name!r}; expected {fold_file_name(str(record.get('fold')))}.json")
            continue
        key = (experiment, protocol, seed, record.get("fold"))
        if key in seen:
            result.problems.append(f"{name}: fold {record.get('fold')!r} again (also in {seen[key]})")
            continue
        seen[key] = path.name
        free = record_problems(record)
        if free:
            result.problems.extend(f"{name}: {line}" for line in free)
            continue
        result.folds.append(BundleFold(path.relative_to(root), record, frame))


def _check_against_config(result: Validation, config: BenchmarkConfig, registry: Registry, base: Path) -> None:
    from avbench.leaderboard.freshness import current_setups, setup_changes, setup_fingerprint, without_devices

    wanted = {(f.record["experiment"], f.record["protocol"]) for f in result.folds}
    known = {(e, p) for e, p in wanted if e in config.experiments and p in config.experiments[e].protocols}
    setups = current_setups(config, registry, base, only=known)
    for fold in result.folds:
        record, name = fold.record, f"{result.label}/{RECORDS}/{fold.relative.as_posix()}"
        key = (record["experiment"], record["protocol"])
        if key not in known:
            result.problems.append(f"{name}: experiment {key[0]!r} with protocol {key[1]!r} is not in the "
                                   "maintainer's config")
            continue
        current = setups[key]
        if current.fingerprint is None:
            result.problems.append(f"{name}: cannot be checked against the config here ({current.unknown_because})")
            continue
        if stable_hash(record.get("setup")) != record.get("config_fingerprint"):
            result.problems.append(f"{name}: its stored setup does not hash to its config_fingerprint")
            continue
        if setup_fingerprint(record["setup"]) != current.fingerprint:  # devices set aside: a GPU's run is accepted
            changes = setup_changes(without_devices(record.get("setup") or {}), without_devices(current.identity))
            result.problems.append(f"{name}: config_fingerprint {str(record.get('config_fingerprint'))[:12]} is not "
                                   f"the maintainer's {current.fingerprint[:12]}"
                                   + (f" ({'; '.join(changes[:3])})" if changes else ""))
            continue
        _check_fold(result, fold, name, record["setup"])  # the setup as run there: its devices are in the keys


def _check_fold(result: Validation, fold: BundleFold, name: str, identity: dict[str, Any]) -> None:
    """The fold fingerprint follows from ``identity`` and folds.json; the predictions are the fold's test clips."""
    record = fold.record
    where = f"{result.label}/{FOLDS}: {record['experiment']} / {record['protocol']}"
    entry = (result.definitions.get(record["experiment"]) or {}).get(record["protocol"])
    if not isinstance(entry, dict) or not all(isinstance(entry.get(k), dict) for k in ("clips", "folds", "skipped")):
        result.problems.append(f"{where}: no fold definitions (expected clips, folds and skipped)")
        return
    definition = entry["folds"].get(record["fold"])
    if definition is None:
        result.problems.append(f"{name}: fold {record['fold']!r} is not one of the folds of {FOLDS} "
                               f"({', '.join(sorted(entry['folds'])[:SHOWN])}...)")
        return
    if set(record.get("protocol_folds") or []) != set(entry["folds"]):
        result.problems.append(f"{name}: protocol_folds {record.get('protocol_folds')} are not the folds of "
                               f"{FOLDS} ({sorted(entry['folds'])})")
        return
    try:
        expected = fold_fingerprint(identity, record["seed"], record["fold"], definition, entry["clips"],
                                    entry["skipped"])
    except (KeyError, TypeError):
        result.problems.append(f"{where}: fold {record['fold']!r} or one of its clips is not fully defined")
        return
    if record.get("fingerprint") != expected:
        result.problems.append(f"{name}: fingerprint {str(record.get('fingerprint'))[:12]} does not follow from the "
                               f"maintainer's config and the bundle's fold definition (expected {expected[:12]})")
        return
    test = [c for c in definition["test"] if c not in entry["skipped"]]
    frame = fold.predictions
    ids = frame["clip_id"].cast(pl.String).to_list()
    parquet = f"{result.label}/{RECORDS}/{fold.relative.with_name(record['predictions']).as_posix()}"
    if sorted(ids) != sorted(test):
        extra, absent = sorted(set(ids) - set(test)), sorted(set(test) - set(ids))
        result.problems.append(f"{parquet}: predicts {len(ids)} clip(s), the fold's test side has {len(test)}"
                               + (f"; not in the fold: {', '.join(extra[:SHOWN])}" if extra else "")
                               + (f"; missing: {', '.join(absent[:SHOWN])}" if absent else ""))
        return
    classes = list(record.get("classes") or [])
    wrong = [c for c, label, index in zip(ids, frame["label"].to_list(), frame["label_index"].to_list())
             if label != entry["clips"][c]["label"] or index >= len(classes) or classes[index] != label]
    if wrong:
        result.problems.append(f"{parquet}: {len(wrong)} clip(s) labelled otherwise than in {FOLDS} or the record's "
                               f"classes (first: {', '.join(wrong[:SHOWN])})")


def _check_definitions(result: Validation, config: BenchmarkConfig, registry: Registry, base: Path) -> None:
    """The leakage and protocol rules of :mod:`.fold_rules` on each experiment x protocol the bundle holds."""
    for experiment, protocol in sorted({(f.record["experiment"], f.record["protocol"]) for f in result.folds}):
        entry = (result.definitions.get(experiment) or {}).get(protocol)
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), dict) for k in ("clips", "folds")):
            continue  # named by _check_fold
        where = f"{result.label}/{FOLDS}: {experiment} / {protocol}"
        problems = definition_problems(entry, where)
        if not problems and experiment in config.experiments:
            problems, note = protocol_problems(config, registry, base, experiment, protocol, entry, where)
            if note:
                result.notes.append(note)
        result.problems.extend(problems)


def _check_against_data(result: Validation, config: BenchmarkConfig, registry: Registry, base: Path,
                        data_overrides: dict[str, str] | None) -> None:
    """Clip ids, labels and folds compared with the maintainer's copy of each experiment's data, where configured."""
    keys = sorted({(f.record["experiment"], f.record["protocol"]) for f in result.folds
                   if f.record["experiment"] in config.experiments})
    if result.problems or not keys:
        return
    from avbench.config.loader import ConfigError

    names = sorted({e for e, _ in keys})
    try:
        _plan, units, errors = planned_units(config, registry, base, names, data_overrides)
    except ConfigError as exc:
        result.problems.extend(f"maintainer's data: {line}" for line in exc.lines)
        return
    for error in errors:
        if error.get("protocol") is None:
            result.notes.append(f"{error['experiment']}: not compared with data here ({error['error']}); clip ids and "
                                "labels are the bundle's")
    for experiment, protocol in keys:
        mine = [u for u in units if (u.experiment, u.protocol_key) == (experiment, protocol)]
        if not mine:
            if not any(e["experiment"] == experiment and e.get("protocol") is None for e in errors):
                why = next((e["error"] for e in errors
                            if (e["experiment"], e.get("protocol")) == (experiment, protocol)), "no fold planned here")
                result.notes.append(f"{experiment} / {protocol}: not compared with data here ({why})")
            continue
        result.compared.add((experiment, protocol))
        entry = result.definitions[experiment][protocol]
        where = f"{result.label}/{FOLDS}: {experiment} / {protocol}"
        clips = {c: clip for u in mine for c, clip in u.clips.items()}
        media = {c: h for u in mine for c, h in u.media_hashes.items()}
        dataset = ", ".join(config.experiments[experiment].corpora)
        foreign = sorted(set(entry["clips"]) - set(clips))
        if foreign:
            result.problems.append(f"{where}: {len(foreign)} clip id(s) are not in the maintainer's copy of "
                                   f"{dataset} (first: {', '.join(foreign[:SHOWN])})")
        relabelled = sorted(c for c, info in entry["clips"].items() if c in clips and clips[c].label != info["label"])
        if relabelled:
            result.problems.append(f"{where}: {len(relabelled)} clip(s) labelled otherwise than in the maintainer's "
                                   f"copy (first: {relabelled[0]}: {entry['clips'][relabelled[0]]['label']!r}, "
                                   f"expected {clips[relabelled[0]].label!r})")
        folds = {u.fold.name: u for u in mine}
        if set(folds) != set(entry["folds"]):
            result.problems.append(f"{where}: folds {sorted(entry['folds'])}, the protocol here gives {sorted(folds)}")
        else:
            for fold_name, unit in sorted(folds.items()):
                given = entry["folds"][fold_name]
                if any(sorted(given.get(side) or []) != sorted(getattr(unit.fold, side))
                       for side in ("train", "val", "meta", "test")):
                    result.problems.append(f"{where}: fold {fold_name!r} does not hold the clips the protocol "
                                           "gives it here")
        differing = sum(1 for c, info in entry["clips"].items() if c in media and info.get("media") != media[c])
        if differing:
            result.notes.append(f"{experiment} / {protocol}: {differing} clip(s)' media differ from the copy here "
                                "(the submitter's copy was used)")


@dataclass
class ImportResult:
    submitter: str
    folder: Path
    folds: int
    replaced: int
    notes: list[str]


def import_bundle(bundle: str | Path, config_path: str | Path, registry: Registry | None = None,
                  data_overrides: dict[str, str] | None = None,
                  limits: BundleLimits = DEFAULT_LIMITS) -> ImportResult:
    """Validate ``bundle`` against ``config_path`` and store its folds as submitted; raises BundleError."""
    from avbench.config.loader import load_config
    from avbench.registry import get_registry

    from .bundle import opened

    registry = registry or get_registry()
    config_path = Path(config_path).resolve()
    base = config_path.parent
    config = load_config(config_path, registry, data_overrides)
    bundle = Path(bundle)
    with opened(bundle, limits) as folder:
        check = validate_bundle(folder, str(bundle), config, registry, base, data_overrides, limits)
        if check.problems:
            raise BundleError(check.problems)
        return _merge(folder, check, base / config.benchmark.output / config.benchmark.name)


def stored_submitters(submitted: Path) -> dict[str, str]:
    """Folder name -> the submitter name stored in it (``submitter.json``), for every submitter folder."""
    names = {}
    for folder in sorted(p for p in submitted.glob("*") if p.is_dir() and not p.name.startswith(".")):
        try:
            names[folder.name] = str(json.loads((folder / "submitter.json").read_text())["submitter"])
        except (OSError, ValueError, KeyError, TypeError):
            names[folder.name] = folder.name
    return names


def _check_name(name: str, submitted: Path) -> None:
    """Refuse a name whose folder holds another submitter, or that reads like another stored submitter."""
    slug = submitter_slug(name)
    stored = stored_submitters(submitted)
    if slug in stored and stored[slug] != name:
        raise BundleError([f"submitter {name!r}: its folder {slug} holds submitter {stored[slug]!r}; names map to "
                           "folders one to one, so this bundle needs its own name"])
    other = confusable_with(name, [n for n in stored.values() if n != name])
    if other is not None:
        raise BundleError([f"submitter {name!r} reads like the stored submitter {other!r} (case, separators or "
                           "look-alike characters); refused as confusable"])


def _merge(folder: Path, check: Validation, output_dir: Path) -> ImportResult:
    """Store the folds in the submitter's folder in one step: built beside it, with its earlier folds, then swapped in.

    A crash while writing leaves the submitter's folder as it was (and a hidden unfinished folder beside
    it, removed by the next import); earlier folds of the same fold are replaced only by the swap.
    """
    slug = submitter_slug(check.submitter)
    destination = output_dir / SUBMITTED / slug
    with folder_lock(destination):
        _check_name(check.submitter, output_dir / SUBMITTED)
        recover_folder(destination)
        staging = new_folder_beside(destination)
        try:
            if destination.is_dir():
                copy_tree_linked(destination, staging)
            replaced = _write_submission(folder, check, staging)
            replace_folder(staging, destination)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return ImportResult(check.submitter, destination, len(check.folds), replaced, check.notes)


def _write_submission(folder: Path, check: Validation, destination: Path) -> int:
    """Write the bundle's manifest, fold definitions and folds under ``destination``; how many folds were replaced."""
    manifest = check.manifest or {}
    bundle_id = file_sha256(folder / MANIFEST)[:16]
    kept = destination / "bundles" / bundle_id
    for name in (MANIFEST, FOLDS):
        with atomic_path(kept / name) as tmp:
            shutil.copyfile(folder / name, tmp)
    submission = {"submitter": check.submitter, "bundle": bundle_id, "created": manifest.get("created"),
                  "imported": now(), "machine": manifest.get("machine"),
                  "avbench_version": manifest.get("avbench_version")}
    replaced = 0
    for seed_folder in sorted({fold.relative.parent for fold in check.folds}):  # the bundle's seeds replace, whole
        if (destination / seed_folder).is_dir():
            replaced += len(list((destination / seed_folder).glob("*.json")))
            shutil.rmtree(destination / seed_folder)
    for fold in check.folds:
        target = destination / fold.relative
        predictions = fold.relative.with_name(fold.record["predictions"])
        with atomic_path(destination / predictions) as tmp:
            shutil.copyfile(folder / RECORDS / predictions, tmp)
        compared = (fold.record["experiment"], fold.record["protocol"]) in check.compared
        write_record(target, {**fold.record, "submitted_by": check.submitter,
                              "submission": {**submission, "compared_with_data": compared}})
    write_json(destination / "submitter.json", {"submitter": check.submitter, "last_bundle": bundle_id})
    return replaced
