"""Expected failures: declared on the class (``_xfail_checks``) or by the caller, reported with the reason."""

from __future__ import annotations

from tests.conformance import conformance_samples as samples
from avbench.testing import check_plugin


class KnownNoisy(samples.NoisyStats):
    """Declares its nondeterminism."""

    name = "known-noisy"
    _xfail_checks = {"check_deterministic": "the upstream library is not seedable",
                     "check_picklable_after_use": "same cause"}


class OverCautious(samples.LevelStats):
    """Declares a failure that does not happen."""

    name = "over-cautious"
    _xfail_checks = {"check_deterministic": "thought it was random"}


def by_check(results):
    return {r.check: r for r in results}


def test_a_check_declared_in_xfail_checks_is_an_expected_failure_with_its_reason():
    result = by_check(check_plugin(KnownNoisy, checks=["check_deterministic"]))["check_deterministic"]
    assert result.status == "xfail"
    assert "not seedable" in result.reason


def test_the_caller_can_mark_expected_failures_by_check_or_by_plugin_and_check():
    by_name = check_plugin(samples.NoisyStats, {"check_deterministic": "known"}, checks=["check_deterministic"])
    by_pair = check_plugin(samples.NoisyStats, {"noisy-stats:check_deterministic": "known"},
                           checks=["check_deterministic"])
    other = check_plugin(samples.NoisyStats, {"level-stats:check_deterministic": "not this one"},
                         checks=["check_deterministic"])
    assert [r.status for r in by_name + by_pair + other] == ["xfail", "xfail", "failed"]


def test_an_expected_failure_that_passes_is_reported_so_it_can_be_removed():
    result = by_check(check_plugin(OverCautious, checks=["check_deterministic"]))["check_deterministic"]
    assert result.status == "passed"
    assert "remove it" in result.reason
