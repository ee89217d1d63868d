"""Workers start and warm up the planned extractors while the main process plans (``Plugin.warm_up``).

The GPU probe extractor's ``warm_up`` logs its process and time (or sleeps, or raises) when told to by
environment variables, which spawned workers inherit.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from avbench.config.loader import load_config
from avbench.registry import get_registry
from avbench.runner.executor import LocalProcessExecutor
from avbench.runner.run import run_benchmark, warm_up_targets

from .test_gpu_scheduling import BENCHMARK, entries, experiment, gpu_probes  # noqa: F401 (fixture)

PROBE = ("gpu_probe_plugins", "GpuProbeExtractor")


def config_file(folder: Path, log: Path) -> Path:
    folder.mkdir(parents=True)
    path = folder / "benchmark.toml"
    path.write_text(BENCHMARK.format(extra=f'cache = "{folder / "cache"}"')
                    + experiment("probe", {"cuda": False, "log_dir": str(log)}, {"cuda": False}))
    return path


def _pid(_unit: object) -> tuple[int, float]:
    return os.getpid(), time.time()


def warm_logs(folder: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in folder.glob("warm-*.json")]


def test_the_targets_are_the_selected_experiments_extractors_that_warm_up(gpu_probes, tmp_path):
    registry = get_registry()
    path = tmp_path / "benchmark.toml"
    path.write_text(BENCHMARK.format(extra="") + experiment("probe", {"cuda": False}, {"cuda": False})
                    + '\n[experiments.plain]\ndataset = "toy"\nprotocols = ["loso"]\n'
                      '[experiments.plain.branches.audio]\nextractor = "toy-extractor"\nmodel = "toy-centroid"\n')
    config = load_config(path, registry)
    assert warm_up_targets(config, registry, None) == [PROBE]  # the toy extractor has nothing to warm up
    assert warm_up_targets(config, registry, ["plain"]) == []


def test_a_warmed_worker_runs_its_first_unit_after_the_warm_up_in_the_same_process(gpu_probes, tmp_path,
                                                                                  monkeypatch):
    monkeypatch.setenv("AVBENCH_PROBE_WARM_LOG", str(tmp_path))
    monkeypatch.setenv("AVBENCH_PROBE_WARM_SECONDS", "0.5")
    executor = LocalProcessExecutor(1)
    try:
        executor.warm([PROBE])
        ((_, (pid, started)),) = list(executor.map_unordered(_pid, [None]))
    finally:
        executor.close()
    (warmed,) = warm_logs(tmp_path)
    assert warmed["pid"] == pid != os.getpid() and warmed["end"] <= started


def test_closing_does_not_wait_for_a_worker_still_warming_up(gpu_probes, tmp_path, monkeypatch):
    monkeypatch.setenv("AVBENCH_PROBE_WARM_LOG", str(tmp_path))
    monkeypatch.setenv("AVBENCH_PROBE_WARM_SECONDS", "60")
    executor = LocalProcessExecutor(2)
    executor.warm([PROBE])
    processes = [w.process for w in executor._idle]
    time.sleep(0.5)
    start = time.monotonic()
    executor.close()
    assert time.monotonic() - start < 10  # killed, not waited for (its warm-up sleeps a minute)
    assert len(processes) == 2 and not any(p.is_alive() for p in processes)
    assert warm_logs(tmp_path) == []


def test_a_run_warms_its_workers_and_a_failing_warm_up_changes_no_result(gpu_probes, tmp_path, monkeypatch):
    log = tmp_path / "log"
    monkeypatch.setenv("AVBENCH_PROBE_WARM_LOG", str(log))
    warmed = run_benchmark(config_file(tmp_path / "warmed", log), progress=False, render=False, log=lambda m: None)
    assert warmed.exit_code == 0 and warmed.done == 4
    workers = {e["pid"] for e in entries(log) if e.get("plugin") == "gpu-probe-extractor"}
    warm = warm_logs(log)
    assert warm and {w["pid"] for w in warm} >= workers and os.getpid() not in workers

    monkeypatch.setenv("AVBENCH_PROBE_WARM_RAISE", "1")
    failing = run_benchmark(config_file(tmp_path / "failing", log), progress=False, render=False,
                            log=lambda m: None)
    assert failing.exit_code == 0 and failing.done == 4

    def predictions(folder: Path) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted((folder / "runs").rglob("*.parquet"))}

    assert predictions(tmp_path / "failing") == predictions(tmp_path / "warmed")


def test_a_unit_queued_behind_a_long_warm_up_is_not_timed_out_for_it(gpu_probes, tmp_path, monkeypatch):
    log = tmp_path / "log"
    monkeypatch.setenv("AVBENCH_PROBE_WARM_LOG", str(log))
    monkeypatch.setenv("AVBENCH_PROBE_WARM_SECONDS", "3")
    folder = tmp_path / "slow-warm-up"
    config = config_file(folder, log)
    config.write_text(config.read_text().replace("[benchmark]\n", "[benchmark]\nclip_timeout = 1.5\n", 1))
    summary = run_benchmark(config, progress=False, render=False, log=lambda m: None)
    assert summary.exit_code == 0 and summary.done == 4 and not any(summary.failed_work.values())
    assert warm_logs(log)  # the warm-up did run its three seconds, longer than a clip may take


def test_a_warm_up_that_never_ends_gives_up_the_worker_not_the_unit(gpu_probes, tmp_path, monkeypatch):
    import avbench.runner.executor as executor_module
    from avbench.runner.failures import WorkerDied

    monkeypatch.setenv("AVBENCH_PROBE_WARM_LOG", str(tmp_path))
    monkeypatch.setenv("AVBENCH_PROBE_WARM_SECONDS", "60")
    monkeypatch.setattr(executor_module, "WARM_UP_LIMIT_SECONDS", 1.0)
    executor = LocalProcessExecutor(1)
    try:
        executor.warm([PROBE])
        ((_, outcome),) = list(executor.map_unordered(_pid, [None], timeout=0.5))
    finally:
        executor.close()
    assert isinstance(outcome, WorkerDied) and "warm-up did not finish within 1 s" in outcome.cause
