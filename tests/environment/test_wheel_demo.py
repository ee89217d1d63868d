"""The demo travels with the package: the built wheels, installed into a clean virtual environment (no system
site-packages, no checkout on the path), run the demo from an empty folder with no config at all.

The clean environment gets the two wheels built from this checkout (no dependencies) in its own
site-packages; the locked third-party packages (torch included) are those of the environment running the
tests (installed from ``requirements.lock``), reached through a path file placed after its own
site-packages, instead of a second copy of several GB (that install took nearly five minutes here). A path
file only adds a folder: the editable install of this checkout there (a finder its own ``.pth`` would set
up) is not loaded, and the test checks that avbench is imported from the wheel.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import polars as pl
import pytest

from avbench import __version__

ROOT = Path(__file__).parents[2]

pytestmark = pytest.mark.slow


def run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None,
        timeout: int = 1800) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{args}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def clean_install(tmp_path_factory) -> Path:
    """A fresh venv holding the locked dependencies and the avbench and avbench-plugins wheels built here."""
    work = tmp_path_factory.mktemp("wheels")
    dist = work / "dist"
    for project in (ROOT, ROOT / "plugins"):  # --no-isolation: the lock's setuptools builds them, offline
        run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", dist, project)
    wheels = sorted(dist.glob("*.whl"))
    assert [w.name.split("-")[0] for w in wheels] == ["avbench", "avbench_plugins"], wheels
    venv = work / "venv"
    run(sys.executable, "-m", "venv", venv)  # not --system-site-packages: nothing of this environment leaks in
    assert "include-system-site-packages = false" in (venv / "pyvenv.cfg").read_text()
    pip = venv / "bin" / "pip"
    run(pip, "install", "-q", "--no-deps", "--no-index", *wheels)
    own = Path(run(venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
               .stdout.strip())
    locked = sysconfig.get_paths()["purelib"]  # this environment's: made from requirements.lock
    (own / "zz-locked-dependencies.pth").write_text(locked + "\n")
    return venv


def test_the_wheels_run_the_demo_with_no_config_from_an_empty_folder(clean_install, tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "AVBENCH_"))}
    env["AVBENCH_CACHE"] = str(tmp_path / "cache")
    where = run(clean_install / "bin" / "python", "-c", "import avbench; print(avbench.__file__)", cwd=folder, env=env)
    assert Path(where.stdout.strip()).is_relative_to(clean_install), where.stdout  # the wheel, not this checkout

    result = run(clean_install / "bin" / "avbench", "run", "--no-progress", cwd=folder, env=env)
    assert "wrote the starter config (the synthetic demo)" in result.stderr, result.stderr
    assert (folder / "benchmark.toml").is_file()
    board = folder / "leaderboards" / "demo"
    assert f"leaderboard: {board / 'README.md'}" in result.stdout and f"site: {board / 'index.html'}" in result.stdout
    assert "results of this run (3 rows, in %):" in result.stdout, result.stdout
    rows = pl.read_parquet(board / "results.parquet").to_dicts()
    assert {(r["experiment"], r["protocol"]) for r in rows} == {
        ("demo-mfcc-svm", "demo-holdout"), ("demo-mfcc-svm", "demo-loso"), ("demo-egemaps-logreg", "demo-holdout")}
    assert {r["computed_commit"] for r in rows} == {f"avbench {__version__}"}  # no git checkout: the version
    assert f"avbench {__version__}" in (board / "README.md").read_text()

    init = tmp_path / "init"
    run(clean_install / "bin" / "avbench", "init", init, cwd=folder, env=env)
    assert (init / "benchmark.toml").read_text() == (folder / "benchmark.toml").read_text()
