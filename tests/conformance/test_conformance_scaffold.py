"""``avbench new-plugin``: the generated package is installable and its plugin passes the conformance suite."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tomllib

import pytest

from avbench.registry import Registry, new_manager
from avbench.scaffold import KINDS, ScaffoldError, new_plugin_package
from avbench.testing import check_plugin


@pytest.fixture()
def generated(tmp_path, monkeypatch):
    """Generate a package and import its plugin module from the source tree (not installed)."""
    def make(kind: str, name: str):
        root = new_plugin_package(kind, name, tmp_path)
        monkeypatch.syspath_prepend(str(root / "src"))
        module_name = tomllib.loads((root / "pyproject.toml").read_text())["project"]["entry-points"]["avbench"][name]
        module = importlib.import_module(module_name)
        registry = Registry(new_manager())
        registry.register_module(module, root.name)
        return root, registry
    yield make
    for name in [m for m in sys.modules if m.startswith("avbench_scaffolded")]:
        del sys.modules[name]


@pytest.mark.parametrize("kind", KINDS)
def test_the_generated_plugin_of_each_kind_registers_and_passes_every_check(generated, kind):
    name = "scaffolded-" + kind.replace("_", "-")
    root, registry = generated(kind, name)
    assert registry.problems() == []
    assert registry.names() == [name]
    results = check_plugin(name, registry=registry)
    assert [r.line() for r in results if r.status != "passed"] == []


def test_the_generated_package_declares_its_entry_point_tests_and_ci(tmp_path):
    root = new_plugin_package("dataset", "savee", tmp_path)
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    assert project["name"] == "avbench-savee"
    assert project["entry-points"]["avbench"] == {"savee": "avbench_savee.plugin"}
    assert "parametrize_with_checks" in (root / "tests/test_conformance.py").read_text()
    assert "avbench check savee" in (root / ".github/workflows/avbench-check.yml").read_text()
    assert os.access(root / "ci/check.sh", os.X_OK)


def test_the_generated_tests_run_the_conformance_suite_and_pass(tmp_path):
    root = new_plugin_package("dataset", "scaffolded-tests", tmp_path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "passed" in proc.stdout and "failed" not in proc.stdout


@pytest.mark.parametrize("kind, name", [("dataset", "Bad Name"), ("dataset", "-x"), ("widget", "fine")])
def test_a_bad_kind_or_name_is_refused_with_the_rule(tmp_path, kind, name):
    with pytest.raises(ScaffoldError, match="expected one of|lower-case"):
        new_plugin_package(kind, name, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_package_folder_is_not_overwritten_without_force(tmp_path):
    root = new_plugin_package("protocol", "folds", tmp_path)
    (root / "README.md").write_text("mine")
    with pytest.raises(ScaffoldError, match="already exists"):
        new_plugin_package("protocol", "folds", tmp_path)
    assert (root / "README.md").read_text() == "mine"
    new_plugin_package("protocol", "folds", tmp_path, force=True)
    assert (root / "README.md").read_text() != "mine"
