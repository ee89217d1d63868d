"""Leave-one-subject-out: one fold per subject (ristea2019's protocol over CREMA-D's 91 actors)."""

from __future__ import annotations

from typing import Sequence

from pydantic import Field

from avbench import hookimpl
from avbench.contract import Clip, Fold, Protocol

from .corpora import CorpusSplit, LeaveOneCorpusOut
from .subjects import spelled_as_in, clips_of, subjects_of
from .validation import ValidationParams, apply_val_in_training


class LeaveOneSubjectOut(Protocol):
    """Each subject is the test set once; ``val_subjects`` other subjects (the next ones, cyclically) validate
    (``val_in_training``: they train every model too, see :mod:`.validation`)."""

    name = "loso"
    version = "1.0"

    class Params(ValidationParams):
        val_subjects: int = Field(0, ge=0, description="training subjects kept for early stopping per fold")

    def folds(self, clips: Sequence[Clip]) -> list[Fold]:
        subjects = subjects_of(clips)
        if len(subjects) < 2 + self.params.val_subjects:
            raise ValueError(f"protocol 'loso' needs at least {2 + self.params.val_subjects} subjects, "
                             f"got {len(subjects)}")
        folds = []
        for i, held in enumerate(subjects):
            val = frozenset(subjects[(i + k) % len(subjects)] for k in range(1, self.params.val_subjects + 1))
            train = frozenset(subjects) - val - {held}
            fold = Fold(f"subject-{held}", train=clips_of(clips, train), val=clips_of(clips, val),
                        test=clips_of(clips, frozenset({held})), test_subjects=spelled_as_in(clips, {held}))
            folds.append(apply_val_in_training(fold, self.params.val_in_training))
        return folds


@hookimpl
def avbench_plugins() -> list[type]:
    return [LeaveOneSubjectOut, CorpusSplit, LeaveOneCorpusOut]  # corpus protocols: no entry point of their own
