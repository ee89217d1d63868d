"""Plugin discovery: entry points of group ``avbench``, each loaded in isolation.

A module that fails to import, or a class that breaks the contract, is listed as
broken with its error; everything else keeps working. ``strict`` turns any
broken entry into an error.
"""

from __future__ import annotations

import difflib
import re
import traceback
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import Any, Iterable, Mapping

import pluggy
from pydantic import BaseModel

from . import hookspecs
from .contract import (
    Augmenter,
    Dataset,
    Extractor,
    FaceDetector,
    Fusion,
    Modality,
    Model,
    OutputKind,
    Plugin,
    PluginKind,
    Protocol,
    RunContext,
)
from .contract.errors import AvbenchError

ENTRY_POINT_GROUP = "avbench"
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
KIND_BASES: dict[PluginKind, type[Plugin]] = {
    PluginKind.DATASET: Dataset,
    PluginKind.EXTRACTOR: Extractor,
    PluginKind.AUGMENTER: Augmenter,
    PluginKind.MODEL: Model,
    PluginKind.FUSION: Fusion,
    PluginKind.PROTOCOL: Protocol,
    PluginKind.FACE_DETECTOR: FaceDetector,
}


class UnknownPluginError(AvbenchError):
    """No plugin of that name (and kind) is installed."""


class BrokenPluginError(AvbenchError):
    """The named plugin is installed but broken, or its name is taken twice."""


@dataclass(frozen=True)
class PluginInfo:
    """A working plugin and where it came from."""

    name: str
    kind: PluginKind
    version: str
    cls: type[Plugin]
    source: str  # distribution name, or "<module>" for plugins registered in-process
    module: str

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind.value,
            "version": self.version,
            "distribution": self.source,
            "module": self.module,
            "description": self.cls.description or (self.cls.__doc__ or "").strip().split("\n")[0],
            "params": self.cls.Params().model_dump(mode="json"),
            "params_schema": params_schema(self.cls.Params),
            "cites": self.cls.cites,
            "stochastic": self.cls.stochastic,
        }
        if self.kind is PluginKind.EXTRACTOR:
            info["modality"] = self.cls.modality.value  # type: ignore[attr-defined]
            info["output_kind"] = self.cls.output_kind.value  # type: ignore[attr-defined]
        if self.kind is PluginKind.MODEL:
            info["accepts"] = sorted(k.value for k in self.cls.accepts)  # type: ignore[attr-defined]
        if self.kind is PluginKind.DATASET and getattr(self.cls, "card", None):
            info["corpus"] = self.cls.card()  # type: ignore[attr-defined]
        return info


@dataclass(frozen=True)
class BrokenEntry:
    """Something that could not be registered, with the reason."""

    source: str
    target: str
    error: str
    name: str | None = None


def contract_problems(cls: Any) -> list[str]:
    """What is wrong with a plugin class's declaration (empty when it conforms)."""
    if not isinstance(cls, type) or not issubclass(cls, Plugin):
        return [f"{cls!r} is not a subclass of avbench.contract.Plugin"]
    problems = []
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        problems.append(f"name {name!r} must be lower-case letters, digits, '.', '_' or '-'")
    kind = getattr(cls, "kind", None)
    if kind not in KIND_BASES:
        problems.append(f"kind {kind!r} is not one of {[k.value for k in PluginKind]}")
    elif not issubclass(cls, KIND_BASES[kind]):
        problems.append(f"kind {kind.value!r} but class does not subclass {KIND_BASES[kind].__name__}")
    version = getattr(cls, "version", None)
    if not isinstance(version, str) or not version:
        problems.append("version must be a non-empty string")
    params = getattr(cls, "Params", None)
    if not (isinstance(params, type) and issubclass(params, BaseModel)):
        problems.append("Params must be a pydantic model class")
    else:
        try:
            params()
        except Exception as exc:  # a field without a default, or a bad default
            problems.append(f"Params must build with defaults alone: {str(exc).splitlines()[0]}")
    if kind is PluginKind.EXTRACTOR or kind is PluginKind.AUGMENTER:
        if getattr(cls, "modality", None) not in set(Modality):
            problems.append(f"modality must be one of {[m.value for m in Modality]}")
    if kind is PluginKind.EXTRACTOR and getattr(cls, "output_kind", None) not in set(OutputKind):
        problems.append(f"output_kind must be one of {[o.value for o in OutputKind]}")
    if kind is PluginKind.MODEL:
        accepts = getattr(cls, "accepts", None)
        if not accepts or not all(a in set(OutputKind) for a in accepts):
            problems.append("accepts must be a non-empty set of OutputKind")
    return problems


@dataclass
class Registry:
    """Every installed plugin by name, the broken ones, and the hook relay."""

    manager: pluggy.PluginManager
    plugins: dict[str, PluginInfo] = field(default_factory=dict)
    broken: list[BrokenEntry] = field(default_factory=list)
    duplicates: dict[str, list[PluginInfo]] = field(default_factory=dict)

    @property
    def hook(self) -> Any:
        return self.manager.hook

    def names(self, kind: PluginKind | str | None = None) -> list[str]:
        kind = PluginKind(kind) if kind is not None else None
        return sorted(n for n, p in self.plugins.items() if kind is None or p.kind is kind)

    def info(self, name: str, kind: PluginKind | str | None = None) -> PluginInfo:
        """The plugin called ``name``; a clear error (with a suggestion) when it is missing or broken."""
        kind = PluginKind(kind) if kind is not None else None
        if name in self.duplicates:
            sources = ", ".join(f"{p.source} ({p.module})" for p in self.duplicates[name])
            raise BrokenPluginError(f"plugin name {name!r} is provided twice: by {sources}; uninstall one")
        for entry in self.broken:
            if entry.name == name:
                raise BrokenPluginError(f"plugin {name!r} from {entry.source} is broken: {entry.error}")
        info = self.plugins.get(name)
        if info is None or (kind is not None and info.kind is not kind):
            what = f"{kind.value} plugin" if kind else "plugin"
            raise UnknownPluginError(f"unknown {what} {name!r}{did_you_mean(name, self.names(kind))}")
        return info

    def create(self, ref: Mapping[str, Any] | str, kind: PluginKind | str | None = None,
               context: RunContext | None = None) -> Plugin:
        """Instantiate a plugin from ``"name"`` or ``{"plugin": name, "params": {...}}``."""
        if isinstance(ref, str):
            ref = {"plugin": ref}
        plugin = self.info(ref["plugin"], kind).cls(ref.get("params") or {})
        if context is not None:
            plugin.setup(context)
        return plugin

    def register_module(self, module: ModuleType | object, source: str = "<module>") -> None:
        """Register one module's hook implementations and the plugin classes it returns, in isolation."""
        target = getattr(module, "__name__", repr(module))
        if self.manager.is_registered(module):  # two distributions name one module (a stale *.egg-info, say)
            other = (self.manager.get_name(module) or "?").rsplit(":", 1)[0]
            if other == source:
                return
            self.broken.append(BrokenEntry(source, target, (
                f"module {target} is claimed by two distributions, {other!r} and {source!r}: usually one is "
                f"stale metadata (an old *.egg-info or *.dist-info folder left by an earlier install); "
                f"`pip uninstall` the one you no longer use, or delete its metadata folder")))
            return
        try:
            self.manager.register(module, name=f"{source}:{target}")
        except Exception as exc:
            self.broken.append(BrokenEntry(source, target, f"cannot register hooks: {_first_line(exc)}"))
            return
        impls = [i for i in self.manager.hook.avbench_plugins.get_hookimpls() if i.plugin is module]
        for impl in impls:
            try:
                classes = list(impl.function() or [])
            except Exception as exc:
                self.broken.append(BrokenEntry(source, target, f"avbench_plugins() raised {_one_line(exc)}"))
                continue
            for cls in classes:
                self._add_class(cls, source, target)

    def _add_class(self, cls: Any, source: str, module: str) -> None:
        problems = contract_problems(cls)
        name = getattr(cls, "name", None)
        if problems:
            self.broken.append(BrokenEntry(source, f"{module}.{getattr(cls, '__name__', cls)}",
                                           "; ".join(problems), name if isinstance(name, str) else None))
            return
        info = PluginInfo(cls.name, cls.kind, cls.version, cls, source, module)
        if cls.name in self.duplicates:
            self.duplicates[cls.name].append(info)
        elif cls.name in self.plugins:
            if self.plugins[cls.name].cls is cls:
                return
            self.duplicates[cls.name] = [self.plugins.pop(cls.name), info]
        else:
            self.plugins[cls.name] = info

    def problems(self) -> list[str]:
        """One line per broken entry or duplicated name (what ``--strict`` refuses)."""
        lines = [f"{b.source}: {b.target}" + (f" (plugin {b.name!r})" if b.name else "") + f": {b.error}"
                 for b in self.broken]
        for name, infos in self.duplicates.items():
            lines.append(f"plugin name {name!r} is provided by both "
                         + " and ".join(f"{i.source} ({i.module})" for i in infos))
        return lines


def new_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    return manager


def discover(eps: Iterable[EntryPoint] | None = None, strict: bool = False) -> Registry:
    """Load every ``avbench`` entry point, each on its own, into a new registry."""
    registry = Registry(new_manager())
    for ep in (entry_points(group=ENTRY_POINT_GROUP) if eps is None else eps):
        source = ep.dist.name if getattr(ep, "dist", None) is not None else ep.value
        try:
            module = ep.load()
        except BaseException as exc:  # SystemExit from a bad package must not end discovery
            if isinstance(exc, KeyboardInterrupt):
                raise
            registry.broken.append(BrokenEntry(source, ep.value, f"import failed: {_one_line(exc)}",
                                               name=None))
            continue
        registry.register_module(module, source)
    if strict and registry.problems():
        raise BrokenPluginError("broken plugins (--strict):\n  " + "\n  ".join(registry.problems()))
    return registry


_cached: Registry | None = None
_partial: dict[frozenset[str], Registry] = {}


def get_registry() -> Registry:
    """The process-wide registry of installed plugins, loaded once."""
    global _cached
    if _cached is None:
        _cached = discover()
    return _cached


def registry_with(modules: Iterable[str]) -> Registry:
    """A registry loading only the entry points whose targets are ``modules``.

    Worker processes use it so they import what their work needs (not every
    installed plugin, torch included); in a process whose full registry is
    already loaded, that one is used.
    """
    if _cached is not None:
        return _cached
    wanted = frozenset(modules)
    if wanted not in _partial:
        _partial[wanted] = discover([ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.value in wanted])
    return _partial[wanted]


def params_schema(params: type[BaseModel]) -> dict[str, Any]:
    """A parameter model's JSON schema: type, default, bounds and description of every parameter."""
    try:
        return params.model_json_schema()
    except Exception as exc:  # a field type without a JSON schema must not hide the plugin
        return {"error": _one_line(exc)}


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _first_line(exc: BaseException, limit: int = 300) -> str:
    """The exception's first line, at most ``limit`` characters (pluggy's messages can dump its whole registry)."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= limit else text[:limit] + "..."


def _one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip().splitlines()
    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    suffix = f" [{where[0].filename}:{where[0].lineno}]" if where else ""
    return (text[0] if text else type(exc).__name__) + suffix
