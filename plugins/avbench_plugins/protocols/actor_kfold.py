"""Actor k-fold from explicit fold lists; the default is the RAVDESS 5-fold split of
Luna-Jiménez et al. 2022 (Applied Sciences 12(1):327)."""

from __future__ import annotations

from typing import Sequence

from pydantic import Field, model_validator

from avbench import hookimpl
from avbench.contract import Clip, Fold, Protocol

from .subjects import spelled_as_in, clips_of, require_known, subject_set, subjects_of
from .validation import ValidationParams, apply_val_in_training

LUNA_JIMENEZ_2022_RAVDESS = [
    [2, 5, 14, 15, 16],
    [3, 6, 7, 13, 18],
    [10, 11, 12, 19, 20],
    [8, 17, 21, 23, 24],
    [1, 4, 9, 22],
]


class ActorKFold(Protocol):
    """Fold k tests on ``folds[k]`` and trains on every other listed actor; ``val_fold`` picks,
    per test fold, the next fold's actors for early stopping when set to ``next``; ``val_in_training``
    (see :mod:`.validation`) moves them into every model's training set."""

    name = "actor-kfold"
    version = "1.0"
    cites = "Luna-Jimenez et al. 2022, Applied Sciences 12(1):327 (the default folds)"

    class Params(ValidationParams):
        folds: list[list[int | str]] = Field(default_factory=lambda: [list(f) for f in LUNA_JIMENEZ_2022_RAVDESS],
                                             min_length=2, description="disjoint actor groups (numbers or ids); "
                                             "fold k tests on folds[k], the others train")
        val_fold: str = Field(
            "none", pattern="^(none|next)$",
            description="'next': the next fold's actors validate (early stopping); 'none': no validation")

        @model_validator(mode="after")
        def _disjoint(self) -> "ActorKFold.Params":
            seen: dict[str, int] = {}
            for k, fold in enumerate(self.folds):
                for s in subject_set(fold):
                    if s in seen:
                        raise ValueError(f"actor {s} is in fold {seen[s]} and fold {k}")
                    seen[s] = k
            return self

    def folds(self, clips: Sequence[Clip]) -> list[Fold]:
        present = subjects_of(clips)
        groups = [subject_set(f) for f in self.params.folds]
        listed = frozenset().union(*groups)
        require_known(self.name, "folds", listed, present)
        out = []
        for k, test in enumerate(groups):
            val = groups[(k + 1) % len(groups)] if self.params.val_fold == "next" else frozenset()
            train = listed - test - val
            fold = Fold(f"fold-{k + 1}", train=clips_of(clips, train), val=clips_of(clips, val),
                        test=clips_of(clips, test), test_subjects=spelled_as_in(clips, test))
            out.append(apply_val_in_training(fold, self.params.val_in_training))
        return out


@hookimpl
def avbench_plugins() -> list[type]:
    return [ActorKFold]
