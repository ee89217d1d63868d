"""Library drift, caught by evidence: which rows were re-verified under the current lock, and how it came out.

Library versions are pinned by ``requirements.lock`` and recorded with every fold (``computed_with.lock``,
the lock's sha256), never keyed. After the lock changes, ``avbench verify --local`` recomputes a sample of
each row's folds in the new environment and compares them with the row's evidence; its findings are kept
beside the board in ``verification.json`` (one entry per row, for the lock it ran under), and every row
says which applies: computed under the current lock; re-verified under it (identical, or the largest
difference); or computed under another lock and not re-verified yet.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

VERIFICATION_FILE = "verification.json"


def read_verification(board: Path) -> dict[str, Any]:
    try:
        body = json.loads((Path(board) / VERIFICATION_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return body if isinstance(body, dict) and isinstance(body.get("rows"), dict) else {}


def row_key(experiment: str, protocol: str) -> str:
    return f"{experiment} / {protocol}"


def record_locks(records: Iterable[dict[str, Any]]) -> set[str]:
    """The locks a row's ok folds were computed under (``"unrecorded"`` for folds older than the lock)."""
    return {str((r.get("computed_with") or {}).get("lock") or "unrecorded") for r in records
            if r.get("status") == "ok"}


def lock_status(locks: set[str], current: str | None, entry: dict[str, Any] | None) -> str:
    """What a row can say about the environment it was computed in, against the lock installed here now."""
    if current is None or not locks:
        return ""
    if locks == {current}:
        return "computed under the current lock"
    if entry and entry.get("lock") == current:
        folds = entry.get("folds") or []
        same = sum(1 for f in folds if f.get("identical"))
        agree = sum(1 for f in folds if f.get("agrees"))
        if folds and same == len(folds):
            return f"re-verified under the current lock: {same} of {len(folds)} recomputed fold(s) identical"
        largest = max((f.get("max_difference") or 0.0 for f in folds), default=0.0)
        return (f"re-verified under the current lock: {agree} of {len(folds)} recomputed fold(s) agree, "
                f"{same} identical, largest probability difference {largest:.3g}")
    older = ", ".join(sorted(lock[:12] for lock in locks))
    return f"computed under another lock ({older}); not re-verified under the current one (avbench verify --local)"
