"""Units whose plugins run on CUDA take a GPU slot, one unit per slot at a time; the others run beside them.

This machine has no GPU: ``AVBENCH_GPUS`` gives virtual ones, and probe plugins record the
``CUDA_VISIBLE_DEVICES`` each call saw and when it ran.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

import avbench.registry as registry_module
from avbench.cli.main import main
from avbench.contract import RunContext
from avbench.contract.base import Plugin
from avbench.runner.gpu_slots import GpuSlots, parse_gpus, slot_devices
from avbench.runner.run import run_benchmark
from tests.conftest import FIXTURES

PROBES = Path(__file__).parent / "gpu_probes"

BENCHMARK = """
[benchmark]
name = "gpus"
seeds = [0]
workers = 1
latency_clips = 1
bootstrap_resamples = 100
{extra}

[datasets.toy]
plugin = "toy-dataset"
params = {{ subjects = 4, per_label = 1 }}

[protocols.loso]
plugin = "loso"
"""


def experiment(name: str, extractor: dict, model: dict) -> str:
    def table(values: dict) -> str:
        return "{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in values.items()) + " }"

    return (f'\n[experiments.{name}]\ndataset = "toy"\nprotocols = ["loso"]\n[experiments.{name}.branches.audio]\n'
            f'extractor = {{ plugin = "gpu-probe-extractor", params = {table(extractor)} }}\n'
            f'model = {{ plugin = "gpu-probe-model", params = {table(model)} }}\n')


@pytest.fixture
def gpu_probes(monkeypatch):
    """The toy and GPU probe plugins installed (on the path, also for workers), a fresh registry."""
    import os

    for folder in (FIXTURES / "toy_plugins", PROBES):
        monkeypatch.syspath_prepend(str(folder))
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    registry_module._cached = None
    yield
    registry_module._cached = None


def entries(log: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in log.glob("*.json")]


def overlaps(a: dict, b: dict) -> bool:
    return a["start"] < b["end"] and b["start"] < a["end"]


def test_cuda_units_hold_one_slot_each_and_cpu_units_run_beside_them(gpu_probes, tmp_path, monkeypatch):
    monkeypatch.setenv("AVBENCH_GPUS", "2")
    log = tmp_path / "log"
    fit = {"log_dir": str(log), "seconds": 0.8}
    config = tmp_path / "benchmark.toml"
    config.write_text(BENCHMARK.format(extra="")
                      + experiment("gpu-a", {"cuda": True, "log_dir": str(log), "tag": "gpu"}, {**fit, "tag": "a"})
                      + experiment("gpu-b", {"cuda": False}, {**fit, "tag": "b"})
                      + experiment("cpu-c", {"cuda": False}, {**fit, "tag": "c", "cuda": False}))
    summary = run_benchmark(config, progress=False, log=lambda m: None)
    assert (summary.done, summary.failed, summary.exit_code) == (12, 0, 0)

    seen = entries(log)
    cuda_folds = [e for e in seen if e["plugin"] == "gpu-probe-model" and e["tag"] in ("a", "b")]
    cpu_folds = [e for e in seen if e["plugin"] == "gpu-probe-model" and e["tag"] == "c"]
    cuda_clips = [e for e in seen if e["plugin"] == "gpu-probe-extractor"]
    assert (len(cuda_folds), len(cpu_folds)) == (8, 4)
    assert len(cuda_clips) == 12 + 1  # and one more: a fold times its latency from the media
    assert {e["visible"] for e in cuda_folds} == {"0", "1"}  # both slots served
    assert {e["visible"] for e in cuda_clips} <= {"0", "1"}  # an extractor on CUDA takes a slot too
    assert {e["visible"] for e in cpu_folds} == {""}  # the others see no GPU
    for slot in ("0", "1"):  # never two units on one slot at once
        on_slot = sorted((e for e in cuda_folds + cuda_clips if e["visible"] == slot), key=lambda e: e["start"])
        assert all(a["end"] <= b["start"] for a, b in zip(on_slot, on_slot[1:])), slot
    assert any(overlaps(a, b) for a in cuda_folds for b in cuda_folds if a["visible"] != b["visible"])
    assert any(overlaps(c, g) for c in cpu_folds for g in cuda_folds)  # CPU units beside CUDA ones
    assert len({e["pid"] for e in cpu_folds} & {e["pid"] for e in cuda_folds}) == 0

    records = [json.loads(p.read_text()) for p in (config.parent / "runs").glob("gpus/*/loso/seed-0/*.json")]
    visible = {(r["experiment"], r["computed_with"].get("cuda_visible_devices")) for r in records}
    assert {v for e, v in visible if e != "cpu-c"} == {"0", "1"} and {v for e, v in visible if e == "cpu-c"} == {None}
    # each unit runs on the device it was planned (and keyed) for: "auto" is pinned to it
    assert {(r["experiment"], r["computed_with"]["device"]) for r in records} == {
        ("gpu-a", "cuda"), ("gpu-b", "cuda"), ("cpu-c", "cpu")}
    rows = pl.read_csv(config.parent / "leaderboards" / "gpus" / "results.csv")
    assert dict(zip(rows["experiment"], rows["computed_device"])) == {"gpu-a": "cuda", "gpu-b": "cuda", "cpu-c": "cpu"}


def test_without_gpus_cuda_units_run_in_ordinary_workers_that_see_the_environment_as_is(gpu_probes, tmp_path,
                                                                                     monkeypatch):
    monkeypatch.setenv("AVBENCH_GPUS", "0")
    log = tmp_path / "log"
    config = tmp_path / "benchmark.toml"
    config.write_text(BENCHMARK.format(extra="")
                      + experiment("gpu-a", {"cuda": True}, {"log_dir": str(log), "tag": "a"}))
    summary = run_benchmark(config, progress=False, render=False, log=lambda m: None)
    assert (summary.done, summary.exit_code) == (4, 0)
    assert {e["visible"] for e in entries(log)} == {None}
    records = [json.loads(p.read_text()) for p in (config.parent / "runs").glob("gpus/*/loso/seed-0/*.json")]
    assert all("cuda_visible_devices" not in r["computed_with"] for r in records)


def test_more_gpus_per_unit_than_the_machine_has_is_one_config_line(gpu_probes, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AVBENCH_GPUS", "1")
    config = tmp_path / "benchmark.toml"
    config.write_text(BENCHMARK.format(extra="gpus_per_unit = 2") + experiment("gpu-a", {}, {}))
    assert main(["run", str(config), "--no-progress"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert errors == [f"avbench: {config}: [benchmark] gpus_per_unit = 2 but only 1 GPU(s) are visible (0)"]
    assert not (tmp_path / "runs").exists()


def test_a_fractional_request_shares_each_gpu_and_a_larger_one_groups_gpus():
    assert slot_devices(["0", "1"], 1.0) == ["0", "1"]
    assert slot_devices(["0", "1"], 0.5) == ["0", "0", "1", "1"]
    assert slot_devices(["0", "1"], 0.3) == ["0", "0", "0", "1", "1", "1"]
    assert slot_devices(["0", "1", "2", "3", "4"], 2) == ["0,1", "2,3"]
    assert slot_devices([], 0.5) == []
    with pytest.raises(ValueError, match="whole number"):
        slot_devices(["0", "1"], 1.5)


def test_slots_are_held_until_released_lowest_first():
    slots = GpuSlots(["3", "5"])
    assert slots.devices == ["3", "5"]
    assert [slots.acquire(), slots.acquire(), slots.acquire()] == [0, 1, None]
    slots.release(1)
    slots.release(1)  # twice: still one free slot
    assert (slots.free, slots.acquire()) == (1, 1)


def test_the_gpu_variable_takes_a_count_or_ids_and_refuses_anything_else():
    assert parse_gpus("3") == ["0", "1", "2"]
    assert parse_gpus("0,2") == ["0", "2"]
    assert parse_gpus("0") == []
    with pytest.raises(ValueError, match=r"\$AVBENCH_GPUS = 'two': expected a GPU count"):
        parse_gpus("two")


class _Probe(Plugin):
    name = "probe"


@pytest.mark.parametrize("requested, run_device, expected", [
    ("cpu", "cuda", False), ("cuda", "auto", True), ("cuda:1", "cpu", True),
    ("auto", "cuda", True), ("auto", "cpu", False), ("auto", "cuda:0", True)])
def test_a_device_setting_is_cuda_when_it_or_the_runs_device_says_so(requested, run_device, expected):
    plugin = _Probe()
    plugin.setup(RunContext(device=run_device))
    assert plugin.device_is_cuda(requested) is expected
    assert plugin.wants_cuda() is False  # plugins run on the CPU unless they say otherwise


def test_an_extraction_chunk_wants_cuda_when_any_of_its_settings_does():
    """A chunk carries every setting of one modality over the same clips (each clip decoded once)."""
    from avbench.contract import RunContext
    from avbench.runner.gpu_slots import unit_wants_cuda
    from avbench.runner.units import ExtractTask, PluginSpec

    cpu, gpu = PluginSpec("mfcc-stats", "1", {}), PluginSpec("fer-posteriors", "1", {}, cuda=True)
    context = RunContext(cache_dir=Path("/tmp"))
    assert not unit_wants_cuda(ExtractTask(cpu, (), (), context))
    assert unit_wants_cuda(ExtractTask(cpu, (), (), context, others=(gpu,)))
    assert unit_wants_cuda(ExtractTask(gpu, (), (), context, others=(cpu,)))


@pytest.mark.parametrize("plugin, params, expected", [
    ("early-concat", {"model": {"plugin": "cuny-lstm"}}, {"cuda": True, "cpu": False}),  # as its (torch) model
    ("early-concat", {"model": {"plugin": "svm-rbf"}}, {"cuda": False, "cpu": False}),
    ("ssl-encoder", {}, {"cuda": True, "cpu": False}),
    ("ssl-encoder", {"device": "cpu"}, {"cuda": False, "cpu": False}),
])
def test_first_party_plugins_that_run_torch_say_so_as_their_device_resolves(plugin, params, expected):
    from avbench.registry import get_registry

    for run_device, wanted in expected.items():
        instance = get_registry().create({"plugin": plugin, "params": params}, context=RunContext(device=run_device))
        assert instance.wants_cuda() is wanted, (plugin, params, run_device)
