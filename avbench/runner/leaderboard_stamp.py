"""Re-render the leaderboard at the end of a run only when something it is made of changed.

Rendering reads every stored fold, resolves every experiment's plugins (importing torch and the rest)
and draws figures: seconds of work that a rerun with nothing to compute should not pay. What it is
made of: the loaded config, the stored fold records and predictions, local and submitted (by size and
modification time),
the run folder's ``not-run.json``, the board's evidence (among its files), the installed plugins and avbench's
own source (:func:`installed_stamp`: every source file by size and modification time), the ``AVBENCH_*``
variables (resources change which rows can be checked), the installed library versions and lock, and the
rendered files themselves. Their digest is kept in the run
folder (``leaderboard-inputs.json``); when it matches, the last rendering stands.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Iterable, Sequence

from avbench.cache.feature_cache import stable_hash
from avbench.config.schema import BenchmarkConfig
from avbench.leaderboard.stored import SUBMITTED
from avbench.registry import ENTRY_POINT_GROUP, Registry
from avbench.storage.atomic import write_json

from . import determinism

STAMP_FILE = "leaderboard-inputs.json"


def _stats(paths: Sequence[Path], root: Path) -> list[list[Any]]:
    out = []
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            continue
        out.append([str(path.relative_to(root)), st.st_size, st.st_mtime_ns])
    return out


def _content(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _source_files(top: str) -> Iterable[Path]:
    """The ``.py`` files of top-level package or module ``top``, found without importing it."""
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    if spec.submodule_search_locations:
        return [p for folder in spec.submodule_search_locations for p in sorted(Path(folder).rglob("*.py"))]
    return [Path(spec.origin)] if spec.origin and spec.origin not in ("built-in", "frozen") else []


def installed_stamp() -> list[Any]:
    """The installed plugin entry points, and every source file of their packages and of avbench (size, mtime)."""
    eps = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: (e.name, e.value))
    parts: list[Any] = []
    tops = {"avbench"}
    for ep in eps:
        dist = getattr(ep, "dist", None)
        parts.append([ep.name, ep.value, getattr(dist, "name", None), getattr(dist, "version", None)])
        tops.add(ep.value.split(":")[0].split(".")[0])
    for top in sorted(tops):
        for path in _source_files(top):
            try:
                st = path.stat()
            except OSError:
                continue
            parts.append([str(path), st.st_size, st.st_mtime_ns])
    return parts


def leaderboard_inputs(config: BenchmarkConfig, output_dir: Path, only: Sequence[str] | None) -> str:
    """A digest of everything the leaderboard is rendered from (see the module's docstring)."""
    stored = sorted([*output_dir.glob("*/*/seed-*/*"),  # local folds, and those submitted (avbench import)
                     *(output_dir / SUBMITTED).glob("*/*/*/seed-*/*")])
    return stable_hash({
        "config": config.model_dump(mode="json"), "only": list(only or []),
        "stored": _stats(stored, output_dir),
        "run_files": {name: _content(output_dir / name) for name in ("not-run.json",)},
        "installed": installed_stamp(),
        "environment": sorted((k, v) for k, v in os.environ.items() if k.startswith("AVBENCH_")),
        # rows say when they were computed with other libraries or under another lock than installed here
        "libraries": determinism.result_libraries(), "lock": determinism.lock_digest(),
    })


def leaderboard_outputs(board: Path) -> list[list[Any]]:
    return _stats(sorted(p for p in board.rglob("*") if p.is_file()), board) if board.is_dir() else []


def render_unless_unchanged(config: BenchmarkConfig, base: Path, registry: Registry,
                            only: Sequence[str] | None = None, force: bool = False) -> Path:
    """The leaderboard's Markdown file, rendered again only when its inputs or its files changed (or ``force``)."""
    output_dir = base / config.benchmark.output / config.benchmark.name
    board = base / config.benchmark.leaderboards / config.benchmark.name
    stamp_path = output_dir / STAMP_FILE
    inputs = leaderboard_inputs(config, output_dir, only)
    try:
        previous = json.loads(stamp_path.read_text())
    except (OSError, ValueError):
        previous = {}
    markdown = Path(previous.get("markdown") or board / "README.md")
    if not force and previous.get("inputs") == inputs and previous.get("outputs") == leaderboard_outputs(board) \
            and markdown.is_file():
        return markdown
    from avbench.leaderboard.build import render_leaderboard

    markdown = render_leaderboard(config, base, registry=registry, only=list(only) if only is not None else None)
    write_json(stamp_path, {"inputs": inputs, "outputs": leaderboard_outputs(board), "markdown": str(markdown)})
    return markdown
