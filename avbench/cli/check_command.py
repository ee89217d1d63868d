"""``avbench check NAME ...``: run plugin conformance checks (see :mod:`avbench.testing`)."""

from __future__ import annotations

import argparse

from avbench.testing.cli import DESCRIPTION, configure_check_parser, run_check_command


def add_check_parser(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> argparse.ArgumentParser:
    """Add the ``check`` sub-command; its handler is ``args.func`` (= :func:`run_check`)."""
    parser = subparsers.add_parser("check", help="run the conformance checks of installed plugins",
                                   description=DESCRIPTION)
    configure_check_parser(parser)
    parser.set_defaults(func=run_check)
    return parser


def run_check(args: argparse.Namespace) -> int:
    """Print the report and return the exit code (1 when any check failed)."""
    return run_check_command(args)
