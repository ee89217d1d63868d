"""Every first-party plugin (distribution ``avbench-plugins``) passes every conformance check that applies.

A check that needs an absent resource (a model file named by ``AVBENCH_MODELS``)
skips with the reason. Known failures are expected failures with their reasons:
on the plugin class (``_xfail_checks``), or in ``EXPECTED_FAILURES`` below while
the plugin's owner fixes them.
"""

from __future__ import annotations

from avbench.registry import get_registry
from avbench.testing import parametrize_with_checks
from avbench.testing.runner import broken_lines

DISTRIBUTION = "avbench-plugins"

EXPECTED_FAILURES: dict[str, str] = {}


def test_every_first_party_entry_point_loads():
    assert broken_lines(get_registry(), DISTRIBUTION) == []


@parametrize_with_checks([f"dist:{DISTRIBUTION}"], expected_failures=EXPECTED_FAILURES)
def test_first_party_plugin_conforms(avbench_check):
    avbench_check()
