"""Accuracy and UAR per gender and per corpus: from the stored predictions, only for groups the data names."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from avbench.runner.run import run_benchmark
from avbench.storage.fold_store import CHECKSUM_KEY
from tests.core.conftest import add_to_path, toy_plugins  # noqa: F401  (fixture)

HERE = Path(__file__).parent

GENDERED = """
[benchmark]
name = "toy"
seeds = [0]
workers = 1
latency_clips = 1
bootstrap_resamples = 100

[datasets.a]
plugin = "gendered-toy-dataset"
params = { subjects = 4, per_label = 2 }

[datasets.b]
plugin = "gendered-toy-dataset"
params = { subjects = 4, per_label = 2, offset = 0.5 }

[datasets.c]
plugin = "gendered-toy-dataset"
params = { subjects = 4, per_label = 2, offset = -0.5 }

[protocols.loso]
plugin = "loso"

[protocols.loco]
plugin = "leave-one-corpus-out"

[experiments.one]
dataset = "a"
protocols = ["loso"]
seeds = [0, 1]
[experiments.one.branches.audio]
extractor = { plugin = "toy-extractor", params = { scale = 2.0 } }
model = "toy-centroid"

[experiments.both]
datasets = ["a", "b", "c"]
protocols = ["loco"]
[experiments.both.branches.audio]
extractor = "toy-extractor"
model = "toy-centroid"
"""


@pytest.fixture
def gendered(tmp_path, monkeypatch, toy_plugins):  # noqa: F811
    """A run of the gendered toy benchmark (subjects 1, 3 male; 2 female; 4 unknown); returns its folder."""
    add_to_path(monkeypatch, HERE / "gendered_plugins")
    path = tmp_path / "benchmark.toml"
    path.write_text(GENDERED)
    summary = run_benchmark(path, progress=False)
    assert summary.failed == 0
    return tmp_path


def expected(root: Path, experiment: str, protocol: str, column: str, metric: str) -> dict[str, float]:
    """``metric`` per group of ``column`` from the stored parquet files: per seed over its folds, mean over seeds."""
    from sklearn.metrics import accuracy_score, balanced_accuracy_score

    score = {"accuracy": accuracy_score, "uar": balanced_accuracy_score}[metric]
    per_seed: dict[str, list[float]] = {}
    for seed_dir in sorted((root / "runs/toy" / experiment / protocol).glob("seed-*")):
        frame = pl.concat([pl.read_parquet(p) for p in sorted(seed_dir.glob("*.parquet"))])
        for group in set(frame[column].drop_nulls().to_list()) - {"unknown"}:
            part = frame.filter(pl.col(column) == group)
            per_seed.setdefault(group, []).append(score(part["label_index"].to_numpy(),
                                                        part["predicted_index"].to_numpy()))
    return {g: float(np.mean(v)) for g, v in per_seed.items()}


def results(root: Path) -> dict[str, dict]:
    return {r["experiment"]: r for r in pl.read_parquet(root / "leaderboards/toy/results.parquet").to_dicts()}


def test_rows_report_accuracy_and_uar_per_known_gender_and_corpus(gendered):
    rows = results(gendered)
    one, both = rows["one"], rows["both"]
    # 3 labels x 2 clips per subject: subjects 1 and 3 male, 2 female, 4 unknown (left out)
    assert json.loads(one["clips_by_gender"]) == {"female": 6, "male": 12}
    assert json.loads(both["clips_by_gender"]) == {"female": 18, "male": 36}
    assert json.loads(both["clips_by_corpus"]) == {"a": 24, "b": 24, "c": 24}
    assert one["accuracy_by_corpus"] is None and one["clips_by_corpus"] is None  # one dataset names no corpus
    for row, protocol in ((one, "loso"), (both, "loco")):
        for metric in ("accuracy", "uar"):
            for column in ("gender", "corpus") if row is both else ("gender",):
                shown = json.loads(row[f"{metric}_by_{column}"])
                assert shown == pytest.approx(expected(gendered, row["experiment"], protocol, column, metric))
    board = (gendered / "leaderboards/toy/README.md").read_text()
    female = json.loads(one["accuracy_by_gender"])["female"]
    assert f"female {100 * female:.1f} / " in board and "(n=6)" in board
    assert "by corpus" in board and "unknown" not in board.split("Breakdowns")[1].split("\n\n")[1]


def test_predictions_stored_without_breakdown_columns_render_without_breakdowns(gendered):
    from avbench.leaderboard.build import render_leaderboard
    from avbench.config.loader import load_config
    from avbench.registry import get_registry

    for parquet in (gendered / "runs/toy/one").rglob("*.parquet"):  # as an older avbench wrote them
        pl.read_parquet(parquet).drop("gender", "corpus").write_parquet(parquet)
        record_path = parquet.with_suffix(".json")
        record = json.loads(record_path.read_text())
        for key in (CHECKSUM_KEY, "predictions_sha256"):
            record.pop(key, None)
        record_path.write_text(json.dumps(record))
    registry = get_registry()
    render_leaderboard(load_config(gendered / "benchmark.toml", registry), gendered, registry)
    one = results(gendered)["one"]
    assert one["status"] == "ok" and one["accuracy_pooled"] is not None
    assert one["accuracy_by_gender"] is None and one["uar_by_gender"] is None
    board = (gendered / "leaderboards/toy/README.md").read_text()
    assert "| one " in board
