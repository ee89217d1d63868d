"""``avbench verify --local``: recompute a sample of each board row's folds in this environment.

Library versions are recorded, not keyed, so a new lock never makes a row stale by itself; this is how
drift is caught instead. Per row of the board (its evidence, or folds stored under ``runs/``), K folds
are drawn with a seed fixed by the row's name, planned and recomputed here into a temporary folder, and
compared with the stored predictions clip by clip. The findings go to ``verification.json`` beside the
board, under the lock installed here, and the next render shows them on every row
(:mod:`avbench.leaderboard.verification`).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

from avbench.config.loader import load_config
from avbench.leaderboard.verification import VERIFICATION_FILE, read_verification, row_key
from avbench.registry import Registry, get_registry
from avbench.storage.atomic import write_json

from .recompute import plannable, recompute
from .verify import DEFAULT_TOLERANCE, compared


@dataclass
class RowCheck:
    """What recomputing some of one row's folds here found."""

    experiment: str
    protocol: str
    folds: list[dict[str, Any]]
    cannot: str = ""

    def lines(self) -> list[str]:
        where = row_key(self.experiment, self.protocol)
        if self.cannot:
            return [f"NOT CHECKED {where}: {self.cannot}"]
        return [f"{'IDENTICAL' if f['identical'] else 'AGREES' if f['agrees'] else 'DIFFERS'} {where} / seed "
                f"{f['seed']} / {f['fold']}: {f['detail']}" for f in self.folds]


def sample_folds(records: list[dict[str, Any]], k: int, row: str) -> list[dict[str, Any]]:
    """K of a row's ok folds, drawn with a seed fixed by the row's name (the same K on every machine)."""
    ordered = sorted((r for r in records if r.get("status") == "ok"), key=lambda r: (r["seed"], str(r["fold"])))
    seed = int(hashlib.sha256(row.encode()).hexdigest()[:8], 16)
    picked = sorted(random.Random(seed).sample(range(len(ordered)), min(k, len(ordered))))
    return [ordered[i] for i in picked]


def verify_local(config_path: str | Path, k: int = 1, only: Sequence[str] | None = None,
                 tolerance: float = DEFAULT_TOLERANCE, registry: Registry | None = None,
                 data_overrides: dict[str, str] | None = None, workers: int | None = None,
                 log: Callable[[str], None] = lambda _line: None) -> list[RowCheck]:
    """Recompute K folds of each current row (of ``only``) here; write the findings to ``verification.json``."""
    from avbench.leaderboard.build import FoldSources
    from avbench.leaderboard.freshness import current_setups, select_records
    from avbench.leaderboard.stored import stored_predictions
    from avbench.runner.determinism import lock_digest, result_libraries

    if k < 1:
        raise ValueError(f"--folds {k}: expected at least 1")
    registry = registry or get_registry()
    config_path = Path(config_path).resolve()
    base = config_path.parent
    config = load_config(config_path, registry, data_overrides)
    board = base / config.benchmark.leaderboards / config.benchmark.name
    sources = FoldSources.read(base / config.benchmark.output / config.benchmark.name, board)
    setups = current_setups(config, registry, base)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in sources.local:
        key = (record["experiment"], record["protocol"])
        if key in setups and (not only or key[0] in only):
            groups.setdefault(key, []).append(record)
    chosen: dict[tuple[str, str], list[dict[str, Any]]] = {}
    checks: list[RowCheck] = []
    for key, records in sorted(groups.items()):
        selection = select_records(records, setups[key])
        if selection.stale:
            checks.append(RowCheck(*key, [], "stale: computed under another setup than the config's"))
            continue
        chosen[key] = sample_folds(selection.records, k, row_key(*key))
    plan, units = plannable(config, registry, base, sorted({e for e, _ in chosen}), data_overrides) \
        if chosen else (None, {})
    runnable = {key: [r for r in folds if r.get("fingerprint") in units] for key, folds in chosen.items()}
    for key, folds in sorted(chosen.items()):
        if not runnable[key]:
            checks.append(RowCheck(*key, [], "its folds cannot be planned here (is its dataset configured, with the "
                                             "same data?)"))
    todo = [units[r["fingerprint"]] for folds in runnable.values() for r in folds]
    log(f"recomputing {len(todo)} fold(s) of {sum(1 for f in runnable.values() if f)} row(s)")
    results = recompute(plan, todo, config, workers, log) if todo else {}
    lock = lock_digest()
    previous = read_verification(board)
    entries = dict(previous.get("rows") or {}) if previous.get("lock") == lock else {}
    for key, folds in sorted(runnable.items()):
        if not folds:
            continue
        found = []
        for record in folds:
            result = results[record["fingerprint"]]
            entry = {"seed": record["seed"], "fold": record["fold"], "computed_lock": (record.get("computed_with") or {}).get("lock")}
            if result.predictions is None:
                found.append({**entry, "agrees": False, "identical": False, "max_difference": None,
                              "detail": result.cause})
                continue
            agrees, detail, difference = compared(stored_predictions(record), result.predictions, tolerance)
            found.append({**entry, "agrees": agrees, "identical": agrees and difference == 0.0,
                          "max_difference": difference, "detail": detail})
        checks.append(RowCheck(*key, found))
        entries[row_key(*key)] = {"lock": lock, "folds": found,
                                  "verified": datetime.now(timezone.utc).replace(microsecond=0).isoformat()}
    if any(c.folds for c in checks):
        write_json(board / VERIFICATION_FILE, {"lock": lock, "libraries": result_libraries(),
                                               "rows": dict(sorted(entries.items()))})
    return checks


def summary_line(checks: list[RowCheck]) -> str:
    folds = [f for c in checks for f in c.folds]
    return (f"{sum(f['identical'] for f in folds)} of {len(folds)} recomputed fold(s) identical, "
            f"{sum(f['agrees'] and not f['identical'] for f in folds)} within tolerance, "
            f"{sum(not f['agrees'] for f in folds)} differ; {sum(1 for c in checks if c.cannot)} row(s) not checked")


