"""Tiny stand-in models for fusion tests, built by a plain factory callable (no registry needed)."""

from __future__ import annotations

from typing import Any, ClassVar, Mapping

import numpy as np

from avbench.contract import BranchBatch, Model, OutputKind, Plugin


class Memorizer(Model):
    """A base model that memorises its training clips perfectly.

    Clip vectors carry ``[clip number, subject number, ...]``. For a clip it
    trained on it returns a one-hot row of the clip's label; for any other clip a
    uniform row, so a leaked probability is visible as one-hot. Every fit and
    predict is logged with the subjects involved.
    """

    name = "memorizer"
    version = "1"
    accepts: ClassVar[frozenset[OutputKind]] = frozenset({OutputKind.VECTOR})
    log: ClassVar[list[dict[str, Any]]] = []

    def fit(self, X, y, *, n_classes, X_val=None, y_val=None):
        self.n_classes = n_classes
        self.memory = {int(x[0]): int(label) for x, label in zip(X, y)}
        self.fit_subjects = frozenset(int(x[1]) for x in X)
        self.log.append({"event": "fit", "subjects": self.fit_subjects})
        return self

    def predict_proba(self, X):
        out = np.full((len(X), self.n_classes), 1.0 / self.n_classes, dtype=np.float32)
        for i, x in enumerate(X):
            if int(x[0]) in self.memory:
                out[i] = np.eye(self.n_classes)[self.memory[int(x[0])]]
        self.log.append({"event": "predict", "subjects": frozenset(int(x[1]) for x in X),
                         "fit_subjects": self.fit_subjects})
        return out


class Recorder(Model):
    """A model that records what it was fitted on and predicts a fixed, valid distribution."""

    name = "recorder"
    version = "1"
    accepts: ClassVar[frozenset[OutputKind]] = frozenset({OutputKind.VECTOR})

    def fit(self, X, y, *, n_classes, X_val=None, y_val=None):
        self.X = np.stack(X)
        self.y = np.asarray(y)
        self.X_val = None if X_val is None else np.stack(X_val)
        self.n_classes = n_classes
        return self

    def predict_proba(self, X):
        out = np.zeros((len(X), self.n_classes), dtype=np.float32)
        out[:, 0] = 1.0
        return out


class SequenceOnly(Recorder):
    name = "sequence-only"
    accepts: ClassVar[frozenset[OutputKind]] = frozenset({OutputKind.SEQUENCE})


PLUGINS = {cls.name: cls for cls in (Memorizer, Recorder, SequenceOnly)}


def factory(ref: Mapping[str, Any]) -> Plugin:
    return PLUGINS[ref["plugin"]](ref.get("params") or {})


def memo_batch(subjects: list[int], clips_per_subject: int = 4, n_classes: int = 3, start: int = 0,
               branches: tuple[str, ...] = ("audio", "video")) -> BranchBatch:
    """Vectors ``[clip number, subject, noise]`` per branch for the given subjects; clip numbers from ``start``."""
    rng = np.random.default_rng(start)
    rows = [(start + i, s) for i, s in enumerate(np.repeat(subjects, clips_per_subject))]
    y = np.array([i % n_classes for i, _ in rows])
    features = {b: [np.array([c, s, rng.normal()], np.float32) for c, s in rows] for b in branches}
    return BranchBatch(features=features, y=y, subjects=np.array([f"A{s:02d}" for _, s in rows]),
                       clip_ids=np.array([f"clip{c}" for c, _ in rows]))
