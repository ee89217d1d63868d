"""``avbench check``: arguments and behaviour, shared by the avbench CLI and ``python -m avbench.testing``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from avbench.contract import PluginKind
from avbench.contract.errors import AvbenchError

DESCRIPTION = ("Run the conformance checks of installed plugins (all of them when no NAME is given). "
               "Prints one line per failed check with its reason, the expected failures and skips with "
               "theirs, and a summary; exits 1 when any check failed.")


def configure_check_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("names", nargs="*", metavar="NAME", help="installed plugin names (default: every plugin)")
    parser.add_argument("--distribution", metavar="DIST", help="only plugins of this installed distribution")
    parser.add_argument("--kind", choices=[k.value for k in PluginKind], help="only plugins of this kind")
    parser.add_argument("--check", dest="checks", action="append", metavar="CHECK",
                        help="run only this check (repeatable), e.g. check_deterministic")
    parser.add_argument("--xfail", action="append", default=[], metavar="[PLUGIN:]CHECK=REASON",
                        help="expect this check to fail, with the reason (repeatable)")
    parser.add_argument("--json", dest="json_path", metavar="FILE", help="also write every result to FILE as JSON")
    parser.add_argument("-v", "--verbose", action="store_true", help="list passed checks too")
    return parser


def parse_xfail(values: Sequence[str]) -> dict[str, str]:
    expected = {}
    for value in values:
        key, sep, reason = value.partition("=")
        if not sep or not key.strip() or not reason.strip():
            raise AvbenchError(f"--xfail {value!r}: expected [PLUGIN:]CHECK=REASON")
        expected[key.strip()] = reason.strip()
    return expected


def run_check_command(args: argparse.Namespace, registry=None) -> int:
    """Run the checks the arguments select, print the report, return the exit code."""
    from avbench.registry import get_registry

    from .results import format_results
    from .runner import run_checks, same_distribution

    registry = registry or get_registry()
    names = list(args.names)
    if not names and args.kind:
        names = [n for n in registry.names(args.kind)
                 if args.distribution is None or same_distribution(registry.plugins[n].source, args.distribution)]
        if not names:
            print(f"no installed {args.kind} plugin to check", file=sys.stderr)
            return 1
    results = run_checks(names or None, registry, expected_failures=parse_xfail(args.xfail), checks=args.checks,
                         distribution=args.distribution)
    lines, code = format_results(results, verbose=args.verbose)
    print("\n".join(lines))
    if args.json_path:
        Path(args.json_path).write_text(json.dumps([r.to_dict() for r in results], indent=2) + "\n")
    return code


def main(argv: Sequence[str] | None = None) -> int:
    parser = configure_check_parser(argparse.ArgumentParser(prog="python -m avbench.testing", description=DESCRIPTION))
    args = parser.parse_args(argv)
    try:
        return run_check_command(args)
    except AvbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
