"""The leaderboard folder is avbench's own: written only when avbench made it, cleaned only of its own files.

A board folder holds a marker, ``.avbench-board`` (JSON: the benchmark and the site files avbench
wrote there). avbench writes into a folder that is absent, empty, marked, or a board an earlier avbench
rendered (``metadata.json`` naming the benchmark and an avbench version); any other folder (``docs/``,
say, from ``leaderboards = "."`` and ``name = "docs"``) is refused before anything is written. When a
render cleans up, it removes only files the marker lists as its own earlier output.
"""

from __future__ import annotations

import json
from pathlib import Path

from avbench.contract.errors import AvbenchError
from avbench.storage.atomic import write_json

MARKER = ".avbench-board"


def claim_board(board: Path, benchmark: str) -> None:
    """Make sure ``board`` is avbench's to write (creating it and its marker); AvbenchError when it is not."""
    board = Path(board)
    if board.exists() and not board.is_dir():
        raise AvbenchError(f"{board}: not a folder; expected the leaderboard folder of {benchmark}")
    if board.is_dir() and not (board / MARKER).is_file():
        if any(board.iterdir()) and not _earlier_board(board, benchmark):
            raise AvbenchError(f"{board}: holds files avbench did not write (no {MARKER} marker); refusing to render "
                               f"the leaderboard of {benchmark} into it: set `leaderboards` in [benchmark] to a "
                               "folder of its own")
    board.mkdir(parents=True, exist_ok=True)
    if not (board / MARKER).is_file():
        write_json(board / MARKER, {"benchmark": benchmark, "files": owned_files(board, legacy=True)})


def _earlier_board(board: Path, benchmark: str) -> bool:
    try:
        meta = json.loads((board / "metadata.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("benchmark") == benchmark and "avbench_version" in meta \
        and (board / "results.parquet").is_file()


def owned_files(board: Path, legacy: bool = False) -> list[str]:
    """The site files the marker lists as avbench's (``legacy``: those an earlier render's layout names)."""
    if legacy:
        old = [*(board / "experiments").glob("*.html"), *(board / "static").glob("*"),
               *(board / "figures").glob("*.svg")]
        return sorted(p.relative_to(board).as_posix() for p in old if p.is_file() and not p.is_symlink())
    try:
        files = json.loads((board / MARKER).read_text()).get("files") or []
    except (OSError, ValueError, AttributeError):
        return []
    return [f for f in files if isinstance(f, str) and ".." not in Path(f).parts and not f.startswith("/")]


def remove_unwritten(board: Path, written: set[Path]) -> None:
    """Remove the files an earlier render wrote that this one did not; record this render's files in the marker."""
    board = Path(board)
    mine = {p.resolve() for p in written}
    for name in owned_files(board):
        path = board / name
        if path.resolve() not in mine and path.is_file() and not path.is_symlink():
            path.unlink()
    marker = json.loads((board / MARKER).read_text()) if (board / MARKER).is_file() else {}
    files = sorted(p.relative_to(board).as_posix() for p in written if p.is_relative_to(board))
    write_json(board / MARKER, {**marker, "files": files})
