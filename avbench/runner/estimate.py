"""How long a run would take, from what earlier runs stored: per-extractor throughput and per-fold times.

Extraction: ``extraction-stats.json`` keeps each extractor's clips per busy worker-second; folds: each
stored fold record keeps its fit and predict seconds. Work with no stored cost is counted, never guessed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .progress import duration


@dataclass
class Estimate:
    seconds: float = 0.0  # wall time of the work with a stored cost, spread over the workers
    unknown_features: dict[str, int] = field(default_factory=dict)  # extractor -> features with no stored rate
    unknown_folds: int = 0
    known_folds: int = 0
    known_features: int = 0

    def line(self, workers: int) -> str:
        """``estimate: about 2 min 10 s on 2 workers (from stored costs); 3 folds have none``."""
        if not (self.known_folds or self.known_features or self.unknown_folds or any(self.unknown_features.values())):
            return "estimate: nothing to compute"
        missing = [f"{n} feature(s) of {name}" for name, n in sorted(self.unknown_features.items()) if n]
        if self.unknown_folds:
            missing.append(f"{self.unknown_folds} fold(s)")
        head = (f"estimate: about {duration(self.seconds)} on {workers} worker(s), from stored costs"
                if self.known_features or self.known_folds else "estimate: no stored cost for any of it")
        return head + (f"; no stored cost (never run here) for {', '.join(missing)}" if missing else "")


def extraction_rates(output_dir: Path) -> dict[str, float]:
    """Clips per busy worker-second of each extractor, as the last run that extracted with it measured."""
    try:
        stats = json.loads((output_dir / "extraction-stats.json").read_text())
    except (OSError, ValueError):
        return {}
    return {name: float(s["clips_per_worker_second"]) for name, s in stats.items()
            if not name.startswith("(") and isinstance(s, dict) and (s.get("clips_per_worker_second") or 0) > 0}


def fold_seconds(output_dir: Path) -> dict[tuple[str, str], float]:
    """Mean fit + predict seconds of the stored ok folds of each (experiment, protocol)."""
    times: dict[tuple[str, str], list[float]] = {}
    for path in output_dir.glob("*/*/seed-*/*.json"):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if record.get("status") != "ok" or "fit_seconds" not in record:
            continue
        seconds = float(record.get("fit_seconds") or 0) + float(record.get("predict_seconds") or 0)
        times.setdefault((str(record.get("experiment")), str(record.get("protocol"))), []).append(seconds)
    return {key: sum(v) / len(v) for key, v in times.items()}


def estimate(output_dir: Path, to_extract: dict[str, int], folds_to_run: Iterable[tuple[str, str]],
             workers: int) -> Estimate:
    """The wall time of extracting ``to_extract`` features and running ``folds_to_run`` on ``workers`` workers."""
    rates, per_fold = extraction_rates(output_dir), fold_seconds(output_dir)
    out = Estimate()
    busy = 0.0
    for name, count in to_extract.items():
        if name in rates:
            busy += count / rates[name]
            out.known_features += count
        elif count:
            out.unknown_features[name] = count
    for key in folds_to_run:
        if key in per_fold:
            busy += per_fold[key]
            out.known_folds += 1
        else:
            out.unknown_folds += 1
    out.seconds = busy / max(1, workers)
    return out
