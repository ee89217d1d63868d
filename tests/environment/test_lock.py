"""requirements.lock pins every package the project installs, and agrees with the pyproject files."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_lock_module(root: Path):
    spec = importlib.util.spec_from_file_location("avbench_lock_script", ROOT / "scripts" / "lock.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.ROOT = root
    module.PROJECTS = {root / "pyproject.toml": ("test", "ssl", "ray"),
                       root / "plugins" / "pyproject.toml": ("ssl",)}
    module.REQUIREMENTS_IN = root / "requirements.in"
    module.LOCK = root / "requirements.lock"
    return module


@pytest.fixture
def copy_of_project(tmp_path: Path) -> Path:
    (tmp_path / "plugins").mkdir()
    for name in ("pyproject.toml", "plugins/pyproject.toml", "requirements.in", "requirements.lock"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def test_the_committed_lock_agrees_with_the_pyproject_files():
    assert load_lock_module(ROOT).problems() == []


def test_a_new_requirement_in_pyproject_is_caught(copy_of_project):
    path = copy_of_project / "plugins" / "pyproject.toml"
    path.write_text(path.read_text().replace('"h5py>=3.9",', '"h5py>=3.9",\n    "tensorflow>=2.0",'))
    found = load_lock_module(copy_of_project).problems()
    assert any("requirements.in: differs" in p for p in found)
    assert any("tensorflow is required" in p for p in found)


def test_a_pin_outside_the_declared_range_is_caught(copy_of_project):
    lock = copy_of_project / "requirements.lock"
    module = load_lock_module(copy_of_project)
    version = module.pins(lock.read_text())["numpy"]
    lock.write_text(lock.read_text().replace(f"\nnumpy=={version} ", "\nnumpy==1.0.0 "))
    assert any("numpy==1.0.0 does not satisfy" in p for p in module.problems())


def test_a_hand_edited_requirements_in_is_caught(copy_of_project):
    path = copy_of_project / "requirements.in"
    path.write_text(path.read_text() + "requests\n")
    assert any("requirements.in: differs" in p for p in load_lock_module(copy_of_project).problems())


def _normal(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


@pytest.mark.skipif(sys.prefix == sys.base_prefix, reason="not in a virtual environment made from the lock "
                                                          "(make install)")
def test_the_installed_environment_is_the_locked_one():
    pinned = load_lock_module(ROOT).pins((ROOT / "requirements.lock").read_text())
    installed = {_normal(d.metadata["Name"]): d.version for d in metadata.distributions()}
    differ = {name: (version, installed.get(name)) for name, version in pinned.items()
              if installed.get(name) != version}
    assert not differ, f"installed versions differ from requirements.lock (run `make install`): {differ}"
