"""The board's evidence: every row's fold records and per-clip predictions, committed beside the board.

A board is only as good as someone else's ability to regenerate it. ``leaderboards/<name>/evidence/``
holds, per row, the fold records the row is made of (as the runner stored them, each with its own
checksum) and their predictions in one parquet file, so ``avbench leaderboard`` and ``avbench compare``
work on a fresh clone with no ``runs/`` folder, and best and tied marks always weigh every complete row.

Layout (one pair of files per row; submitted rows under ``submitted/<submitter>/``)::

    evidence/<experiment>/<protocol>.json      {"schema": 1, "records": [...], "predictions_sha256": ...}
    evidence/<experiment>/<protocol>.parquet   the ok folds' predictions, with ``seed`` and ``fold`` columns

Records read from here carry their predictions (``_frame``), so the leaderboard reads them exactly as it
reads folds stored under ``runs/``; every record is checked against its checksum and the parquet file
against the sha256 in the JSON. A render writes a row's evidence only when that row was (re)computed
here (some of its chosen folds come from ``runs/``); a row that no local fold touched keeps its evidence.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from avbench.storage.atomic import atomic_path, write_bytes
from avbench.storage.fold_store import CHECKSUM_KEY, CorruptResultError, file_sha256, read_record_data

if TYPE_CHECKING:
    import polars as pl

EVIDENCE = "evidence"
SCHEMA = 1
SUBMITTED = "submitted"
#: What a record read from the evidence carries: its predictions, and which file it came from.
FRAME_KEY, SOURCE_KEY = "_frame", "_evidence"


def evidence_dir(board: Path) -> Path:
    return Path(board) / EVIDENCE


def _row_files(root: Path, experiment: str, protocol: str) -> tuple[Path, Path]:
    folder = root / _safe(experiment)
    return folder / f"{_safe(protocol)}.json", folder / f"{_safe(protocol)}.parquet"


def _safe(name: str) -> str:
    """A path component from a name (experiment, protocol and submitter names are checked elsewhere)."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise CorruptResultError(f"evidence: {name!r} cannot be a file name")
    return name


def read_evidence(board: Path) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]], dict[str, str]]:
    """Local rows' records, submitted records by submitter, and the evidence files that do not read back."""
    root = evidence_dir(board)
    local, bad = _read_tree(root, skip=SUBMITTED)
    submitted: dict[str, list[dict[str, Any]]] = {}
    for folder in sorted(p for p in (root / SUBMITTED).glob("*") if p.is_dir() and not p.name.startswith(".")):
        records, unreadable = _read_tree(folder)
        bad.update(unreadable)
        if records:
            submitted[folder.name] = records
    return local, submitted, bad


def _read_tree(root: Path, skip: str | None = None) -> tuple[list[dict[str, Any]], dict[str, str]]:
    records: list[dict[str, Any]] = []
    bad: dict[str, str] = {}
    for path in sorted(root.glob("*/*.json")):
        if skip is not None and path.parent.name == skip:
            continue
        try:
            records.extend(read_row(path))
        except CorruptResultError as exc:
            bad[str(path)] = str(exc)
    return records, bad


def read_row(path: Path) -> list[dict[str, Any]]:
    """The records of one row's evidence, each with its predictions; raises CorruptResultError naming the file."""
    import polars as pl

    try:
        body = json.loads(Path(path).read_text())
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise CorruptResultError(f"{path}: evidence does not read back ({type(exc).__name__})") from None
    if not isinstance(body, dict) or body.get("schema") != SCHEMA or not isinstance(body.get("records"), list):
        raise CorruptResultError(f"{path}: not an evidence file of schema {SCHEMA}")
    parquet = Path(path).with_suffix(".parquet")
    frame = None
    if body.get("predictions_sha256"):
        try:
            digest = file_sha256(parquet)
        except OSError:
            raise CorruptResultError(f"{parquet}: evidence predictions missing") from None
        if digest != body["predictions_sha256"]:
            raise CorruptResultError(f"{parquet}: evidence predictions do not match the sha256 in {path.name}")
        try:
            frame = pl.read_parquet(parquet)
        except Exception as exc:  # polars raises several types for a damaged file
            raise CorruptResultError(f"{parquet}: evidence predictions do not read back ({type(exc).__name__})") \
                from None
    by_fold = {}
    if frame is not None and frame.height:
        for (seed, fold), part in frame.group_by(["seed", "fold"], maintain_order=True):
            by_fold[(int(seed), str(fold))] = part.drop("seed", "fold")
    records = []
    for raw in body["records"]:
        record = read_record_data(raw, f"{path} ({_fold_name(raw)})")
        if record.get("status") == "ok":
            part = by_fold.get((record.get("seed"), record.get("fold")))
            if part is None or part.height != record.get("predictions_rows"):
                raise CorruptResultError(f"{parquet}: predictions of {_fold_name(record)} missing or of another "
                                         f"length than its record says")
            record[FRAME_KEY] = part
        record[SOURCE_KEY] = str(path)
        record["_path"] = f"{path}#seed-{record.get('seed')}/{record.get('fold')}"
        records.append(record)
    return records


def _fold_name(record: Any) -> str:
    if not isinstance(record, dict):
        return "a record that is not an object"
    return f"seed {record.get('seed')}, fold {record.get('fold')}"


def stored_record(record: dict[str, Any]) -> dict[str, Any]:
    """A record as the runner stored it (private keys dropped)."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


def same_records(records: Iterable[dict[str, Any]], path: Path) -> bool:
    """Whether the evidence file at ``path`` holds exactly these records (by their checksums)."""
    try:
        body = json.loads(Path(path).read_text())
        stored = sorted(r.get(CHECKSUM_KEY) or "" for r in body.get("records", []))
    except (OSError, ValueError, AttributeError):
        return False
    return stored == sorted(r.get(CHECKSUM_KEY) or "" for r in records)


def write_row(root: Path, experiment: str, protocol: str, records: list[dict[str, Any]],
              frames: dict[tuple[int, str], "pl.DataFrame"]) -> bool:
    """Write one row's evidence (its records and their predictions ``frames``); False when it already holds them."""
    import polars as pl

    records = sorted(records, key=lambda r: (r.get("seed", 0), str(r.get("fold")), r.get("finished", "")))
    json_path, parquet = _row_files(root, experiment, protocol)
    if same_records(records, json_path) and parquet.exists() == bool(frames):
        return False
    json_path.parent.mkdir(parents=True, exist_ok=True)
    digest = None
    if frames:
        parts = [frame.with_columns(pl.lit(seed, dtype=pl.Int64).alias("seed"), pl.lit(fold).alias("fold"))
                 for (seed, fold), frame in sorted(frames.items())]
        table = pl.concat(parts, how="diagonal_relaxed")
        table = table.select("seed", "fold", *[c for c in table.columns if c not in ("seed", "fold")])
        with atomic_path(parquet) as tmp:
            table.write_parquet(tmp, compression="zstd", compression_level=19, statistics=False)
            digest = file_sha256(Path(tmp))  # as read_row checks it
    else:
        parquet.unlink(missing_ok=True)
    body = {"schema": SCHEMA, "experiment": experiment, "protocol": protocol, "predictions_sha256": digest,
            "records": [stored_record(r) for r in records]}
    write_bytes(json_path, (json.dumps(body, indent=1, sort_keys=True) + "\n").encode())
    return True


def remove_row(root: Path, experiment: str, protocol: str) -> None:
    for path in _row_files(root, experiment, protocol):
        path.unlink(missing_ok=True)
