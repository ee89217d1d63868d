"""The optional class attributes through which a plugin tunes its own conformance run.

All are optional and are read with ``getattr``, so plugins written before the
kit existed are checked with defaults:

``_xfail_checks: dict[str, str]``
    ``{check_name: reason}`` for checks known to fail; they report ``xfail``.
``conformance_params: dict`` or classmethod ``(tmp_dir: Path) -> dict``
    Parameter overrides for every check except the defaults check: tiny, fast
    settings (one epoch, few trees), or paths into files ``conformance_clips``
    wrote into the same ``tmp_dir``.
``conformance_clips(tmp_dir: Path) -> list[Clip]`` (classmethod; extractors, protocols)
    The everyday inputs, replacing the generated ones: for an extractor whose
    input is not media (a table keyed by clip id), or a protocol that needs its
    own subject ids. Edge-case checks still use generated media.
``conformance_tree(tmp_dir: Path) -> Path`` (classmethod; datasets)
    Writes a tiny tree in the dataset's own naming scheme under ``tmp_dir`` and
    returns its root. Embedded datasets may omit it: ``prepare`` is used instead.
``conformance_shapes: dict[str, tuple[int, ...]]`` (models)
    Input shape per output kind (``{"spectrogram": (40, 64)}``) when the defaults
    are too small for the architecture.
``conformance_branches: dict[str, dict]`` (fusion)
    Branches to fuse: ``{"audio": {"output_kind": "vector", "shape": [12],
    "model": {"plugin": "...", "params": {...}}}}``; ``model`` omitted means the
    kit's own tiny nearest-centroid model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from pydantic import ValidationError

from avbench.contract import Clip, Plugin

from .sandbox import Workspace


def xfail_checks(cls: type[Plugin]) -> dict[str, str]:
    declared = getattr(cls, "_xfail_checks", None) or {}
    if not isinstance(declared, Mapping):
        raise TypeError(f"{cls.__name__}._xfail_checks must be a dict {{check_name: reason}}, got {declared!r}")
    return {str(k): str(v) for k, v in declared.items()}


def conformance_params(cls: type[Plugin], data_dir: Path) -> dict[str, Any]:
    value = getattr(cls, "conformance_params", None) or {}
    if callable(value):
        value = value(data_dir)
    if not isinstance(value, Mapping):
        raise AssertionError(f"conformance_params must be a dict or return one, got {value!r}")
    return dict(value)


def has_device_param(cls: type[Plugin]) -> bool:
    return "device" in getattr(cls.Params, "model_fields", {})


def make_plugin(cls: type[Plugin], ws: Workspace, *, cache: str = "cache", device: str = "cpu",
                seed: int = 0, params: Mapping[str, Any] | None = None) -> Plugin:
    """An instance with the conformance parameters (device forced when it has one), set up in ``ws``."""
    values = conformance_params(cls, ws.data)
    values.update(params or {})
    if has_device_param(cls):
        values["device"] = device
    try:
        plugin = cls(values)
    except ValidationError as exc:
        raise AssertionError(f"{cls.__name__}({values!r}) is invalid: {str(exc).splitlines()[0]} "
                             f"(check conformance_params)") from None
    plugin.setup(ws.context(cache=cache, device=device, seed=seed))
    return plugin


def declared_clips(cls: type[Plugin], data_dir: Path) -> list[Clip] | None:
    hook = getattr(cls, "conformance_clips", None)
    if hook is None:
        return None
    clips = list(hook(data_dir))
    if not clips or not all(isinstance(c, Clip) for c in clips):
        raise AssertionError(f"conformance_clips must return a non-empty list of Clip, got {clips!r}")
    return clips
