"""Protocol plugins: split clips into folds by subject, never sharing one across train and test."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Iterator, Sequence

from .base import Plugin, PluginKind
from .dataset import Clip


@dataclass(frozen=True)
class Fold:
    """One train/test split, as clip ids.

    ``val`` holds training-side subjects kept for early stopping; ``meta`` a
    disjoint subject group for training a meta-classifier (empty when the
    protocol has none).
    """

    name: str
    train: tuple[str, ...]
    test: tuple[str, ...]
    val: tuple[str, ...] = ()
    meta: tuple[str, ...] = ()
    test_subjects: tuple[str, ...] = field(default=())

    def training_side(self) -> set[str]:
        return set(self.train) | set(self.val) | set(self.meta)


class Protocol(Plugin):
    """Makes folds from clips; every subject is on one side of each fold only."""

    kind: ClassVar[PluginKind] = PluginKind.PROTOCOL

    def folds(self, clips: Sequence[Clip]) -> list[Fold]:
        raise NotImplementedError

    def iter_folds(self, clips: Sequence[Clip]) -> Iterator[Fold]:
        """The folds one at a time, as the runner asks for them; default: :meth:`folds`. A protocol of many
        folds over a large corpus overrides it so that its folds are never all in memory at once."""
        yield from self.folds(clips)


def by_subject(clips: Sequence[Clip], subjects: set[str] | frozenset[str]) -> tuple[str, ...]:
    """Clip ids of the clips whose subject is in ``subjects``, in input order."""
    return tuple(c.clip_id for c in clips if c.subject in subjects)
