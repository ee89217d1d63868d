"""Reading stored fold results for the leaderboard: every file verified, every unreadable one named.

Records and predictions are read with :mod:`avbench.storage.fold_store`, which checks their checksums.
A record written before checksums existed is still read, flagged ``_unverified``, and its row says so.
A file that does not read back never stops rendering: it is returned in ``bad_files`` with the reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from avbench.storage.fold_store import CHECKSUM_KEY, CorruptResultError, read_predictions, read_record

if TYPE_CHECKING:
    import polars as pl

REQUIRED_KEYS = ("experiment", "protocol", "seed", "fold", "status")
PREDICTION_COLUMNS = ("clip_id", "subject", "label_index", "predicted_index")
#: What a dataset may say of each test clip (breakdowns); null in predictions stored before they were written.
BREAKDOWN_COLUMNS = ("gender", "corpus")


def read_fold_records(output_dir: Path) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Every fold record under ``output_dir`` (``<exp>/<protocol>/seed-N/<fold>.json``), and the bad ones by path."""
    records, bad = [], {}
    for path in sorted(Path(output_dir).glob("*/*/seed-*/*.json")):
        try:
            record = _read_one(path)
        except FileNotFoundError:  # removed while listing
            continue
        except CorruptResultError as exc:
            bad[str(path)] = str(exc)
            continue
        record["_path"] = str(path)
        records.append(record)
    return records, bad


#: Folds imported from other installations' bundles (:mod:`avbench.exchange`), one folder per submitter.
SUBMITTED = "submitted"


def read_submitted_records(output_dir: Path) -> tuple[dict[str, list[dict[str, Any]]], dict[str, str]]:
    """Submitted fold records by submitter folder (``submitted/<submitter>/<exp>/<protocol>/seed-N/<fold>.json``).

    Never mixed with the local folds of :func:`read_fold_records` (their glob does not reach this deep).
    Hidden folders are an import's unfinished or replaced copies (a submitter's name never starts with a dot).
    """
    from avbench.runner.units import fold_file_name

    by_submitter, bad = {}, {}
    for folder in sorted(p for p in (Path(output_dir) / SUBMITTED).glob("*") if p.is_dir()
                         and not p.name.startswith(".")):
        records, unreadable = read_fold_records(folder)
        bad.update(unreadable)
        for record in records:
            if not record.get("submitted_by") or record.get("_unverified"):
                bad[record["_path"]] = (f"{record['_path']}: a submitted fold record must be verified and name "
                                        "its submitter")
                continue
            if Path(record["_path"]).stem != fold_file_name(str(record["fold"])):
                bad[record["_path"]] = (f"{record['_path']}: holds fold {str(record['fold'])[:80]!r}; a fold's "
                                        f"record is {fold_file_name(str(record['fold']))}.json (a duplicate, left out)")
                continue
            by_submitter.setdefault(folder.name, []).append(record)
    return by_submitter, bad


def _read_one(path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise
    except (OSError, ValueError, UnicodeDecodeError):
        raw = None  # read_record names what is wrong
    if isinstance(raw, dict) and CHECKSUM_KEY not in raw:
        record = dict(raw, _unverified=True)
    else:
        record = read_record(path)
    missing = [k for k in REQUIRED_KEYS if k not in record]
    if missing:
        raise CorruptResultError(f"{path}: fold record lacks {', '.join(missing)}")
    return record


def predictions_path(record: dict[str, Any]) -> Path:
    """Where a stored fold's predictions are: beside its record (in the evidence: the row's parquet file)."""
    if record.get("_evidence"):
        return Path(record["_evidence"]).with_suffix(".parquet")
    path = Path(record["_path"])
    return path.with_name(record.get("predictions") or path.with_suffix(".parquet").name)


def stored_predictions(record: dict[str, Any]) -> pl.DataFrame:
    """Every column a stored ``ok`` fold's predictions have (the evidence's copy, or the verified file)."""
    if record.get("_frame") is not None:
        return record["_frame"]
    if record.get("_unverified") or "predictions_sha256" not in record:
        raise CorruptResultError(f"{predictions_path(record)}: predictions without a checksum are not evidence")
    return read_predictions(Path(record["_path"]), record)


def read_fold_predictions(record: dict[str, Any]) -> pl.DataFrame:
    """The predictions of a stored ``ok`` fold, verified against their record; raises CorruptResultError."""
    import polars as pl

    parquet = predictions_path(record)
    if record.get("_frame") is not None:  # read from the board's evidence, checked there (evidence.read_row)
        frame = record["_frame"]
    elif record.get("_unverified") or "predictions_sha256" not in record:
        try:
            frame = pl.read_parquet(parquet)
        except FileNotFoundError:
            raise CorruptResultError(f"{parquet}: predictions file missing for a finished fold") from None
        except Exception as exc:  # polars raises several types for a damaged file
            raise CorruptResultError(f"{parquet}: predictions do not read back ({type(exc).__name__})") from None
    else:
        frame = read_predictions(Path(record["_path"]), record)
    missing = [c for c in PREDICTION_COLUMNS if c not in frame.columns]
    if missing:
        raise CorruptResultError(f"{parquet}: predictions lack column(s) {', '.join(missing)}")
    n_classes = len(record.get("classes") or [])
    for column in ("label_index", "predicted_index"):
        values = frame[column]
        if values.null_count() or (frame.height and (values.min() < 0 or values.max() >= n_classes)):
            raise CorruptResultError(f"{parquet}: {column} outside 0..{n_classes - 1} (the record's classes)")
    breakdowns = [pl.col(c).cast(pl.String) if c in frame.columns else pl.lit(None, dtype=pl.String).alias(c)
                  for c in BREAKDOWN_COLUMNS]
    return frame.select(*PREDICTION_COLUMNS, *breakdowns).with_columns(pl.col("subject").cast(pl.String),
                                                                       pl.col("clip_id").cast(pl.String))
