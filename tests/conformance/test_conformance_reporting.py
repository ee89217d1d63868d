"""``run_checks`` / ``format_results`` and the ``avbench check`` command built on them."""

from __future__ import annotations

import argparse
import json
import types

import pytest

from tests.conformance import conformance_samples as samples
from avbench import hookimpl
from avbench.registry import Registry, new_manager
from avbench.testing import CheckResult, format_results, run_checks


@pytest.fixture()
def registry():
    reg = Registry(new_manager())
    reg.register_module(samples, "conformance-samples")
    return reg


def test_format_results_prints_failures_with_reasons_and_exits_one():
    lines, code = format_results([
        CheckResult("a", "check_x", "passed"),
        CheckResult("a", "check_y", "failed", "boom\nsecond line"),
        CheckResult("b", "check_z", "xfail", "known"),
        CheckResult("b", "check_w", "skipped", "no model file"),
    ])
    assert lines[:3] == ["FAILED a::check_y: boom second line", "XFAIL b::check_z: known",
                         "SKIPPED b::check_w: no model file"]
    assert lines[-1] == "2 plugin(s), 4 check(s): 1 passed, 1 failed, 1 xfail, 1 skipped"
    assert code == 1


def test_format_results_exits_zero_when_nothing_failed():
    lines, code = format_results([CheckResult("a", "check_x", "passed"), CheckResult("a", "check_y", "xfail", "r")])
    assert code == 0 and not any(line.startswith("PASSED") for line in lines)


def test_run_checks_by_name_checks_the_named_installed_plugins(registry):
    results = run_checks(["subject-kfold"], registry)
    assert {r.plugin for r in results} == {"subject-kfold"}
    assert all(r.status == "passed" for r in results)


def test_an_unknown_name_is_one_failed_result_with_a_suggestion(registry):
    [result] = run_checks(["subject-kfol"], registry)
    assert (result.check, result.status) == ("check_loads", "failed")
    assert "subject-kfold" in result.reason


def test_checking_everything_reports_broken_entries_too():
    module = types.ModuleType("bad_plugins")
    module.avbench_plugins = hookimpl(lambda: [samples.BadName])
    reg = Registry(new_manager())
    reg.register_module(module, "bad-dist")
    results = run_checks(None, reg)
    assert [(r.plugin, r.check, r.status) for r in results] == [("Bad Name", "check_loads", "failed")]
    assert "lower-case" in results[0].reason


def check_args(**overrides):
    defaults = dict(names=[], distribution=None, kind=None, checks=None, xfail=[], json_path=None, verbose=False)
    return argparse.Namespace(**{**defaults, **overrides})


def test_the_check_command_prints_one_line_per_failure_and_exits_one(registry, capsys):
    from avbench.testing.cli import run_check_command

    code = run_check_command(check_args(names=["subject-kfold", "nope"]), registry)
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert [line for line in out if line.startswith("FAILED")] == [
        "FAILED nope::check_loads: unknown plugin 'nope'"]


def test_the_check_command_honours_xfail_options_and_writes_json(registry, tmp_path, capsys):
    from avbench.testing.cli import run_check_command

    out_file = tmp_path / "results.json"
    code = run_check_command(check_args(names=["level-stats"], checks=["check_deterministic"],
                                        xfail=["check_deterministic=demo"], json_path=str(out_file)), registry)
    written = json.loads(out_file.read_text())
    assert code == 0
    assert [(r["check"], r["status"]) for r in written] == [("check_deterministic", "passed")]


def test_the_check_command_selects_a_kind(registry, capsys):
    from avbench.testing.cli import run_check_command

    assert run_check_command(check_args(kind="protocol"), registry) == 0
    assert "1 plugin(s)" in capsys.readouterr().out


def test_the_cli_subcommands_register_their_handlers():
    from avbench.cli.check_command import add_check_parser, run_check
    from avbench.cli.new_plugin_command import add_new_plugin_parser, run_new_plugin

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    add_check_parser(sub)
    add_new_plugin_parser(sub)
    args = parser.parse_args(["check", "a", "b", "--check", "check_picklable", "--xfail", "x=y"])
    assert (args.func, args.names, args.checks, args.xfail) == (run_check, ["a", "b"], ["check_picklable"], ["x=y"])
    args = parser.parse_args(["new-plugin", "dataset", "savee", "--dest", "out"])
    assert (args.func, args.kind, args.name, args.dest) == (run_new_plugin, "dataset", "savee", "out")
