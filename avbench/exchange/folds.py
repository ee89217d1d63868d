"""Fold definitions of a bundle: written from a plan at export, recomputed into fold fingerprints at import.

A fold fingerprint is the hash of the experiment's identity (from the config alone), the seed, the
fold (clip ids of each side), the media content hashes of its clips and the clips skipped as bad
media (:func:`avbench.runner.plan.fold_units`). ``folds.json`` carries all but the identity, so the
maintainer recomputes every fingerprint from their own config and refuses one that does not follow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from avbench.cache.feature_cache import stable_hash
from avbench.config.schema import BenchmarkConfig
from avbench.registry import Registry
from avbench.runner.units import FoldUnit


def planned_units(config: BenchmarkConfig, registry: Registry, base: Path, names: Sequence[str],
                  data_overrides: dict[str, str] | None = None) -> tuple[Any, list[FoldUnit], list[dict[str, Any]]]:
    """The plan and fold units of ``names`` as a run would make them now (remembered bad media included)."""
    from avbench.runner.bad_media import BadMediaMemory
    from avbench.runner.plan import build_plan, fold_units

    plan = build_plan(config, registry, base, list(names), data_overrides, log=lambda _line: None)
    memory = BadMediaMemory(plan.output_dir / "clip-errors.json")
    units, errors = fold_units(plan, config, registry, memory.verdicts)
    return plan, units, errors


def fold_entry(unit: FoldUnit) -> dict[str, Any]:
    """One fold as ``folds.json`` stores it."""
    fold = unit.fold
    return {"train": list(fold.train), "val": list(fold.val), "meta": list(fold.meta), "test": list(fold.test),
            "test_subjects": list(fold.test_subjects)}


def protocol_entry(units: Sequence[FoldUnit]) -> dict[str, Any]:
    """Clips, folds, skipped clips and seeds of one experiment x protocol, from its units."""
    clips: dict[str, Any] = {}
    folds: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for unit in units:
        folds.setdefault(unit.fold.name, fold_entry(unit))
        skipped.update(unit.skipped)
        for clip_id, clip in unit.clips.items():
            clips.setdefault(clip_id, {"subject": str(clip.subject), "label": clip.label,
                                       "media": dict(unit.media_hashes[clip_id])})
    return {"clips": dict(sorted(clips.items())), "folds": folds, "skipped": dict(sorted(skipped.items())),
            "seeds": sorted({u.seed for u in units})}


def fold_fingerprint(identity: dict[str, Any], seed: int, name: str, entry: dict[str, Any],
                     clips: dict[str, Any], skipped: dict[str, str]) -> str:
    """The fingerprint :func:`avbench.runner.plan.fold_units` gives this fold under ``identity``."""
    members = sorted(set(entry["test"]) | set(entry["train"]) | set(entry["val"]) | set(entry["meta"]))
    return stable_hash({**identity, "seed": seed,
                        "fold": [name, entry["train"], entry["val"], entry["meta"], entry["test"]],
                        "data": {c: clips[c]["media"] for c in members},
                        "skipped": {c: r for c, r in skipped.items() if c in members}})
