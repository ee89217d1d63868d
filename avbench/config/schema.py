"""The shape of ``benchmark.toml``, as pydantic models.

Configuration is data: it names plugins and their parameters and never runs
code. Plugin names and parameters are checked against the registry in
:mod:`avbench.config.loader`.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from .paths import expand_path

DEFAULT_METRICS = ["accuracy", "uar", "macro_f1"]

#: What a table name (``[experiments.NAME]``, ``[protocols.NAME]``, ``[datasets.NAME]``) may be: it becomes a folder.
SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
MAX_SEED = 2**32 - 1


def _seed_in_range(value: int) -> int:
    if not 0 <= value <= MAX_SEED:
        raise ValueError(f"seed {value} is out of range: a seed is an integer from 0 to {MAX_SEED} (2**32-1)")
    return value


#: A seed numpy, torch and scikit-learn all accept.
Seed = Annotated[int, AfterValidator(_seed_in_range)]


class Strict(BaseModel):
    """Unknown keys are errors; no lax coercion (``true`` is not 1, ``1.5`` is not an int); no NaN or inf."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


def is_slug(name: str) -> bool:
    """Whether ``name`` is safe as a folder or file name: no path separator, nothing absolute, no ``..``."""
    return bool(SLUG.match(name)) and ".." not in name


def repeated(values: list[Any]) -> list[Any]:
    """The values listed more than once, in first-seen order."""
    return [v for v, n in Counter(values).items() if n > 1]


def _distinct_seeds(value: list[int] | None) -> list[int] | None:
    twice = repeated(value or [])
    if twice:
        raise ValueError(f"seed(s) {', '.join(map(str, twice))} listed twice: each would run twice")
    return value


class PluginRef(Strict):
    """A plugin by name with its parameters; a bare string means no parameters."""

    plugin: str
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        return {"plugin": value} if isinstance(value, str) else value


class DatasetConfig(PluginRef):
    """A dataset plugin and where its files are.

    The root comes from ``--data NAME=PATH``, else the environment variable
    ``env`` (default ``AVBENCH_<NAME>_ROOT``), else ``root`` here. An embedded
    dataset needs none: it is generated into the cache.
    """

    root: str | None = None
    env: str | None = None

    @field_validator("root")
    @classmethod
    def _expand_root(cls, value: str | None) -> str | None:
        return expand_path(value) if value is not None else None

    def env_var(self, name: str) -> str:
        return self.env or "AVBENCH_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper() + "_ROOT"


class NormaliseConfig(Strict):
    """Feature standardisation before any model or fusion sees a branch's features (see
    :mod:`avbench.runner.normalise`).

    ``scope``: ``global`` (one mean and SD over the training clips), ``corpus`` (per corpus) or
    ``speaker`` (per subject). Statistics come from training clips only; a test speaker (or test corpus)
    gets the training statistics unless ``transductive``, which normalises it by its own unlabelled
    test clips (rows are then marked transductive). Scope ``speaker`` needs ``transductive = true``:
    without it training clips would be standardised per speaker and an unseen test speaker by pooled
    statistics, two different transforms (issue 20 found it below no normalisation on RAVDESS and EmoDB).
    """

    scope: str = Field(pattern=r"^(global|corpus|speaker)$")
    transductive: bool = False

    @model_validator(mode="after")
    def _speaker_scope_is_transductive(self) -> "NormaliseConfig":
        if self.scope == "speaker" and not self.transductive:
            raise ValueError("scope 'speaker' without transductive = true would standardise training clips per "
                             "speaker but an unseen test speaker by pooled training statistics (inconsistent): set "
                             "transductive = true (each test speaker by its own unlabelled clips; the row is "
                             "marked transductive), or use scope 'global'")
        return self


class BranchConfig(Strict):
    """One modality branch: an extractor, optional training-time augmentation, a model."""

    extractor: PluginRef
    model: PluginRef | None = None
    augment: PluginRef | None = None
    normalise: NormaliseConfig | None = None


class ReportedResult(Strict):
    """What a seed text reported, kept beside what avbench measures.

    ``protocol`` names the experiment's protocol that evaluates as the text did (same corpus, class set
    and speaker split); the number is shown on that row only. Leave it empty when none does (the text
    shared speakers between train and test, pooled corpora or used other classes): the number then goes
    to a note under the table. ``note`` is the caveat, always shown next to the number.
    """

    source: str = ""
    accuracy: float | None = Field(default=None, ge=0, le=1)
    macro_f1: float | None = Field(default=None, ge=0, le=1)
    uar: float | None = Field(default=None, ge=0, le=1)
    protocol: str = ""
    note: str = ""


#: The protocol key of a ``train``/``test`` experiment: one fold, training corpora against test corpora.
CROSS_CORPUS_PROTOCOL = "cross-corpus"


class ExperimentConfig(Strict):
    """A system under test: branches, an optional fusion, and the protocols it runs under.

    Its data is one ``dataset``, or several: ``datasets`` (split by a protocol such as
    ``leave-one-corpus-out``), or ``train`` and ``test`` corpora (one fold, protocol ``cross-corpus``,
    implicit). Clips of a multi-dataset experiment are namespaced ``<dataset>/<clip id>`` with subjects
    ``<dataset>/<subject>`` and ``meta["corpus"]``; ``label_map`` maps a dataset's labels onto the shared
    class set (``""`` drops a label).
    """

    dataset: str | None = None
    datasets: list[str] | None = None
    train: list[str] | None = None
    test: list[str] | None = None
    label_map: dict[str, dict[str, str]] = Field(default_factory=dict)
    protocols: list[str] = Field(default_factory=list)
    branches: dict[str, BranchConfig] = Field(min_length=1)
    fusion: PluginRef | None = None
    classes: list[str] | None = None
    description: str = ""
    substitutions: list[str] = Field(default_factory=list)
    reported: ReportedResult | None = None
    seeds: list[Seed] | None = Field(default=None, min_length=1)
    ablation: bool = Field(default=False, description="also run each branch with a model alone, on the same folds")
    _ablation_of: tuple[str, str] | None = PrivateAttr(default=None)

    @field_validator("classes", mode="before")
    @classmethod
    def _all_classes(cls, value: Any) -> Any:
        """``"all"`` (every label of the dataset) is the same as leaving the key out."""
        if value == "all":
            return None
        if isinstance(value, str):
            raise ValueError('expected a list of class names, or "all" for every label of the dataset')
        return value

    @field_validator("classes")
    @classmethod
    def _classes_distinct(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if not value:
            raise ValueError('an empty class list: leave the key out, or write classes = "all"')
        twice = repeated(value)
        if twice:
            raise ValueError(f"class(es) {', '.join(map(repr, twice))} listed twice")
        return value

    @field_validator("protocols")
    @classmethod
    def _protocols_distinct(cls, value: list[str]) -> list[str]:
        twice = repeated(value)
        if twice:
            raise ValueError(f"protocol(s) {', '.join(map(repr, twice))} listed twice: each would run twice")
        return value

    @field_validator("seeds")
    @classmethod
    def _seeds_distinct(cls, value: list[int] | None) -> list[int] | None:
        return _distinct_seeds(value)

    @model_validator(mode="before")
    @classmethod
    def _implicit_protocol(cls, value: Any) -> Any:
        """A ``train``/``test`` experiment runs under its own one-fold protocol, ``cross-corpus``."""
        if isinstance(value, dict) and ("train" in value or "test" in value) and "protocols" not in value:
            return {**value, "protocols": [CROSS_CORPUS_PROTOCOL]}
        return value

    @model_validator(mode="after")
    def _one_way_to_name_data(self) -> "ExperimentConfig":
        ways = [k for k, v in (("dataset", self.dataset), ("datasets", self.datasets),
                               ("train/test", self.train or self.test)) if v]
        if len(ways) != 1:
            raise ValueError("name the data one way: `dataset`, `datasets` (e.g. for leave-one-corpus-out), or "
                             f"`train` and `test` corpora (got {', '.join(ways) or 'none'})")
        if (self.train is None) != (self.test is None) or (self.train is not None and not (self.train and self.test)):
            raise ValueError("a cross-corpus experiment needs both `train` and `test`, each naming datasets")
        if self.train is not None:
            both = set(self.train) & set(self.test or [])
            if both:
                raise ValueError(f"dataset(s) {', '.join(sorted(both))} in both train and test")
            if self.protocols != [CROSS_CORPUS_PROTOCOL]:
                raise ValueError("a `train`/`test` experiment has one implicit protocol, "
                                 f"{CROSS_CORPUS_PROTOCOL!r}: leave `protocols` out")
        elif not self.protocols:
            raise ValueError("protocols: at least one protocol is needed")
        names = self.corpora
        twice = repeated(names)
        if twice:
            raise ValueError(f"dataset(s) {', '.join(map(repr, twice))} listed twice")
        if self.datasets is not None and len(self.datasets) < 2:
            raise ValueError("`datasets` lists two or more datasets; use `dataset` for one")
        unknown = [d for d in self.label_map if d not in names]
        if unknown:
            raise ValueError(f"label_map names dataset(s) {', '.join(map(repr, unknown))} the experiment does "
                             f"not use (it uses {', '.join(names)})")
        return self

    @property
    def corpora(self) -> list[str]:
        """Every dataset the experiment reads, training corpora first."""
        if self.dataset is not None:
            return [self.dataset]
        return list(self.datasets or []) or [*(self.train or []), *(self.test or [])]

    @property
    def multi_corpus(self) -> bool:
        """Whether clips come from several datasets (and are therefore namespaced)."""
        return self.dataset is None

    @property
    def data_label(self) -> str:
        """How its rows name their data: ``ravdess``, ``ravdess -> crema-d``, ``a + b + c``."""
        if self.train is not None:
            return f"{' + '.join(self.train)} -> {' + '.join(self.test or [])}"
        return " + ".join(self.corpora)

    def mapped_label(self, dataset: str, label: str) -> str | None:
        """``label`` of ``dataset`` in the shared class set; None when the map drops it."""
        mapped = self.label_map.get(dataset, {}).get(label, label)
        return mapped or None

    @model_validator(mode="after")
    def _fusion_matches_branches(self) -> "ExperimentConfig":
        if len(self.branches) > 1 and self.fusion is None:
            raise ValueError(f"{len(self.branches)} branches ({', '.join(self.branches)}) need a fusion")
        if self.fusion is None:
            (branch,) = self.branches.values()
            if branch.model is None:
                raise ValueError("a single-branch experiment needs a model in its branch")
        if self.ablation and self.fusion is None:
            raise ValueError("ablation = true: expected a fused experiment (a fusion over its branches)")
        if self.ablation and not any(b.model for b in self.branches.values()):
            raise ValueError("ablation = true: no branch has a model to run alone")
        return self

    @property
    def ablation_of(self) -> tuple[str, str] | None:
        """``(fused experiment, branch)`` when this experiment is a modality ablation derived from one."""
        return self._ablation_of


MAX_RESAMPLES = 100_000
WORKERS_PER_CPU = 8
MAX_RAY_WORKERS = 4096


def max_workers(executor: str = "local") -> int:
    """The most worker processes a config may ask for: a few per CPU core here, more on a Ray cluster."""
    return MAX_RAY_WORKERS if executor == "ray" else max(64, WORKERS_PER_CPU * (os.cpu_count() or 1))


class BenchmarkSection(Strict):
    """Run-wide settings."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    description: str = ""
    output: str = "runs"
    leaderboards: str = "leaderboards"
    cache: str | None = None
    seeds: list[Seed] = Field(default_factory=lambda: [0], min_length=1)
    stochastic_seeds: list[Seed] = Field(default_factory=lambda: [0, 1, 2], min_length=1,
                                         description="seeds of experiments with a stochastic model or fusion")
    metrics: list[str] = Field(default_factory=lambda: list(DEFAULT_METRICS))
    device: str = Field(default="auto", pattern=r"^(auto|cpu|cuda(:\d+)?)$")
    workers: int | None = Field(default=None, ge=1)
    executor: Literal["local", "ray"] = Field(default="local", description="where units run: local processes or Ray")
    ray_address: str | None = Field(default=None, description="Ray cluster to join (executor ray; default: start one)")
    gpus_per_unit: float = Field(default=1.0, gt=0, allow_inf_nan=False,
                                 description="GPUs a unit whose plugins run on CUDA takes (0.5: two units share one)")
    latency_clips: int = Field(default=20, ge=1)
    clip_timeout: float = Field(default=600.0, gt=0, allow_inf_nan=False,
                                description="seconds one clip's extraction may take before its worker is killed")
    fold_timeout: float = Field(default=6 * 3600.0, gt=0, allow_inf_nan=False,
                                description="seconds one fold (fit + predict) may take before its worker is killed")

    torch_threads: int = Field(default=1, ge=1, description="torch and BLAS threads per fold, part of its key")
    bootstrap_resamples: int = Field(default=1000, ge=100, le=MAX_RESAMPLES,
                                     description="speaker-bootstrap resamples behind every confidence interval "
                                                 f"(at most {MAX_RESAMPLES:,}: the render holds subjects x "
                                                 "resamples counts in memory)")

    @field_validator("seeds", "stochastic_seeds")
    @classmethod
    def _seeds_distinct(cls, value: list[int]) -> list[int]:
        return _distinct_seeds(value)

    @model_validator(mode="after")
    def _workers_bounded(self) -> "BenchmarkSection":
        limit = max_workers(self.executor)
        if self.workers is not None and self.workers > limit:
            raise ValueError(f"workers = {self.workers}: more worker processes than this machine can run (at most "
                             f"{limit}: {WORKERS_PER_CPU} per CPU core, {os.cpu_count()} here; with executor "
                             f"\"ray\" at most {MAX_RAY_WORKERS})")
        return self

    @field_validator("gpus_per_unit")
    @classmethod
    def _whole_gpus_above_one(cls, value: float) -> float:
        if value > 1 and value != int(value):
            raise ValueError(f"{value}: above 1, a unit takes a whole number of GPUs (2, not 1.5)")
        return value

    @field_validator("output", "leaderboards", "cache")
    @classmethod
    def _expand(cls, value: str | None) -> str | None:
        return expand_path(value) if value is not None else None


class BenchmarkConfig(Strict):
    """A whole ``benchmark.toml``."""

    benchmark: BenchmarkSection
    resources: dict[str, str] = Field(default_factory=dict)
    datasets: dict[str, DatasetConfig] = Field(min_length=1)
    protocols: dict[str, PluginRef] = Field(default_factory=dict)  # none needed when every experiment is train/test
    experiments: dict[str, ExperimentConfig] = Field(min_length=1)
    _source: Path | None = PrivateAttr(default=None)

    @field_validator("datasets", "protocols", "experiments", mode="before")
    @classmethod
    def _plain_table_names(cls, value: Any) -> Any:
        bad = [name for name in value if not is_slug(name)] if isinstance(value, dict) else []
        if bad:
            raise ValueError(f"{', '.join(map(repr, bad))}: not a plain name (names become folders and files): "
                             f"use letters, digits, '.', '_' and '-', starting with a letter or digit, without '..'")
        return value

    @property
    def source(self) -> Path | None:
        """The file this configuration was read from, when it was read from one (problem lines name it)."""
        return self._source

    def where(self, key: str) -> str:
        """``FILE: key`` for a problem line, or the key alone when no file is known."""
        return f"{self._source}: {key}" if self._source else key
