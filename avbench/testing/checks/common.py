"""Checks every plugin kind gets: declaration, parameters, lazy constructor, pickling, writes, device.

``workload(cls, ws)`` below is each kind's everyday use of a plugin: it prepares
inputs in the workspace and returns a function that runs a set-up plugin on
them, so the write and device checks exercise every kind the same way.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
from typing import Any, Callable, Iterator, Mapping

import numpy as np
from pydantic import BaseModel

from avbench.contract import Plugin, ResourceMissingError
from avbench.registry import contract_problems

from ..hooks import has_device_param, make_plugin
from ..media import media_dir
from ..sandbox import Workspace, guard_writes

Check = Callable[[], None]
#: Prepares inputs in a workspace; returns what runs a set-up plugin on them.
Workload = Callable[[type[Plugin], Workspace], Callable[[Plugin], Any]]


def check_declaration(cls: type[Plugin]) -> None:
    """Name, kind, version and parameter model as the registry requires, and a description."""
    problems = contract_problems(cls)
    assert not problems, "; ".join(problems)
    text = (cls.description or cls.__doc__ or "").strip()
    assert text, "no description: set `description` or give the class a docstring (shown by `avbench list`)"


def check_params_defaults(cls: type[Plugin]) -> None:
    """Defaults alone build it; params are plain data that round-trip; unknown keys are refused."""
    params_cls = cls.Params
    assert params_cls.model_config.get("extra") == "forbid", (
        "Params must refuse unknown keys: subclass avbench.contract.Params (extra='forbid'), "
        "so a misspelt parameter in a config is an error, not silently ignored")
    defaults = params_cls().model_dump(mode="json")
    try:
        json.dumps(defaults)
    except TypeError as exc:
        raise AssertionError(f"default parameters are not plain JSON data: {exc}") from None
    plugin = cls()
    assert plugin.get_params() == defaults, f"get_params() {plugin.get_params()} != Params() defaults {defaults}"
    again = cls(plugin.get_params()).get_params()
    assert again == defaults, f"parameters do not round-trip through get_params(): {defaults} -> {again}"
    try:
        cls({"no_such_parameter_xyz": 1})
    except Exception:
        pass
    else:
        raise AssertionError("an unknown parameter was accepted silently")
    declared = getattr(cls, "conformance_params", None)
    if isinstance(declared, Mapping):  # a classmethod form is validated when the other checks build the plugin
        unknown = sorted(set(declared) - set(params_cls.model_fields))
        assert not unknown, f"conformance_params names unknown parameter(s) {unknown}"


def check_init_is_lazy(cls: type[Plugin]) -> None:
    """The constructor only stores parameters: it works with no model files present and writes nothing."""
    found: list[str] = []
    with Workspace() as ws:
        saved = {k: os.environ.get(k) for k in os.environ if k.startswith("AVBENCH_")}
        try:
            for key in saved:
                os.environ[key] = str(ws.root / "absent")
            with ws.entered(), guard_writes(ws.watched(), found):
                try:
                    cls()
                except ResourceMissingError as exc:
                    raise AssertionError(f"the constructor loads resources; load them lazily (in setup or on "
                                         f"first use): {exc}") from None
        finally:
            for key, value in saved.items():
                os.environ[key] = value  # type: ignore[assignment]
    assert not found, "the constructor wrote files: " + "; ".join(found[:5])


def roundtrip(plugin: Plugin) -> Plugin:
    """``plugin`` through pickle, as the executor sends it to a worker process."""
    try:
        data = pickle.dumps(plugin)
    except Exception as exc:
        raise AssertionError(f"cannot be pickled for the executor: {type(exc).__name__}: {exc}") from None
    copy = pickle.loads(data)
    assert type(copy) is type(plugin), f"unpickled as {type(copy).__name__}"
    assert copy.get_params() == plugin.get_params(), "parameters changed through pickling"
    return copy


def check_picklable(cls: type[Plugin]) -> None:
    """A set-up plugin survives pickling with its parameters and run context."""
    with Workspace() as ws, ws.entered():
        plugin = make_plugin(cls, ws)
        copy = roundtrip(plugin)
        assert copy.context == plugin.context, "run context changed through pickling"


def check_writes_only_to_cache(cls: type[Plugin], workload: Workload) -> None:
    """Everyday use writes only under ``context.cache_dir`` (not cwd, temp, home or next to its inputs).

    A first, unwatched run in another workspace lets the libraries the plugin
    imports write their once-per-process files (matplotlib's font list, torch's
    compile folder) so they are not blamed on the plugin; the watched run then
    starts from fresh folders, so the plugin's own writes show again.
    """
    with Workspace() as warm:
        run = workload(cls, warm)
        with warm.entered():
            run(make_plugin(cls, warm))
    found: list[str] = []
    with Workspace() as ws:
        run = workload(cls, ws)
        with ws.entered():
            with guard_writes(ws.watched() + [media_dir()], found):
                run(make_plugin(cls, ws))
    assert not found, "wrote outside the cache folder: " + "; ".join(found[:5]) + (
        f" (and {len(found) - 5} more)" if len(found) > 5 else "")


def torch_modules(obj: Any, depth: int = 3) -> Iterator[Any]:
    """Torch modules held by ``obj`` (attributes, dicts, lists, a few levels deep)."""
    torch = sys.modules.get("torch")
    if torch is None:
        return
    seen: set[int] = set()

    def walk(value: Any, level: int) -> Iterator[Any]:
        if id(value) in seen or level > depth:
            return
        seen.add(id(value))
        if isinstance(value, torch.nn.Module):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from walk(item, level + 1)
        elif isinstance(value, (list, tuple)):
            for item in value:
                yield from walk(item, level + 1)
        elif hasattr(value, "__dict__") and not isinstance(value, (type, np.ndarray, BaseModel)):
            for item in vars(value).values():
                yield from walk(item, level + 1)

    yield from walk(obj, 0)


def check_device_respected(cls: type[Plugin], workload: Workload) -> None:
    """With device ``cpu`` (context, and params when it has ``device``) it reports and uses the CPU."""
    with Workspace() as ws:
        run = workload(cls, ws)
        with ws.entered():
            plugin = make_plugin(cls, ws, device="cpu")
            run(plugin)
    reported = getattr(plugin, "device", "cpu")
    assert str(reported).startswith("cpu"), f"device 'cpu' requested but the plugin reports {reported!r}"
    for module in torch_modules(plugin):
        for tensor in [*module.parameters(), *module.buffers()]:
            assert tensor.device.type == "cpu", (
                f"device 'cpu' requested but a {type(module).__name__} tensor is on {tensor.device}")


def yield_common_checks(cls: type[Plugin], workload: Workload | None) -> Iterator[tuple[str, Check]]:
    yield "check_declaration", lambda: check_declaration(cls)
    yield "check_params_defaults", lambda: check_params_defaults(cls)
    yield "check_init_is_lazy", lambda: check_init_is_lazy(cls)
    yield "check_picklable", lambda: check_picklable(cls)
    if workload is not None:
        yield "check_writes_only_to_cache", lambda: check_writes_only_to_cache(cls, workload)
        if has_device_param(cls) or hasattr(cls, "device"):
            yield "check_device_respected", lambda: check_device_respected(cls, workload)
