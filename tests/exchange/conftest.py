"""Two installations ("clones") of one benchmark: a submitter with a tiny RAVDESS-named copy, a maintainer.

The data are toy vectors under RAVDESS file names (4 actors x 3 emotions), read by the real ``ravdess``
dataset plugin; the toy extractor and nearest-centroid model make a run take seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import avbench.registry as registry_module
from avbench.exchange.bundle import FOLDS, MANIFEST, RECORDS, write_manifest
from avbench.storage.fold_store import file_sha256, read_record, write_record
from tests.conftest import FIXTURES
from tests.faults.conftest import write_vector

BENCHMARK = """
[benchmark]
name = "swap"
workers = 1
latency_clips = 1
bootstrap_resamples = 100

[datasets.ravdess]
plugin = "ravdess"
{root}

[protocols.loso]
plugin = "loso"

[experiments.centroid]
dataset = "ravdess"
protocols = ["loso"]
description = "toy centroid on RAVDESS-named toy vectors"
[experiments.centroid.branches.audio]
extractor = "toy-extractor"
model = "toy-centroid"
"""


def ravdess_tree(root: Path) -> Path:
    """4 actors x 3 emotions x 2 statements of RAVDESS-named files holding toy vectors."""
    for actor in (1, 2, 3, 4):
        for index, emotion in enumerate(("03", "04", "05")):
            for statement in (1, 2):
                write_vector(root / f"Actor_{actor:02d}" / f"03-01-{emotion}-01-0{statement}-01-{actor:02d}.wav",
                             index, actor * 10 + statement)
    return root


def clone(folder: Path, data: Path | None) -> Path:
    """``folder/benchmark.toml``: the benchmark with the dataset's root at ``data``, or with no root."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "benchmark.toml"
    path.write_text(BENCHMARK.format(root=f'root = "{data}"' if data else ""))
    return path


@pytest.fixture(scope="session")
def submitter(tmp_path_factory):
    """A submitter's clone that has run the benchmark on its data: (config path, data root)."""
    tmp = tmp_path_factory.mktemp("submitter")
    data = ravdess_tree(tmp / "ravdess")
    config = clone(tmp / "clone", data)
    with pytest.MonkeyPatch.context() as mp:
        _toy_environment(mp, tmp / "cache")
        from avbench.runner.run import run_benchmark

        summary = run_benchmark(config, progress=False, log=lambda _line: None)
        assert summary.exit_code == 0 and summary.done == 4
    registry_module._cached = None
    return config, data


def _toy_environment(mp: pytest.MonkeyPatch, cache: Path) -> None:
    toy = str(FIXTURES / "toy_plugins")
    mp.syspath_prepend(toy)
    mp.setenv("PYTHONPATH", os.pathsep.join([toy, os.environ.get("PYTHONPATH", "")]))
    mp.setenv("AVBENCH_CACHE", str(cache))
    mp.delenv("AVBENCH_RAVDESS_ROOT", raising=False)
    registry_module._cached = None


@pytest.fixture
def toy_env(monkeypatch, tmp_path):
    """The toy plugins importable here and in workers; no RAVDESS variable; a fresh registry."""
    _toy_environment(monkeypatch, tmp_path / "cache")
    yield
    registry_module._cached = None


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``avbench ARGS`` as a user runs it (the toy plugins importable)."""
    return subprocess.run([sys.executable, "-m", "avbench.cli.main", *args], cwd=cwd, env=dict(os.environ),
                          capture_output=True, text=True, timeout=300)


# ---------------------------------------------------------------- tampering, as a forger would


def bundle_records(folder: Path) -> list[Path]:
    return sorted((folder / RECORDS).glob("*/*/seed-*/*.json"))


def reseal_record(path: Path, **changes) -> dict:
    """Rewrite a bundle's fold record with ``changes`` and a fresh checksum of its own."""
    record = {k: v for k, v in read_record(path).items() if k != "checksum"}
    record.update(changes)
    return write_record(path, record)


def reseal_predictions(record_path: Path) -> None:
    """Make a record's predictions checksum agree with its (edited) parquet again."""
    record = json.loads(record_path.read_text())
    parquet = record_path.with_name(record["predictions"])
    reseal_record(record_path, predictions_sha256=file_sha256(parquet))


def reseal_manifest(folder: Path) -> None:
    """Recompute every file's sha256 in the manifest, keeping its other fields."""
    manifest = json.loads((folder / MANIFEST).read_text())
    fields = {k: v for k, v in manifest.items() if k not in ("files", "schema_version")}
    write_manifest(folder, fields)


def copy_bundle(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def read_folds(folder: Path) -> dict:
    return json.loads((folder / FOLDS).read_text())
