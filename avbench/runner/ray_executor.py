"""The Ray executor: the same ``map_unordered`` as the local executor, each unit a Ray task.

Each unit becomes a task asking for its CPUs (a fold: its ``torch_threads``) and, when its plugins
run on CUDA (found at planning: :func:`~avbench.runner.gpu_slots.unit_wants_cuda`), ``gpus_per_unit``
GPUs; Ray then sets the task's ``CUDA_VISIBLE_DEVICES``. Results stream back as tasks finish
(``ray.wait``), so progress bars, fold records and the leaderboard follow exactly as with local
workers. Failures keep the local executor's meaning:

- a worker or node that dies is :class:`WorkerDied` (retryable: ``run.py`` retries the unit once,
  then records failed work naming the cause). Ray's own ``max_retries`` is 0 by default so a clip
  that kills its worker every time is named after one retry instead of rerunning its whole chunk;
- a unit past its time limit (counted from when its task starts, afresh after each progress
  report) has its task force-cancelled (its worker killed): :class:`UnitTimedOut`;
- a work function that raises is :class:`UnitRaised`; ``SystemExit`` from a plugin is
  :class:`WorkerDied`, as locally.

Progress reports (:func:`avbench.runner.worker_process.report_progress`) go to a small actor before
the work goes on, so a worker that dies mid-chunk costs only the clip it was extracting.

Workers must import avbench and the plugins: the driver's ``PYTHONPATH`` and the folders avbench and
the first-party plugins are imported from travel in the tasks' ``runtime_env``, with the driver's
``AVBENCH_*`` variables. On a cluster those
paths (and the cache and run folders) must be the same on every node: see the README.
"""

from __future__ import annotations

import os
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar

from avbench.contract.errors import AvbenchError

from .executor import LocalProcessExecutor, UnitRaised
from .failures import UnitFailure, UnitTimedOut, WorkerDied, one_line
from .gpu_slots import unit_wants_cuda

U = TypeVar("U")
R = TypeVar("R")

#: How often the driver looks for progress and deadlines while tasks run, in seconds.
POLL_SECONDS = 0.5


class RayNotInstalledError(AvbenchError):
    """Ray was asked for but cannot be imported here."""


def import_ray() -> Any:
    """The ``ray`` module, or one clear line saying how to get it."""
    try:
        import ray
    except ImportError as exc:
        raise RayNotInstalledError(
            f"executor 'ray' needs Ray, which is not installed here ({exc}): "
            f"pip install 'avbench[ray]' (ray>=2.9), or use the local executor") from None
    return ray


def unit_cpus(unit: Any) -> float:
    """CPUs a unit asks for: a fold its declared torch threads, an extraction chunk one."""
    return float(getattr(unit, "torch_threads", 1) or 1)




def worker_path() -> str:
    """``PYTHONPATH`` for Ray workers: the driver's, then where avbench and the first-party plugins come from."""
    import avbench

    folders = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    folders.append(str(Path(avbench.__file__).resolve().parents[1]))
    plugins = sys.modules.get("avbench_plugins")
    if plugins is not None and getattr(plugins, "__file__", None):
        folders.append(str(Path(plugins.__file__).resolve().parents[1]))
    return os.pathsep.join(dict.fromkeys(folders))


def worker_environment() -> dict[str, str]:
    """Variables Ray workers get from the driver: ``PYTHONPATH`` and the ``AVBENCH_*`` settings plugins read
    (``AVBENCH_MODELS``, dataset roots); not ``AVBENCH_CACHE``, which every unit carries already."""
    env = {k: v for k, v in os.environ.items() if k.startswith("AVBENCH_") and k != "AVBENCH_CACHE"}
    return {**env, "PYTHONPATH": worker_path()}


class _ProgressLink:
    """Stands in for the worker's pipe: ``report_progress`` reaches the driver's progress actor, and waits."""

    def __init__(self, ray: Any, sink: Any, token: int) -> None:
        self._ray, self._sink, self._token = ray, sink, token

    def send(self, message: tuple[str, Any]) -> None:
        self._ray.get(self._sink.report.remote(self._token, message[1]))


def _run_unit(fn: Callable[[Any], Any], unit: Any, token: int, sink: Any, threads: int) -> tuple[str, Any]:
    """What a Ray task runs: the work function with progress wired to the driver; outcome as plain data."""
    import ray

    from . import worker_process

    worker_process.limit_threads(threads)
    worker_process._connection = _ProgressLink(ray, sink, token)
    ray.get(sink.started.remote(token))
    try:
        return "result", fn(unit)
    except BaseException as exc:  # SystemExit from a plugin included: the unit failed, not the worker
        return "raised", worker_process._raised(exc)
    finally:
        worker_process._connection = None


class _ProgressSink:
    """Collects what running tasks report (start of each, their progress) until the driver drains it."""

    def __init__(self) -> None:
        self._started: list[int] = []
        self._events: dict[int, list[Any]] = {}

    def started(self, token: int) -> None:
        self._started.append(token)

    def report(self, token: int, payload: Any) -> None:
        self._events.setdefault(token, []).append(payload)

    def drain(self) -> tuple[list[int], dict[int, list[Any]]]:
        started, events = self._started, self._events
        self._started, self._events = [], {}
        return started, events


@dataclass
class _Task:
    unit: Any
    token: int
    started: bool = False
    deadline: float | None = None
    progress: list[Any] = field(default_factory=list)


class RayExecutor:
    """Runs units as Ray tasks on the cluster at ``address`` (a local Ray instance when None).

    Connects only when Ray is not initialised yet in this process; ``close`` disconnects only
    what it connected. ``max_retries`` is Ray's own retry of tasks whose worker died; ``gpus_per_unit``
    what a unit wanting CUDA asks for (a fraction shares a GPU).
    """

    def __init__(self, address: str | None = None, max_retries: int = 0, workers: int | None = None,
                 gpus_per_unit: float = 1.0) -> None:
        self._ray = ray = import_ray()
        self._runtime_env = {"env_vars": worker_environment()}
        self._connected = False
        if not ray.is_initialized():
            try:
                ray.init(address=address, include_dashboard=False, log_to_driver=True,
                         runtime_env=self._runtime_env)
            except Exception as exc:  # no cluster there, a version mismatch, ...: one line, not a traceback
                where = f"join the Ray cluster at {address}" if address else "start a local Ray instance"
                raise AvbenchError(f"executor 'ray': cannot {where}: {_first_line(exc)}") from None
            self._connected = True
        resources = ray.cluster_resources()
        self.workers = workers or max(1, int(resources.get("CPU", 1)))
        if resources.get("GPU", 0) > 0:  # as locally: while GPUs are scheduled, units without any see none
            self._runtime_env["env_vars"]["RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO"] = "1"
        self.max_retries = max_retries
        self.gpus_per_unit = gpus_per_unit
        self._sink = ray.remote(num_cpus=0)(_ProgressSink).options(runtime_env=self._runtime_env).remote()
        self._remote = ray.remote(_run_unit)
        self._tokens = 0
        self._running: dict[Any, _Task] = {}  # object ref -> task
        self._timeout: float | None = None

    def _submit(self, fn: Callable[[Any], Any], unit: Any) -> None:
        self._tokens += 1
        cpus = unit_cpus(unit)
        gpus = self.gpus_per_unit if unit_wants_cuda(unit) else 0
        ref = self._remote.options(num_cpus=cpus, num_gpus=gpus, max_retries=self.max_retries, retry_exceptions=False,
                                   runtime_env=self._runtime_env
                                   ).remote(fn, unit, self._tokens, self._sink, max(1, int(cpus)))
        self._running[ref] = _Task(unit, self._tokens)

    def _drain(self) -> None:
        """Take what tasks reported: a task's start starts its clock, each progress report restarts it."""
        timeout = self._timeout
        started, events = self._ray.get(self._sink.drain.remote())
        by_token = {t.token: t for t in self._running.values()}
        now = time.monotonic()
        for token in started:
            if token in by_token:
                by_token[token].started = True
                by_token[token].deadline = now + timeout if timeout else None
        for token, payloads in events.items():
            if token in by_token:
                by_token[token].progress.extend(payloads)
                if timeout:
                    by_token[token].deadline = now + timeout

    def map_unordered(self, fn: Callable[[U], R], units: Iterable[U], timeout: float | None = None
                      ) -> Iterator[tuple[U, R | UnitFailure]]:
        ray = self._ray
        queue = units if isinstance(units, deque) else deque(units)
        self._timeout = timeout
        while queue or self._running:
            while queue and len(self._running) < 2 * self.workers:  # a few queued in Ray, not the whole plan
                unit = queue.popleft()
                try:
                    self._submit(fn, unit)
                except Exception as exc:  # the unit does not serialize: its failure, not the cluster's
                    yield unit, UnitRaised(f"the unit could not be sent to Ray: {one_line(exc)}")
            if not self._running:
                continue
            ready, _ = ray.wait(list(self._running), num_returns=1, timeout=POLL_SECONDS)
            self._drain()  # after the wait: a finished or dead task's reports are all in
            for ref in ready:
                task = self._running.pop(ref)
                yield task.unit, self._outcome(ref, task)
            now = time.monotonic()
            for ref, task in list(self._running.items()):
                if task.deadline is not None and now >= task.deadline:
                    ray.cancel(ref, force=True)  # kills the task's worker, as the local executor does
                    del self._running[ref]
                    yield task.unit, UnitTimedOut(f"timed out after {timeout:g} s", tuple(task.progress))

    def _outcome(self, ref: Any, task: _Task) -> Any:
        """The unit's result, or its failure in the local executor's terms."""
        ray = self._ray
        try:
            kind, payload = ray.get(ref)
        except ray.exceptions.RayTaskError as exc:  # our wrapper itself failed (it catches the work's errors)
            return UnitRaised(f"Ray task failed: {one_line(exc.cause or exc)}", tuple(task.progress))
        except ray.exceptions.RayError as exc:  # worker or node died, object lost, out of memory
            return WorkerDied(f"worker died (Ray: {_first_line(exc)})", tuple(task.progress))
        if kind == "result":
            return payload
        return LocalProcessExecutor._raised(payload, _Progress(task.progress))

    def warm(self, plugins: Sequence[tuple[str, str]]) -> None:
        """Nothing: Ray starts and keeps its own worker processes."""

    def close(self) -> None:
        """Cancel what still runs; disconnect from Ray when this executor connected."""
        for ref in list(self._running):
            self._ray.cancel(ref, force=True)
        self._running.clear()
        try:
            self._ray.kill(self._sink)
        except Exception:  # the cluster may be gone already
            pass
        if self._connected:
            self._ray.shutdown()
            self._connected = False


@dataclass
class _Progress:
    progress: list[Any]


def _first_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return next((line.strip() for line in text.splitlines() if line.strip()), type(exc).__name__)
