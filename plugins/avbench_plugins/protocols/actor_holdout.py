"""Actor holdout: fixed test and validation actors, the rest train (ravdess-cnn's split by default)."""

from __future__ import annotations

from typing import Sequence

from pydantic import Field, model_validator

from avbench import hookimpl
from avbench.contract import Clip, Fold, Protocol

from .subjects import spelled_as_in, clips_of, require_known, subject_set, subjects_of
from .validation import ValidationParams, apply_val_in_training


class ActorHoldout(Protocol):
    """One fold: ``test`` actors are held out, ``val`` actors kept for early stopping, all others train.

    ``val_in_training`` (see :mod:`.validation`) moves the ``val`` actors into every model's training set.
    """

    name = "actor-holdout"
    version = "1.0"

    class Params(ValidationParams):
        test: list[int | str] = Field(default_factory=lambda: [23, 24], min_length=1,
                                      description="test actors: numbers or ids as the dataset spells them (1 or '01')")
        val: list[int | str] = Field(
            default_factory=lambda: [21, 22],
            description="validation actors (numbers or ids), kept for early stopping; empty: none")

        @model_validator(mode="after")
        def _disjoint(self) -> "ActorHoldout.Params":
            both = subject_set(self.test) & subject_set(self.val)
            if both:
                raise ValueError(f"actors {sorted(both)} are in both test and val")
            return self

    def folds(self, clips: Sequence[Clip]) -> list[Fold]:
        present = subjects_of(clips)
        test, val = subject_set(self.params.test), subject_set(self.params.val)
        require_known(self.name, "test", test, present)
        require_known(self.name, "val", val, present)
        train = frozenset(present) - test - val
        fold = Fold("holdout", train=clips_of(clips, train), val=clips_of(clips, val),
                    test=clips_of(clips, test), test_subjects=spelled_as_in(clips, test))
        return [apply_val_in_training(fold, self.params.val_in_training)]


@hookimpl
def avbench_plugins() -> list[type]:
    return [ActorHoldout]
