"""Declared limits on what a bundle may hold, each checked before its cost is paid.

A bundle comes from someone else: its archive is read as a stream and every member's declared size,
type and name are checked before a byte of it is written; JSON files are checked for size before they
are read and for depth and string length after. Each refusal is one line naming the member or file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MiB = 1 << 20


@dataclass(frozen=True)
class BundleLimits:
    """What one bundle may hold (generous for a real benchmark, far below what harms a machine)."""

    total_bytes: int = 4096 * MiB  # unpacked, all members together
    member_bytes: int = 1024 * MiB  # one member (a large fold's predictions)
    members: int = 200_000
    manifest_bytes: int = 4 * MiB
    folds_bytes: int = 512 * MiB  # folds.json: every fold's clip ids
    record_bytes: int = 16 * MiB  # one fold record
    expansion: int = 200  # unpacked bytes per archive byte (JSON packs ~10x, parquet ~1x; a bomb 1000x)
    expansion_floor: int = 64 * MiB  # a small archive may always unpack to this much
    json_depth: int = 32
    string_chars: int = 64 * 1024  # any one string of a bundle's JSON


DEFAULT_LIMITS = BundleLimits()


def unpacked_limit(limits: BundleLimits, archive_bytes: int) -> tuple[int, str]:
    """The most an archive of ``archive_bytes`` may unpack to, and why that much."""
    by_ratio = max(limits.expansion_floor, limits.expansion * archive_bytes)
    if by_ratio < limits.total_bytes:
        return by_ratio, f"{limits.expansion} times the archive's {human(archive_bytes)}"
    return limits.total_bytes, "the limit"


class LimitError(ValueError):
    """Input beyond a declared limit; the message is one line naming the file and the limit."""


def human(size: int) -> str:
    return f"{size / MiB:.0f} MiB" if size >= MiB else f"{size} bytes"


def read_json_bounded(path: Path, label: str, max_bytes: int, limits: BundleLimits = DEFAULT_LIMITS) -> Any:
    """The JSON at ``path`` if it is at most ``max_bytes``, ``json_depth`` deep, with no string over the limit.

    Raises LimitError (one line naming ``label``); ValueError/UnicodeDecodeError for text that is not JSON.
    """
    size = os.stat(path).st_size
    if size > max_bytes:
        raise LimitError(f"{label}: {human(size)}, above the limit of {human(max_bytes)} for this file")
    text = Path(path).read_bytes().decode("utf-8")
    try:
        value = json.loads(text)
    except RecursionError:
        raise LimitError(f"{label}: nested deeper than {limits.json_depth} levels") from None
    check_shape(value, label, limits)
    return value


def check_shape(value: Any, label: str, limits: BundleLimits = DEFAULT_LIMITS) -> None:
    """Depth and string length of parsed JSON, walked without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if len(item) > limits.string_chars:
                raise LimitError(f"{label}: a string of {len(item)} characters, above the limit of "
                                 f"{limits.string_chars}")
        elif isinstance(item, (dict, list)):
            if depth > limits.json_depth:
                raise LimitError(f"{label}: nested deeper than {limits.json_depth} levels")
            children = item.items() if isinstance(item, dict) else ((None, v) for v in item)
            for key, child in children:
                if key is not None and len(key) > limits.string_chars:
                    raise LimitError(f"{label}: a key of {len(key)} characters, above the limit of "
                                     f"{limits.string_chars}")
                stack.append((child, depth + 1))
