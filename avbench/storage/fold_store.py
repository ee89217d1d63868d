"""Stored fold results: a JSON record and a predictions parquet, each checked on every read.

The record carries a checksum of its own canonical JSON (``record_sha256``) and, for a fold
that produced predictions, the SHA-256 and row count of the parquet (``predictions_sha256``,
``predictions_rows``). A file that fails any check raises :class:`CorruptResultError` naming it,
so a resumed run recomputes the fold and a leaderboard names the file instead of crashing.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from avbench.contract.errors import AvbenchError

from .atomic import atomic_path, write_bytes

CHECKSUM_KEY = "record_sha256"


class CorruptResultError(AvbenchError):
    """A stored fold result does not read back or does not match its record."""


def _canonical(record: dict[str, Any]) -> bytes:
    body = {k: v for k, v in record.items() if k != CHECKSUM_KEY and not k.startswith("_")}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def write_record(path: Path, record: dict[str, Any]) -> dict[str, Any]:
    """Write ``record`` atomically with its checksum; returns the record as stored."""
    record = {k: v for k, v in record.items() if not k.startswith("_")}
    record = json.loads(json.dumps(record, default=str))  # exactly what a reader will see
    record[CHECKSUM_KEY] = hashlib.sha256(_canonical(record)).hexdigest()
    write_bytes(path, (json.dumps(record, indent=2, sort_keys=True) + "\n").encode())
    return record


def read_record(path: Path) -> dict[str, Any]:
    """A fold record, verified against its checksum (records written before checksums are refused too)."""
    try:
        record = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise CorruptResultError(f"{path}: fold record does not read back ({type(exc).__name__}: {exc})") from None
    return read_record_data(record, str(path))


def read_record_data(record: Any, where: str) -> dict[str, Any]:
    """A fold record already parsed from JSON, verified against its checksum; ``where`` names it in errors."""
    if not isinstance(record, dict):
        raise CorruptResultError(f"{where}: fold record is not a JSON object")
    stored = record.get(CHECKSUM_KEY)
    if stored is None:
        raise CorruptResultError(f"{where}: fold record has no checksum (written by an older avbench)")
    if hashlib.sha256(_canonical(record)).hexdigest() != stored:
        raise CorruptResultError(f"{where}: fold record does not match its checksum (edited or corrupt)")
    return dict(record)


def write_predictions_frame(path: Path, frame: Any) -> dict[str, Any]:
    """Write a polars frame atomically; returns the fields the record keeps to verify it later."""
    with atomic_path(path) as tmp:
        frame.write_parquet(tmp)
        digest = file_sha256(tmp)
    return {"predictions": Path(path).name, "predictions_sha256": digest, "predictions_rows": int(frame.height)}


def read_predictions(record_path: Path, record: dict[str, Any], *, parse: bool = True) -> Any:
    """The predictions of a verified record, checked against its checksum and row count.

    ``parse=False`` checks the checksum only and returns None (the bytes are those the record was written
    with: enough to know a fold is done, without reading the table).
    """
    name = record.get("predictions") or Path(record_path).with_suffix(".parquet").name
    try:
        path = Path(record_path).with_name(str(name))
    except ValueError:  # a name with a folder in it: never read outside the record's folder
        raise CorruptResultError(f"{record_path}: predictions named {name!r}, expected a file name") from None
    try:
        digest = file_sha256(path)
    except FileNotFoundError:
        raise CorruptResultError(f"{path}: predictions file missing for a finished fold") from None
    except OSError as exc:
        raise CorruptResultError(f"{path}: predictions do not read back ({exc})") from None
    if digest != record.get("predictions_sha256"):
        raise CorruptResultError(f"{path}: predictions do not match the checksum in their record")
    if not parse:
        return None
    import polars as pl

    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # polars raises several types for a damaged file
        raise CorruptResultError(f"{path}: predictions do not read back ({type(exc).__name__})") from None
    if frame.height != record.get("predictions_rows"):
        raise CorruptResultError(f"{path}: {frame.height} prediction rows, the record says {record.get('predictions_rows')}")
    return frame
