"""Write ``leaderboards/<benchmark>/``: results as parquet and CSV, a Markdown table, a static site, figures.

Rendering reads stored fold results only; it never recomputes a prediction. Its folds come from two
places: the run folder (``runs/``, what was computed here) and the board's own evidence
(:mod:`.evidence`, committed with the board), merged per row; a row a run recomputed replaces its
evidence. A row shows only the folds of the current config (:mod:`.freshness`); a row of folds computed
under another setup is stale, one missing folds or seeds is partial. Rows with no folds anywhere (not run
here) are kept from the previous table, checked against the current config the same way. The same
evidence renders the same bytes: the date is the newest fold's, and nothing written names the rendering
machine, the rendering commit or an absolute path.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import polars as pl

from avbench import __version__
from avbench.config.schema import BenchmarkConfig
from avbench.metrics.bootstrap import DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES
from avbench.registry import Registry, get_registry
from avbench.storage.atomic import atomic_path, write_bytes, write_json
from avbench.runner.determinism import lock_digest
from avbench.storage.fold_store import CHECKSUM_KEY, CorruptResultError

from .board_folder import claim_board
from .contamination import contamination
from .csv_cells import neutralised
from .evidence import evidence_dir, read_evidence, remove_row, write_row
from .figures import confusion_figure
from .freshness import (
    CurrentSetup, current_setups, select_records, setup_changes, setup_fingerprint, under_version_policy,
)
from .markdown import notes, render_markdown  # noqa: F401  (notes: part of this module's API)
from .paths import PathScrubber
from .provenance import library_versions
from .reported import reported_fields
from .site import render_site
from .site.config_info import declared_setups, experiment_modalities
from .site.folds import per_fold_results
from .freshness import Selection
from .stored import read_fold_records, read_submitted_records, stored_predictions
from .verification import lock_status, read_verification, row_key
from .tables import RowPredictions, experiment_row
from .uncertainty import annotate_groups, comparison_metadata, group_key, sort_key

LIST_COLUMNS = ["seeds", "seeds_expected", "classes", "device", "skipped_test_clips", "substitutions",
                "missing_folds"]
FLOAT_SUFFIXES = ("_mean", "_std", "_sd", "_pooled", "_ms", "_ci_low", "_ci_high", "_difference", "_p")


def render_leaderboard(config: BenchmarkConfig, base: Path, registry: Registry | None = None,
                       only: Sequence[str] | None = None, resamples: int | None = None,
                       bootstrap_seed: int = 0) -> Path:
    """Build the leaderboard folder from stored results; returns the Markdown file's path.

    ``resamples`` (default: ``benchmark.bootstrap_resamples``) and ``bootstrap_seed`` set the speaker
    bootstrap (recorded in ``metadata.json``).
    """
    resamples = resamples or config.benchmark.bootstrap_resamples or DEFAULT_RESAMPLES
    registry = registry or get_registry()
    name = config.benchmark.name
    output_dir = base / config.benchmark.output / name
    board = base / config.benchmark.leaderboards / name
    claim_board(board, name)  # before anything is written: refuses a folder avbench did not write
    metrics = config.benchmark.metrics
    setups = current_setups(config, registry, base)
    sources = FoldSources.read(output_dir, board)
    updates: dict[tuple[str, str, str], EvidenceUpdate] = {}
    rows, predictions, bad_files = stored_rows(config, sources, setups, evidence_updates=updates)
    from .submitted import submitted_rows, without_not_run_beside_submitted  # imported: rows of their own

    submitted, submitted_predictions = submitted_rows(config, sources, setups, bad_files, evidence_updates=updates)
    rows += submitted
    predictions.update(submitted_predictions)
    write_evidence(board, updates, config if only is None else None, sources)
    present = {(r["experiment"], r["protocol"]) for r in rows}
    for r in _previous_rows(board / "results.parquet"):
        key = (r["experiment"], r["protocol"])
        if key not in present and r["experiment"] in config.experiments \
                and r["protocol"] in config.experiments[r["experiment"]].protocols:
            rows.append(kept_row(r, config, setups.get(key), registry))
            present.add(key)
    rows.extend(not_run_rows(config, output_dir, present, registry))
    if only is None:  # every declared experiment has its row, so a later run on another machine adds none
        rows.extend(not_yet_run_rows(config, present, registry))
    rows = without_not_run_beside_submitted(rows)
    unchecked = sorted((key, setup.unknown_because) for key, setup in setups.items()
                       if setup.fingerprint is None and key in predictions)
    for (experiment, protocol), why in unchecked:  # a fact of this machine, not of the row: said, not written
        print(f"leaderboard: {experiment} / {protocol} not checked against the config here ({why})", file=sys.stderr)
    annotate_groups(rows, predictions, metrics, resamples, bootstrap_seed)
    lock, verification = lock_digest(), read_verification(board)
    for row in rows:
        locks = set(filter(None, (row.get("computed_locks") or "").split(", ")))
        row["lock_status"] = lock_status(locks, lock, (verification.get("rows") or {}).get(
            row_key(row["experiment"], row["protocol"])))
    for row in rows:
        if (row["experiment"], row["protocol"]) in predictions and row.get("confusion") and not row["stale"]:
            figure = board / "figures" / f"{row['experiment']}__{row['protocol']}.png"
            seeds = len(row.get("seeds") or [])
            confusion_figure(json.loads(row["confusion"]), row["classes"], figure,
                             title=f"{row['experiment']} / {row['protocol']}"
                                   + (f" (mean over {seeds} seeds)" if seeds > 1 else "")
                                   + (" (synthetic data)" if row["synthetic"] else ""))
            row["figure"] = str(figure.relative_to(board))
        if (row["experiment"], row["protocol"]) in predictions and not row["stale"]:
            row["per_fold"] = per_fold_results(predictions[(row["experiment"], row["protocol"])], metrics)
    rows.sort(key=lambda r: (group_order(r), sort_key(r)))
    scrub = PathScrubber(base)
    rows = [scrub(r) for r in rows]
    frame = _frame(rows)
    board.mkdir(parents=True, exist_ok=True)
    with atomic_path(board / "results.parquet") as tmp:
        frame.write_parquet(tmp)
    with atomic_path(board / "results.csv") as tmp:
        neutralised(_flat(frame)).write_csv(tmp)
    meta = scrub({
        "benchmark": name, "description": config.benchmark.description, "avbench_version": __version__,
        "rendered": rendered_date(rows), "rendering_libraries": library_versions(), "lock": lock,
        "seeds": config.benchmark.seeds, "metrics": metrics,
        "bootstrap": {"unit": "test subject", "resamples": resamples, "seed": bootstrap_seed,
                      "confidence": DEFAULT_CONFIDENCE, "interval": "percentile",
                      **comparison_metadata()},
        "bad_files": [{"file": str(path), "error": error} for path, error in sorted(bad_files.items())],
        "stale_rows": [f"{r['experiment']} / {r['protocol']}" for r in rows if r.get("stale")],
        "partial_rows": [f"{r['experiment']} / {r['protocol']}" for r in rows if r.get("status") == "partial"],
    })
    if performance := _read_json(board / "performance.json"):  # the benchmark scripts' figures (--record)
        meta["performance"] = performance
    write_json(board / "metadata.json", meta)
    markdown = board / "README.md"
    write_bytes(markdown, render_markdown(rows, meta, metrics).encode())
    render_site(rows, meta, metrics, board, experiment_modalities(config, registry),
                {k: scrub(v) for k, v in declared_setups(config).items()})
    return markdown


@dataclass
class FoldSources:
    """Every stored fold a render may use: the run folder's and the board's evidence, local and submitted."""

    local: list[dict[str, Any]]
    submitted: dict[str, list[dict[str, Any]]]
    bad_files: dict[str, str]
    local_only: list[dict[str, Any]] = field(default_factory=list)  # the run folder's own (not the evidence's)

    @classmethod
    def read(cls, output_dir: Path, board: Path | None) -> "FoldSources":
        local, bad = read_fold_records(output_dir)
        submitted, bad_submitted = read_submitted_records(output_dir)
        bad.update(bad_submitted)
        local_only = list(local)
        if board is not None:
            kept, kept_submitted, bad_evidence = read_evidence(board)
            bad.update(bad_evidence)
            local = merged(local, kept)
            for slug, records in kept_submitted.items():
                submitted[slug] = merged(submitted.get(slug, []), records)
        return cls(local, submitted, bad, local_only)


def merged(computed: list[dict[str, Any]], evidence: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The run folder's records and the evidence's, each record once (the run folder's copy kept)."""
    seen = {r.get(CHECKSUM_KEY) for r in computed if r.get(CHECKSUM_KEY)}
    return computed + [r for r in evidence if not r.get(CHECKSUM_KEY) or r.get(CHECKSUM_KEY) not in seen]


@dataclass
class EvidenceUpdate:
    """A row whose chosen folds include some computed here: its evidence is written anew."""

    experiment: str
    protocol: str
    records: list[dict[str, Any]]


def stored_rows(config: BenchmarkConfig, sources: FoldSources, setups: dict[tuple[str, str], CurrentSetup],
                wanted: set[tuple[str, str]] | None = None,
                evidence_updates: dict[tuple[str, str, str], EvidenceUpdate] | None = None,
                ) -> tuple[list[dict[str, Any]], dict[tuple[str, str], RowPredictions], dict[str, str]]:
    """Rows of the config's experiment x protocols with stored folds, their predictions, and unreadable files.

    ``evidence_updates`` collects the rows whose chosen folds include some of the run folder's.
    """
    bad_files = dict(sources.bad_files)
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in sources.local:
        by_key.setdefault((record["experiment"], record["protocol"]), []).append(record)
    rows: list[dict[str, Any]] = []
    predictions: dict[tuple[str, str], RowPredictions] = {}
    for (experiment, protocol), group in sorted(by_key.items()):
        if experiment not in config.experiments or protocol not in config.experiments[experiment].protocols \
                or (wanted is not None and (experiment, protocol) not in wanted):
            continue
        current = setups.get((experiment, protocol))
        selection = select_records(group, current)
        row, rows_predictions = experiment_row(selection, config.benchmark.metrics, bad_files, current)
        row.update(experiment_metadata(config, experiment, protocol, row))
        rows.append(row)
        if rows_predictions is not None:
            predictions[(experiment, protocol)] = rows_predictions
        note_evidence(evidence_updates, "", experiment, protocol, selection, rows_predictions)
    return rows, predictions, bad_files


def note_evidence(updates: dict[tuple[str, str, str], EvidenceUpdate] | None, submitter: str, experiment: str,
                  protocol: str, selection: Selection, predictions: RowPredictions | None) -> None:
    """Remember a current row some of whose chosen folds were computed here (its evidence is then rewritten)."""
    if updates is None or selection.stale or all(r.get("_evidence") for r in selection.records):
        return
    updates[(submitter, experiment, protocol)] = EvidenceUpdate(experiment, protocol, selection.records)


def write_evidence(board: Path, updates: dict[tuple[str, str, str], EvidenceUpdate],
                   config: BenchmarkConfig | None, sources: FoldSources) -> None:
    """Write the evidence of the rows computed here; with ``config`` (a whole render) drop rows it no longer has."""
    root = evidence_dir(board)
    for (submitter, _, _), update in sorted(updates.items()):
        frames, records = {}, []
        for record in update.records:
            if record.get("status") == "ok":
                try:  # every column the fold stored (probabilities too: verify compares them)
                    frames[(record["seed"], record["fold"])] = stored_predictions(record)
                except CorruptResultError:  # named in the render's bad files; not evidence
                    continue
            records.append(record)
        folder = root / "submitted" / submitter if submitter else root
        write_row(folder, update.experiment, update.protocol, records, frames)
    if config is None:
        return
    for record in sources.local:  # evidence of experiments or protocols the config no longer declares
        exp = config.experiments.get(record["experiment"])
        if record.get("_evidence") and (exp is None or record["protocol"] not in exp.protocols):
            remove_row(root, record["experiment"], record["protocol"])


def rendered_date(rows: list[dict[str, Any]]) -> str:
    """The board's date: when its newest fold finished (the same evidence always gives the same date)."""
    return max((str(r.get("finished") or "") for r in rows), default="")[:19] or "(no folds)"


def group_order(row: dict[str, Any]) -> tuple:
    """Tables in a stable order: real data first, then by dataset, class count, class set, protocol."""
    dataset, synthetic, classes, protocol = group_key(row)
    return (synthetic, dataset, len(classes), classes, protocol)


def experiment_metadata(config: BenchmarkConfig, experiment: str, protocol: str,
                        row: dict[str, Any]) -> dict[str, Any]:
    """Description, substitutions and reported numbers; a stale row keeps the description it was computed with."""
    exp = config.experiments[experiment]
    if row.get("stale"):
        description = row.get("computed_description") or row.get("description") \
            or "(description at compute time not recorded)"
    else:
        description = exp.description
    transductive = any(br.normalise is not None and br.normalise.transductive for br in exp.branches.values())
    ablation = f"ablation of {exp.ablation_of[0]}: {exp.ablation_of[1]} only" if exp.ablation_of else ""
    return {"description": description, "substitutions": list(exp.substitutions), "ablation_of": ablation,
            "transductive": bool(row.get("transductive")) if row.get("stale") else transductive,
            "contamination": "; ".join(contamination(config, experiment)),
            **reported_fields(config, experiment, protocol)}


def kept_row(row: dict[str, Any], config: BenchmarkConfig, current: CurrentSetup | None,
             registry: Registry | None = None) -> dict[str, Any]:
    """A row of the previous table whose results are not stored here, checked against the current config."""
    # a not-run row says why wherever it is rendered: kept or freshly written, it is the same row
    row = dict(row) if row.get("status") == "not run" else dict(row, kept_from_previous=True)
    if not row.get("classes"):  # a not-run row of an older render: its table is that of its declared classes
        row["classes"] = _declared_classes(config, row["experiment"], registry)
        row["n_classes"] = len(row["classes"])
    fingerprint = row.get("config_fingerprint") or _setup_fingerprint(row.get("setup"))
    if row.get("status") == "ok" and row.get("folds_expected") is None:
        row["status"] = "partial"  # a row rendered before planned folds were recorded cannot claim them all
    if row.get("status") == "not run":
        row["stale"] = False
    elif current is not None and current.fingerprint is not None and fingerprint != current.fingerprint \
            and not _same_under_version_policy(row.get("setup"), current.fingerprint):
        row["stale"] = True
        row["status"] = "stale"
        try:
            changes = setup_changes(json.loads(row.get("setup") or "{}"), current.identity)
        except ValueError:
            changes = []
        row["stale_reason"] = ("computed by an older avbench that did not record its setup fingerprint"
                               if not fingerprint else "setup changed since: " + "; ".join(changes[:4]))
    else:
        row["stale"] = bool(row.get("stale"))
    row.update(experiment_metadata(config, row["experiment"], row["protocol"], row))
    return row


def _same_under_version_policy(setup: str | None, current: str) -> bool:
    """Whether a row's stored setup is the current one once library versions are left out of its keys."""
    try:
        return bool(setup) and setup_fingerprint(under_version_policy(json.loads(setup))) == current
    except ValueError:
        return False


def _declared_classes(config: BenchmarkConfig, experiment: str, registry: Registry | None) -> list[str]:
    from avbench.runner.plan import declared_classes

    try:
        return declared_classes(config, experiment, registry or get_registry())
    except Exception:  # the dataset plugin is not installed here
        return list(config.experiments[experiment].classes or [])


def _setup_fingerprint(setup: str | None) -> str | None:
    """The config fingerprint of a row rendered before rows stored theirs: the hash of its stored setup."""
    from avbench.cache.feature_cache import stable_hash

    try:
        return stable_hash(json.loads(setup)) if setup else None
    except ValueError:
        return None


def not_yet_run_rows(config: BenchmarkConfig, present: set[tuple[str, str]],
                     registry: Registry | None) -> list[dict[str, Any]]:
    """A "not run" row for each declared experiment x protocol with no folds, no recorded reason and no earlier row."""
    errors = [{"experiment": name, "protocol": protocol,
               "error": f"no results stored yet: `avbench run --only {name}` computes it"}
              for name, exp in config.experiments.items() for protocol in exp.protocols
              if (name, protocol) not in present]
    return _not_run_rows(config, errors, present, registry)


def not_run_rows(config: BenchmarkConfig, output_dir: Path, present: set[tuple[str, str]],
                 registry: Registry | None) -> list[dict[str, Any]]:
    """Rows saying why an experiment has no result at all (no data here, a missing model file...)."""
    return _not_run_rows(config, _read_json(output_dir / "not-run.json").get("errors", []), present, registry)


def _not_run_rows(config: BenchmarkConfig, errors: list[dict[str, Any]], present: set[tuple[str, str]],
                  registry: Registry | None) -> list[dict[str, Any]]:
    rows = []
    for error in errors:
        exp = config.experiments.get(error["experiment"])
        if exp is None:
            continue
        for protocol in [error["protocol"]] if error.get("protocol") else exp.protocols:
            if (error["experiment"], protocol) in present:
                continue
            infos = [registry.plugins.get(config.datasets[d].plugin) if registry is not None else None
                     for d in exp.corpora]
            classes = _declared_classes(config, error["experiment"], registry)
            row = {"experiment": error["experiment"], "protocol": protocol, "dataset": exp.data_label,
                   "synthetic": any(bool(info and info.cls.synthetic) for info in infos), "classes": classes,
                   "n_classes": len(classes),
                   "folds": 0, "status": "not run", "stale": False, "error": error["error"][:500]}
            row.update(experiment_metadata(config, error["experiment"], protocol, row))
            rows.append(row)
            present.add((error["experiment"], protocol))
    return rows


def _previous_rows(path: Path) -> list[dict[str, Any]]:
    try:
        return pl.read_parquet(path).to_dicts()
    except (FileNotFoundError, OSError, pl.exceptions.PolarsError):
        return []


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    columns = sorted({k for r in rows for k in r})
    data = {c: [r.get(c) for r in rows] for c in columns}
    schema = {}
    for c in columns:
        if c in LIST_COLUMNS:
            schema[c] = pl.List(pl.Int64 if c.startswith("seeds") else pl.String)
            data[c] = [None if v is None else list(v) for v in data[c]]
        elif any(isinstance(v, float) for v in data[c]) or c.endswith(FLOAT_SUFFIXES) \
                or c.startswith("reported_accuracy") or c.startswith("reported_macro") or c == "reported_uar":
            schema[c] = pl.Float64
            data[c] = [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in data[c]]
        elif all(isinstance(v, bool) or v is None for v in data[c]):
            schema[c] = pl.Boolean
        elif all((isinstance(v, int) and not isinstance(v, bool)) or v is None for v in data[c]):
            schema[c] = pl.Int64
        else:
            schema[c] = pl.String
            data[c] = [None if v is None else str(v) for v in data[c]]
    return pl.DataFrame(data, schema=schema)


def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    """CSV cannot hold lists: join them."""
    return frame.with_columns([pl.col(c).cast(pl.List(pl.String)).list.join(" ") for c in LIST_COLUMNS
                               if c in frame.columns])
