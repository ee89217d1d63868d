"""``avbench export``, ``avbench import`` and ``avbench verify``: handing results over between installations."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_REFUSED = 1


def _registry(args: argparse.Namespace):
    from .main import registry_for

    return registry_for(args)


def _refused(lines: list[str]) -> int:
    for line in lines:
        print(f"avbench: {line}", file=sys.stderr)
    return EXIT_REFUSED


def cmd_export(args: argparse.Namespace) -> int:
    from avbench.config.loader import parse_data_overrides
    from avbench.exchange.bundle import BundleError
    from avbench.exchange.export import export_bundle

    try:
        result = export_bundle(args.file, args.output, only=args.only, submitter=args.submitter,
                               registry=_registry(args), data_overrides=parse_data_overrides(args.data or []),
                               log=lambda line: print(line, file=sys.stderr))
    except BundleError as exc:
        return _refused(exc.lines)
    print(f"exported {result.folds} fold(s) of {', '.join(result.experiments)} to {result.path}"
          + (f" ({len(result.left_out)} left out, named above)" if result.left_out else ""))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from avbench.config.loader import load_config, parse_data_overrides
    from avbench.exchange.bundle import BundleError
    from avbench.exchange.import_bundle import import_bundle
    from avbench.leaderboard.build import render_leaderboard

    registry = _registry(args)
    overrides = parse_data_overrides(args.data or [])
    try:
        result = import_bundle(args.bundle, args.file, registry=registry, data_overrides=overrides)
    except BundleError as exc:
        return _refused(exc.lines + ["bundle refused: nothing was merged"])
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"merged {result.folds} fold(s) submitted by {result.submitter} into {result.folder}"
          + (f" ({result.replaced} replace earlier submitted fold(s))" if result.replaced else ""))
    path = Path(args.file).resolve()
    print(f"leaderboard: {render_leaderboard(load_config(path, registry, overrides), path.parent, registry)}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from avbench.config.loader import parse_data_overrides
    from avbench.exchange.bundle import BundleError
    from avbench.exchange.verify import verify_bundle

    if args.local:
        return _verify_local(args)
    if args.bundle is None:
        print("avbench verify: give a BUNDLE, or --local to recompute the board's own rows here", file=sys.stderr)
        return EXIT_REFUSED

    try:
        verdicts = verify_bundle(args.bundle, args.file, args.folds, seed=args.seed, tolerance=args.tolerance,
                                 registry=_registry(args), data_overrides=parse_data_overrides(args.data or []),
                                 workers=args.workers, log=lambda line: print(line, file=sys.stderr))
    except BundleError as exc:
        return _refused(exc.lines)
    for verdict in verdicts:
        print(verdict.line())
    disagreeing = sum(not v.agrees for v in verdicts)
    print(f"{len(verdicts) - disagreeing} of {len(verdicts)} recomputed fold(s) agree with the bundle")
    return EXIT_REFUSED if disagreeing else 0


def _verify_local(args: argparse.Namespace) -> int:
    """``verify --local [FILE]``: recompute a sample of every row's folds here; exit 1 when one differs."""
    from avbench.config.loader import parse_data_overrides
    from avbench.exchange.verify_local import summary_line, verify_local

    if args.file != "benchmark.toml" and args.bundle is not None:
        print("avbench verify --local takes one FILE (the benchmark), not a bundle", file=sys.stderr)
        return EXIT_REFUSED
    checks = verify_local(args.bundle or args.file, args.folds or 1, only=args.only, tolerance=args.tolerance,
                          registry=_registry(args), data_overrides=parse_data_overrides(args.data or []),
                          workers=args.workers, log=lambda line: print(line, file=sys.stderr))
    for check in checks:
        print("\n".join(check.lines()))
    print(summary_line(checks))
    print("written to the board's verification.json; `avbench leaderboard` shows it on every row"
          if any(c.folds for c in checks) else "nothing recomputed: verification.json left as it was")
    return EXIT_REFUSED if any(not f["agrees"] for c in checks for f in c.folds) else 0


def add_exchange_parsers(sub: argparse._SubParsersAction) -> None:
    from avbench.exchange.verify import DEFAULT_TOLERANCE

    p = sub.add_parser("export", help="pack stored folds (records, predictions, fingerprints, fold definitions) "
                                      "into a bundle for another installation")
    p.add_argument("file", nargs="?", default="benchmark.toml")
    p.add_argument("--only", nargs="+", action="extend", metavar="NAME",
                   help="export only these experiments (repeatable: the names add up)")
    p.add_argument("-o", "--output", required=True, metavar="BUNDLE", help="a new folder, or a .tar.gz")
    p.add_argument("--submitter", help="who computed the results (default: git config user.name)")
    p.add_argument("--data", action="append", metavar="NAME=PATH", help="root folder of dataset NAME")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import", help="check a bundle against this config and data; store it as submitted results")
    p.add_argument("bundle", metavar="BUNDLE")
    p.add_argument("file", nargs="?", default="benchmark.toml")
    p.add_argument("--data", action="append", metavar="NAME=PATH", help="root folder of dataset NAME")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("verify", help="recompute K folds of a bundle (or, with --local, of each board row) here and "
                                      "compare their predictions")
    p.add_argument("bundle", metavar="BUNDLE", nargs="?", help="a bundle (with --local: the benchmark FILE)")
    p.add_argument("file", nargs="?", default="benchmark.toml")
    p.add_argument("--local", action="store_true",
                   help="recompute K folds of every row of the board here (library drift after a lock update) and "
                        "record the findings in the board's verification.json")
    p.add_argument("--only", nargs="+", metavar="NAME", help="with --local: only these experiments")
    p.add_argument("--folds", type=int, metavar="K",
                   help="recompute the first K folds (default: every fold that could alone make its row best, and "
                        "90%% of the folds drawn at random, so that one forged fold is caught with probability 0.9; "
                        "with --local: K folds of every row, default 1)")
    p.add_argument("--seed", type=int, help="draw the K folds with this seed (default: the first K, sorted)")
    p.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE,
                   help=f"largest probability difference that agrees (default {DEFAULT_TOLERANCE:g})")
    p.add_argument("--workers", type=int, help="worker processes (default 1)")
    p.add_argument("--data", action="append", metavar="NAME=PATH", help="root folder of dataset NAME")
    p.set_defaults(func=cmd_verify)
