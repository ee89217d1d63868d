"""Result rows from stored fold records: one row per experiment and protocol.

Only folds of the newest experiment fingerprint count, so results of different
versions or parameters are never mixed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from avbench.metrics.classification import METRICS, confusion, per_class_recall


def load_records(output_dir: Path) -> list[dict[str, Any]]:
    """Every fold record stored under ``output_dir`` (``<exp>/<protocol>/seed-N/<fold>.json``)."""
    records = []
    for path in sorted(output_dir.glob("*/*/seed-*/*.json")):
        try:
            record = json.loads(path.read_text())
        except ValueError:
            continue
        record["_path"] = str(path)
        records.append(record)
    return records


def newest_per_experiment(records: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Records grouped by (experiment, protocol), keeping only the newest experiment fingerprint."""
    groups: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = {}
    for r in records:
        groups.setdefault((r["experiment"], r["protocol"]), {}).setdefault(r.get("experiment_fingerprint", ""), []).append(r)
    out = {}
    for key, by_fp in groups.items():
        newest = max(by_fp.values(), key=lambda rs: max(r.get("finished", "") for r in rs))
        out[key] = newest
    return out


def fold_metrics(frame: pl.DataFrame, n_classes: int, metrics: list[str]) -> dict[str, float]:
    y, p = frame["label_index"].to_numpy(), frame["predicted_index"].to_numpy()
    return {m: METRICS[m](y, p, n_classes) for m in metrics}


def experiment_row(records: list[dict[str, Any]], metrics: list[str]) -> dict[str, Any]:
    """Metrics as mean and std over folds and pooled over all test clips, plus per-class recall and confusion."""
    first = records[0]
    ok = [r for r in records if r.get("status") == "ok"]
    failed = [r for r in records if r.get("status") != "ok"]
    classes = first.get("classes", [])
    row: dict[str, Any] = {
        "experiment": first["experiment"], "protocol": first["protocol"],
        "dataset": first.get("dataset"), "synthetic": bool(first.get("synthetic", False)),
        "folds": len(ok), "failed_folds": len(failed),
        "status": "ok" if ok and not failed else ("partial" if ok else "error"),
        "error": "; ".join(sorted({f"{r['fold']}: {r.get('error')}" for r in failed}))[:500],
        "seeds": sorted({r["seed"] for r in records}),
        "classes": classes,
        "plugins": json.dumps(first.get("plugins", {}), sort_keys=True),
        "setup": json.dumps(first.get("setup", {}), sort_keys=True),
        "extraction_diagnostics": json.dumps(first.get("extraction_diagnostics", {}), sort_keys=True),
        "avbench_version": first.get("avbench_version"),
        "experiment_fingerprint": first.get("experiment_fingerprint"),
        "device": sorted({r.get("device", "") for r in ok} - {""}),
        "skipped_test_clips": sorted({c for r in ok for c in r.get("skipped_test_clips", [])}),
        "finished": max((r.get("finished", "") for r in records), default=""),
    }
    frames = []
    per_fold: dict[str, list[float]] = {m: [] for m in metrics}
    for r in ok:
        frame = pl.read_parquet(Path(r["_path"]).with_suffix(".parquet"))
        if frame.height == 0:
            continue
        frames.append(frame)
        for m, v in fold_metrics(frame, len(classes), metrics).items():
            per_fold[m].append(v)
    row["test_clips"] = int(sum(f.height for f in frames))
    for m in metrics:
        values = per_fold[m]
        row[f"{m}_mean"] = float(np.mean(values)) if values else None
        row[f"{m}_std"] = float(np.std(values)) if values else None
    if frames:
        pooled = pl.concat(frames)
        for m, v in fold_metrics(pooled, len(classes), metrics).items():
            row[f"{m}_pooled"] = v
        y, p = pooled["label_index"].to_numpy(), pooled["predicted_index"].to_numpy()
        row["per_class_recall"] = json.dumps(dict(zip(classes, per_class_recall(y, p, len(classes)))))
        row["confusion"] = json.dumps(confusion(y, p, len(classes)).tolist())
        row["predicted_classes"] = int(len(np.unique(p)))
    else:
        for m in metrics:
            row[f"{m}_pooled"] = None
        row["per_class_recall"] = row["confusion"] = None
        row["predicted_classes"] = 0
    latency = next((r["latency"] for r in ok if r.get("latency")), None)
    row["latency_p50_ms"] = latency["p50_ms"] if latency else None
    row["latency_p95_ms"] = latency["p95_ms"] if latency else None
    row["latency_device"] = latency["device"] if latency else None
    return row
