"""avbench and avbench-plugins build as distributions (sdist, then a wheel from the sdist) that work installed.

Built through setuptools' PEP 517 hooks in this environment (what ``python -m build --no-isolation``
calls), so no index is needed. The wheels go into a fresh virtual environment, with ``--no-deps``:
their dependencies come from this environment through a ``.pth`` line, while avbench itself and its
plugins must come from the wheels, which the test checks by where they are imported from.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROJECTS = {"avbench": (REPO, ["avbench", "pyproject.toml", "README.md"]),
            "avbench_plugins": (REPO / "plugins", ["avbench_plugins", "pyproject.toml", "README.md"])}


def pep517(hook: str, source: Path, out: Path) -> Path:
    """Run setuptools' ``build_sdist`` or ``build_wheel`` hook in ``source``; the built file."""
    code = f"import setuptools.build_meta as b; print(b.{hook}({str(out)!r}))"
    done = subprocess.run([sys.executable, "-c", code], cwd=source, capture_output=True, text=True, timeout=120,
                          env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert done.returncode == 0, f"{hook} failed in {source}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    return out / done.stdout.strip().splitlines()[-1]


def build_wheel_through_sdist(name: str, tmp: Path) -> Path:
    """Copy the project's packaged files, build its sdist, unpack it and build the wheel from that alone."""
    root, members = PROJECTS[name]
    source = tmp / f"{name}-source"
    for member in members:
        src = root / member
        if src.is_dir():
            shutil.copytree(src, source / member, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            source.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, source / member)
    dist = tmp / "dist"
    dist.mkdir(exist_ok=True)
    sdist = pep517("build_sdist", source, dist)
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp / "unpacked", filter="data")
    unpacked = tmp / "unpacked" / sdist.name.removesuffix(".tar.gz")
    assert (unpacked / "README.md").is_file() and (unpacked / "PKG-INFO").is_file()
    return pep517("build_wheel", unpacked, dist)


@pytest.mark.slow
def test_built_wheels_install_into_a_fresh_venv_and_list_the_first_party_plugins(tmp_path):
    wheels = [build_wheel_through_sdist(name, tmp_path) for name in PROJECTS]
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python, avbench = venv / "bin" / "python", venv / "bin" / "avbench"
    venv_site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                    capture_output=True, text=True, check=True).stdout.strip())
    # dependencies from this environment, after the venv's own site-packages (which hold the wheels)
    (venv_site / "zz_test_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                              *map(str, wheels)], capture_output=True, text=True, env=env, timeout=180)
    assert install.returncode == 0, install.stdout + install.stderr

    where = subprocess.run([str(python), "-c", "import avbench, avbench_plugins; "
                            "print(avbench.__file__); print(avbench_plugins.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, env=env, check=True).stdout.split()
    assert all(Path(p).resolve().is_relative_to(venv_site.resolve()) for p in where), where

    listing = subprocess.run([str(avbench), "list", "--json"], cwd=tmp_path, capture_output=True, text=True,
                             env=env, timeout=180)
    assert listing.returncode == 0, listing.stderr
    report = json.loads(listing.stdout)
    first_party = {p["name"] for p in report["plugins"] if p["distribution"] == "avbench-plugins"}
    assert {"ravdess", "synthetic-av", "mfcc-stats", "svm-rbf", "loso", "stacking"} <= first_party
    assert not [b for b in report["broken"] if b["source"] == "avbench-plugins"], report["broken"]
