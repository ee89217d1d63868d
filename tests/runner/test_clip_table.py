"""One clip table per experiment: folds as row numbers, train as the complement, fingerprints unchanged."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest

from avbench.cache.feature_cache import stable_hash
from avbench.config.loader import load_config
from avbench.contract import Clip, Fold
from avbench.contract.errors import AvbenchError
from avbench.registry import get_registry
from avbench.runner.clip_table import ClipTable, FoldRows, load_clip_table
from avbench.runner.plan import (
    build_plan, check_rows_no_leakage, check_rows_test_classes, check_rows_train_classes, fold_units,
)

EXTRA_PROTOCOL = """
[protocols.loso-val-trains]
plugin = "loso"
params = { val_subjects = 1, val_in_training = true }
"""


def table_of(subjects: int = 4, per_subject: int = 3) -> ClipTable:
    clips = tuple(Clip(f"{s:02d}-{k}", f"{s:02d}", ["a", "b", "c"][k % 3], {"audio": f"/x/{s}-{k}.wav"},
                       {"corpus": "one" if s % 2 else "two"})
                  for s in range(1, subjects + 1) for k in range(per_subject))
    return ClipTable(clips, tuple({"audio": f"h{c.clip_id}"} for c in clips),
                     {"audio": tuple(f"key-{c.clip_id}" for c in clips)})


def ids_of(table: ClipTable, subjects: set[str]) -> tuple[str, ...]:
    return tuple(c.clip_id for c in table.clips if c.subject in subjects)


def test_a_leave_one_out_fold_stores_train_as_the_complement_and_gives_back_the_same_fold():
    table = table_of()
    fold = Fold("subject-02", train=ids_of(table, {"01", "04"}), val=ids_of(table, {"03"}),
                test=ids_of(table, {"02"}), test_subjects=("02",))
    rows = FoldRows.of(fold, table)
    assert rows.train is None
    assert rows.test.dtype == np.int32 and rows.test.tolist() == [3, 4, 5]
    assert rows.fold(table) == fold


def test_a_train_side_that_is_not_the_rest_in_table_order_is_stored_explicitly():
    table = table_of()
    reordered = Fold("f", train=ids_of(table, {"03", "04"}) + ids_of(table, {"01"}), test=ids_of(table, {"02"}))
    partial = Fold("g", train=ids_of(table, {"03"}), test=ids_of(table, {"02"}))  # subjects 01, 04 unused
    for fold in (reordered, partial):
        rows = FoldRows.of(fold, table)
        assert rows.train is not None
        assert rows.fold(table) == fold


def test_a_fold_naming_a_clip_the_experiment_lacks_is_one_clear_error():
    table = table_of()
    with pytest.raises(AvbenchError, match=r"fold 'f': test clip '99-0' is not one of the experiment's clips"):
        FoldRows.of(Fold("f", train=ids_of(table, {"01"}), test=("99-0",)), table)


@pytest.mark.parametrize("explicit", [False, True])
def test_a_leaking_fold_is_refused_whether_train_is_the_complement_or_explicit(explicit):
    table = table_of()
    test = ids_of(table, {"02"})[:2]  # subject 02's third clip stays on the training side
    train = tuple(c for c in table.ids if c not in test)
    fold = Fold("leaky", train=train if not explicit else train[::-1], test=test)
    rows = FoldRows.of(fold, table)
    assert (rows.train is not None) == explicit
    with pytest.raises(AvbenchError, match=r"fold 'leaky' puts subject\(s\) \['02'\] in both train and test"):
        check_rows_no_leakage(rows, table, "protocol x")


def test_a_test_side_without_a_class_is_refused_naming_the_classes_it_has():
    table = table_of(subjects=4, per_subject=2)  # every subject has labels a and b only
    fold = Fold("f", train=ids_of(table, {"01", "02", "03"}), test=ids_of(table, {"04"}))
    with pytest.raises(AvbenchError, match=r"class\(es\) 'c' of the experiment have no test clip "
                                           r"\(test side has: a, b\)"):
        check_rows_test_classes(FoldRows.of(fold, table), table, ["a", "b", "c"], "protocol x")


def test_a_training_side_without_a_class_is_refused_naming_the_classes_it_has():
    table = table_of(subjects=4, per_subject=2)  # every subject has labels a and b only
    fold = Fold("f", train=ids_of(table, {"01", "02", "03"}), test=ids_of(table, {"04"}))
    with pytest.raises(AvbenchError, match=r"class\(es\) 'c' of the experiment have no training clip "
                                           r"\(training side has: a, b\)"):
        check_rows_train_classes(FoldRows.of(fold, table), table, ["a", "b", "c"], "protocol x")
    check_rows_train_classes(FoldRows.of(fold, table), table, ["a", "b"], "protocol x")


def test_a_saved_table_is_named_by_its_content_and_read_back_in_another_process(tmp_path):
    table = table_of()
    path = table.save(tmp_path)
    assert path.parent == tmp_path / "clip-tables"
    assert table_of().save(tmp_path) == path  # same content, same file: written once
    assert len(list(path.parent.iterdir())) == 1
    code = ("import sys; from avbench.runner.clip_table import load_clip_table as l; t = l(sys.argv[1]); "
            "print(len(t), t.clip('02-1').subject, t.key('audio', '04-2'), t.media_hash('01-0')['audio'])")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["12", "02", "key-04-2", "h01-0"]
    assert load_clip_table(path) is load_clip_table(path)  # memoised per process


def test_a_unit_pickles_small_however_large_its_training_side(tmp_path):
    table = table_of(subjects=200, per_subject=50)  # 10,000 clips
    path = table.save(tmp_path)
    test = ids_of(table, {"07"})
    fold = Fold("subject-07", train=tuple(c for c in table.ids if c not in test), test=test)
    rows = FoldRows.of(fold, table)
    assert len(test) == 50 and rows.train is None and len(pickle.dumps(rows)) < 2_000
    assert rows.fold(table) == fold
    assert pickle.loads(pickle.dumps(path)) == path


def old_fingerprint(unit, plan, skipped: dict[str, str]) -> str:
    """The fold fingerprint as planners before the clip table made it (ids, their media, skipped clips)."""
    exp = plan.experiments[unit.experiment]
    exp_skipped = dict(exp.clip_errors)
    for branch in exp.branches:
        for clip_id, key in exp.keys[branch.name].items():
            if key in skipped:
                exp_skipped.setdefault(clip_id, f"{branch.extractor.plugin}: {skipped[key]}")
    fold = unit.fold
    fold_clips = sorted(set(fold.test) | fold.training_side())
    return stable_hash({**unit.metadata["setup"], "seed": unit.seed,
                        "fold": [fold.name, fold.train, fold.val, fold.meta, fold.test],
                        "data": {c: exp.media_hashes[c] for c in fold_clips},
                        "skipped": {c: r for c, r in exp_skipped.items() if c in fold_clips}})


def test_fold_fingerprints_hash_the_same_content_as_before_the_clip_table(toy_benchmark):
    path = toy_benchmark(extra=EXTRA_PROTOCOL)
    path.write_text(path.read_text().replace('protocols = ["holdout", "loso"]',
                                             'protocols = ["holdout", "loso", "loso-val-trains"]'))
    registry = get_registry()
    config = load_config(path, registry)
    plan = build_plan(config, registry, path.parent, log=lambda m: None)
    keys = plan.experiments["centroid"].keys["audio"]
    bad = {keys["02-sad-1"]: "unreadable file", keys["05-happy-0"]: "unreadable file"}  # remembered bad media
    for skipped in ({}, bad):
        units, errors = fold_units(plan, config, registry, skipped)
        assert not errors
        assert len(units) == 1 + 6 + 6
        assert {u.rows.train is None for u in units} == {True, False}  # both ways of storing train are covered
        for unit in units:
            assert unit.fingerprint == old_fingerprint(unit, plan, skipped), unit.fold_name
        assert any(unit.skipped for unit in units) == bool(skipped)
