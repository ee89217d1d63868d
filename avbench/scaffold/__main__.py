"""``python -m avbench.scaffold KIND NAME [--dest DIR] [--force]``: the same as ``avbench new-plugin``."""

import argparse
import sys

from avbench.cli.new_plugin_command import add_new_plugin_parser
from avbench.contract.errors import AvbenchError

parser = argparse.ArgumentParser(prog="python -m avbench.scaffold")
add_new_plugin_parser(parser.add_subparsers(dest="command", required=True))
args = parser.parse_args(["new-plugin", *sys.argv[1:]])
try:
    sys.exit(args.func(args))
except AvbenchError as exc:
    print(f"error: {exc}", file=sys.stderr)
    sys.exit(2)
