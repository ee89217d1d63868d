"""Work units: plain, picklable descriptions of work, free of globals, for any executor."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from avbench.contract import Clip, Fold, RunContext


def fold_file_name(name: str) -> str:
    """A fold name as one file name: ``/`` and other awkward characters become ``_``.

    Dots too, since the record's and the predictions' suffixes are set on this name.
    """
    safe = re.sub(r"[^A-Za-z0-9_=+-]", "_", name).lstrip(".")
    return safe or "fold"


@dataclass(frozen=True)
class PluginSpec:
    """A plugin reference resolved against the registry: what it is and exactly how it is set."""

    plugin: str
    version: str
    params: Mapping[str, Any]
    salt: str = ""
    module: str = ""  # the entry point target providing it, so workers import only what they need
    inputs: Mapping[str, str] = field(default_factory=dict)  # declared input files: name -> content hash

    @property
    def ref(self) -> dict[str, Any]:
        return {"plugin": self.plugin, "params": dict(self.params)}

    @property
    def identity(self) -> dict[str, Any]:
        """Everything about the plugin that can change its output (input files only when it declares some,
        so the keys of plugins that read none stay as they were)."""
        identity = {"plugin": self.plugin, "version": self.version, "params": dict(self.params), "salt": self.salt}
        if self.inputs:
            identity["inputs"] = dict(sorted(self.inputs.items()))
        return identity


@dataclass(frozen=True)
class BranchSpec:
    name: str
    extractor: PluginSpec
    model: PluginSpec | None = None
    augment: PluginSpec | None = None


@dataclass(frozen=True)
class ExtractTask:
    """Extract features for a chunk of clips into the feature cache.

    Item ``i`` is clip ``clips[i]`` with feature key ``keys[i]``, extracted by ``extractor`` or, when
    ``spec_of`` is given, by ``specs[spec_of[i]]`` (``others`` are more settings of the same modality).
    The items of one clip follow each other, so a worker decodes the clip once for every setting
    that decodes it alike (:meth:`avbench.contract.Extractor.decoding`).
    """

    extractor: PluginSpec
    clips: tuple[Clip, ...]
    keys: tuple[str, ...]
    context: RunContext
    others: tuple[PluginSpec, ...] = ()
    spec_of: tuple[int, ...] = ()  # per item: index into specs; empty: every item is ``extractor``'s

    @property
    def specs(self) -> tuple[PluginSpec, ...]:
        return (self.extractor, *self.others)

    def spec(self, index: int) -> PluginSpec:
        """The setting that extracts item ``index``."""
        return self.specs[self.spec_of[index]] if self.spec_of else self.extractor

    def subset(self, indices: list[int]) -> "ExtractTask":
        """The same task over items ``indices`` only (a retry of what a failed chunk left)."""
        return replace(self, clips=tuple(self.clips[i] for i in indices), keys=tuple(self.keys[i] for i in indices),
                       spec_of=tuple(self.spec_of[i] for i in indices) if self.spec_of else ())


@dataclass(frozen=True)
class ExtractOutcome:
    """What a chunk's extraction gave, every field keyed by feature key (never by clip id)."""

    extractor: str
    done: tuple[str, ...]
    errors: Mapping[str, str]  # bad media: remembered by feature key
    seconds: float
    media_seconds: float
    diagnostics: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    failed: Mapping[str, str] = field(default_factory=dict)  # failed work: retried by the next run
    #: per extractor of a task of several: {"clips", "errors", "media_seconds", "worker_seconds"}
    by_extractor: Mapping[str, Mapping[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class FoldUnit:
    """Train on one fold of one experiment with one seed, predict its test clips, store the result."""

    benchmark: str
    experiment: str
    protocol: PluginSpec
    protocol_key: str
    fold: Fold
    seed: int
    classes: tuple[str, ...]
    branches: tuple[BranchSpec, ...]
    fusion: PluginSpec | None
    clips: Mapping[str, Clip]
    feature_keys: Mapping[str, Mapping[str, str]]
    media_hashes: Mapping[str, Mapping[str, str]]
    skipped: Mapping[str, str]
    context: RunContext
    result_dir: Path
    fingerprint: str
    experiment_fingerprint: str
    latency_clips: int = 0
    torch_threads: int = 1  # torch intra/inter-op and BLAS threads while fitting and predicting (in the fingerprint)
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def stem(self) -> Path:
        """Where the fold's record and predictions go: its name made one safe file name.

        Fold names may hold a ``/`` (LOSO over several corpora names subjects ``corpus/actor``).
        """
        return self.result_dir / fold_file_name(self.fold.name)

    @property
    def modules(self) -> frozenset[str]:
        specs = [self.protocol, self.fusion, *(s for b in self.branches for s in (b.extractor, b.model, b.augment))]
        return frozenset(s.module for s in specs if s is not None and s.module)

    def describe(self) -> dict[str, Any]:
        return {"experiment": self.experiment, "protocol": self.protocol_key, "fold": self.fold.name,
                "seed": self.seed, "fingerprint": self.fingerprint}
