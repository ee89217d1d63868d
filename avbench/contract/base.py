"""The declaration every plugin makes: name, kind, version and a parameter model.

Like a scikit-learn estimator, a plugin's constructor only stores its validated
parameters; work happens in the methods of its kind.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, ClassVar, Mapping

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from .strict_values import allows_inf_nan, value_problem


class PluginKind(str, Enum):
    """The kinds of plugin avbench runs."""

    DATASET = "dataset"
    EXTRACTOR = "extractor"
    AUGMENTER = "augmenter"
    MODEL = "model"
    FUSION = "fusion"
    PROTOCOL = "protocol"
    FACE_DETECTOR = "face_detector"


class Params(BaseModel):
    """Base of every plugin's parameter model: unknown keys are errors, values are frozen.

    Numbers are taken as written: ``true`` is not 1, ``1.5`` (or ``2.0``) is not an int, and
    NaN and infinities are refused unless a field says ``Field(allow_inf_nan=True)``. An int
    where a float belongs stays valid (``C = 10``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _numbers_as_written(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields[info.field_name] if info.field_name else None
        if field is not None:
            problem = value_problem(value, field.annotation, allow_inf_nan=allows_inf_nan(field))
            if problem:
                raise ValueError(problem)
        return value


class NoParams(Params):
    """Parameter model of a plugin that takes none."""


def default_cache_dir() -> Path:
    """The cache folder used when no run context gives one (``AVBENCH_CACHE`` or ``.avbench-cache``)."""
    return Path(os.environ.get("AVBENCH_CACHE", ".avbench-cache")).resolve()


@dataclass(frozen=True)
class RunContext:
    """What the runner tells a plugin about where it runs.

    ``cache_dir`` is the only folder a plugin may write to; ``device`` is the
    benchmark-wide device request (``auto``, ``cpu`` or ``cuda``); ``seed`` seeds
    any randomness; ``resources`` maps resource names (for instance ``models``)
    to folders the user configured.
    """

    cache_dir: Path = field(default_factory=default_cache_dir)
    device: str = "auto"
    seed: int = 0
    resources: Mapping[str, str] = field(default_factory=dict)

    def resource(self, name: str, env: str | None = None) -> Path | None:
        """A configured resource folder, from the benchmark config or the environment variable ``env``."""
        value = self.resources.get(name) or (os.environ.get(env) if env else None)
        return Path(value) if value else None


class Plugin:
    """Base of every plugin class.

    Subclasses set ``name``, ``kind``, ``version`` and, when they take parameters,
    ``Params`` (a :class:`Params` subclass whose fields all have defaults).

    For the conformance kit (:mod:`avbench.testing`, ``avbench check``) a class may
    also declare, all optional: ``_xfail_checks`` (``{check_name: reason}`` for
    checks known to fail, reported as expected failures), ``conformance_params``
    (a dict, or a classmethod ``(tmp_dir) -> dict``: tiny, fast parameters for the
    checks), and per kind the inputs the checks should use: ``conformance_tree``
    (datasets), ``conformance_clips`` (extractors, protocols), ``conformance_shapes``
    (models), ``conformance_branches`` (fusion); see :mod:`avbench.testing.hooks`.

    Two declarations keep results reproducible. :meth:`input_files` names every
    file or folder the plugin reads besides the clips' media (pretrained weights,
    precomputed tables): their content hashes enter its cache keys and every fold
    fingerprint, so a changed file is never mistaken for the old one. ``stochastic``
    says whether the plugin's output depends on the run's seed (randomly initialised
    networks, forests, augmenters); experiments using one run ``[benchmark]
    stochastic_seeds`` unless they name their own seeds.
    """

    name: ClassVar[str]
    kind: ClassVar[PluginKind]
    version: ClassVar[str]
    Params: ClassVar[type[Params]] = NoParams
    description: ClassVar[str] = ""
    #: the published method it implements (authors, year, title, venue), shown by ``avbench describe``
    cites: ClassVar[str] = ""
    stochastic: ClassVar[bool] = False
    #: Libraries whose version can change this plugin's output: each fold records their versions
    #: (``computed_with.libraries``); they are never part of a key.
    libraries: ClassVar[tuple[str, ...]] = ()
    _xfail_checks: ClassVar[Mapping[str, str]] = {}

    def __init__(self, params: Params | Mapping[str, Any] | None = None, **overrides: Any) -> None:
        if isinstance(params, BaseModel):
            values = params.model_dump()
        else:
            values = dict(params or {})
        values.update(overrides)
        self.params = self.Params.model_validate(values)
        self.context = RunContext()

    def setup(self, context: RunContext) -> None:
        """Receive the run context before use; override to load resources lazily."""
        self.context = context

    def get_params(self) -> dict[str, Any]:
        """Parameters as plain data (defaults filled in), as stored with every result."""
        return self.params.model_dump(mode="json")

    def cache_salt(self) -> str:
        """Extra text that changes this plugin's output beyond its name, version, parameters and input files.

        For what no parameter says: a generator version, the identity of a plugin used inside this one.
        Never a library version: libraries are pinned by the lock and recorded with every fold
        (:attr:`libraries`), not keyed (the version policy in the README).
        """
        return ""

    def input_files(self) -> Mapping[str, Path]:
        """Files or folders this plugin reads besides clip media, by the parameter or variable that sets each.

        Called in the main process while planning, after :meth:`setup`. The runner hashes
        their content (a folder: every file in it) into the plugin's identity. Raise
        :class:`~avbench.contract.errors.ResourceMissingError` when one cannot be located,
        saying which file to put where; a declared path that does not exist is an error too.
        """
        return {}

    def training_data(self) -> list[str]:
        """Corpora this plugin's pretrained parts were trained on (``["librispeech", "ravdess"]``); default none.

        The leaderboard flags a row as contaminated when one of them is a corpus the row's experiment
        reads (matched on the dataset's plugin name, ignoring case and punctuation). Must not raise:
        it is called when rendering, also where the plugin's files are absent.
        """
        return []

    @classmethod
    def warm_up(cls) -> None:
        """Load ahead of the work what the first call would load on its own (heavy libraries, compiled kernels).

        A worker calls it once when it starts, while the main process is still planning, so that this
        start-up overlaps planning instead of delaying the first clip. It must not change any result and
        needs no parameters, files or GPU; what it raises is ignored (the unit meets it and says so).
        The default does nothing.
        """

    def wants_cuda(self) -> bool:
        """Whether this plugin runs on CUDA here; the runner then gives each unit using it a GPU slot.

        Called in the main process while planning, after :meth:`setup`. The default, False, suits
        plugins that never touch a GPU; torch-based plugins return :meth:`device_is_cuda` of their
        ``device`` setting. A unit that wants CUDA runs with only its slot's GPUs visible
        (``CUDA_VISIBLE_DEVICES``); units that do not want CUDA see none while GPUs are scheduled.
        """
        return False

    def device_is_cuda(self, requested: str = "auto") -> bool:
        """Whether a ``device`` setting resolves to CUDA here: ``auto`` defers to the run's device, then to
        CUDA when torch sees a GPU; ``cuda`` is CUDA even where there is none (the unit then fails, saying so)."""
        if requested == "auto":
            requested = self.context.device
        if requested != "auto":
            return requested.startswith("cuda")
        try:
            import torch
        except ImportError:
            return False
        return bool(torch.cuda.is_available())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.get_params()!r})"
