"""``avbench new-plugin KIND NAME``: write a minimal installable plugin package (see :mod:`avbench.scaffold`)."""

from __future__ import annotations

import argparse

from avbench.scaffold import KINDS, new_plugin_package


def add_new_plugin_parser(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> argparse.ArgumentParser:
    """Add the ``new-plugin`` sub-command; its handler is ``args.func`` (= :func:`run_new_plugin`)."""
    parser = subparsers.add_parser(
        "new-plugin", help="write a minimal plugin package to start from",
        description="Write avbench-NAME/: a working KIND plugin, its pyproject entry point, a test file "
                    "running the conformance checks, a README and CI snippets.")
    parser.add_argument("kind", choices=KINDS, metavar="KIND", help=f"one of: {', '.join(KINDS)}")
    parser.add_argument("name", metavar="NAME", help="plugin name (lower case, e.g. savee)")
    parser.add_argument("--dest", default=".", metavar="DIR", help="folder to create the package in (default: .)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing package folder")
    parser.set_defaults(func=run_new_plugin)
    return parser


def run_new_plugin(args: argparse.Namespace) -> int:
    """Generate the package and say what to do next; a ScaffoldError (AvbenchError) propagates to the CLI."""
    root = new_plugin_package(args.kind, args.name, args.dest, force=args.force)
    print(f"wrote {root}")
    print(f"next: pip install -e '{root}[test]' && avbench check {args.name} && pytest {root}")
    return 0
