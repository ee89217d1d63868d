"""The generated package's CI takes avbench from ``AVBENCH_PIP_SPEC``: an index name, a path or a git URL."""

from __future__ import annotations

import os
import subprocess

from avbench.scaffold import new_plugin_package


def test_generated_ci_installs_avbench_from_avbench_pip_spec_defaulting_to_the_index_name(tmp_path):
    root = new_plugin_package("model", "ci-source", tmp_path / "src")
    workflow = (root / ".github/workflows/avbench-check.yml").read_text()
    assert "AVBENCH_PIP_SPEC: ${{ vars.AVBENCH_PIP_SPEC || 'avbench' }}" in workflow
    assert 'python -m pip install "$AVBENCH_PIP_SPEC"' in workflow
    assert "pip install avbench\n" not in workflow


def test_check_script_installs_the_given_avbench_spec_before_the_package(tmp_path):
    root = new_plugin_package("model", "ci-source", tmp_path / "src")
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    calls = tmp_path / "calls"
    for tool in ("python", "avbench"):  # record the commands instead of installing anything
        (fake_bin / tool).write_text(f'#!/bin/sh\necho "{tool} $*" >> "{calls}"\n')
        (fake_bin / tool).chmod(0o755)
    env = {**os.environ, "PATH": f"{fake_bin}:{os.environ['PATH']}",
           "AVBENCH_PIP_SPEC": "git+https://example.org/avbench.git"}
    subprocess.run([str(root / "ci/check.sh")], env=env, check=True, timeout=30)
    lines = calls.read_text().splitlines()
    assert lines[0] == "python -m pip install git+https://example.org/avbench.git"
    assert lines[1] == 'python -m pip install -e .[test]' and lines[-1] == "avbench check ci-source"
