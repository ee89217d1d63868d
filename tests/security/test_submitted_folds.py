"""Submitted folds meet the rules local folds meet; a row from data the maintainer lacks is unverified, never best."""

from __future__ import annotations

import json
import shutil

import polars as pl
import pytest

from avbench.config.loader import load_config
from avbench.exchange.bundle import BundleError
from avbench.exchange.export import export_bundle
from avbench.exchange.fold_rules import protocol_problems
from avbench.exchange.folds import fold_fingerprint
from avbench.exchange.import_bundle import BundleFold, import_bundle
from avbench.exchange.verify_sample import decisive, default_count
from avbench.leaderboard.build import render_leaderboard
from avbench.registry import get_registry
from tests.exchange.conftest import bundle_records, clone, read_folds, reseal_manifest, reseal_predictions, \
    reseal_record


@pytest.fixture
def honest(submitter, toy_env, tmp_path):
    config, _data = submitter
    return export_bundle(config, tmp_path / "bundle", submitter="alice").path


def refusal(bundle, config) -> list[str]:
    with pytest.raises(BundleError) as refused:
        import_bundle(bundle, config)
    assert not (config.parent / "runs/swap/submitted").exists()
    return refused.value.lines


def perfect(record_path) -> None:
    """Every prediction of the fold made right, and its checksums resealed: what a fabricator writes."""
    parquet = record_path.with_suffix(".parquet")
    frame = pl.read_parquet(parquet)
    n = len(frame["probabilities"][0])
    frame = frame.with_columns(pl.col("label_index").alias("predicted_index"),
                               pl.col("label_index").map_elements(lambda i: [float(i == k) for k in range(n)],
                                                                  return_dtype=pl.List(pl.Float64))
                               .alias("probabilities"))
    frame.write_parquet(parquet)
    reseal_predictions(record_path)


def degrade(record_path, wrong: int = 2) -> None:
    """The first ``wrong`` predictions of the fold made wrong, checksums resealed (an honest, imperfect model)."""
    parquet = record_path.with_suffix(".parquet")
    frame = pl.read_parquet(parquet)
    n = len(frame["probabilities"][0])
    rows = frame.to_dicts()
    for row in rows[:wrong]:
        row["predicted_index"] = (row["label_index"] + 1) % n
        row["probabilities"] = [float(k == row["predicted_index"]) for k in range(n)]
    pl.DataFrame(rows, schema=frame.schema).write_parquet(parquet)
    reseal_predictions(record_path)


def test_folds_with_every_test_clip_also_in_training_are_refused_without_the_data(honest, tmp_path):
    folds = read_folds(honest)
    entry = folds["centroid"]["loso"]
    for name, fold in entry["folds"].items():  # the fabricator's folds: train on everything, test included
        fold["train"] = sorted(set(fold["train"]) | set(fold["test"]))
    (honest / "folds.json").write_text(json.dumps(folds))
    for record in bundle_records(honest):
        perfect(record)
        stored = json.loads(record.read_text())
        reseal_record(record, fingerprint=fold_fingerprint(stored["setup"], stored["seed"], stored["fold"],
                                                           entry["folds"][stored["fold"]], entry["clips"], {}))
    reseal_manifest(honest)
    lines = refusal(honest, clone(tmp_path / "no-data", None))
    assert lines == [f"{honest}/folds.json: centroid / loso: fold {name!r} puts a clip twice or on two sides"
                     for name in sorted(entry["folds"])]


def test_a_record_in_a_file_not_named_for_its_fold_is_refused_as_a_duplicate(honest, tmp_path):
    record = bundle_records(honest)[0]
    copy = record.with_name(record.stem + "2.json")
    shutil.copyfile(record, copy)
    shutil.copyfile(record.with_suffix(".parquet"), copy.with_suffix(".parquet"))
    reseal_record(copy, predictions=copy.with_suffix(".parquet").name)
    perfect(copy)  # the same fold again, with perfect predictions, every checksum resealed
    reseal_manifest(honest)
    lines = refusal(honest, clone(tmp_path / "maintainer", None))
    fold = json.loads(record.read_text())["fold"]
    assert lines == [f"{honest}/records/centroid/loso/seed-0/{copy.name}: record of fold {fold!r} in a file named "
                     f"{copy.name!r}; expected {record.name}"]


def test_reimporting_the_genuine_bundle_removes_a_stray_fold_and_a_stored_duplicate_is_left_out(honest, tmp_path):
    maintainer = clone(tmp_path / "maintainer", None)
    import_bundle(honest, maintainer)
    seed = maintainer.parent / "runs/swap/submitted/alice/centroid/loso/seed-0"
    first = sorted(seed.glob("*.json"))[0]
    stray = seed / (first.stem + "2.json")
    shutil.copyfile(first, stray)  # a duplicate planted in the store
    render_leaderboard(load_config(maintainer), maintainer.parent)
    meta = json.loads((maintainer.parent / "leaderboards/swap/metadata.json").read_text())
    assert [b["file"] for b in meta["bad_files"]] == ["runs/swap/submitted/alice/centroid/loso/seed-0/"
                                                      + stray.name]
    row = pl.read_parquet(maintainer.parent / "leaderboards/swap/results.parquet").to_dicts()[0]
    assert row["folds"] == 4
    import_bundle(honest, maintainer)
    assert not stray.exists() and len(list(seed.glob("*.json"))) == 4


def test_fold_names_the_protocol_does_not_give_for_the_bundles_clips_are_refused(honest, tmp_path):
    maintainer = clone(tmp_path / "maintainer", None)
    registry = get_registry()
    config = load_config(maintainer, registry)
    entry = read_folds(honest)["centroid"]["loso"]
    assert protocol_problems(config, registry, maintainer.parent, "centroid", "loso", entry, "W") == ([], None)
    name = sorted(entry["folds"])[0]
    entry["folds"]["holdout"] = entry["folds"][name]
    problems, note = protocol_problems(config, registry, maintainer.parent, "centroid", "loso", entry, "W")
    assert note is None and problems == [f"W: 5 fold(s), the protocol gives 4 for these clips; not the protocol's: "
                                         "'holdout'"]


def test_a_fabricated_row_without_the_data_is_unverified_and_never_best_or_tied_over_a_verified_row(
        submitter, toy_env, tmp_path):
    config, data = submitter
    honest = export_bundle(config, tmp_path / "alice", submitter="alice").path
    degrade(bundle_records(honest)[0])  # alice's model is good, not perfect
    reseal_manifest(honest)
    forged = export_bundle(config, tmp_path / "mallory", submitter="mallory").path
    for record in bundle_records(forged):
        perfect(record)
    reseal_manifest(forged)
    folder = tmp_path / "maintainer"
    with_data = clone(folder, data)
    without_data = folder / "no-data.toml"
    without_data.write_text(clone(tmp_path / "other", None).read_text())
    assert import_bundle(honest, with_data).folds == 4
    assert import_bundle(forged, without_data).folds == 4  # nothing here to compare its clips with
    render_leaderboard(load_config(with_data), folder)
    rows = {r["experiment"]: r for r in pl.read_parquet(folder / "leaderboards/swap/results.parquet").to_dicts()}
    mallory, alice = rows["centroid@mallory"], rows["centroid@alice"]
    assert mallory["accuracy_pooled"] == 1.0 > alice["accuracy_pooled"]
    assert mallory["unverified"] and not alice["unverified"]
    assert alice["is_best"] and not mallory["is_best"] and not mallory["tied_with_best"]
    readme = (folder / "leaderboards/swap/README.md").read_text()
    line = next(x for x in readme.splitlines() if x.startswith("| centroid@mallory"))  # the main table
    assert "unverified: its data is not here" in line and "**best**" not in line


def fold(name: str, right: int, total: int) -> BundleFold:
    frame = pl.DataFrame({"label_index": [0] * total, "predicted_index": [0] * right + [1] * (total - right)})
    return BundleFold(None, {"experiment": "e", "protocol": "p", "seed": 0, "fold": name}, frame)


def test_verify_recomputes_every_fold_that_alone_could_make_its_row_best():
    folds = [fold("a", 10, 10), fold("b", 9, 10), fold("c", 6, 10), fold("d", 5, 10)]  # 75% against a rival's 60%
    assert [f.record["fold"] for f in decisive(folds, 0.6)] == ["a", "b", "c"]  # without c's 6 right: 60%, not best
    assert decisive(folds, 0.8) == [] and decisive(folds, None) == []  # not above the rival, or no rival
    assert [default_count(n) for n in (1, 4, 7, 24)] == [1, 4, 7, 22]
