"""A real Ray cluster on loopback (a head and two worker nodes, each ``ray start``) losing a node mid-run.

One cluster serves the module, in order: a worker node is killed mid-run (every fold still finishes,
with local workers' predictions), then the head is (one line, exit 3, nothing lost, a rerun on a new
head resumes). The nodes use token authentication (``RAY_AUTH_MODE=token``), as the README tells,
with a token that lives only in the test's environment; ``HOME`` is a temporary folder, so no
``~/.ray`` is read or written. The benchmark is the fault tests' toy benchmark with the probe model
sleeping in each fit (so that folds are running when a node dies): two experiments of LOSO over
eight toy subjects, sixteen folds.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.faults.conftest import PROBES, stored_predictions, toml_table

from .loopback_cluster import IP, LoopbackCluster

pytest.importorskip("ray", reason="Ray is not installed here (pip install 'avbench[ray]')")
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
FIT_SECONDS = 2.5
FOLDS = 16  # 2 experiments x LOSO over 8 toy subjects
BENCHMARK = """
[benchmark]
name = "cluster"
seeds = [0]
latency_clips = 1

[datasets.toy]
plugin = "toy-dataset"
root = "{root}"
params = {{ subjects = 8, per_label = 2 }}

[protocols.loso]
plugin = "loso"

[experiments.probe-a]
dataset = "toy"
protocols = ["loso"]
[experiments.probe-a.branches.audio]
extractor = "probe-extractor"
model = {{ plugin = "probe-model", params = {model} }}

[experiments.probe-b]
dataset = "toy"
protocols = ["loso"]
[experiments.probe-b.branches.audio]
extractor = "toy-extractor"
model = {{ plugin = "probe-model", params = {model} }}
"""
RUN_SECONDS = 240


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def env(home) -> dict[str, str]:
    path = os.pathsep.join([str(FIXTURES / "toy_plugins"), str(PROBES), str(ROOT), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "HOME": str(home), "PYTHONPATH": path, "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN": secrets.token_hex(32), "PYTHONUNBUFFERED": "1"}


@pytest.fixture(scope="module")
def cluster(env):
    """A head (1 CPU) and two worker nodes (2 CPUs and 1 CPU) on loopback."""
    try:
        cluster = LoopbackCluster(env)
    except OSError as exc:  # macOS, say, routes only 127.0.0.1 to loopback
        pytest.skip(f"no loopback address {IP} here to run Ray nodes on ({exc})")
    try:
        cluster.start_head(cpus=1)
        cluster.wait_started()
        cluster.add_worker("worker-a", cpus=2)
        cluster.add_worker("worker-b", cpus=1)
        cluster.wait_started()
        yield cluster
    finally:
        cluster.shutdown()


def benchmark(folder: Path, name: str, pid_dir: Path | None = None) -> Path:
    """``folder/name/benchmark.toml``; each fit sleeps and, with ``pid_dir``, leaves its process id there."""
    model = {"sleep": FIT_SECONDS, **({"pid_dir": str(pid_dir)} if pid_dir else {})}
    path = folder / name / "benchmark.toml"
    path.parent.mkdir(parents=True)
    path.write_text(BENCHMARK.format(root=folder / "toy-data", model=toml_table(model)))
    return path


@pytest.fixture(scope="module")
def local_predictions(tmp_path_factory, env):
    """The benchmark's predictions from local workers."""
    base = tmp_path_factory.mktemp("ray-cluster-local")
    config = benchmark(base, "local")
    result = subprocess.run(avbench(config, "--executor", "local", "--workers", "2"), env=run_env(env, config),
                            capture_output=True, text=True, timeout=RUN_SECONDS)
    assert result.returncode == 0, result.stderr
    return stored_predictions(config.parent)


def avbench(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "avbench.cli.main", "run", str(config), "--no-progress", *args]


def run_env(env: dict[str, str], config: Path) -> dict[str, str]:
    return {**env, "AVBENCH_CACHE": str(config.parent / "cache")}


def cpus(cluster: LoopbackCluster) -> int:
    return sum(n.cpus for n in cluster.nodes if not n.killed)


def stored_ok(config: Path) -> int:
    import json

    return sum(json.loads(p.read_text()).get("status") == "ok" for p in (config.parent / "runs").glob("*/*/*/seed-*/*.json"))


def wait_for(condition, seconds: float, what: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"the run ended before {what}: {process.communicate()}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"no {what} within {seconds} s: {process.communicate()}")
        time.sleep(0.2)


def test_a_worker_node_killed_mid_run_costs_only_its_folds_which_finish_elsewhere(cluster, env, tmp_path,
                                                                                 local_predictions):
    pid_dir = tmp_path / "pids"
    config = benchmark(tmp_path, "cluster", pid_dir)
    run = subprocess.Popen(avbench(config, "--address", cluster.address, "--workers", str(cpus(cluster))),
                           env=run_env(env, config), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        workers = [n for n in cluster.nodes if n.name != "head"]

        def busiest() -> str:
            """The worker node with the most processes running folds, once one has two (all its CPUs)."""
            fitting = {int(p.name) for p in pid_dir.glob("*")} if pid_dir.exists() else set()
            counts = {n.name: len(fitting & n.pids()) for n in workers}
            return max(counts, key=counts.get) if max(counts.values()) >= 2 else ""

        wait_for(busiest, RUN_SECONDS, "worker node running two folds", run)
        victim = next(n for n in workers if n.name == busiest())
        assert stored_ok(config) < FOLDS
        victim.kill()
        out, err = run.communicate(timeout=RUN_SECONDS)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, err
    retries = [line for line in err.splitlines() if line.startswith("RETRYING: worker died on node 127.0.0.2 (id ")]
    assert retries, err  # the killed node's folds, named by node, retried once elsewhere
    assert "FAILED" not in err and "Traceback" not in err, err
    assert "Started a local Ray instance" not in err + out  # it joined the cluster, and left nothing behind
    assert stored_ok(config) == FOLDS
    assert stored_predictions(config.parent) == local_predictions
    assert not (Path(env["HOME"]) / ".ray").exists()


def test_losing_the_head_ends_the_run_with_one_line_and_exit_3_and_a_rerun_resumes(cluster, env, tmp_path,
                                                                                  local_predictions):
    config = benchmark(tmp_path, "head")
    command = avbench(config, "--address", cluster.address, "--workers", str(cpus(cluster)))
    run = subprocess.Popen(command, env=run_env(env, config), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    try:
        wait_for(lambda: 0 < stored_ok(config), RUN_SECONDS, "finished fold", run)
        assert stored_ok(config) < FOLDS
        cluster.head().kill()
        killed = time.monotonic()
        out, err = run.communicate(timeout=RUN_SECONDS)
        ended = time.monotonic() - killed
    finally:
        if run.poll() is None:
            run.kill()
    lines = [line for line in err.splitlines() if line.startswith("avbench: ")]
    assert run.returncode == 3, err
    assert len(lines) == 1, err
    assert "Traceback" not in err and "FAILED" not in err, err
    line = lines[0]
    assert line.startswith(f"avbench: lost the Ray cluster at {cluster.address} (its head stopped answering"), line
    kept = int(line.split(f" of {FOLDS} fold(s) done and kept")[0].rsplit("; ", 1)[1])
    assert 0 < kept < FOLDS and stored_ok(config) >= kept, line
    assert "; rerun the same command when the cluster is back (or with --executor local) to resume" in line
    assert ended < 45, f"the run took {ended:.0f} s to end after the head died"

    for node in cluster.nodes:  # the cluster is back: a new head on the same address
        if not node.killed:
            node.kill()
    cluster.start_head(cpus=2)
    cluster.wait_started()
    rerun = subprocess.run(avbench(config, "--address", cluster.address, "--workers", "2"), env=run_env(env, config),
                           capture_output=True, text=True, timeout=RUN_SECONDS)
    assert rerun.returncode == 0, rerun.stderr
    done_before = [line for line in rerun.stderr.splitlines() if "already done with the same fingerprint" in line]
    assert done_before and int(done_before[0].split()[0]) >= kept, rerun.stderr
    assert stored_predictions(config.parent) == local_predictions
