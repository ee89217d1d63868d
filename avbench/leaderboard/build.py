"""Write ``leaderboards/<benchmark>/``: results as parquet and CSV, a Markdown table, figures, provenance.

Rendering reads stored fold results only; it never recomputes a prediction.
Rows of experiments that have no stored results this time (their data was not
configured here, say) are kept from the previous table, each with its own provenance.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Sequence

import polars as pl
from tabulate import tabulate

from avbench import __version__
from avbench.config.schema import BenchmarkConfig
from avbench.registry import Registry
from avbench.storage.atomic import atomic_path, write_bytes, write_json

from .figures import confusion_figure
from .provenance import git_commit, library_versions, machine, now
from .tables import experiment_row, load_records, newest_per_experiment

LIST_COLUMNS = ["seeds", "classes", "device", "skipped_test_clips", "substitutions"]


def render_leaderboard(config: BenchmarkConfig, base: Path, registry: Registry | None = None,
                       only: Sequence[str] | None = None) -> Path:
    """Build the leaderboard folder from stored results; returns the Markdown file's path."""
    name = config.benchmark.name
    output_dir = base / config.benchmark.output / name
    board = base / config.benchmark.leaderboards / name
    metrics = config.benchmark.metrics
    commit = git_commit(base)
    groups = newest_per_experiment(load_records(output_dir))
    rows = []
    for (experiment, protocol), records in sorted(groups.items()):
        if experiment not in config.experiments or protocol not in config.experiments[experiment].protocols:
            continue
        row = experiment_row(records, metrics)
        row.update(experiment_metadata(config, experiment))
        row["git_commit"] = commit
        rows.append(row)
        if row.get("confusion"):
            figure = board / "figures" / f"{experiment}__{protocol}.png"
            confusion_figure(json.loads(row["confusion"]), row["classes"], figure,
                             title=f"{experiment} / {protocol}" + (" (synthetic data)" if row["synthetic"] else ""))
            row["figure"] = str(figure.relative_to(board))
    new = {(r["experiment"], r["protocol"]) for r in rows}
    previous = _previous_rows(board / "results.parquet")
    for r in previous:
        key = (r["experiment"], r["protocol"])
        if key not in new and r["experiment"] in config.experiments \
                and r["protocol"] in config.experiments[r["experiment"]].protocols:
            r.update(experiment_metadata(config, r["experiment"]))
            rows.append(r)
            new.add(key)
    rows.extend(not_run_rows(config, output_dir, new, registry, commit))
    rows.sort(key=lambda r: (bool(r.get("synthetic")), r.get("dataset") or "", r["protocol"],
                             -(r.get("accuracy_mean") or -1)))
    frame = _frame(rows)
    board.mkdir(parents=True, exist_ok=True)
    with atomic_path(board / "results.parquet") as tmp:
        frame.write_parquet(tmp)
    with atomic_path(board / "results.csv") as tmp:
        _flat(frame).write_csv(tmp)
    extraction = {k: v for k, v in _read_json(output_dir / "extraction-stats.json").items()
                  if v.get("clips") and (not k.startswith("(") or k.startswith("(last extracting run"))}
    meta = {"benchmark": name, "description": config.benchmark.description, "avbench_version": __version__,
            "git_commit": commit, "rendered": now(), "machine": machine(), "libraries": library_versions(),
            "seeds": config.benchmark.seeds, "metrics": metrics, "extraction_throughput": extraction}
    write_json(board / "metadata.json", meta)
    markdown = board / "README.md"
    write_bytes(markdown, render_markdown(rows, meta, metrics).encode())
    return markdown


def not_run_rows(config: BenchmarkConfig, output_dir: Path, present: set[tuple[str, str]],
                 registry: Registry | None, commit: str) -> list[dict[str, Any]]:
    """Rows saying why an experiment has no result at all (no data here, a missing model file...)."""
    rows = []
    for error in _read_json(output_dir / "not-run.json").get("errors", []):
        exp = config.experiments.get(error["experiment"])
        if exp is None:
            continue
        for protocol in [error["protocol"]] if error.get("protocol") else exp.protocols:
            if (error["experiment"], protocol) in present:
                continue
            dataset_plugin = config.datasets[exp.dataset].plugin
            info = registry.plugins.get(dataset_plugin) if registry is not None else None
            rows.append({"experiment": error["experiment"], "protocol": protocol, "dataset": exp.dataset,
                         "synthetic": bool(info and info.cls.synthetic), "folds": 0, "status": "not run",
                         "error": error["error"][:500], "git_commit": commit,
                         **experiment_metadata(config, error["experiment"])})
            present.add((error["experiment"], protocol))
    return rows


def experiment_metadata(config: BenchmarkConfig, experiment: str) -> dict[str, Any]:
    exp = config.experiments[experiment]
    reported = exp.reported
    return {"description": exp.description, "substitutions": list(exp.substitutions),
            "reported_accuracy": reported.accuracy if reported else None,
            "reported_macro_f1": reported.macro_f1 if reported else None,
            "reported_source": reported.source if reported else "",
            "reported_note": reported.note if reported else ""}


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
            schema[c] = pl.List(pl.Int64 if c == "seeds" else pl.String)
        elif any(isinstance(v, float) for v in data[c]) or c.endswith(("_mean", "_std", "_pooled", "_ms")) \
                or c.startswith("reported_accuracy") or c.startswith("reported_macro"):
            schema[c] = pl.Float64
            data[c] = [None if v is None else float(v) for v in data[c]]
        elif all(isinstance(v, bool) or v is None for v in data[c]):
            schema[c] = pl.Boolean
        elif all(isinstance(v, int) or v is None for v in data[c]):
            schema[c] = pl.Int64
        else:
            schema[c] = pl.String
            data[c] = [None if v is None else str(v) for v in data[c]]
    return pl.DataFrame(data, schema=schema)


def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    """CSV cannot hold lists: join them."""
    return frame.with_columns([pl.col(c).cast(pl.List(pl.String)).list.join(" ") for c in LIST_COLUMNS
                               if c in frame.columns])


def _pct(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{100 * value:.1f}"


def _mean_std(row: dict[str, Any], metric: str) -> str:
    mean, std = row.get(f"{metric}_mean"), row.get(f"{metric}_std")
    if mean is None:
        return ""
    return f"{100 * mean:.1f} ± {100 * (std or 0):.1f}" if row.get("folds", 0) > 1 else f"{100 * mean:.1f}"


def notes(row: dict[str, Any]) -> str:
    out = []
    if row.get("status") != "ok":
        out.append(f"{row.get('status')}: {row.get('error')}")
    if row.get("test_clips") and row.get("predicted_classes", 0) <= 1:
        out.append("collapsed: predicts a single class")
    for branch, counts in json.loads(row.get("extraction_diagnostics") or "{}").items():
        if counts.get("frames_sampled"):
            out.append(f"{branch}: no face in {counts.get('frames_no_face', 0)} of {counts['frames_sampled']} "
                       "sampled frames")
    if row.get("skipped_test_clips"):
        out.append(f"{len(row['skipped_test_clips'])} test clip(s) skipped (bad media)")
    out.extend(row.get("substitutions") or [])
    return "; ".join(out)


def render_markdown(rows: list[dict[str, Any]], meta: dict[str, Any], metrics: list[str]) -> str:
    lines = [f"# Leaderboard: {meta['benchmark']}", ""]
    if meta.get("description"):
        lines += [meta["description"], ""]
    lines += [f"Rendered {meta['rendered']} by avbench {meta['avbench_version']} at commit `{meta['git_commit']}`. "
              "Regenerate with `avbench run` (computes what is missing) or `avbench leaderboard` (re-renders "
              "stored results). Metrics in %: mean ± std over folds, and pooled over all test clips. "
              "Each row's versions, seeds and fingerprint are in `results.parquet`/`results.csv`; "
              "`metadata.json` has libraries, machine and extraction throughput.", ""]
    datasets: dict[tuple[str, bool], list[dict[str, Any]]] = {}
    for r in rows:
        datasets.setdefault((r.get("dataset") or "?", bool(r.get("synthetic"))), []).append(r)
    headers = ["experiment", "protocol", "folds", *metrics, "accuracy (pooled)", "reported acc",
               "latency p50/p95 ms", "notes"]
    for (dataset, synthetic), group in datasets.items():
        kind = "SYNTHETIC demo data: not comparable with any published number" if synthetic else "real data"
        lines += [f"## {dataset} ({kind})", ""]
        table = []
        for r in group:
            latency = (f"{r['latency_p50_ms']:.1f} / {r['latency_p95_ms']:.1f} ({r['latency_device']})"
                       if r.get("latency_p50_ms") is not None else "")
            reported = _pct(r.get("reported_accuracy"))
            if reported and r.get("reported_source"):
                reported += f" ({r['reported_source']})"
            table.append([r["experiment"], r["protocol"], r.get("folds", 0),
                          *[_mean_std(r, m) for m in metrics], _pct(r.get("accuracy_pooled")), reported,
                          latency, notes(r)])
        lines += [tabulate(table, headers=headers, tablefmt="github"), ""]
        figures = [r for r in group if r.get("figure")]
        if figures:
            lines += ["Confusion matrices: " + ", ".join(f"[{r['experiment']} / {r['protocol']}]({r['figure']})"
                                                         for r in figures), ""]
    throughput = meta.get("extraction_throughput") or {}
    if throughput:
        lines += ["## Feature extraction throughput", "",
                  "Per extractor, from the last run that extracted with it (a warm cache extracts nothing): clips "
                  "and seconds of media per busy worker-second, decoding included; last row: that run's whole "
                  "stage by wall clock with all workers.", ""]
        table = []
        for name, v in sorted(throughput.items(), key=lambda kv: kv[0].startswith("(")):
            if name.startswith("("):
                table.append([f"{name}, {v.get('workers')} worker(s)", int(v.get("clips", 0)),
                              f"{v.get('clips_per_second', 0):.1f}", f"{v.get('times_real_time', 0):.1f}"])
            else:
                table.append([name, int(v.get("clips", 0)), f"{v.get('clips_per_worker_second', 0):.1f}",
                              f"{v.get('times_real_time_per_worker', 0):.1f}"])
        lines += [tabulate(table, headers=["extractor", "clips", "clips/s", "× real time"], tablefmt="github"), ""]
    return "\n".join(lines)
