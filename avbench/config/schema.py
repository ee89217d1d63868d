"""The shape of ``benchmark.toml``, as pydantic models.

Configuration is data: it names plugins and their parameters and never runs
code. Plugin names and parameters are checked against the registry in
:mod:`avbench.config.loader`.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

DEFAULT_METRICS = ["accuracy", "uar", "macro_f1"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


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

    def env_var(self, name: str) -> str:
        return self.env or "AVBENCH_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper() + "_ROOT"


class BranchConfig(Strict):
    """One modality branch: an extractor, optional training-time augmentation, a model."""

    extractor: PluginRef
    model: PluginRef | None = None
    augment: PluginRef | None = None


class ReportedResult(Strict):
    """What a seed text reported, kept beside what avbench measures."""

    source: str = ""
    accuracy: float | None = None
    macro_f1: float | None = None
    uar: float | None = None
    note: str = ""


class ExperimentConfig(Strict):
    """A system under test: branches, an optional fusion, and the protocols it runs under."""

    dataset: str
    protocols: list[str] = Field(min_length=1)
    branches: dict[str, BranchConfig] = Field(min_length=1)
    fusion: PluginRef | None = None
    classes: list[str] | None = None
    description: str = ""
    substitutions: list[str] = Field(default_factory=list)
    reported: ReportedResult | None = None
    seeds: list[int] | None = None

    @model_validator(mode="after")
    def _fusion_matches_branches(self) -> "ExperimentConfig":
        if len(self.branches) > 1 and self.fusion is None:
            raise ValueError(f"{len(self.branches)} branches ({', '.join(self.branches)}) need a fusion")
        if self.fusion is None:
            (branch,) = self.branches.values()
            if branch.model is None:
                raise ValueError("a single-branch experiment needs a model in its branch")
        return self


class BenchmarkSection(Strict):
    """Run-wide settings."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    description: str = ""
    output: str = "runs"
    leaderboards: str = "leaderboards"
    cache: str | None = None
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    stochastic_seeds: list[int] = Field(default_factory=lambda: [0, 1, 2], min_length=1,
                                        description="seeds of experiments with a stochastic model or fusion")
    metrics: list[str] = Field(default_factory=lambda: list(DEFAULT_METRICS))
    device: str = Field(default="auto", pattern=r"^(auto|cpu|cuda(:\d+)?)$")
    workers: int | None = Field(default=None, ge=1)
    latency_clips: int = Field(default=20, ge=1)
    torch_threads: int = Field(default=1, ge=1, description="torch and BLAS threads per fold, part of its key")


class BenchmarkConfig(Strict):
    """A whole ``benchmark.toml``."""

    benchmark: BenchmarkSection
    resources: dict[str, str] = Field(default_factory=dict)
    datasets: dict[str, DatasetConfig] = Field(min_length=1)
    protocols: dict[str, PluginRef] = Field(min_length=1)
    experiments: dict[str, ExperimentConfig] = Field(min_length=1)
