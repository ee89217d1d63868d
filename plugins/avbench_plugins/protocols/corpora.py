"""Protocols over several corpora: clips carry ``meta["corpus"]`` (set by the runner for multi-dataset
experiments), and a fold holds whole corpora out.

Registered through :mod:`.leave_one_subject_out`'s hook (no entry point of their own).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from pydantic import Field, model_validator

from avbench.contract import Clip, Fold, Params, Protocol
from avbench.contract.errors import UnfitConfigError


def corpus_of(clip: Clip, protocol: str) -> str:
    try:
        return str(clip.meta["corpus"])
    except KeyError:
        raise ValueError(f"protocol {protocol!r} splits by corpus, but clip {clip.clip_id} has no "
                         f"meta['corpus']: give the experiment several datasets (`datasets` or `train`/`test`)"
                         ) from None


def corpora_of(clips: Sequence[Clip], protocol: str) -> list[str]:
    """Corpora in order of first appearance."""
    return list(dict.fromkeys(corpus_of(c, protocol) for c in clips))


def conformance_corpora_clips(tmp_dir: Path) -> list[Clip]:
    """For ``avbench check``: 3 corpora x 3 namespaced speakers x 4 emotions x 2 takes, as the runner makes them."""
    return [Clip(f"{corpus}/{speaker:02d}-{label}-{take}", f"{corpus}/{speaker:02d}", label,
                 {"audio": f"conformance-unused/{corpus}-{speaker:02d}-{label}-{take}.wav"}, {"corpus": corpus})
            for corpus in ("a", "b", "c") for speaker in (1, 2, 3)
            for label in ("neutral", "happy", "sad", "angry") for take in (1, 2)]


def _subjects(clips: Sequence[Clip], ids: tuple[str, ...]) -> tuple[str, ...]:
    chosen = set(ids)
    return tuple(sorted({c.subject for c in clips if c.clip_id in chosen}))


class CorpusSplit(Protocol):
    """One fold: clips of the ``train`` corpora train, clips of the ``test`` corpora test.

    The runner sets it up for an experiment with ``train``/``test`` (protocol key ``cross-corpus``).
    """

    name = "corpus-split"
    version = "1.0"
    conformance_params = {"train": ["a", "b"], "test": ["c"]}

    @classmethod
    def conformance_clips(cls, tmp_dir: Path) -> list[Clip]:
        return conformance_corpora_clips(tmp_dir)

    class Params(Params):
        train: list[str] = Field(default_factory=list, description="corpora whose clips train")
        test: list[str] = Field(default_factory=list, description="corpora whose clips test")

        @model_validator(mode="after")
        def _disjoint(self) -> "CorpusSplit.Params":
            both = set(self.train) & set(self.test)
            if both:
                raise ValueError(f"corpora {sorted(both)} are in both train and test")
            return self

    def folds(self, clips: Sequence[Clip]) -> list[Fold]:
        present = corpora_of(clips, self.name)
        if not self.params.train or not self.params.test:
            raise ValueError(f"protocol {self.name!r} needs `train` and `test` corpora")
        for side in ("train", "test"):
            missing = [c for c in getattr(self.params, side) if c not in present]
            if missing:
                raise ValueError(f"protocol {self.name!r}: {side} corpora {missing} have no clip "
                                 f"(corpora present: {', '.join(present)})")
        train = tuple(c.clip_id for c in clips if corpus_of(c, self.name) in self.params.train)
        test = tuple(c.clip_id for c in clips if corpus_of(c, self.name) in self.params.test)
        name = f"{'+'.join(self.params.train)}-to-{'+'.join(self.params.test)}"
        return [Fold(name, train=train, test=test, test_subjects=_subjects(clips, test))]


class LeaveOneCorpusOut(Protocol):
    """One fold per corpus: that corpus tests, all the others train (needs three corpora or more by default)."""

    name = "leave-one-corpus-out"
    version = "1.0"

    @classmethod
    def conformance_clips(cls, tmp_dir: Path) -> list[Clip]:
        return conformance_corpora_clips(tmp_dir)

    class Params(Params):
        min_corpora: int = Field(3, ge=2, description="fewer corpora than this is a configuration error")

    def folds(self, clips: Sequence[Clip]) -> list[Fold]:
        corpora = corpora_of(clips, self.name)
        if len(corpora) < self.params.min_corpora:
            raise UnfitConfigError(
                f"protocol {self.name!r} needs at least params.min_corpora = {self.params.min_corpora} corpora, "
                f"got {len(corpora)} ({', '.join(corpora)}): add a corpus to the experiment"
                + (", or set params.min_corpora = 2 to hold out each of two corpora in turn"
                   if len(corpora) == 2 else ""))
        folds = []
        for held in corpora:
            test = tuple(c.clip_id for c in clips if corpus_of(c, self.name) == held)
            train = tuple(c.clip_id for c in clips if corpus_of(c, self.name) != held)
            folds.append(Fold(f"corpus-{held}", train=train, test=test, test_subjects=_subjects(clips, test)))
        return folds
