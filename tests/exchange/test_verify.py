"""``avbench verify`` recomputes a bundle's folds here: an honest bundle agrees, a forged prediction does not."""

from __future__ import annotations

import polars as pl

from avbench.exchange.export import export_bundle
from avbench.exchange.verify import choose_folds, verify_bundle

from .conftest import bundle_records, clone, reseal_manifest, reseal_predictions, run_cli


def test_an_honest_bundle_recomputed_here_agrees_byte_for_byte(submitter, toy_env, tmp_path):
    config, data = submitter
    bundle = export_bundle(config, tmp_path / "bundle.tar.gz", submitter="alice").path
    maintainer = clone(tmp_path / "maintainer", data)
    verdicts = verify_bundle(bundle, maintainer, k=2)
    assert [v.where for v in verdicts] == [f"centroid / loso / seed 0 / subject-{i}" for i in (1, 2)]
    assert all(v.agrees and v.detail.startswith("byte-identical probabilities") for v in verdicts)
    assert not (maintainer.parent / "runs/swap/centroid").exists()  # recomputed aside, not stored as local folds


def test_a_forged_prediction_with_resealed_checksums_disagrees_and_exits_1(submitter, toy_env, tmp_path):
    config, data = submitter
    bundle = export_bundle(config, tmp_path / "bundle", submitter="alice").path
    record = bundle_records(bundle)[0]
    parquet = record.with_suffix(".parquet")
    frame = pl.read_parquet(parquet)
    last = len(frame["probabilities"][0]) - 1
    flipped = frame.with_columns(pl.col("probabilities").list.reverse(),
                                 (last - pl.col("predicted_index")).alias("predicted_index"))
    flipped.write_parquet(parquet)
    reseal_predictions(record)
    reseal_manifest(bundle)
    result = run_cli("verify", str(bundle), str(clone(tmp_path / "maintainer", data)), "--folds", "1", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    line = next(l for l in result.stdout.splitlines() if l.startswith("DISAGREES"))
    assert line.startswith("DISAGREES centroid / loso / seed 0 / subject-1: max |difference| of probabilities")
    assert "0 of 1 recomputed fold(s) agree with the bundle" in result.stdout


def test_folds_to_verify_are_the_first_k_sorted_or_a_seeded_sample(submitter, toy_env, tmp_path):
    from avbench.exchange.import_bundle import BundleFold

    folds = [BundleFold(None, {"experiment": "e", "protocol": "p", "seed": 0, "fold": name}, None)
             for name in ("03", "01", "04", "02")]
    assert [f.record["fold"] for f in choose_folds(folds, 2)] == ["01", "02"]
    sample = [f.record["fold"] for f in choose_folds(folds, 2, seed=7)]
    assert sample == [f.record["fold"] for f in choose_folds(folds, 2, seed=7)] and len(set(sample)) == 2
