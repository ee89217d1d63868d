"""The starter benchmark shipped inside the package: what ``avbench init`` writes and a bare ``avbench run`` uses."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

DEFAULT_CONFIG = "benchmark.toml"


def starter_text() -> str:
    """The starter ``benchmark.toml`` (the synthetic demo), as shipped in the wheel."""
    return (files("avbench.cli") / "starter_benchmark.toml").read_text(encoding="utf-8")


def write_starter(folder: Path) -> Path:
    """Write the starter config as ``folder/benchmark.toml``; an existing file is never overwritten."""
    path = Path(folder) / DEFAULT_CONFIG
    with open(path, "x", encoding="utf-8") as out:  # "x": fails when it exists
        out.write(starter_text())
    return path
