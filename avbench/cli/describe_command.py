"""``avbench describe NAME``: what a plugin is, takes, reads and cites, from its own declarations.

Everything shown comes from the plugin class: its kind and modality, its output kind and shape,
its ``Params`` model (type, default, bounds and description of every parameter), the files
:meth:`~avbench.contract.Plugin.input_files` names, ``cites`` and ``stochastic``. A resource that
is not configured here is reported by what the plugin would read, never as a failure.

``--markdown`` renders the same for documentation (``docs/plugins.md``): it ignores this machine's
configuration (``AVBENCH_*`` variables) and shows file names without folders, so the page is the
same everywhere.
"""

from __future__ import annotations

import argparse
import enum
import json
import re
import os
import sys
import textwrap
import types
import typing
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from avbench.contract import Extractor, Plugin, RunContext
from avbench.registry import PluginInfo, Registry

DOCS_COMMAND = "python -m avbench.cli.main describe --all --distribution avbench-plugins --markdown > docs/plugins.md"
BOUND_NAMES = {annotated_types.Ge: "ge", annotated_types.Gt: "gt", annotated_types.Le: "le",
               annotated_types.Lt: "lt", annotated_types.MinLen: "min_length", annotated_types.MaxLen: "max_length"}
BOUND_SYMBOLS = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<", "min_length": "length >=", "max_length": "length <="}


def type_name(annotation: Any) -> str:
    """A readable name of a parameter's type: ``int | None``, ``'max' | 'one'``, ``dict[str, float]``."""
    if annotation is None or annotation is type(None):
        return "None"
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_name(args[0])
    if origin is typing.Literal:
        return " | ".join(json.dumps(a.value if isinstance(a, enum.Enum) else a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_name(a) for a in args)
    if origin is not None:
        inner = ", ".join("..." if a is Ellipsis else type_name(a) for a in args)
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]" if inner else getattr(origin, "__name__", "")
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return " | ".join(json.dumps(m.value) for m in annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"{annotation.__name__} (object)"
    return getattr(annotation, "__name__", str(annotation))


def bounds_of(field: FieldInfo) -> dict[str, Any]:
    """The numeric and length bounds a field declares (``ge``, ``gt``, ``le``, ``lt``, ``min_length``...)."""
    bounds: dict[str, Any] = {}
    for meta in field.metadata:
        for bound_type, key in BOUND_NAMES.items():
            if isinstance(meta, bound_type):
                bounds[key] = getattr(meta, key)
    return bounds


def parameters(params_cls: type[BaseModel]) -> list[dict[str, Any]]:
    """One entry per parameter, in declaration order: name, type, default, bounds, description."""
    defaults = params_cls().model_dump(mode="json")
    # a parameter whose default a plugin leaves out of its dump (to keep older keys) still shows it
    return [{"name": name, "type": type_name(field.annotation),
             "default": defaults[name] if name in defaults else field.get_default(call_default_factory=True),
             "bounds": bounds_of(field), "description": (field.description or "").strip()}
            for name, field in params_cls.model_fields.items()]


def input_files_report(plugin: Plugin, portable: bool) -> dict[str, Any]:
    """``{"files": {what: path}}`` the plugin reads besides clip media, or ``{"missing": why}``.

    ``portable`` keeps only file names, so that the report holds no path of this machine.
    """
    plugin.setup(RunContext(resources={}))
    try:
        found = dict(plugin.input_files())
    except Exception as exc:  # not configured here: say what it would read
        return {"missing": str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}
    return {"files": {key: Path(path).name if portable else str(path) for key, path in sorted(found.items())}}


def describe_plugin(info: PluginInfo, portable: bool = False) -> dict[str, Any]:
    """Everything ``avbench describe`` shows about one plugin, as plain data."""
    cls = info.cls
    out = info.describe()
    doc = (cls.__dict__.get("__doc__") or "").strip()  # its own docstring, not a base class's
    out.update({"details": _dedent(doc) if doc else "", "parameters": parameters(cls.Params)})
    try:
        plugin = cls()
    except Exception as exc:
        out["error"] = f"cannot be built with default parameters: {type(exc).__name__}: {exc}".splitlines()[0]
        return out
    if isinstance(plugin, Extractor):
        try:
            shape = plugin.output_shape()
            out["output_shape"] = list(shape) if shape is not None else None
        except Exception as exc:
            out["output_shape"] = None
            out["output_shape_error"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
    out["input_files"] = input_files_report(plugin, portable)
    return out


def _dedent(doc: str) -> str:
    lines = doc.splitlines()
    return (lines[0].strip() + "\n" + textwrap.dedent("\n".join(lines[1:]))).strip()


@contextmanager
def unconfigured_environment() -> Iterator[None]:
    """Hide the ``AVBENCH_*`` variables for a while, so output does not depend on this machine's set-up."""
    saved = {key: os.environ.pop(key) for key in list(os.environ) if key.startswith("AVBENCH_")}
    try:
        yield
    finally:
        os.environ.update(saved)


def _shape_text(shape: list[int | None] | None) -> str:
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")" \
        if shape is not None else "not declared"


def _bounds_text(bounds: dict[str, Any]) -> str:
    return ", ".join(f"{BOUND_SYMBOLS[k]} {v}" for k, v in bounds.items())


def _summary_rows(d: dict[str, Any], code: str = "") -> list[tuple[str, str]]:
    """(label, text) lines shared by the text and Markdown renderings."""
    rows = [("version", d["version"]), ("package", f"{d['distribution']} ({code}{d['module']}{code})")]
    if "modality" in d:
        rows.append(("modality", d["modality"]))
    if "output_kind" in d:
        shape, varies = d.get("output_shape"), " (? varies per clip)" if None in (d.get("output_shape") or []) else ""
        shape = (f"shape {code}{_shape_text(shape)}{code} with default parameters{varies}"
                 if shape is not None else "shape not declared")
        rows.append(("output", f"{d['output_kind']}, {shape}"))
    if "accepts" in d:
        rows.append(("accepts", ", ".join(d["accepts"])))
    if d.get("corpus"):
        rows.append(("corpus", "; ".join(f"{k.replace('_', ' ')} {', '.join(map(str, v)) if isinstance(v, list) else v}"
                                          for k, v in d["corpus"].items())))
    rows.append(("stochastic", "yes: its output depends on the seed" if d["stochastic"] else "no"))
    files = d.get("input_files", {})
    if "files" in files:
        reads = "; ".join(f"{k}: {code}{v}{code}" for k, v in files["files"].items()) or "nothing besides clip media"
    elif "missing" in files:
        reads = files["missing"] if code else f"not configured here: {files['missing']}"
    else:
        reads = "unknown"
    rows.append(("reads", reads))
    if d["cites"]:
        rows.append(("cites", d["cites"]))
    if "error" in d:
        rows.append(("error", d["error"]))
    return rows


#: ``:func:`calibrated` ``, ``:class:`~a.b.C` ``: a Sphinx role, rendered as its target's last part.
SPHINX_ROLE = re.compile(r":(?:[a-z]+:)?[a-z]+:`~?(?:[^`<]*<)?([^`>]+)>?`")


def plain(text: str) -> str:
    """Docstring text as plain text for a terminal: Sphinx roles and double backquotes become the bare name."""
    text = SPHINX_ROLE.sub(lambda m: m.group(1).rsplit(".", 1)[-1] if "." in m.group(1) and
                           not m.group(1).startswith(".") else m.group(1), text)
    return re.sub(r"``([^`]+)``", r"\1", text)


def render_text(d: dict[str, Any]) -> str:
    from tabulate import tabulate

    lines = [f"{d['name']} ({d['kind']}): {plain(d['description'])}"]
    lines += [f"  {label + ':':<12}{plain(str(text))}" for label, text in _summary_rows(d)]
    if d["details"] and d["details"] != d["description"]:
        lines += ["", *("  " + line if line else "" for line in plain(d["details"]).splitlines())]
    if d["parameters"]:
        rows = [[p["name"], p["type"], json.dumps(p["default"]), _bounds_text(p["bounds"]), plain(p["description"])]
                for p in d["parameters"]]
        lines += ["", tabulate(rows, headers=["parameter", "type", "default", "bounds", "description"])]
    else:
        lines += ["", "no parameters"]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(described: Iterable[dict[str, Any]]) -> str:
    """One page documenting every described plugin, grouped by kind, in name order."""
    described = sorted(described, key=lambda d: (d["kind"], d["name"]))
    out = ["# Plugins", "",
           "<!-- generated from the plugins' own declarations; do not edit. Regenerate with:", f"     {DOCS_COMMAND} -->",
           "",
           "Every first-party plugin: what it takes (each parameter's type, default, bounds and meaning), what it",
           "gives, what it reads besides clip media and what it cites. `avbench describe NAME` prints the same for",
           "any installed plugin (`--json` for machine-readable output).", ""]
    kinds = sorted({d["kind"] for d in described})
    for kind in kinds:
        names = ", ".join(f"[`{d['name']}`](#{_anchor(d['name'])})" for d in described if d["kind"] == kind)
        out.append(f"- **{kind}**: {names}")
    for d in described:
        out += ["", f"## {d['name']}", "", f"{d['kind']}: {_cell(d['description'])}", "", "| | |", "|---|---|"]
        out += [f"| {label} | {_cell(text)} |" for label, text in _summary_rows(d, code="`")]
        if d["details"] and d["details"] != d["description"]:
            out += ["", d["details"]]
        out.append("")
        if d["parameters"]:
            out += ["| parameter | type | default | bounds | description |", "|---|---|---|---|---|"]
            out += [f"| `{p['name']}` | `{_cell(p['type'])}` | `{_cell(json.dumps(p['default']))}` | "
                    f"{_cell(_bounds_text(p['bounds']))} | {_cell(p['description'])} |" for p in d["parameters"]]
        else:
            out.append("No parameters.")
    return "\n".join(out) + "\n"


def _anchor(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalnum() or c in "-_ ").replace(" ", "-")


def selected(registry: Registry, args: argparse.Namespace) -> list[PluginInfo]:
    """The plugins named on the command line, or every one (of ``--distribution``) with ``--all``."""
    if args.all:
        return [registry.plugins[n] for n in registry.names()
                if not args.distribution or registry.plugins[n].source in args.distribution]
    return [registry.info(name) for name in args.names]


def run_describe(args: argparse.Namespace) -> int:
    """Print the descriptions; exit 2 (via the CLI's error handling) for an unknown plugin name."""
    from avbench.cli.main import registry_for

    if not args.all and not args.names:
        print("avbench describe: name one or more plugins, or give --all", file=sys.stderr)
        return 2
    registry = registry_for(args)
    infos = selected(registry, args)
    if args.markdown:
        with unconfigured_environment():
            print(render_markdown(describe_plugin(i, portable=True) for i in infos), end="")
    elif args.json:
        print(json.dumps([describe_plugin(i) for i in infos] if args.all or len(infos) > 1
                         else describe_plugin(infos[0]), indent=2))
    else:
        print("\n\n".join(render_text(describe_plugin(i)) for i in infos))
    return 0


def add_describe_parser(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> argparse.ArgumentParser:
    """Add the ``describe`` sub-command; its handler is ``args.func``."""
    parser = subparsers.add_parser("describe", help="a plugin's parameters (type, default, bounds, meaning), "
                                   "output, files it reads and what it cites", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help="plugin names (see avbench list)")
    parser.add_argument("--all", action="store_true", help="every installed plugin")
    parser.add_argument("--distribution", action="append", metavar="DIST",
                        help="with --all: only plugins of this distribution (repeatable)")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="machine-readable output")
    output.add_argument("--markdown", action="store_true",
                        help="a documentation page, independent of this machine's configuration")
    parser.set_defaults(func=run_describe)
    return parser
