"""The free-form fields of a bundle that no fingerprint covers, checked against a small schema.

A fold record's ``computed_with``, ``extraction_diagnostics`` and ``latency`` and the manifest's
``machine`` are not part of any key: a forger can write anything there, and the leaderboard shows
them. Each must have the shape avbench writes, with short strings free of control characters.
"""

from __future__ import annotations

import json
import re
from typing import Any

SHORT = 200  # characters of a free-form string (a CPU's name, a commit, a library version)
ENTRIES = 500  # keys of a free-form mapping (installed libraries)
DEVICE = re.compile(r"[A-Za-z0-9:._-]{1,32}")
NAME = re.compile(r"[A-Za-z0-9:._@/+-]{1,100}")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _string_problem(value: Any, where: str) -> str | None:
    if not isinstance(value, str):
        return f"{where}: expected a string, got a {type(value).__name__}"
    if len(value) > SHORT:
        return f"{where}: {len(value)} characters, expected at most {SHORT}"
    if CONTROL.search(value):
        return f"{where}: holds a control character (a newline, a NUL...)"
    return None


def _scalar_tree_problems(value: Any, where: str, depth: int = 0) -> list[str]:
    """Strings short and clean, numbers, booleans, null, and lists/dicts of them, at most 3 levels deep."""
    if value is None or isinstance(value, (bool, int, float)):
        return []
    if isinstance(value, str):
        problem = _string_problem(value, where)
        return [problem] if problem else []
    if depth >= 3 or not isinstance(value, (list, dict)):
        return [f"{where}: expected strings, numbers or a shallow list/mapping of them"]
    if len(value) > ENTRIES:
        return [f"{where}: {len(value)} entries, expected at most {ENTRIES}"]
    items = value.items() if isinstance(value, dict) else ((str(i), v) for i, v in enumerate(value))
    problems = []
    for key, child in items:
        if isinstance(value, dict) and not NAME.fullmatch(key):
            problems.append(f"{where}: key {key[:40]!r} is not a plain name")
            continue
        problems += _scalar_tree_problems(child, f"{where}.{key}", depth + 1)
    return problems[:3]


def machine_problems(machine: Any) -> list[str]:
    """The manifest's ``machine``: a small mapping of platform, CPU, GPU names and library versions."""
    if not isinstance(machine, dict):
        return [f"'machine' must be a mapping (platform, cpu, gpu, libraries), got a {type(machine).__name__}"]
    if len(json.dumps(machine)) > 64 * 1024:
        return ["'machine' holds more than 64 KiB; expected platform, CPU, GPU names and library versions"]
    return _scalar_tree_problems(machine, "machine")


def record_problems(record: dict[str, Any]) -> list[str]:
    """The record's free-form fields against the shapes avbench writes (empty: acceptable)."""
    problems = _scalar_tree_problems(record.get("computed_with") or {}, "computed_with")
    diagnostics = record.get("extraction_diagnostics") or {}
    if not isinstance(diagnostics, dict) or len(diagnostics) > 64:
        problems.append("extraction_diagnostics: expected a mapping of branch -> counts")
    else:
        for branch, counts in diagnostics.items():
            if not NAME.fullmatch(branch) or not isinstance(counts, dict) or len(counts) > 64 or any(
                    not NAME.fullmatch(k) or not isinstance(v, int) or isinstance(v, bool) for k, v in counts.items()):
                problems.append(f"extraction_diagnostics: branch {branch[:40]!r}: expected plain names mapped to "
                                "integer counts")
    latency = record.get("latency")
    if latency is not None:
        if not isinstance(latency, dict):
            problems.append("latency: expected a mapping")
        else:
            device = latency.get("device", "cpu")
            if not isinstance(device, str) or not DEVICE.fullmatch(device):
                problems.append("latency.device: expected a device name such as cpu or cuda:0")
            problems += [f"latency.{k}: expected a number" for k, v in latency.items()
                         if k != "device" and (not isinstance(v, (int, float)) or isinstance(v, bool))]
    return problems
