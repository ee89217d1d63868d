"""LOSO makes its folds one at a time (for planning a large corpus), the same folds as before."""

from __future__ import annotations

import inspect

import pytest

from avbench.contract import Clip, Fold, PluginKind
from avbench.registry import get_registry
from avbench_plugins.protocols.subjects import clips_of, spelled_as_in, subjects_of
from avbench_plugins.protocols.validation import apply_val_in_training


def interleaved_clips() -> list[Clip]:
    """Subjects spelled "01".."05", their clips interleaved (not grouped by subject), as some corpora list them."""
    return [Clip(f"c{k:03d}", f"{k % 5 + 1:02d}", "happy" if k % 2 else "sad", {"audio": f"/x/{k}.wav"})
            for k in range(40)]


def folds_as_before(clips: list[Clip], val_subjects: int, val_in_training: bool) -> list[Fold]:
    """LOSO as its plugin made it before folds came one at a time: every fold a scan of every clip."""
    subjects = subjects_of(clips)
    folds = []
    for i, held in enumerate(subjects):
        val = frozenset(subjects[(i + k) % len(subjects)] for k in range(1, val_subjects + 1))
        train = frozenset(subjects) - val - {held}
        fold = Fold(f"subject-{held}", train=clips_of(clips, train), val=clips_of(clips, val),
                    test=clips_of(clips, frozenset({held})), test_subjects=spelled_as_in(clips, {held}))
        folds.append(apply_val_in_training(fold, val_in_training))
    return folds


@pytest.mark.parametrize("val_subjects,val_in_training", [(0, False), (1, False), (2, True)])
def test_loso_gives_the_same_folds_one_at_a_time(val_subjects, val_in_training):
    protocol = get_registry().create({"plugin": "loso", "params": {"val_subjects": val_subjects,
                                                                   "val_in_training": val_in_training}},
                                     PluginKind.PROTOCOL)
    clips = interleaved_clips()
    folds = protocol.iter_folds(clips)
    assert inspect.isgenerator(folds)
    assert list(folds) == folds_as_before(clips, val_subjects, val_in_training) == protocol.folds(clips)
