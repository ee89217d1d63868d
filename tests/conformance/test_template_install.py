"""CI's check of the template: a generated package really installs (pip, its own pyproject),
is discovered through its installed entry point, and its own tests and ``avbench check`` pass.

Installed with ``pip --target`` into a temporary folder, so the environment running the tests
is left as it was. ``scripts/check_template.sh`` does the same for every kind, in the environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from avbench.scaffold import new_plugin_package


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["dataset", "model"])
def test_a_generated_plugin_package_installs_and_passes_its_own_tests(tmp_path, kind):
    name = f"ci-template-{kind}"
    root = new_plugin_package(kind, name, tmp_path / "src")
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(site), str(root)], check=True, capture_output=True, timeout=300)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}

    listing = subprocess.run([sys.executable, "-m", "avbench.cli.main", "list", "--json"], env=env,
                             capture_output=True, text=True, check=True, timeout=300)
    plugins = {p["name"]: p for p in json.loads(listing.stdout)["plugins"]}
    assert plugins[name]["distribution"] == f"avbench-{name}"

    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=root, env=env,
                           capture_output=True, text=True, timeout=300)
    assert tests.returncode == 0, tests.stdout + tests.stderr

    check = subprocess.run([sys.executable, "-m", "avbench.cli.main", "check", name], env=env,
                           capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stdout + check.stderr
