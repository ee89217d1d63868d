"""Whether validation subjects train is one declared protocol setting, the same for every model."""

from __future__ import annotations

import pytest

from avbench.contract import Clip, PluginKind
from avbench.registry import get_registry

#: Each first-party protocol with validation subjects, set so that it has some.
WITH_VALIDATION = {
    "actor-holdout": {},
    "actor-kfold": {"val_fold": "next"},
    "fixed-split": {"val": [1, 2]},
    "loso": {"val_subjects": 2},
}


def clips(actors: int = 24) -> list[Clip]:
    return [Clip(f"{a:02d}-{k}", f"{a:02d}", "happy", {"audio": f"/x/{a}-{k}.wav"})
            for a in range(1, actors + 1) for k in range(2)]


def folds(name: str, **params):
    return get_registry().create({"plugin": name, "params": params}, PluginKind.PROTOCOL).folds(clips())


@pytest.mark.parametrize("name", WITH_VALIDATION)
def test_validation_subjects_only_select_the_model_by_default(name):
    for fold in folds(name, **WITH_VALIDATION[name]):
        assert fold.val, f"{name}/{fold.name} should have validation clips"
        assert not set(fold.val) & set(fold.train)


@pytest.mark.parametrize("name", WITH_VALIDATION)
def test_val_in_training_moves_the_validation_subjects_into_training(name):
    kept = folds(name, **WITH_VALIDATION[name])
    merged = folds(name, **WITH_VALIDATION[name], val_in_training=True)
    assert [f.name for f in merged] == [f.name for f in kept]
    for before, after in zip(kept, merged):
        assert after.val == ()
        assert set(after.train) == set(before.train) | set(before.val)
        assert (after.test, after.meta) == (before.test, before.meta)


@pytest.mark.parametrize("name", WITH_VALIDATION)
def test_the_setting_is_a_declared_parameter_shown_in_the_setup(name):
    protocol = get_registry().create({"plugin": name, "params": WITH_VALIDATION[name]}, PluginKind.PROTOCOL)
    assert protocol.get_params()["val_in_training"] is False
