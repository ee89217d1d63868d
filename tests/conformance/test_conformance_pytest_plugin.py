"""The pytest plugin: one test per check, expected failures as xfail, plugins named by marker or option."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent

TEST_FILE = '''
import pytest
import conformance_samples as samples
from avbench.testing import parametrize_with_checks


class KnownNoisy(samples.NoisyStats):
    """Declares its nondeterminism."""
    name = "known-noisy"
    _xfail_checks = {"check_deterministic": "upstream is not seedable",
                     "check_picklable_after_use": "upstream is not seedable"}


@parametrize_with_checks([samples.SubjectKFold, KnownNoisy, samples.ClipShuffle],
                         expected_failures={"clip-shuffle:check_folds_valid": "demo of a caller-side xfail"})
def test_decorated(avbench_check):
    avbench_check()


@pytest.mark.avbench_plugins([samples.Gain])
def test_marked(avbench_check):
    avbench_check()
'''


def run_pytest(tmp_path: Path, source: str, *args: str) -> tuple[dict[str, int], str]:
    (tmp_path / "test_plugin_checks.py").write_text(source)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rxXs", "-p", "no:cacheprovider", *args,
                           str(tmp_path / "test_plugin_checks.py")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    counts = {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|xfailed|xpassed|skipped|error)", proc.stdout)}
    return counts, proc.stdout


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    return run_pytest(tmp_path_factory.mktemp("plugin"), TEST_FILE)


def test_each_check_of_each_plugin_is_its_own_test(outcome):
    counts, out = outcome
    assert sum(counts.values()) == 8 + 12 + 8 + 11, out  # subject-kfold, known-noisy, clip-shuffle, gain


def test_a_broken_rule_fails_its_own_test_only(outcome):
    counts, out = outcome
    assert counts.get("failed") == 1, out
    assert "test_decorated[clip-shuffle-check_subjects_disjoint]" in out


def test_declared_and_caller_side_expected_failures_are_xfail_with_their_reasons(outcome):
    counts, out = outcome
    assert "upstream is not seedable" in out
    assert "test_decorated[clip-shuffle-check_folds_valid]" in out  # declared xfail but passes: XPASS
    assert counts.get("xfailed") == 2 and counts.get("xpassed") == 1, out


def test_plugins_can_be_named_on_the_command_line(tmp_path):
    counts, out = run_pytest(tmp_path, "def test_cli(avbench_check):\n    avbench_check()\n",
                             "--avbench-plugins", "no-such-plugin")
    assert counts == {"failed": 1}, out
    assert "unknown plugin 'no-such-plugin'" in out
