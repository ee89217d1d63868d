"""A bundle that does not follow from the maintainer's config and data is refused, one line per problem.

Each forgery below reseals what a forger can reseal (record checksums, the manifest), so every check is
shown to hold on its own.
"""

from __future__ import annotations

import json

import polars as pl
import pytest

from avbench.exchange.bundle import BundleError
from avbench.exchange.export import export_bundle
from avbench.exchange.folds import fold_fingerprint
from avbench.exchange.import_bundle import import_bundle

from .conftest import BENCHMARK, bundle_records, clone, read_folds, reseal_manifest, reseal_predictions, reseal_record
from .conftest import run_cli


@pytest.fixture
def honest(submitter, toy_env, tmp_path):
    """A fresh bundle folder of the submitter's four folds."""
    config, _data = submitter
    return export_bundle(config, tmp_path / "bundle", submitter="alice").path


def refusal(bundle, config) -> list[str]:
    with pytest.raises(BundleError) as refused:
        import_bundle(bundle, config)
    assert not (config.parent / "runs/swap/submitted").exists()  # nothing merged
    return refused.value.lines


def test_a_bundle_of_another_schema_version_is_refused_with_one_line(honest, tmp_path):
    manifest = json.loads((honest / "manifest.json").read_text())
    (honest / "manifest.json").write_text(json.dumps({**manifest, "schema_version": 2}))
    assert refusal(honest, clone(tmp_path / "maintainer", None)) == [
        f"{honest}/manifest.json: schema_version 2, expected 1 (this avbench reads bundles of schema 1)"]


def test_an_edited_prediction_is_refused_by_the_manifest_and_by_its_record(honest, tmp_path):
    record = bundle_records(honest)[0]
    parquet = record.with_suffix(".parquet")
    frame = pl.read_parquet(parquet)
    frame.with_columns(pl.col("probabilities").list.reverse()).write_parquet(parquet)
    lines = refusal(honest, clone(tmp_path / "maintainer", None))
    assert lines == [f"{parquet}: sha256 does not match the manifest (edited or corrupt)",
                     f"{parquet}: predictions do not match the checksum in their record"]


def test_a_record_edited_without_its_checksum_is_refused(honest, tmp_path):
    record = bundle_records(honest)[1]
    record.write_text(record.read_text().replace('"status": "ok"', '"status": "ok", "note": "trust me"'))
    reseal_manifest(honest)
    assert refusal(honest, clone(tmp_path / "maintainer", None)) == [
        f"{record}: fold record does not match its checksum (edited or corrupt)"]


def test_a_changed_fold_fingerprint_is_refused_though_every_checksum_is_resealed(honest, tmp_path):
    record = bundle_records(honest)[2]
    stored = reseal_record(record, fingerprint="0" * 64)
    reseal_manifest(honest)
    entry = read_folds(honest)["centroid"]["loso"]
    expected = fold_fingerprint(stored["setup"], 0, stored["fold"], entry["folds"][stored["fold"]], entry["clips"],
                                entry["skipped"])
    assert refusal(honest, clone(tmp_path / "maintainer", None)) == [
        f"{honest}/records/centroid/loso/seed-0/{record.name}: fingerprint 000000000000 does not follow from the "
        f"maintainer's config and the bundle's fold definition (expected {expected[:12]})"]


def test_folds_computed_under_another_setup_are_refused_naming_what_differs(honest, tmp_path):
    maintainer = tmp_path / "maintainer" / "benchmark.toml"
    maintainer.parent.mkdir()
    slower = 'model = { plugin = "toy-centroid", params = { sleep = 0.5 } }'
    maintainer.write_text(BENCHMARK.format(root="").replace('model = "toy-centroid"', slower))
    lines = refusal(honest, maintainer)
    assert len(lines) == 4
    for line, record in zip(lines, bundle_records(honest)):
        assert line.startswith(f"{record}: config_fingerprint ") and " is not the maintainer's " in line
        assert "model.params.sleep:" in line and "-> 0.5" in line


def test_clip_ids_that_are_not_the_maintainers_are_refused_where_the_maintainer_has_the_data(
        submitter, honest, tmp_path):
    _config, data = submitter
    real, forged = "01-03-01-01-01-01", "01-03-01-01-02-01"  # repetition 2 of a take: not in this copy
    folds = read_folds(honest)
    text = json.dumps(folds).replace(real, forged)
    (honest / "folds.json").write_text(text)
    entry = json.loads(text)["centroid"]["loso"]
    for record in bundle_records(honest):  # predictions, fold fingerprints, checksums: all made to agree
        parquet = record.with_suffix(".parquet")
        pl.read_parquet(parquet).with_columns(pl.col("clip_id").replace(real, forged)).write_parquet(parquet)
        reseal_predictions(record)
        stored = json.loads(record.read_text())
        reseal_record(record, fingerprint=fold_fingerprint(stored["setup"], 0, stored["fold"],
                                                           entry["folds"][stored["fold"]], entry["clips"], {}))
    reseal_manifest(honest)
    without_data = clone(tmp_path / "no-data", None)
    assert import_bundle(honest, without_data).folds == 4  # nothing here to tell the forgery from the truth
    lines = refusal(honest, clone(tmp_path / "with-data", data))
    assert lines[0] == (f"{honest}/folds.json: centroid / loso: 1 clip id(s) are not in the maintainer's copy of "
                        f"ravdess (first: {forged})")
    assert lines[1:] == [f"{honest}/folds.json: centroid / loso: fold {name!r} does not hold the clips the protocol "
                         "gives it here" for name in sorted(entry["folds"])]


def test_the_command_refuses_a_tampered_archive_with_exit_1_and_merges_nothing(honest, tmp_path):
    record = bundle_records(honest)[0]
    reseal_record(record, fingerprint="f" * 64)  # the manifest is not resealed: two problems
    maintainer = clone(tmp_path / "maintainer", None)
    result = run_cli("import", str(honest), str(maintainer), cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == f"avbench: {record}: sha256 does not match the manifest (edited or corrupt)"
    assert lines[1].startswith(f"avbench: {record}: fingerprint ffffffffffff does not follow from")
    assert lines[2:] == ["avbench: bundle refused: nothing was merged"]
    assert not (maintainer.parent / "runs").exists()
