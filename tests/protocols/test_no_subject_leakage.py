"""No protocol ever puts one subject on both the training side and the test side of a fold."""

from __future__ import annotations

import pytest

from avbench.contract import Clip, PluginKind
from avbench.registry import get_registry


def ravdess_like(actors: int = 24, per_actor: int = 6) -> list[Clip]:
    return [Clip(f"{a:02d}-{k}", f"{a:02d}", "happy", {"audio": f"/x/{a}-{k}.wav"},
                 {"session": (a + 1) // 2, "corpus": f"c{a % 3 + 1}"})
            for a in range(1, actors + 1) for k in range(per_actor)]


PROTOCOLS = get_registry().names(PluginKind.PROTOCOL)
#: Protocols that need parameters to split at all (the corpora of ``ravdess_like``'s clips).
PARAMS = {"corpus-split": {"train": ["c1", "c2"], "test": ["c3"]}}


@pytest.mark.parametrize("name", PROTOCOLS)
def test_protocol_never_shares_a_subject_between_train_and_test(name):
    clips = ravdess_like()
    by_id = {c.clip_id: c for c in clips}
    folds = get_registry().create({"plugin": name, "params": PARAMS.get(name, {})}, PluginKind.PROTOCOL).folds(clips)
    assert folds
    for fold in folds:
        train = {by_id[c].subject for c in fold.training_side()}
        test = {by_id[c].subject for c in fold.test}
        assert test, f"{name}/{fold.name} has no test clips"
        assert not train & test, f"{name}/{fold.name} leaks subjects {train & test}"
        assert not set(fold.val) & set(fold.test) and not set(fold.meta) & set(fold.test)


def test_first_party_protocols_are_all_covered():
    assert {"actor-holdout", "loso", "fixed-split", "actor-kfold"} <= set(PROTOCOLS)


def test_actor_holdout_defaults_follow_ravdess_cnn():
    fold, = get_registry().create("actor-holdout", PluginKind.PROTOCOL).folds(ravdess_like())
    assert fold.test_subjects == ("23", "24")
    assert {c.split("-")[0] for c in fold.val} == {"21", "22"}
    assert len(fold.train) == 20 * 6


def test_loso_makes_one_fold_per_subject_each_tested_once():
    folds = get_registry().create("loso", PluginKind.PROTOCOL).folds(ravdess_like())
    assert len(folds) == 24
    tested = [c for f in folds for c in f.test]
    assert sorted(tested) == sorted(c.clip_id for c in ravdess_like())


def test_loso_validation_subjects_are_other_training_subjects():
    folds = get_registry().create({"plugin": "loso", "params": {"val_subjects": 2}}, PluginKind.PROTOCOL).folds(
        ravdess_like())
    assert all(len({c.split("-")[0] for c in f.val}) == 2 for f in folds)


def test_fixed_split_defaults_are_8_12_4_groups():
    fold, = get_registry().create("fixed-split", PluginKind.PROTOCOL).folds(ravdess_like())
    groups = [{c.split("-")[0] for c in ids} for ids in (fold.train, fold.meta, fold.test)]
    assert [len(g) for g in groups] == [8, 12, 4]


def test_actor_kfold_default_lists_are_luna_jimenez_2022():
    folds = get_registry().create("actor-kfold", PluginKind.PROTOCOL).folds(ravdess_like())
    assert [sorted(int(s) for s in f.test_subjects) for f in folds] == [
        [2, 5, 14, 15, 16], [3, 6, 7, 13, 18], [10, 11, 12, 19, 20], [8, 17, 21, 23, 24], [1, 4, 9, 22]]


@pytest.mark.parametrize("ref, message", [
    ({"plugin": "actor-holdout", "params": {"test": [1], "val": [1]}}, "in both test and val"),
    ({"plugin": "fixed-split", "params": {"base": [1, 2], "meta": [2, 3], "test": [4]}}, "in both base and meta"),
    ({"plugin": "actor-kfold", "params": {"folds": [[1, 2], [2, 3]]}}, "actor 2 is in fold 0 and fold 1"),
])
def test_overlapping_groups_in_parameters_are_refused(ref, message):
    with pytest.raises(Exception, match=message):
        get_registry().create(ref, PluginKind.PROTOCOL)


def test_protocol_naming_absent_subjects_is_a_clear_error():
    with pytest.raises(ValueError, match="test names subjects not in the data: 30"):
        get_registry().create({"plugin": "actor-holdout", "params": {"test": [30]}},
                              PluginKind.PROTOCOL).folds(ravdess_like())


def test_runner_refuses_a_leaking_fold():
    from avbench.contract import Fold
    from avbench.contract.errors import AvbenchError
    from avbench.runner.plan import check_no_leakage

    clips = {c.clip_id: c for c in ravdess_like(3, 2)}
    leaky = Fold("bad", train=("01-0", "02-0"), test=("02-1",))
    with pytest.raises(AvbenchError, match=r"subject\(s\) \['02'\] in both train and test"):
        check_no_leakage(leaky, clips, "protocol x")
