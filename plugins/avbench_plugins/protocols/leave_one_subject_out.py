"""Leave-one-subject-out: one fold per subject (ristea2019's protocol over CREMA-D's 91 actors)."""

from __future__ import annotations

import itertools
from typing import Iterator, Sequence

from pydantic import Field

from avbench import hookimpl
from avbench.contract import Clip, Fold, Protocol
from avbench.contract.errors import UnfitConfigError

from .corpora import CorpusSplit, LeaveOneCorpusOut
from .subjects import subject_key, subjects_of
from .validation import ValidationParams, apply_val_in_training


class LeaveOneSubjectOut(Protocol):
    """Each subject is the test set once; ``val_subjects`` other subjects (the next ones, cyclically) validate
    (``val_in_training``: they train every model too, see :mod:`.validation`)."""

    name = "loso"
    version = "1.0"

    class Params(ValidationParams):
        val_subjects: int = Field(0, ge=0, description="training subjects kept for early stopping per fold")

    def folds(self, clips: Sequence[Clip]) -> list[Fold]:
        return list(self.iter_folds(clips))

    def iter_folds(self, clips: Sequence[Clip]) -> Iterator[Fold]:
        """One fold per subject, made as asked: each costs one copy of the clip ids, not a scan per subject."""
        keys = [subject_key(c.subject) for c in clips]
        subjects = subjects_of(clips)
        if len(subjects) < 2 + self.params.val_subjects:
            raise UnfitConfigError(
                f"protocol 'loso' needs at least {2 + self.params.val_subjects} subjects "
                f"(2 + params.val_subjects = {self.params.val_subjects}), got {len(subjects)}: point the dataset at "
                f"more subjects" + (" or lower params.val_subjects" if self.params.val_subjects else ""))
        ids = tuple(c.clip_id for c in clips)
        rows: dict[str, list[int]] = {}
        for row, key in enumerate(keys):
            rows.setdefault(key, []).append(row)
        spelling = dict(zip(keys, (c.subject for c in clips)))
        for i, held in enumerate(subjects):
            val = [subjects[(i + k) % len(subjects)] for k in range(1, self.params.val_subjects + 1)]
            val_rows = sorted({r for s in val for r in rows[s]})
            fold = Fold(f"subject-{held}", train=without_rows(ids, sorted(rows[held] + val_rows)),
                        val=tuple(ids[r] for r in val_rows), test=tuple(ids[r] for r in rows[held]),
                        test_subjects=(spelling[held],))
            yield apply_val_in_training(fold, self.params.val_in_training)


def without_rows(ids: tuple[str, ...], excluded: Sequence[int]) -> tuple[str, ...]:
    """``ids`` in order without the (sorted) rows ``excluded``, copied slice by slice."""
    parts, start = [], 0
    for row in excluded:
        if row > start:
            parts.append(ids[start:row])
        start = max(start, row + 1)
    parts.append(ids[start:])
    if len(parts) > 4:
        return tuple(itertools.chain.from_iterable(parts))
    return sum(parts[1:], parts[0])  # a few slices: concatenated, a copy of pointers


@hookimpl
def avbench_plugins() -> list[type]:
    return [LeaveOneSubjectOut, CorpusSplit, LeaveOneCorpusOut]  # corpus protocols: no entry point of their own
