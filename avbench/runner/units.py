"""Work units: plain, picklable descriptions of work, free of globals, for any executor."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Mapping

from avbench.contract import Clip, Fold, RunContext

from .clip_table import CANONICAL, DATA_PLACEHOLDER, ClipTable, FoldRows, load_clip_table


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
    cuda: bool = False  # runs on CUDA here (Plugin.wants_cuda at planning): units using it take a GPU slot

    @property
    def ref(self) -> dict[str, Any]:
        return {"plugin": self.plugin, "params": dict(self.params)}

    @property
    def identity(self) -> dict[str, Any]:
        """Everything about the plugin that can change its output (input files only when it declares some,
        and ``device: cuda`` only when it runs on CUDA, so the keys of other plugins stay as they were)."""
        identity = {"plugin": self.plugin, "version": self.version, "params": dict(self.params), "salt": self.salt}
        if self.inputs:
            identity["inputs"] = dict(sorted(self.inputs.items()))
        if self.cuda:  # CUDA kernels give other bytes than the CPU's; CPU identities stay as they were
            identity["device"] = "cuda"
        return identity


@dataclass(frozen=True)
class BranchSpec:
    name: str
    extractor: PluginSpec
    model: PluginSpec | None = None
    augment: PluginSpec | None = None


def branch_plugins(branches: Iterable[BranchSpec]) -> list[PluginSpec]:
    """Every plugin the branches name (extractor, model, augmenter), in that order; absent ones left out."""
    return [s for b in branches for s in (b.extractor, b.model, b.augment) if s is not None]


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
    """Train on one fold of one experiment with one seed, predict its test clips, store the result.

    The experiment's clips live in one shared :class:`ClipTable` (``table_path``); the unit holds its
    fold as row numbers of it (``rows``), so a unit stays small however large the corpus is.
    """

    benchmark: str
    experiment: str
    protocol: PluginSpec
    protocol_key: str
    rows: FoldRows
    seed: int
    classes: tuple[str, ...]
    branches: tuple[BranchSpec, ...]
    fusion: PluginSpec | None
    table_path: Path
    context: RunContext
    result_dir: Path
    experiment_fingerprint: str
    latency_clips: int = 0
    torch_threads: int = 1  # torch intra/inter-op and BLAS threads while fitting and predicting (in the fingerprint)
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def table(self) -> ClipTable:
        return load_clip_table(self.table_path)

    @property
    def fold(self) -> Fold:
        """The fold as its protocol gave it, rebuilt from the table (ids in the protocol's order)."""
        return self.rows.fold(self.table)

    @property
    def fold_name(self) -> str:
        return self.rows.name

    def _fold_rows(self) -> list[int]:
        return self.rows.fold_rows(len(self.table)).tolist()

    @property
    def clips(self) -> dict[str, Clip]:
        """The fold's clips (training side and test) by id."""
        table = self.table
        return {table.ids[i]: table.clips[i] for i in self._fold_rows()}

    @property
    def feature_keys(self) -> dict[str, dict[str, str]]:
        """Branch -> clip id -> feature key, over the fold's clips."""
        table, rows = self.table, self._fold_rows()
        return {b: {table.ids[i]: keys[i] for i in rows} for b, keys in table.feature_keys.items()}

    @property
    def media_hashes(self) -> dict[str, Mapping[str, str]]:
        table = self.table
        return {table.ids[i]: table.media_hashes[i] for i in self._fold_rows()}

    @cached_property
    def skipped(self) -> dict[str, str]:
        """Clips of the fold no model may see (unreadable or bad media), with why (made once per unit)."""
        table = self.table
        if not table.skipped:
            return {}
        inside = set(self._fold_rows()) if self.rows.train is not None else None
        return {c: r for c, r in table.skipped.items() if inside is None or table.row[c] in inside}

    @cached_property
    def fingerprint(self) -> str:
        """Everything that can change the fold's result: setup, seed, the fold's ids, their media, skipped clips.

        Computed when first asked (a dry run over folds with no stored result never needs it); the same
        content as planners before the clip table hashed, so stored results stay current.
        """
        table, fold = self.table, self.fold
        # stable_hash of {**setup, "seed", "fold", "data", "skipped"}, the same bytes: the canonical JSON is
        # made with a placeholder for "data" (every clip's media hashes: megabytes for a large corpus), whose
        # JSON is spliced in; keys sort "data" after the setup's first keys and before every per-fold key, so
        # the digest up to the end of "data" is computed once per setup for folds that use every clip.
        text = CANONICAL.encode({**self.metadata["setup"], "seed": self.seed,
                                 "fold": [fold.name, fold.train, fold.val, fold.meta, fold.test],
                                 "data": DATA_PLACEHOLDER, "skipped": self.skipped})
        head, tail = text.split(CANONICAL.encode(DATA_PLACEHOLDER), 1)
        if self.rows.train is None:  # every clip of the table
            digest = table.digest_through_data(head).copy()
        else:
            digest = hashlib.sha256(head.encode())
            rows = self._fold_rows()
            digest.update(CANONICAL.encode({table.ids[i]: table.media_hashes[i] for i in rows}).encode())
        digest.update(tail.encode())
        return digest.hexdigest()

    @property
    def stem(self) -> Path:
        """Where the fold's record and predictions go: its name made one safe file name.

        Fold names may hold a ``/`` (LOSO over several corpora names subjects ``corpus/actor``).
        """
        return self.result_dir / fold_file_name(self.rows.name)

    @property
    def modules(self) -> frozenset[str]:
        specs = [self.protocol, self.fusion, *branch_plugins(self.branches)]
        return frozenset(s.module for s in specs if s is not None and s.module)

    def describe(self) -> dict[str, Any]:
        return {"experiment": self.experiment, "protocol": self.protocol_key, "fold": self.rows.name,
                "seed": self.seed, "fingerprint": self.fingerprint}
