"""``avbench data verify NAME --manifest FILE``: a dataset tree against a published checksum list."""

from __future__ import annotations

import argparse
from pathlib import Path

from avbench.contract.errors import AvbenchError


class DataCommandError(AvbenchError):
    """A dataset whose root cannot be found, or a checksum list that cannot be read."""


def add_data_parser(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> argparse.ArgumentParser:
    parser = subparsers.add_parser("data", help="dataset tools: verify a tree against a checksum list")
    verbs = parser.add_subparsers(dest="verb", required=True)
    p = verbs.add_parser("verify", help="check a dataset's files against a published checksum list: missing, "
                                        "extra and mismatched files, one line each; exit 1 on any")
    p.add_argument("name", help="the dataset as the config names it (its root: --root, --data, its variable "
                                "or the config's root)")
    p.add_argument("--manifest", required=True, type=Path,
                   help="checksum list: 'PATH sha256:HEX SIZE' lines (Git LFS) or sha256sum output")
    p.add_argument("--root", type=Path, help="the dataset's root folder (default: from the config)")
    p.add_argument("--data", action="append", metavar="NAME=PATH", help="root folder of dataset NAME")
    p.add_argument("--config", default="benchmark.toml", help="benchmark file naming the dataset")
    p.set_defaults(func=cmd_data_verify)
    return parser


def dataset_root(args: argparse.Namespace) -> Path:
    """``--root``, else the root the config gives the dataset (``--data``, its variable, the file)."""
    if args.root is not None:
        return args.root
    from avbench.config.loader import load_config, parse_data_overrides, resolve_dataset_root

    overrides = parse_data_overrides(args.data or [])
    config_path = Path(args.config)
    config = load_config(config_path)
    if args.name not in config.datasets:
        raise DataCommandError(f"{config_path}: no dataset {args.name!r} (has {', '.join(config.datasets)}); "
                               "give --root PATH")
    root = resolve_dataset_root(args.name, config, config_path.resolve().parent, overrides)
    if root is None:
        ref = config.datasets[args.name]
        raise DataCommandError(f"dataset {args.name!r} has no root: set {ref.env_var(args.name)}, pass "
                               f"--data {args.name}=PATH or --root PATH")
    return root


def cmd_data_verify(args: argparse.Namespace) -> int:
    from avbench.integrity.checksums import ManifestError, listed_root, read_manifest, verify_tree

    root = dataset_root(args)
    if not root.is_dir():
        raise DataCommandError(f"dataset {args.name!r}: root {root} is not a folder")
    try:
        entries = read_manifest(args.manifest)
    except ManifestError as exc:
        raise DataCommandError(str(exc)) from None
    root = listed_root(root, entries)
    report = verify_tree(root, entries)
    for line in report.lines():
        print(line)
    print(f"{args.name} at {root}: {len(entries)} listed, {report.checked} present; {len(report.missing)} missing, "
          f"{len(report.extra)} extra, {len(report.mismatched)} mismatched "
          f"({'OK' if report.ok else 'FAILED'} against {args.manifest})")
    return 0 if report.ok else 1
