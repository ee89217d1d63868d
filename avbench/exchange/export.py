"""``avbench export``: the stored folds of chosen experiments as a self-contained bundle.

Only finished folds whose fingerprint is the one the config and data here give now are exported
(a stale fold would be refused by the maintainer anyway); each left-out fold is named. The data must
be configured here: the fold definitions and media hashes are read from it.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from avbench import __version__
from avbench.config.loader import load_config
from avbench.registry import Registry, get_registry
from avbench.storage.fold_store import CorruptResultError, read_predictions

from .bundle import (FOLDS, RECORDS, BundleError, default_submitter, folds_date, is_archive, machine_details, pack,
                     submitter_slug, write_manifest)
from .folds import planned_units, protocol_entry


@dataclass
class ExportResult:
    path: Path
    folds: int
    experiments: list[str]
    left_out: list[str] = field(default_factory=list)


def export_bundle(config_path: str | Path, target: str | Path, only: Sequence[str] | None = None,
                  submitter: str | None = None, registry: Registry | None = None,
                  data_overrides: dict[str, str] | None = None,
                  log: Callable[[str], None] = lambda _line: None) -> ExportResult:
    """Write the bundle of ``only`` (default: every experiment with stored folds) to ``target``.

    ``target`` ending in ``.tar.gz`` is written as one archive, anything else as a folder (which must
    not exist yet). Raises :class:`BundleError` with one line per problem.
    """
    from avbench.leaderboard.stored import read_fold_records
    from avbench.runner.plan import select_experiments

    registry = registry or get_registry()
    config_path = Path(config_path).resolve()
    base = config_path.parent
    config = load_config(config_path, registry, data_overrides)
    target = Path(target)
    if target.exists() and not is_archive(target):
        raise BundleError([f"{target}: already exists (expected a new folder or a .tar.gz name)"])
    submitter = submitter or default_submitter(base)
    if not submitter or not submitter_slug(submitter):
        raise BundleError(["--submitter: no name given and `git config user.name` is not set; expected who "
                           "computed these results"])
    wanted = select_experiments(config, only)
    output_dir = base / config.benchmark.output / config.benchmark.name
    records, _bad = read_fold_records(output_dir)
    records = [r for r in records if r["experiment"] in wanted
               and r["protocol"] in config.experiments[r["experiment"]].protocols]
    left_out = [f"{_where(r)}: status {r.get('status')!r}, only finished folds are exported"
                for r in records if r.get("status") != "ok"]
    left_out += [f"{_where(r)}: record without a checksum (older avbench)" for r in records if r.get("_unverified")]
    records = [r for r in records if r.get("status") == "ok" and not r.get("_unverified")]
    names = [n for n in wanted if any(r["experiment"] == n for r in records)]
    if not names:
        raise BundleError([f"{output_dir}: no finished fold stored for "
                           + (", ".join(wanted) if only else "any experiment of the config")])
    _plan, units, errors = planned_units(config, registry, base, names, data_overrides)
    for error in errors:
        if error.get("unconfigured") or error.get("error"):
            log(f"not exported: {error['experiment']}: {error['error']}")
    by_fingerprint = {u.fingerprint: u for u in units}
    chosen = []
    for record in records:
        try:
            read_predictions(Path(record["_path"]), record)
        except CorruptResultError as exc:
            left_out.append(f"{_where(record)}: {exc}")
            continue
        if record.get("fingerprint") in by_fingerprint:
            chosen.append(record)
        else:
            left_out.append(f"{_where(record)}: its fingerprint is not the one the config and data here give "
                            "now (stale, or its data is not configured here)")
    if not chosen:
        raise BundleError([f"{output_dir}: no stored fold of {', '.join(names)} is current here", *left_out])
    for line in left_out:
        log(f"left out: {line}")
    with tempfile.TemporaryDirectory(prefix="avbench-export-") as tmp:
        folder = Path(tmp) / "bundle"
        folds: dict[str, dict[str, dict]] = {}
        summary: dict[str, dict[str, dict]] = {}
        for record in chosen:
            source = Path(record["_path"])
            relative = source.relative_to(output_dir)
            for path in (source, source.with_name(record["predictions"])):
                destination = folder / RECORDS / relative.parent / path.name
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, destination)
            exp, protocol = record["experiment"], record["protocol"]
            if protocol not in folds.setdefault(exp, {}):
                folds[exp][protocol] = protocol_entry([u for u in units
                                                       if (u.experiment, u.protocol_key) == (exp, protocol)])
            entry = summary.setdefault(exp, {}).setdefault(protocol, {
                "config_fingerprint": record.get("config_fingerprint"), "plugins": record.get("plugins", {}),
                "dataset": record.get("dataset"), "folds": 0})
            entry["folds"] += 1
        (folder / FOLDS).write_text(json.dumps(folds, indent=2, sort_keys=True) + "\n")
        write_manifest(folder, {"submitter": submitter, "created": folds_date(chosen), "avbench_version": __version__,
                                "machine": machine_details(), "benchmark": config.benchmark.name,
                                "experiments": summary, "left_out": left_out})
        if is_archive(target):
            pack(folder, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(folder, target)
    return ExportResult(target, len(chosen), sorted(summary), left_out)


def _where(record: dict) -> str:
    return f"{record['experiment']} / {record['protocol']} / seed {record['seed']} / {record['fold']}"
