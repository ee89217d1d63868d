"""Measured figures of the benchmark scripts, kept where the leaderboard's metadata picks them up.

``--record leaderboards/avbench/performance.json`` on a benchmark script merges its figures into that
file under the script's name, with when, where and at which commit they were measured; the next
``avbench leaderboard`` copies the file into ``metadata.json`` (key ``performance``).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


def record(path: Path, script: str, figures: dict[str, Any]) -> None:
    """Merge ``figures`` of ``script`` into the JSON file at ``path`` (created when absent)."""
    path = Path(path)
    existing = json.loads(path.read_text()) if path.is_file() else {}
    commit = subprocess.run(["git", "rev-parse", "--short=9", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).parent).stdout.strip() or "unknown"
    existing[script] = {
        "measured": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "commit": commit,
        "machine": {"system": platform.system(), "machine": platform.machine(), "cpus": os.cpu_count(),
                    "load_average_at_end": round(os.getloadavg()[0], 1)},
        **figures,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(sorted(existing.items())), indent=2, sort_keys=True) + "\n")
    print(f"recorded in {path}")
