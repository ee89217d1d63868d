"""A worker reads an experiment's cached features once, in bulk, for all the folds it runs."""

from __future__ import annotations

import polars as pl

from avbench.cache.feature_cache import FeatureCache
from avbench.config.loader import load_config
from avbench.registry import get_registry
from avbench.runner import worker
from avbench.runner.plan import build_plan, extraction_tasks, fold_units
from tests.core.conftest import toy_benchmark, toy_plugins

__all__ = ["toy_benchmark", "toy_plugins"]


def planned_units(path):
    registry = get_registry()
    config = load_config(path, registry)
    plan = build_plan(config, registry, path.parent, log=lambda m: None)
    for task in extraction_tasks(plan):
        assert not worker.extract_chunk(task).errors
    units, errors = fold_units(plan, config, registry, {}, {})
    assert not errors
    return units


def predictions(units) -> list[list]:
    return [pl.read_parquet(u.stem.with_suffix(".parquet"))["probabilities"].to_list() for u in units]


def test_all_folds_of_an_experiment_read_its_features_in_one_bulk_read_with_the_same_predictions(
        toy_benchmark, monkeypatch):
    units = planned_units(toy_benchmark())
    reads: list[tuple[str, int]] = []
    bulk, single = FeatureCache.load_many, FeatureCache.load

    def counted_bulk(self, name, keys):
        reads.append(("bulk", len(keys)))
        return bulk(self, name, keys)

    def counted_single(self, name, key):
        reads.append(("single", 1))
        return single(self, name, key)

    monkeypatch.setattr(FeatureCache, "load_many", counted_bulk)
    monkeypatch.setattr(FeatureCache, "load", counted_single)
    worker._loaded_features.clear()
    assert len(units) > 2
    assert all(worker.run_fold(u)["status"] == "ok" for u in units)
    assert reads == [("bulk", len(units[0].feature_keys["audio"]))]  # the first fold, for every later one
    memoised = predictions(units)

    for unit in units:  # each fold reading its features afresh, as a fresh worker would
        worker._loaded_features.clear()
        assert worker.run_fold(unit)["status"] == "ok"
    assert predictions(units) == memoised


def test_a_model_changing_its_input_in_place_does_not_change_what_later_folds_read(toy_benchmark):
    units = planned_units(toy_benchmark())
    worker._loaded_features.clear()
    data = worker.FoldData(units[0])
    ids = data.usable(units[0].fold.train)
    batch = data.batch(ids)
    original = [x.copy() for x in batch.features["audio"]]
    for x in batch.features["audio"]:
        x += 1000.0  # a careless model
    again = worker.FoldData(units[1]).batch(ids)
    assert all((a == b).all() for a, b in zip(again.features["audio"], original))
