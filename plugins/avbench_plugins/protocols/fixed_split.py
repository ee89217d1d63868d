"""The fixed base/meta/test split of demokritos2022: 8 actors train base models, 12 train the
meta-classifier on the frozen base models' outputs, 4 are the test set."""

from __future__ import annotations

from typing import Sequence

from pydantic import Field, model_validator

from avbench import hookimpl
from avbench.contract import Clip, Fold, Protocol

from .subjects import spelled_as_in, clips_of, require_known, subject_set, subjects_of
from .validation import ValidationParams, apply_val_in_training


class FixedSplit(Protocol):
    """One fold with three disjoint actor groups; the ``val`` base actors validate (``val_in_training``:
    they train every base model too, see :mod:`.validation`).

    The defaults take actors 1-8 (base), 9-20 (meta) and 21-24 (test): 32 test clips per emotion,
    as the text states. RAVDESS numbers odd actors male and even female, so each range is
    gender-balanced.
    """

    name = "fixed-split"
    version = "1.0"
    cites = ('Mitseas, "Multimodal Emotion Recognition", NCSR Demokritos report, 2022 (seed text demokritos2022: the '
             'default split)')

    class Params(ValidationParams):
        base: list[int | str] = Field(default_factory=lambda: list(range(1, 9)), min_length=1,
                                      description="actors (numbers or ids) that train the base models")
        meta: list[int | str] = Field(
            default_factory=lambda: list(range(9, 21)),
            description="actors (numbers or ids) that train the meta-classifier on the frozen base models' outputs")
        test: list[int | str] = Field(default_factory=lambda: list(range(21, 25)), min_length=1,
                                      description="test actors (numbers or ids)")
        val: list[int | str] = Field(default_factory=list,
                                     description="base actors kept for early stopping (taken out of base)")

        @model_validator(mode="after")
        def _disjoint(self) -> "FixedSplit.Params":
            groups = {"base": subject_set(self.base), "meta": subject_set(self.meta), "test": subject_set(self.test)}
            names = list(groups)
            for i, a in enumerate(names):
                for b in names[i + 1:]:
                    both = groups[a] & groups[b]
                    if both:
                        raise ValueError(f"actors {sorted(both)} are in both {a} and {b}")
            if not subject_set(self.val) <= groups["base"]:
                raise ValueError("val actors must be base actors")
            return self

    def folds(self, clips: Sequence[Clip]) -> list[Fold]:
        present = subjects_of(clips)
        base, meta, test, val = (subject_set(getattr(self.params, k)) for k in ("base", "meta", "test", "val"))
        for field, group in (("base", base), ("meta", meta), ("test", test)):
            require_known(self.name, field, group, present)
        fold = Fold("base-meta-test", train=clips_of(clips, base - val), val=clips_of(clips, val),
                    meta=clips_of(clips, meta), test=clips_of(clips, test), test_subjects=spelled_as_in(clips, test))
        return [apply_val_in_training(fold, self.params.val_in_training)]


@hookimpl
def avbench_plugins() -> list[type]:
    return [FixedSplit]
