"""Which stored folds a row is made of: the current setup's, its newest data, the newest record per fold."""

from __future__ import annotations

from avbench.leaderboard.freshness import CurrentSetup, select_records, setup_changes


def record(fold: str, finished: str, setup: str = "A", data: str | None = "D1", status: str = "ok",
           seed: int = 0) -> dict:
    out = {"experiment": "x", "protocol": "loso", "seed": seed, "fold": fold, "status": status,
           "finished": finished, "experiment_fingerprint": f"{setup}-{data}", "protocol_folds": ["f1", "f2"],
           "planned_seeds": [0]}
    if setup:
        out["config_fingerprint"] = setup
        out["setup"] = {"model": {"C": setup}}
    if data:
        out["data_fingerprint"] = data
    return out


def test_the_current_setup_wins_over_a_newer_stale_one_and_the_newest_record_per_fold_counts():
    records = [record("f1", "1"), record("f2", "2", status="error"), record("f2", "3"),
               record("f1", "9", setup="B")]
    selection = select_records(records, CurrentSetup("A", {"model": {"C": "A"}}))
    assert not selection.stale
    assert [(r["fold"], r["finished"]) for r in selection.records] == [("f1", "1"), ("f2", "3")]
    assert selection.expected_folds == ["f1", "f2"] and selection.expected_seeds == [0]


def test_without_current_folds_the_newest_setup_is_shown_stale_with_what_changed():
    selection = select_records([record("f1", "1", setup="B"), record("f2", "1", setup="B")],
                               CurrentSetup("A", {"model": {"C": "A"}}))
    assert selection.stale and selection.stale_reason == "setup changed since: model.C: B -> A"


def test_a_crashed_worker_record_without_setup_joins_its_run():
    crashed = {"experiment": "x", "protocol": "loso", "seed": 0, "fold": "f2", "status": "error",
               "finished": "5", "experiment_fingerprint": "A-D1", "error": "worker crashed"}
    selection = select_records([record("f1", "1"), crashed], CurrentSetup("A", None))
    assert [r["fold"] for r in selection.records] == ["f1", "f2"] and not selection.stale


def test_setup_changes_name_each_changed_path():
    old = {"branches": [{"model": {"params": {"C": 10}}}], "classes": ["a", "b"]}
    new = {"branches": [{"model": {"params": {"C": 1, "gamma": "scale"}}}], "classes": ["a", "b", "c"]}
    assert setup_changes(old, new) == ["branches[0].model.params.C: 10 -> 1",
                                       "branches[0].model.params.gamma: added scale",
                                       'classes: ["a", "b"] -> ["a", "b", "c"]']
