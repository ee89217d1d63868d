"""A fresh clone re-renders the committed board byte for byte, from the evidence committed with it.

The copy holds what a clone holds (``benchmark.toml`` and ``leaderboards/``: no ``runs/``, no cache) and is
rendered with the variables of ``.ci/run`` (freshness checks hash the input files they name). Every file
of the board must come out as committed: tables, Markdown, site, figures, evidence.
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest

from avbench.config.loader import load_config
from avbench.leaderboard.build import render_leaderboard

REPO = Path(__file__).resolve().parents[2]
#: The variables .ci/run sets: the committed board's real-data rows were rendered with them.
DATA_VARIABLES = ("AVBENCH_RAVDESS_ROOT", "AVBENCH_OPENFACE_AU", "AVBENCH_MODELS")
REGENERATE = "regenerate it with `avbench leaderboard --force` (with the variables of .ci/run set)"


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_a_fresh_clone_renders_the_committed_board_byte_for_byte(tmp_path, monkeypatch):
    unset = [v for v in DATA_VARIABLES if not os.environ.get(v)]
    if unset:
        pytest.skip(f"{', '.join(unset)} not set: the committed board was rendered with the shared data of .ci/run")
    config = load_config(REPO / "benchmark.toml")
    committed = REPO / config.benchmark.leaderboards / config.benchmark.name
    monkeypatch.setenv("AVBENCH_CACHE", str(tmp_path / "cache"))
    clone = tmp_path / "clone"
    clone.mkdir()
    shutil.copy(REPO / "benchmark.toml", clone / "benchmark.toml")
    shutil.copytree(REPO / config.benchmark.leaderboards, clone / config.benchmark.leaderboards)
    render_leaderboard(load_config(clone / "benchmark.toml"), clone)
    rendered, stored = files(clone / config.benchmark.leaderboards / config.benchmark.name), files(committed)
    differing = sorted(n for n in set(rendered) | set(stored) if rendered.get(n) != stored.get(n))
    readme = ""
    if "README.md" in differing:
        old, new = stored["README.md"].decode().splitlines(), rendered.get("README.md", b"").decode().splitlines()
        readme = "\n".join(list(difflib.unified_diff(old, new, lineterm=""))[:20])
    assert not differing, f"the committed board is not what its evidence renders ({', '.join(differing[:8])}): " \
                          f"{REGENERATE}\n{readme}"
