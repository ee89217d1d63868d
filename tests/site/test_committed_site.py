"""The committed board in ``leaderboards/avbench/`` is what ``avbench leaderboard benchmark.toml`` renders.

Only checkable where the stored runs it was rendered from are (``runs/avbench/``, not committed) and the
shared real data is configured as in ``.ci/run`` (freshness is checked against the inputs' fingerprints).
The render goes to a temporary folder: the check never rewrites the committed board.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
from pathlib import Path

import pytest

from avbench.config.loader import load_config
from avbench.leaderboard.build import render_leaderboard

from .test_site_pages import site_files

REPO = Path(__file__).resolve().parents[2]
#: The variables .ci/run sets: the committed board's real-data rows were rendered with them.
DATA_VARIABLES = ("AVBENCH_RAVDESS_ROOT", "AVBENCH_OPENFACE_AU", "AVBENCH_MODELS")
REGENERATE = "regenerate it with `avbench leaderboard benchmark.toml` (with the variables of .ci/run set)"


def markdown_body(text: str) -> str:
    """The Markdown without its render time and commit (the one line that changes with every render)."""
    return re.sub(r"^Rendered .*$", "Rendered ...", text, count=1, flags=re.M)


def rows_without_stored_folds(results: Path, runs: Path) -> list[str]:
    """Computed local rows of the committed board (``experiment / protocol``) whose folds are not stored in ``runs``."""
    import polars as pl

    if not results.is_file():
        return []
    rows = pl.read_parquet(results).to_dicts()
    return [f"{r['experiment']} / {r['protocol']}" for r in rows
            if r.get("status") in ("ok", "partial") and not r.get("kept_from_previous")
            and not r.get("submitted_by") and not (runs / r["experiment"] / r["protocol"]).is_dir()]


def test_the_committed_site_and_markdown_are_what_the_stored_results_render_to(tmp_path):
    config = load_config(REPO / "benchmark.toml")
    name = config.benchmark.name
    runs = REPO / config.benchmark.output / name
    if not runs.is_dir():
        pytest.skip(f"no stored runs at {runs.relative_to(REPO)}/: the committed board can only be checked "
                    "where the results it was rendered from are stored")
    unset = [v for v in DATA_VARIABLES if not os.environ.get(v)]
    if unset:
        pytest.skip(f"{', '.join(unset)} not set: the committed board was rendered with the shared data of .ci/run")
    committed = REPO / config.benchmark.leaderboards / name
    absent = rows_without_stored_folds(committed / "results.parquet", runs)
    if absent:
        pytest.skip(f"the stored runs at {runs.relative_to(REPO)}/ are not those the committed board was rendered "
                    f"from: no folds of {', '.join(absent[:3])}{' ...' if len(absent) > 3 else ''} (a fresh "
                    "clone's `make run` stores the demo's only)")
    board = tmp_path / config.benchmark.leaderboards / name
    board.mkdir(parents=True)
    (tmp_path / config.benchmark.output).mkdir(exist_ok=True)
    (tmp_path / config.benchmark.output / name).symlink_to(runs, target_is_directory=True)
    for kept in ("results.parquet", "performance.json"):  # rows kept from the previous render; measured speed
        if (committed / kept).is_file():
            shutil.copy(committed / kept, board / kept)
    shutil.copy(REPO / "benchmark.toml", tmp_path / "benchmark.toml")
    render_leaderboard(load_config(tmp_path / "benchmark.toml"), tmp_path)
    rendered, stored = site_files(board), site_files(committed)
    assert "index.html" in stored, f"{committed.relative_to(REPO)}/index.html is not committed: {REGENERATE}"
    differing = sorted(n for n in set(rendered) | set(stored) if rendered.get(n) != stored.get(n))
    assert not differing, f"the committed site is out of date ({', '.join(differing[:8])}): {REGENERATE}"
    new, old = markdown_body((board / "README.md").read_text()), markdown_body((committed / "README.md").read_text())
    diff = "\n".join(list(difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm=""))[:20])
    assert new == old, f"the committed README.md is out of date: {REGENERATE}\n{diff}"
