"""``avbench run --dry-run``: says what is done and what would run or be extracted, and writes nothing."""

from __future__ import annotations

import os
from pathlib import Path

from avbench.cli.main import main
from avbench.runner.run import run_benchmark


def snapshot(*folders: Path) -> dict[str, bytes]:
    """Every file under ``folders`` (names and bytes), and every folder's name."""
    out: dict[str, bytes] = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            out[str(path)] = path.read_bytes() if path.is_file() else b"<folder>"
    return out


def dry_run_lines(path: Path, capsys) -> list[str]:
    capsys.readouterr()
    assert main(["run", str(path), "--dry-run"]) == 0
    return capsys.readouterr().out.splitlines()


def test_a_dry_run_on_a_fresh_cache_says_the_dataset_is_not_generated_and_writes_nothing(toy_benchmark, tmp_path,
                                                                                        capsys):
    path = toy_benchmark()
    cache = Path(os.environ["AVBENCH_CACHE"])
    before = snapshot(tmp_path, cache)
    lines = dry_run_lines(path, capsys)
    assert any(line.startswith("dataset toy: embedded, not generated yet: a real run generates it first")
               for line in lines), lines
    assert "centroid: would run once its dataset is generated (see above)" in lines
    assert lines[-2].startswith("total: 0 unit(s) done, 0 to run")
    assert snapshot(tmp_path, cache) == before


def test_a_dry_run_after_a_run_says_everything_is_done_then_what_a_change_would_rerun(toy_benchmark, tmp_path,
                                                                                     capsys):
    path = toy_benchmark(scale=1.0)
    run_benchmark(path, progress=False, render=False)
    cache = Path(os.environ["AVBENCH_CACHE"])
    before = snapshot(tmp_path, cache)

    lines = dry_run_lines(path, capsys)
    assert "centroid: 72 clips; features toy-extractor: 72 cached, 0 to extract" in lines
    assert "  holdout: 1 fold(s) x 1 seed(s): 1 done, 0 to run" in lines
    assert "  loso: 6 fold(s) x 1 seed(s): 6 done, 0 to run" in lines
    assert lines[-2] == "total: 7 unit(s) done, 0 to run; features to extract: none; nothing was computed or written"
    assert lines[-1] == "estimate: nothing to compute"
    assert snapshot(tmp_path, cache) == before

    changed = toy_benchmark(scale=2.0)  # another extractor setting: every feature and every fold is new
    before = snapshot(tmp_path, cache)
    lines = dry_run_lines(changed, capsys)
    assert "centroid: 72 clips; features toy-extractor: 0 cached, 72 to extract" in lines
    assert "  holdout: 1 fold(s) x 1 seed(s): 0 done, 1 to run" in lines
    assert "  loso: 6 fold(s) x 1 seed(s): 0 done, 6 to run" in lines
    assert lines[-2].startswith("total: 0 unit(s) done, 7 to run; features to extract: toy-extractor 72;")
    assert snapshot(tmp_path, cache) == before
