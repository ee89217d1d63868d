"""``avbench verify``: recompute some of a bundle's folds here and compare their predictions with the bundle's.

The bundle is first checked like an import (nothing is stored). Then K folds are chosen: with
``--folds K`` the first K by experiment, protocol, seed and fold name (or a sample drawn with
``--seed``); without it, enough folds drawn at random to catch a single forged fold with probability
0.9, plus every fold that could alone have made its row best (:mod:`.verify_sample`). They are
recomputed in worker processes into a temporary folder (never into the run folder), and compared clip
by clip: the same clips, the same predicted labels, and probabilities within
``tolerance`` (byte-identical when the largest difference is 0).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import polars as pl

from avbench.config.loader import load_config
from avbench.registry import Registry, get_registry

from .bundle import BundleError, opened, submitter_slug
from .import_bundle import BundleFold, validate_bundle
from .recompute import plannable, recompute
from .verify_sample import default_count, default_sample

DEFAULT_TOLERANCE = 1e-6


@dataclass
class FoldVerdict:
    """How one recomputed fold compares with the bundle's."""

    where: str
    agrees: bool
    detail: str

    def line(self) -> str:
        return f"{'AGREES' if self.agrees else 'DISAGREES'} {self.where}: {self.detail}"


def choose_folds(folds: list[BundleFold], k: int, seed: int | None = None) -> list[BundleFold]:
    """K folds: the first K in sorted order, or with ``seed`` a sample of K drawn from that order."""
    ordered = sorted(folds, key=lambda f: (f.record["experiment"], f.record["protocol"], f.record["seed"],
                                           f.record["fold"]))
    if seed is None:
        return ordered[:k]
    picked = sorted(random.Random(seed).sample(range(len(ordered)), min(k, len(ordered))))
    return [ordered[i] for i in picked]


def compare_predictions(bundle: pl.DataFrame, local: pl.DataFrame, tolerance: float) -> tuple[bool, str]:
    """Same clips, same predicted labels and probabilities within ``tolerance``: (agrees, what was found)."""
    agrees, detail, _difference = compared(bundle, local, tolerance)
    return agrees, detail


def compared(bundle: pl.DataFrame, local: pl.DataFrame, tolerance: float) -> tuple[bool, str, float | None]:
    """:func:`compare_predictions` and the largest probability difference (None when not comparable)."""
    if sorted(bundle["clip_id"].to_list()) != sorted(local["clip_id"].to_list()):
        return False, (f"other test clips: the bundle predicts {bundle.height}, recomputed here {local.height} "
                       f"({len(set(bundle['clip_id']) ^ set(local['clip_id']))} differ)"), None
    bundle, local = bundle.sort("clip_id"), local.sort("clip_id")
    theirs = np.array(bundle["probabilities"].to_list(), dtype=np.float64).reshape(bundle.height, -1)
    ours = np.array(local["probabilities"].to_list(), dtype=np.float64).reshape(local.height, -1)
    if theirs.shape != ours.shape:
        return False, f"probabilities of shape {theirs.shape}, recomputed here {ours.shape}", None
    same_labels = int((bundle["predicted_index"].to_numpy() == local["predicted_index"].to_numpy()).sum())
    difference = float(np.abs(theirs - ours).max()) if theirs.size else 0.0
    labels = f"labels agree on {same_labels} of {bundle.height} clips"
    if difference == 0.0 and same_labels == bundle.height:
        return True, f"byte-identical probabilities; {labels}", 0.0
    agrees = same_labels == bundle.height and difference <= tolerance
    return agrees, f"max |difference| of probabilities {difference:.3g} (tolerance {tolerance:g}); {labels}", difference


def verify_bundle(bundle: str | Path, config_path: str | Path, k: int | None, seed: int | None = None,
                  tolerance: float = DEFAULT_TOLERANCE, registry: Registry | None = None,
                  data_overrides: dict[str, str] | None = None, workers: int | None = None,
                  log: Callable[[str], None] = lambda _line: None) -> list[FoldVerdict]:
    """Recompute K of the bundle's folds here; one verdict per fold. Raises BundleError when it cannot."""
    if k is not None and k < 1:
        raise BundleError([f"--folds {k}: expected at least 1"])
    registry = registry or get_registry()
    config_path = Path(config_path).resolve()
    base = config_path.parent
    config = load_config(config_path, registry, data_overrides)
    with opened(Path(bundle)) as folder:
        check = validate_bundle(folder, str(bundle), config, registry, base, data_overrides)
        if check.problems:
            raise BundleError(check.problems)
        if k is None:
            board = base / config.benchmark.leaderboards / config.benchmark.name
            chosen, forced = default_sample(check.folds, board, submitter_slug(check.submitter))
            chosen = choose_folds(chosen, len(chosen))  # in sorted order
            log(f"{forced} fold(s) could alone make a row best and are always recomputed; "
                f"{default_count(len(check.folds))} of {len(check.folds)} drawn at random (a single forged fold is "
                f"caught with probability {default_count(len(check.folds)) / len(check.folds):.2f})")
        else:
            chosen = choose_folds(check.folds, k, seed)
        plan, by_fingerprint = plannable(config, registry, base, [f.record["experiment"] for f in chosen],
                                         data_overrides)
        missing = [f for f in chosen if f.record["fingerprint"] not in by_fingerprint]
        if missing:
            raise BundleError([f"{_where(f)}: cannot be recomputed here: " + _why_no_fold(f) for f in missing])
        log(f"recomputing {len(chosen)} of the bundle's {len(check.folds)} fold(s)")
        results = recompute(plan, [by_fingerprint[f.record["fingerprint"]] for f in chosen], config, workers, log)
        verdicts = []
        for fold in chosen:
            result = results[fold.record["fingerprint"]]
            if result.predictions is None:
                verdicts.append(FoldVerdict(_where(fold), False, result.cause))
                continue
            agrees, detail = compare_predictions(fold.predictions, result.predictions, tolerance)
            verdicts.append(FoldVerdict(_where(fold), agrees, detail))
    return verdicts


def _why_no_fold(fold: BundleFold) -> str:
    from avbench.leaderboard.freshness import setup_devices

    devices = setup_devices(fold.record.get("setup"))
    if devices:  # the same config, run on a GPU there: here it plans for the CPU, under other keys
        return (f"it ran plugins on {', '.join(sorted(devices))} there, which gives other bytes than this "
                "machine's devices (run verify where that device is)")
    return ("the data configured here gives no fold of this fingerprint (its dataset is not configured, the copy "
            "here differs, or a plugin runs on CUDA here)")


def _where(fold: BundleFold) -> str:
    r = fold.record
    return f"{r['experiment']} / {r['protocol']} / seed {r['seed']} / {r['fold']}"
