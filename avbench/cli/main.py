"""The ``avbench`` command: list, run, check, leaderboard, new-plugin."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from avbench import __version__
from avbench.contract.errors import AvbenchError
from avbench.registry import Registry, discover

EXIT_USAGE = 2


def registry_for(args: argparse.Namespace) -> Registry:
    registry = discover(strict=getattr(args, "strict", False))
    import avbench.registry as registry_module

    registry_module._cached = registry  # the CLI's registry is the process registry
    return registry


def cmd_list(args: argparse.Namespace) -> int:
    registry = registry_for(args)
    plugins = [registry.plugins[n].describe() for n in registry.names()]
    broken = [{"source": b.source, "target": b.target, "name": b.name, "error": b.error} for b in registry.broken]
    duplicates = {n: [f"{i.source} ({i.module})" for i in infos] for n, infos in registry.duplicates.items()}
    if args.json:
        print(json.dumps({"plugins": plugins, "broken": broken, "duplicates": duplicates}, indent=2))
        return 0
    from tabulate import tabulate

    rows = [[p["kind"], p["name"], p["version"], p.get("modality", ""), p.get("output_kind", "")
             or ",".join(p.get("accepts", [])), p["distribution"], p["description"][:60]] for p in plugins]
    print(tabulate(sorted(rows), headers=["kind", "name", "version", "modality", "output/accepts", "package",
                                          "description"]))
    for b in broken:
        print(f"BROKEN {b['source']}: {b['target']}: {b['error']}")
    for n, sources in duplicates.items():
        print(f"DUPLICATE plugin name {n!r}: provided by {' and '.join(sources)}")
    return 0


def config_file(args: argparse.Namespace) -> str:
    """The config ``avbench run`` reads: the one named; else ``./benchmark.toml``, written from the starter when absent.

    A folder with no ``benchmark.toml`` (a fresh wheel install, say) gets the starter config that ships in
    the package (the synthetic demo), with one line saying so, and runs it.
    """
    from .starter import DEFAULT_CONFIG, write_starter

    if args.file is not None:
        return args.file
    if not Path(DEFAULT_CONFIG).exists() and args.dry_run:  # a dry run writes nothing, not even the starter
        raise AvbenchError(f"no {DEFAULT_CONFIG} here: `avbench init` writes the starter config (the synthetic "
                           f"demo), or name a config file")
    if not Path(DEFAULT_CONFIG).exists():
        path = write_starter(Path.cwd())
        print(f"avbench: no {DEFAULT_CONFIG} here: wrote the starter config (the synthetic demo) to {path}; "
              f"edit it to add your data", file=sys.stderr)
    return DEFAULT_CONFIG


def cmd_init(args: argparse.Namespace) -> int:
    from .starter import DEFAULT_CONFIG, write_starter

    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        path = write_starter(folder)
    except FileExistsError:
        print(f"avbench: {folder / DEFAULT_CONFIG} exists: left as it is (remove it to start again)", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {path}: the synthetic demo; run it with `avbench run` in {folder}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from avbench.config.loader import parse_data_overrides

    args.file = config_file(args)
    registry = registry_for(args)
    if args.dry_run:
        from avbench.runner.dry_run import dry_run

        report = dry_run(args.file, only=args.only, data_overrides=parse_data_overrides(args.data or []),
                         registry=registry, strict=args.strict, retry_failed=args.retry_failed)
        print("\n".join(report.lines()))
        return 0
    from avbench.runner.run import run_benchmark

    summary = run_benchmark(args.file, only=args.only, data_overrides=parse_data_overrides(args.data or []),
                            workers=args.workers, registry=registry, progress=not args.no_progress,
                            strict=args.strict, retry_failed=args.retry_failed, verbose=args.verbose,
                            executor=args.executor, address=args.address)
    from .run_report import report_lines

    print("\n".join(report_lines(summary)))
    return summary.exit_code


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from avbench.config.loader import load_config
    from avbench.runner.leaderboard_stamp import render_unless_unchanged

    registry = registry_for(args)
    path = Path(args.file).resolve()
    config = load_config(path, registry)
    print(f"leaderboard: {render_unless_unchanged(config, path.parent, registry, force=args.force)}")
    return 0


#: Commands defined here; the others live in their own modules, imported only when asked for (or for help),
#: so that ``avbench run`` does not pay for their imports (``compare`` pulls in scikit-learn).
CORE_COMMANDS = frozenset({"list", "run", "leaderboard", "init"})


def command_of(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` names (its first word that is not an option), if any."""
    return next((a for a in argv if not a.startswith("-")), None)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The CLI's parser; given the ``command`` about to run, only that command's module is imported."""
    parser = argparse.ArgumentParser(prog="avbench", description=__doc__)
    parser.add_argument("--version", action="version", version=f"avbench {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list installed plugins (and broken ones)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--strict", action="store_true", help="fail if any plugin is broken")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("init", help="write the starter benchmark.toml (the synthetic demo) into a folder")
    p.add_argument("folder", nargs="?", default=".")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("run", help="run a benchmark (resumes: finished folds are not recomputed)")
    p.add_argument("file", nargs="?", default=None,
                   help="the config (default: ./benchmark.toml; where there is none, the starter demo is written)")
    p.add_argument("--only", nargs="+", action="extend", metavar="NAME",
                   help="run only these experiments (repeatable: the names add up)")
    p.add_argument("--data", action="append", metavar="NAME=PATH", help="root folder of dataset NAME")
    p.add_argument("--workers", type=int, help="worker processes (default: config, else all cores)")
    p.add_argument("--executor", choices=["local", "ray"], help="where units run (default: config, else local)")
    p.add_argument("--address", metavar="ADDR", help="Ray cluster to join, e.g. ray://head:10001 (implies ray)")
    p.add_argument("--strict", action="store_true",
                   help="fail if any plugin is broken or a dataset or resource is not configured")
    p.add_argument("--retry-failed", action="store_true",
                   help="forget remembered bad-media verdicts and extract those clips again")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("-v", "--verbose", action="store_true", help="name every experiment skipped as not configured")
    p.add_argument("--dry-run", action="store_true",
                   help="plan only: say per experiment and protocol what is done and what would run or be "
                        "extracted; compute and write nothing")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("leaderboard", help="re-render leaderboards from stored results (no recomputation)")
    p.add_argument("file", nargs="?", default="benchmark.toml")
    p.add_argument("--strict", action="store_true")
    p.add_argument("--force", action="store_true",
                   help="render even when nothing it is made of changed since the last render")
    p.set_defaults(func=cmd_leaderboard)

    if command in CORE_COMMANDS:
        return parser
    try:
        from .check_command import add_check_parser

        add_check_parser(sub)
    except ImportError:
        pass
    try:
        from .describe_command import add_describe_parser

        add_describe_parser(sub)
    except ImportError:
        pass
    try:
        from .compare_command import add_compare_parser

        add_compare_parser(sub)
    except ImportError:
        pass
    try:
        from .exchange_command import add_exchange_parsers

        add_exchange_parsers(sub)
    except ImportError:
        pass
    try:
        from .data_command import add_data_parser

        add_data_parser(sub)
    except ImportError:
        pass
    try:
        from .new_plugin_command import add_new_plugin_parser

        add_new_plugin_parser(sub)
    except ImportError:
        pass
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(command_of(argv)).parse_args(argv)
    from avbench.runner.failures import ClusterLost

    try:
        return int(args.func(args) or 0)
    except ClusterLost as exc:  # the Ray cluster went away mid-run: what is kept, how to resume
        from avbench.runner.run import EXIT_CLUSTER_LOST

        print(f"avbench: {exc.line()}", file=sys.stderr)
        return EXIT_CLUSTER_LOST
    except AvbenchError as exc:
        for line in str(exc).splitlines():
            print(f"avbench: {line}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("avbench: interrupted (SIGINT); workers stopped; finished folds are stored and will not be "
              "recomputed", file=sys.stderr)
        return 130
    except BaseException as exc:
        from avbench.runner.run import RunInterrupted

        if not isinstance(exc, RunInterrupted):
            raise
        print(f"avbench: stopped ({exc}); workers stopped; finished folds are stored and will not be recomputed",
              file=sys.stderr)
        return 128 + exc.signum


if __name__ == "__main__":
    sys.exit(main())
