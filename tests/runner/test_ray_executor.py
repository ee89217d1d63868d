"""The Ray executor runs the same units to the same bytes, and fails the way the local executor fails.

One local Ray instance (2 CPUs, 2 logical GPUs that Ray hands out as ``CUDA_VISIBLE_DEVICES``
without any GPU being there, no dashboard) serves the whole module. The tests that need Ray
skip, saying so, where it is not installed.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest

import avbench.registry as registry_module
from avbench.runner.failures import UnitTimedOut, WorkerDied
from avbench.runner.run import run_benchmark
from tests.conftest import FIXTURES
from tests.faults.conftest import PROBES, stored_predictions, write_fault_benchmark

ROOT = Path(__file__).resolve().parents[2]
GPU_PROBES = Path(__file__).parent / "gpu_probes"
PLUGIN_FOLDERS = [FIXTURES / "toy_plugins", PROBES, GPU_PROBES]


@pytest.fixture(scope="module")
def ray_instance():
    """A local Ray instance whose workers import this checkout and the toy and probe plugins."""
    ray = pytest.importorskip("ray", reason="Ray is not installed here (pip install 'avbench[ray]')")
    saved_path, saved_env = list(sys.path), os.environ.get("PYTHONPATH")
    folders = [*map(str, PLUGIN_FOLDERS), str(ROOT), *(saved_env or "").split(os.pathsep)]
    os.environ["PYTHONPATH"] = os.pathsep.join(f for f in dict.fromkeys(folders) if f)
    sys.path[:0] = map(str, PLUGIN_FOLDERS)
    registry_module._cached = None
    from avbench.runner.ray_cluster import PrivateToken

    token = PrivateToken()  # as avbench's own local instance: no ~/.ray/auth_token written
    ray.init(num_cpus=2, num_gpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()
    token.restore()
    sys.path[:] = saved_path
    if saved_env is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = saved_env
    registry_module._cached = None


# work functions for the executor itself; Ray workers import them from this module
def double(x: int) -> int:
    return 2 * x


def kill_own_worker_once(marker: str) -> int:
    """SIGKILLs its worker while ``marker`` exists (removing it first), else returns its pid."""
    if Path(marker).exists():
        Path(marker).unlink()
        os.kill(os.getpid(), signal.SIGKILL)
    return os.getpid()


def exit_plugin_style(_: int) -> None:
    sys.exit(4)


def hang_after_progress(_: int) -> None:
    import time

    from avbench.runner.worker_process import report_progress

    report_progress(("start", 0))
    time.sleep(60)


def test_results_stream_back_for_every_unit_with_the_workers_resources(ray_instance):
    from avbench.runner.ray_executor import RayExecutor

    executor = RayExecutor()
    try:
        out = dict(executor.map_unordered(double, range(6)))
    finally:
        executor.close()
    assert out == {i: 2 * i for i in range(6)}
    assert executor.workers == 2  # the instance's CPUs
    assert ray_instance.is_initialized()  # it joined the instance, so it leaves it running


def test_a_killed_worker_is_a_retryable_worker_death_and_a_new_worker_takes_the_retry(ray_instance, tmp_path):
    from avbench.runner.ray_executor import RayExecutor

    marker = tmp_path / "kill-once"
    marker.touch()
    executor = RayExecutor()
    try:
        [(_, first)] = executor.map_unordered(kill_own_worker_once, [str(marker)])
        [(_, second)] = executor.map_unordered(kill_own_worker_once, [str(marker)])
    finally:
        executor.close()
    assert isinstance(first, WorkerDied) and first.retryable
    assert first.cause.startswith("worker died on node ")  # the node's IP and id, then Ray's words
    assert "; Ray: ActorDiedError" in first.cause
    assert isinstance(second, int)


def test_a_plugin_exiting_its_process_is_a_worker_death_as_with_local_workers(ray_instance):
    from avbench.runner.ray_executor import RayExecutor

    executor = RayExecutor()
    try:
        [(_, outcome)] = executor.map_unordered(exit_plugin_style, [0])
    finally:
        executor.close()
    assert isinstance(outcome, WorkerDied)
    assert outcome.cause == "plugin ended its process (SystemExit: 4)"


def test_a_hung_unit_times_out_after_its_last_progress_report_keeping_that_report(ray_instance):
    from avbench.runner.ray_executor import RayExecutor

    executor = RayExecutor()
    try:
        [(_, outcome)] = executor.map_unordered(hang_after_progress, [0], timeout=1.5)
    finally:
        executor.close()
    assert isinstance(outcome, UnitTimedOut) and not outcome.retryable
    assert outcome.progress == (("start", 0),)


def small_demo_benchmark(folder: Path) -> Path:
    """benchmark.toml's demo-mfcc-svm experiment on a 3-actor demo set under LOSO (3 folds)."""
    config = tomllib.loads((ROOT / "benchmark.toml").read_text())
    experiment = config["experiments"]["demo-mfcc-svm"]
    folder.mkdir(parents=True)
    path = folder / "benchmark.toml"
    path.write_text(f"""
[benchmark]
name = "avbench"
seeds = [0]
latency_clips = 2

[datasets.demo]
plugin = "{config['datasets']['demo']['plugin']}"
params = {{ actors = 3, clips_per_emotion = 1 }}

[protocols.demo-loso]
plugin = "{config['protocols']['demo-loso']['plugin']}"

[experiments.demo-mfcc-svm]
dataset = "demo"
protocols = ["demo-loso"]
[experiments.demo-mfcc-svm.branches.audio]
extractor = "{experiment['branches']['audio']['extractor']}"
model = "{experiment['branches']['audio']['model']}"
""")
    return path


#: Fields of a fold record that say when and how fast it ran, not what it computed.
TIMING_FIELDS = {"started", "finished", "fit_seconds", "predict_seconds", "latency", "record_sha256"}


def stored_records(base: Path) -> dict[str, dict]:
    import json

    return {str(p.relative_to(base / "runs")): {k: v for k, v in json.loads(p.read_text()).items()
                                                 if k not in TIMING_FIELDS}
            for p in sorted((base / "runs").glob("*/*/*/seed-*/*.json"))}


def test_the_demo_benchmark_gives_the_local_executors_bytes_under_ray(ray_instance, tmp_path, monkeypatch):
    runs = {}
    for executor in ("local", "ray"):
        monkeypatch.setenv("AVBENCH_CACHE", str(tmp_path / executor / "cache"))  # each extracts its own features
        config = small_demo_benchmark(tmp_path / executor)
        summary = run_benchmark(config, workers=2, progress=False, render=False, executor=executor, log=lambda m: None)
        assert (summary.done, summary.failed, summary.exit_code) == (3, 0, 0)
        runs[executor] = config.parent
    parquet = {p.relative_to(runs["local"]): p.read_bytes() for p in (runs["local"] / "runs").rglob("*.parquet")}
    assert len(parquet) == 3
    assert parquet == {p.relative_to(runs["ray"]): p.read_bytes() for p in (runs["ray"] / "runs").rglob("*.parquet")}
    assert stored_records(runs["local"]) == stored_records(runs["ray"])


def test_workers_killed_mid_extraction_and_mid_fold_are_retried_with_nothing_lost(ray_instance, tmp_path,
                                                                                  monkeypatch):
    monkeypatch.setenv("AVBENCH_CACHE", str(tmp_path / "clean-cache"))
    clean = write_fault_benchmark(tmp_path, "clean")
    assert run_benchmark(clean, progress=False, render=False, log=lambda m: None).exit_code == 0

    extract_switch, fold_switch = tmp_path / "kill-extractor-once", tmp_path / "kill-fold-once"
    extract_switch.touch()
    fold_switch.touch()
    monkeypatch.setenv("AVBENCH_CACHE", str(tmp_path / "killed-cache"))
    killed = write_fault_benchmark(
        tmp_path, "killed",
        extractor={"fault": "sigkill", "on_clips": ["02-sad-1"], "switch_file": str(extract_switch), "one_shot": True},
        model={"fault": "sigkill", "switch_file": str(fold_switch), "one_shot": True})
    lines: list[str] = []
    summary = run_benchmark(killed, progress=False, render=False, executor="ray", log=lines.append)

    assert not extract_switch.exists() and not fold_switch.exists()  # both faults fired
    retries = [line for line in lines if line.startswith("RETRYING: worker died on node ")]
    assert len(retries) == 1 and "running fold" in retries[0]  # the fold's retry; the clip's is silent
    assert (summary.failed, summary.exit_code) == (0, 0)
    assert not any(summary.failed_work.values()) and not any(summary.clip_errors.values())
    assert stored_predictions(killed.parent) == stored_predictions(clean.parent)


def test_asking_for_ray_where_it_is_not_installed_is_one_clear_line_before_planning(tmp_path, monkeypatch,
                                                                                    capsys):
    from avbench.cli.main import main

    config = write_fault_benchmark(tmp_path, "no-ray")
    for folder in PLUGIN_FOLDERS:
        monkeypatch.syspath_prepend(str(folder))
    registry_module._cached = None
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets where Ray is not installed
    assert main(["run", str(config), "--executor", "ray", "--no-progress"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 1
    assert errors[0].startswith("avbench: executor 'ray' needs Ray, which is not installed here")
    assert "pip install 'avbench[ray]'" in errors[0]
    assert not (config.parent / "runs").exists()  # refused before planning
    registry_module._cached = None


def test_under_ray_cuda_units_take_the_gpus_ray_gives_them_and_the_others_see_none(ray_instance, tmp_path):
    from tests.runner.test_gpu_scheduling import BENCHMARK, entries, experiment

    log = tmp_path / "log"
    fit = {"log_dir": str(log), "seconds": 0.5}
    config = tmp_path / "benchmark.toml"
    config.write_text(BENCHMARK.format(extra="")
                      + experiment("gpu-a", {"cuda": False}, {**fit, "tag": "a"})
                      + experiment("cpu-c", {"cuda": False}, {**fit, "tag": "c", "cuda": False}))
    summary = run_benchmark(config, progress=False, render=False, executor="ray", log=lambda m: None)
    assert (summary.done, summary.failed, summary.exit_code) == (8, 0, 0)

    seen = [e for e in entries(log) if e["plugin"] == "gpu-probe-model"]
    cuda_folds = [e for e in seen if e["tag"] == "a"]
    assert {e["visible"] for e in cuda_folds} <= {"0", "1"} and len(cuda_folds) == 4
    assert {e["visible"] for e in seen if e["tag"] == "c"} == {""}
    for slot in ("0", "1"):  # Ray gives a GPU to one task at a time
        on_slot = sorted((e for e in cuda_folds if e["visible"] == slot), key=lambda e: e["start"])
        assert all(a["end"] <= b["start"] for a, b in zip(on_slot, on_slot[1:])), slot


def test_the_config_chooses_the_executor_and_the_command_line_overrides_it(tmp_path):
    pytest.importorskip("ray", reason="Ray is not installed here (pip install 'avbench[ray]')")
    from avbench.config.loader import load_config
    from avbench.runner.executor import with_executor

    path = write_fault_benchmark(tmp_path, "chosen")
    path.write_text(path.read_text().replace("[benchmark]\n", '[benchmark]\nexecutor = "ray"\n'
                                                              'ray_address = "head:6379"\n', 1))
    for folder in PLUGIN_FOLDERS:
        sys.path.insert(0, str(folder))
    registry_module._cached = None
    try:
        config = load_config(path)
    finally:
        del sys.path[:len(PLUGIN_FOLDERS)]
        registry_module._cached = None
    assert (config.benchmark.executor, config.benchmark.ray_address) == ("ray", "head:6379")
    assert with_executor(config, "local").benchmark.executor == "local"
    other = with_executor(config.model_copy(update={"benchmark": config.benchmark.model_copy(
        update={"executor": "local", "ray_address": None})}), address="ray://elsewhere:10001")
    assert (other.benchmark.executor, other.benchmark.ray_address) == ("ray", "ray://elsewhere:10001")


def test_a_run_on_its_own_local_instance_leaves_no_instance_session_or_token_behind(tmp_path, monkeypatch):
    """The run starts one local Ray instance, ends it once, and starts none when it closes (it used to: closing
    twice called Ray after shutdown, and Ray's auto-init started a fresh instance that wrote ~/.ray/auth_token)."""
    pytest.importorskip("ray", reason="Ray is not installed here (pip install 'avbench[ray]')")
    from tests.faults.conftest import run_cli
    from tests.runner.loopback_cluster import descendants

    home, ray_tmp = tmp_path / "home", Path(tempfile.mkdtemp(prefix="avb-ray-", dir="/tmp"))
    home.mkdir()
    for name in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN"):  # set in this process by the module's own Ray instance
        monkeypatch.delenv(name, raising=False)  # (ray_instance); a user's shell starts without them
    config = write_fault_benchmark(tmp_path, "own-instance", workers=2)
    try:
        result = run_cli(config, "--executor", "ray", env={"HOME": str(home), "RAY_TMPDIR": str(ray_tmp)})
        left = [p for p in descendants(1) if str(ray_tmp) in _command_line(p)]
        sessions = sorted(p.name for p in ray_tmp.glob("ray/session_2*"))
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert output.count("Started a local Ray instance") == 1, output
    assert len(sessions) == 1, sessions
    assert not left, f"Ray processes outlived the run: {left}"
    assert not (home / ".ray").exists(), sorted(str(p) for p in (home / ".ray").rglob("*"))  # no ~/.ray/auth_token: the token lived in the environment


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
