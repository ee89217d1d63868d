"""Feature standardisation as a declared stage of a branch (``normalise = { scope, transductive }``).

Applied by the worker before features reach a model or fusion. Statistics (mean and SD per feature
dimension; a sequence's over all its frames) are computed from features only, never from labels:

- a training clip is standardised by the training clips of its group (its speaker, its corpus, or all);
- a test clip by training statistics: its corpus's when that corpus has training clips, else all
  training clips' (scope ``corpus`` then needs ``transductive``: the planner refuses it otherwise;
  scope ``speaker`` always needs it, a config error otherwise, since a test speaker has no training clips);
- with ``transductive = true``, a test clip by its own group's unlabelled test clips (the group being its
  speaker, its corpus, or the whole test side), and never by another test group's.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping, Sequence

import numpy as np

from avbench.contract import BranchBatch, Clip, Fold

EPSILON = 1e-8
GLOBAL = ""


def settings_of(unit: Any) -> dict[str, dict[str, Any]]:
    """Branch name -> its normalise setting, from the unit's setup (the key it is computed under)."""
    branches = (unit.metadata.get("setup") or {}).get("branches") or []
    return {b["name"]: b["normalise"] for b in branches if b.get("normalise")}


def group_of(clip: Clip, scope: str) -> str:
    if scope == "speaker":
        return f"speaker:{clip.subject}"
    if scope == "corpus":
        return f"corpus:{clip.meta.get('corpus', GLOBAL)}"
    return GLOBAL


def corpus_group(clip: Clip) -> str:
    return f"corpus:{clip.meta.get('corpus', GLOBAL)}"


def statistics(features: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Mean and SD per feature dimension (the last axis) over clips, and over frames for sequences."""
    rows = np.concatenate([np.asarray(f, dtype=np.float64).reshape(-1, np.shape(f)[-1]) for f in features])
    sd = rows.std(axis=0)
    return rows.mean(axis=0), np.where(sd > EPSILON, sd, 1.0)


def grouped_statistics(features: Sequence[np.ndarray], groups: Sequence[str]
                       ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    by_group: dict[str, list[np.ndarray]] = {}
    for value, group in zip(features, groups):
        by_group.setdefault(group, []).append(value)
    return {group: statistics(values) for group, values in by_group.items()}


def unseen_test_corpora(fold: Fold, clips: Mapping[str, Clip]) -> list[str]:
    """Corpora with test clips but no training clip in ``fold``."""
    seen = {clips[c].meta.get("corpus", GLOBAL) for c in fold.training_side() if c in clips}
    return sorted({clips[c].meta.get("corpus", GLOBAL) for c in fold.test if c in clips} - seen)


def check_fold(fold: Fold, clips: Mapping[str, Clip], settings: Mapping[str, Mapping[str, Any]], where: str) -> None:
    """Refuse a fold whose normalisation would need test statistics without ``transductive``."""
    for branch, setting in settings.items():
        if setting["scope"] == "corpus" and not setting["transductive"]:
            unseen = unseen_test_corpora(fold, clips)
            if unseen:
                raise ValueError(f"{where}: fold {fold.name!r}: branch {branch!r} normalises per corpus, but corpus "
                                 f"{', '.join(unseen)} has no training clip, so its statistics would come from test "
                                 f"clips: set normalise.transductive = true or use scope 'global'")


class FoldNormaliser:
    """Statistics of one fold: fitted on training-side features, then applied to training and test batches."""

    def __init__(self, settings: Mapping[str, Mapping[str, Any]], clips: Mapping[str, Clip]) -> None:
        self.settings = dict(settings)
        self.clips = clips
        self.train: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
        self.test: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}

    def fit(self, batches: Sequence[BranchBatch]) -> "FoldNormaliser":
        """Training statistics per branch: per group of the scope, per corpus and overall (features only)."""
        for branch, setting in self.settings.items():
            features = [f for b in batches for f in b.features[branch]]
            clips = [self.clips[str(c)] for b in batches for c in b.clip_ids]
            stats = grouped_statistics(features, [group_of(c, setting["scope"]) for c in clips])
            stats.update({g: s for g, s in grouped_statistics(features, [corpus_group(c) for c in clips]).items()
                          if g not in stats})
            stats[GLOBAL] = statistics(features)
            self.train[branch] = stats
        return self

    def fit_test(self, batch: BranchBatch) -> None:
        """Transductive statistics: each test group's own unlabelled clips (``batch.y`` is never read)."""
        for branch, setting in self.settings.items():
            if setting["transductive"] and len(batch.clip_ids):
                groups = [group_of(self.clips[str(c)], setting["scope"]) for c in batch.clip_ids]
                self.test[branch] = grouped_statistics(batch.features[branch], groups)

    def training(self, batch: BranchBatch) -> BranchBatch:
        """A training-side batch (augmented copies included) standardised by its groups' training statistics."""
        return self._apply(batch, self._training_stats)

    def testing(self, batch: BranchBatch) -> BranchBatch:
        return self._apply(batch, self._test_stats)

    def test_features(self, features: Mapping[str, list], clip_ids: Sequence[str]) -> dict[str, list]:
        """Test features (e.g. one latency clip) standardised as the fold's test clips are."""
        return {name: (self._standardised(name, values, clip_ids, self._test_stats) if name in self.settings
                       else values) for name, values in features.items()}

    def _training_stats(self, branch: str, clip: Clip) -> tuple[np.ndarray, np.ndarray]:
        return self.train[branch][group_of(clip, self.settings[branch]["scope"])]

    def _test_stats(self, branch: str, clip: Clip) -> tuple[np.ndarray, np.ndarray]:
        setting = self.settings[branch]
        group = group_of(clip, setting["scope"])
        if setting["transductive"]:
            return self.test[branch][group]
        stats = self.train[branch]
        if setting["scope"] == "corpus":
            return stats[group]  # the planner refused corpora without training clips
        return stats.get(corpus_group(clip), stats[GLOBAL]) if clip.meta.get("corpus") else stats[GLOBAL]

    def _standardised(self, branch: str, values: Sequence[np.ndarray], clip_ids: Sequence[str], stats_of
                      ) -> list[np.ndarray]:
        out = []
        for value, clip_id in zip(values, clip_ids):
            mean, sd = stats_of(branch, self.clips[str(clip_id)])
            array = np.asarray(value)
            out.append(((array - mean) / sd).astype(array.dtype if array.dtype.kind == "f" else np.float32))
        return out

    def _apply(self, batch: BranchBatch, stats_of) -> BranchBatch:
        features = {name: (self._standardised(name, values, list(batch.clip_ids), stats_of)
                           if name in self.settings else values) for name, values in batch.features.items()}
        return replace(batch, features=features)
