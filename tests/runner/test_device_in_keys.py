"""A plugin that runs on CUDA has the device in its keys; the same config stays current on a machine without one.

CUDA kernels give other bytes than the CPU's, so features and folds computed on CUDA must never be
served as the CPU's (or the reverse): ``device: cuda`` enters the identity of a plugin that runs on
CUDA, and so its feature keys and every fold fingerprint; CPU identities are as they always were.
Freshness and import set the device aside, so a maintainer without a GPU still takes a GPU's run as
the current config's, and its row says where it ran. The GPU probes say they run on CUDA when the
run's ``[benchmark] device`` does (as torch plugins with ``device = "auto"`` do); this machine has no GPU.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from avbench.cache.feature_cache import feature_key, stable_hash
from avbench.cli.main import main
from avbench.config.loader import load_config
from avbench.leaderboard.freshness import record_config_fingerprint, setup_devices, setup_fingerprint
from avbench.registry import get_registry
from avbench.runner.plan import build_plan, fold_units
from avbench.runner.run import run_benchmark
from avbench.runner.units import PluginSpec
from avbench.storage.fold_store import read_record

from .test_gpu_scheduling import BENCHMARK, experiment, gpu_probes  # noqa: F401 (fixture)

AUTO = {"device": "auto"}


def write_config(folder: Path, device: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "benchmark.toml"
    extra = f'device = "{device}"\ncache = "{folder.parent / "cache"}"'
    path.write_text(BENCHMARK.format(extra=extra) + experiment("probe", AUTO, AUTO))
    return path


def records(config: Path) -> list[dict]:
    return [read_record(p) for p in sorted((config.parent / "runs").rglob("*.json"))
            if p.parent.name.startswith("seed-")]


def test_a_plugin_on_cuda_has_the_device_in_its_identity_and_a_cpu_one_keeps_its_identity():
    cpu = PluginSpec("mfcc-stats", "1.0", {"n_mfcc": 40})
    cuda = PluginSpec("mfcc-stats", "1.0", {"n_mfcc": 40}, cuda=True)
    assert cpu.identity == {"plugin": "mfcc-stats", "version": "1.0", "params": {"n_mfcc": 40}, "salt": ""}
    assert cuda.identity == {**cpu.identity, "device": "cuda"}
    media = {"audio": "ab" * 32}
    assert feature_key(cpu.identity, media, "clip") != feature_key(cuda.identity, media, "clip")
    assert setup_fingerprint({"branches": [{"extractor": cuda.identity}]}) == \
        stable_hash({"branches": [{"extractor": cpu.identity}]})


def test_units_resolve_auto_to_the_device_their_keys_were_planned_for(gpu_probes, tmp_path):
    registry = get_registry()
    config_path = tmp_path / "benchmark.toml"
    config_path.write_text(BENCHMARK.format(extra=f'cache = "{tmp_path / "cache"}"')
                           + experiment("on-cpu", {"cuda": False}, {"cuda": False})
                           + experiment("on-cuda", {"cuda": False}, {"cuda": True}))
    config = load_config(config_path, registry)
    plan = build_plan(config, registry, tmp_path, log=lambda _m: None)
    units, errors = fold_units(plan, config, registry, {})
    assert not errors
    devices = {u.experiment: u.context.device for u in units}
    assert devices == {"on-cpu": "cpu", "on-cuda": "cuda"}  # a worker seeing a GPU still runs on-cpu on the CPU


def test_a_cuda_run_gets_its_own_keys_and_stays_current_where_there_is_no_gpu(gpu_probes, tmp_path, monkeypatch,
                                                                             capsys):
    monkeypatch.setenv("AVBENCH_GPUS", "0")
    gpu_run = write_config(tmp_path / "gpu", "cuda")
    summary = run_benchmark(gpu_run, progress=False, render=False, log=lambda _m: None)
    assert summary.exit_code == 0 and summary.done == 4
    extracted = summary.extraction["gpu-probe-extractor"]["clips"]
    on_gpu = records(gpu_run)
    setup = on_gpu[0]["setup"]
    assert setup["branches"][0]["extractor"]["device"] == "cuda" == setup["branches"][0]["model"]["device"]
    assert setup_devices(setup) == {"cuda"}
    assert all(r["computed_with"]["device"] == "cuda" for r in on_gpu)

    # the same config on a machine without a GPU: other keys, so nothing computed on CUDA is reused...
    cpu_run = write_config(tmp_path / "cpu", "auto")
    for name in ("runs",):  # the GPU's folds stored where the CPU run looks
        (gpu_run.parent / name).rename(cpu_run.parent / name)
    summary = run_benchmark(cpu_run, progress=False, render=False, log=lambda _m: None)
    assert summary.exit_code == 0 and summary.skipped == 0 and summary.done == 4
    assert summary.extraction["gpu-probe-extractor"]["clips"] == extracted > 0  # extracted again, not reused
    cpu_records = [r for r in records(cpu_run) if r["computed_with"]["device"] == "cpu"]
    assert {r["fingerprint"] for r in cpu_records}.isdisjoint({r["fingerprint"] for r in on_gpu})
    assert setup_devices(cpu_records[0]["setup"]) == set()
    assert record_config_fingerprint(cpu_records[0]) == record_config_fingerprint(on_gpu[0])


def test_a_bundle_computed_on_cuda_is_accepted_by_a_maintainer_without_a_gpu(gpu_probes, tmp_path, monkeypatch,
                                                                           capsys):
    monkeypatch.setenv("AVBENCH_GPUS", "0")
    gpu_run = write_config(tmp_path / "gpu", "cuda")
    assert run_benchmark(gpu_run, progress=False, render=False, log=lambda _m: None).exit_code == 0
    bundle = tmp_path / "bundle.tar.gz"
    assert main(["export", str(gpu_run), "-o", str(bundle), "--submitter", "gpu-lab"]) == 0

    maintainer = write_config(tmp_path / "maintainer", "auto")
    capsys.readouterr()
    assert main(["import", str(bundle), str(maintainer)]) == 0, capsys.readouterr()
    assert main(["leaderboard", str(maintainer)]) == 0
    rows = pl.read_csv(next((maintainer.parent / "leaderboards").rglob("*.csv")))
    submitted = rows.filter(pl.col("experiment") == "probe@gpu-lab")
    assert submitted.height == 1
    assert submitted["stale"].to_list() == [False]
    assert "cuda" in submitted["computed_device"].to_list()[0]

    capsys.readouterr()
    assert main(["verify", str(bundle), str(maintainer), "--folds", "1"]) != 0
    out = capsys.readouterr()
    assert "ran plugins on cuda there" in out.out + out.err


def test_a_record_whose_setup_does_not_hash_to_its_fingerprint_matches_no_config():
    setup = {"branches": [{"extractor": {"plugin": "x", "version": "1", "params": {}, "salt": "", "device": "cuda"}}]}
    honest = {"setup": setup, "config_fingerprint": stable_hash(setup)}
    forged = {"setup": setup, "config_fingerprint": "0" * 64}
    assert record_config_fingerprint(honest) == setup_fingerprint(setup)
    assert record_config_fingerprint(forged) == "0" * 64
    assert json.dumps(setup_devices(setup), default=list) == '["cuda"]'
