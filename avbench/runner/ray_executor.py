"""The Ray executor: the same ``map_unordered`` as the local executor, on warm Ray worker actors.

Units run on a pool of actors (:class:`_Worker`), each one process that loads the planned extractors
once (``Plugin.warm_up``, as local workers do) and then takes units one at a time, from the extraction
stage to the folds: no task pays library start-up, and there are never more worker processes than the
CPUs asked for (``workers``, default: the cluster's CPUs). An actor asks for a unit's CPUs (a fold:
its ``torch_threads``) and, when the unit's plugins run on CUDA (found at planning:
:func:`~avbench.runner.gpu_slots.unit_wants_cuda`), ``gpus_per_unit`` GPUs; Ray then sets its
``CUDA_VISIBLE_DEVICES``. A unit goes only to an actor that is up, so an actor Ray cannot place (a
node gone, the cluster full) holds nothing back. Results stream back as units finish, so progress
bars, fold records and the leaderboard follow exactly as with local workers. Failures keep the local
executor's meaning:

- an actor that dies, or whose node dies, is :class:`WorkerDied` naming the node (retryable:
  ``run.py`` retries the unit once, on another actor, then records failed work naming the cause);
  a new actor takes its place wherever Ray finds room;
- a unit past its time limit (counted from when it starts, afresh after each progress report) has
  its actor killed: :class:`UnitTimedOut`;
- a work function that raises is :class:`UnitRaised`; ``SystemExit`` from a plugin is
  :class:`WorkerDied`, as locally;
- the head (or the connection to it) gone: :class:`~avbench.runner.failures.ClusterLost`, which ends
  the run with one line (:mod:`avbench.runner.ray_cluster` watches for it).

Progress reports (:func:`avbench.runner.worker_process.report_progress`) go, before the work goes on,
to a small actor pinned to the driver's node, so a worker that dies mid-chunk costs only the clip it
was extracting and losing any other node loses no progress.

Workers must import avbench and the plugins: the driver's ``PYTHONPATH`` and the folders avbench and
the first-party plugins are imported from travel in the actors' ``runtime_env``, with the driver's
``AVBENCH_*`` variables. On a cluster those paths (and the cache and run folders) must be the same on
every node: see the README.
"""

from __future__ import annotations

import os
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar

from .executor import LocalProcessExecutor, UnitRaised
from .failures import ClusterLost, UnitFailure, UnitTimedOut, WorkerDied, one_line
from .gpu_slots import unit_wants_cuda
from .ray_cluster import RayNotInstalledError, RaySession, _first_line, import_ray  # noqa: F401 (re-exported)

U = TypeVar("U")
R = TypeVar("R")

#: How often the driver looks for progress, deadlines and the cluster while units run, in seconds.
POLL_SECONDS = 0.5
#: How long the driver waits for the progress actor on its own node before it asks whether the cluster is gone.
SINK_SECONDS = 30.0
#: Actors that failed to start in a row before the next unit waiting for one is failed instead.
MAX_START_FAILURES = 3

Shape = tuple[float, float]  # (CPUs, GPUs) an actor asks for


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


class _LinkLost(BaseException):
    """The progress actor on the driver's node did not take a report: the unit stops, no verdict on its work."""


class _ProgressLink:
    """Stands in for the worker's pipe: ``report_progress`` reaches the driver's progress actor.

    A clip's start goes at once, with whatever was reported since the last one (the previous clip's
    end), and waits until the actor has it: a worker that dies on a clip is known to have died on that
    clip, with one round trip per clip. What is left at the unit's end goes without waiting (the unit's
    result follows it).
    """

    def __init__(self, ray: Any, sink: Any, token: int) -> None:
        self._ray, self._sink, self._token = ray, sink, token
        self._pending: list[Any] = []

    def send(self, message: tuple[str, Any]) -> None:
        payload = message[1]
        self._pending.append(payload)
        if isinstance(payload, tuple) and payload and payload[0] == "start":
            _tell(self._ray, self._sink.report.remote(self._token, self._pending))
            self._pending = []

    def flush(self, wait: bool) -> None:
        """Send what is left; with ``wait``, until the actor has it."""
        if self._pending:
            ref = self._sink.report.remote(self._token, self._pending)
            self._pending = []
            if wait:
                _tell(self._ray, ref)


def _tell(ray: Any, ref: Any) -> None:
    try:
        ray.get(ref)
    except ray.exceptions.RayError as exc:
        raise _LinkLost(_first_line(exc)) from None


class _Worker:
    """A warm Ray worker (an actor): one process, the planned plugins loaded once, one unit at a time."""

    def __init__(self, threads: int) -> None:
        from . import worker_process

        worker_process.limit_threads(threads)

    def warm(self, plugins: tuple[tuple[str, str], ...]) -> tuple[str, str]:
        """Load ``plugins`` (:func:`~avbench.runner.worker_process.warm_up`); where this actor runs: node id, IP."""
        import ray

        from . import worker_process

        worker_process.warm_up(tuple(plugins))
        return ray.get_runtime_context().get_node_id(), ray.util.get_node_ip_address()

    def run(self, fn: Callable[[Any], Any], unit: Any, token: int, sink: Any) -> tuple[str, Any]:
        """The work function with progress wired to the driver; its outcome as plain data."""
        import ray

        from . import worker_process

        worker_process._connection = link = _ProgressLink(ray, sink, token)
        try:
            sink.started.remote(token)  # starts the unit's clock; its first report waits for it
            outcome: tuple[str, Any] = ("result", fn(unit))
        except _LinkLost as exc:  # the driver's node (or the head) is going: the driver decides
            return "lost", str(exc)
        except BaseException as exc:  # SystemExit from a plugin included: the unit failed, not the worker
            outcome = ("raised", worker_process._raised(exc))
            try:
                link.flush(wait=True)  # the driver salvages a failed unit by its progress: all of it
            except _LinkLost as lost:
                return "lost", str(lost)
        finally:
            worker_process._connection = None
        if outcome[0] == "result":
            try:
                link.flush(wait=False)  # a result needs no progress: what is left only restarts the clock
            except Exception:  # the driver's node is going: the result says the rest
                pass
        return outcome


class _ProgressSink:
    """Collects what running units report (start of each, their progress) until the driver drains it."""

    def __init__(self) -> None:
        self._started: list[int] = []
        self._events: dict[int, list[Any]] = {}

    def started(self, token: int) -> None:
        self._started.append(token)

    def report(self, token: int, payloads: list[Any]) -> None:
        self._events.setdefault(token, []).extend(payloads)

    def drain(self) -> tuple[list[int], dict[int, list[Any]]]:
        started, events = self._started, self._events
        self._started, self._events = [], {}
        return started, events


@dataclass
class _Actor:
    handle: Any
    shape: Shape
    ready: Any  # the ref of its warm-up; None once it answered
    node: str = ""  # "IP (id 1a2b3c4d" once known: a cause goes on inside the bracket
    up: bool = False


@dataclass
class _Task:
    unit: Any
    token: int
    actor: _Actor
    started: bool = False
    deadline: float | None = None
    progress: list[Any] = field(default_factory=list)


class RayExecutor:
    """Runs units on warm Ray actors of the cluster at ``address`` (a local Ray instance when None).

    Connects only when Ray is not initialised yet in this process; ``close`` disconnects only what it
    connected, once. ``workers`` caps the CPUs its CPU actors ask for together (default: the cluster's);
    ``gpus_per_unit`` is what a unit wanting CUDA asks for (a fraction shares a GPU). ``max_retries`` is
    kept for callers of the task-based executor and must be 0: a dead actor's unit is retried by the run.
    """

    def __init__(self, address: str | None = None, max_retries: int = 0, workers: int | None = None,
                 gpus_per_unit: float = 1.0) -> None:
        if max_retries:
            raise ValueError("RayExecutor retries nothing itself: the run retries a dead worker's unit once")
        self._runtime_env = {"env_vars": worker_environment()}
        self._session = RaySession(address, self._runtime_env)
        self._ray = ray = self._session.ray
        resources = ray.cluster_resources()
        self.workers = workers or max(1, int(resources.get("CPU", 1)))
        gpus = resources.get("GPU", 0)
        if gpus > 0:  # as locally: while GPUs are scheduled, units without any see none
            self._runtime_env["env_vars"]["RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO"] = "1"
        self.gpus_per_unit = gpus_per_unit
        self._gpu_actors = max(1, int(gpus // gpus_per_unit)) if gpus > 0 else 1
        self._sink = ray.remote(num_cpus=0)(_ProgressSink).options(
            runtime_env=self._runtime_env, max_restarts=0, **self._session.driver_node()).remote()
        self._actor_class = ray.remote(_Worker)
        self._plugins: tuple[tuple[str, str], ...] = ()
        self._actors: list[_Actor] = []
        self._busy: dict[int, _Task] = {}  # id(actor) -> its task
        self._refs: dict[Any, _Task] = {}  # result ref -> task
        self._tokens = 0
        self._start_failures = 0
        self._last_start_failure = ""
        self._timeout: float | None = None

    # -- the pool -----------------------------------------------------------------------------------------

    def _shape(self, unit: Any) -> Shape:
        if unit_wants_cuda(unit):  # beside the CPU workers, as local GPU slots are
            return 0.0, self.gpus_per_unit
        return unit_cpus(unit), 0.0

    def _start_actor(self, shape: Shape) -> None:
        cpus, gpus = shape
        handle = self._actor_class.options(num_cpus=cpus, num_gpus=gpus, max_restarts=0, max_task_retries=0,
                                           runtime_env=self._runtime_env).remote(max(1, int(cpus)))
        self._actors.append(_Actor(handle, shape, handle.warm.remote(self._plugins)))

    def _drop(self, actor: _Actor) -> None:
        """Forget an actor and end its process (already gone, as likely as not)."""
        if actor in self._actors:
            self._actors.remove(actor)
        self._busy.pop(id(actor), None)
        try:
            self._ray.kill(actor.handle, no_restart=True)
        except Exception:  # dead already, or its node is
            pass

    def _room(self, shape: Shape) -> bool:
        """Whether one more actor of ``shape`` fits the CPUs asked for (GPU actors: the cluster's GPU slots)."""
        if shape[1]:
            return sum(1 for a in self._actors if a.shape[1]) < self._gpu_actors
        return sum(a.shape[0] for a in self._actors if not a.shape[1]) + shape[0] <= max(self.workers, shape[0])

    def _idle(self) -> list[_Actor]:
        return [a for a in self._actors if id(a) not in self._busy]

    def _make_room(self, shape: Shape) -> bool:
        """Start an actor of ``shape``, ending idle actors of other shapes when the CPUs asked for are taken."""
        while not self._room(shape):
            other = next((a for a in self._idle() if a.shape != shape and bool(a.shape[1]) == bool(shape[1])), None)
            if other is None:
                return False
            self._drop(other)
        self._start_actor(shape)
        return True

    def warm(self, plugins: Sequence[tuple[str, str]]) -> None:
        """Start the CPU actors now; each loads ``plugins`` (:meth:`Plugin.warm_up`) before its first unit,
        while the caller goes on planning."""
        self._plugins = tuple(plugins)
        while self._room((1.0, 0.0)):
            self._start_actor((1.0, 0.0))

    def _place(self, fn: Callable[[Any], Any], queue: deque) -> Iterator[tuple[Any, UnitFailure]]:
        """Send queued units to idle actors that are up; start actors for the rest; yield units that failed."""
        waiting: deque = deque()
        wanted: dict[Shape, int] = {}
        enough = max(8, 2 * self.workers)  # waiting units that tell which actors to start: the rest wait as well
        free = [a for a in self._idle() if a.up]
        while queue and (free or len(waiting) < enough):
            unit = queue.popleft()
            shape = self._shape(unit)
            actor = next((a for a in free if a.shape == shape), None)
            if actor is None:
                wanted[shape] = wanted.get(shape, 0) + 1
                waiting.append(unit)
                continue
            free.remove(actor)
            try:
                self._send(fn, unit, actor)
            except Exception as exc:  # the unit does not serialize: its failure, not the cluster's
                self._busy.pop(id(actor), None)
                yield unit, UnitRaised(f"the unit could not be sent to Ray: {one_line(exc)}")
        queue.extendleft(reversed(waiting))
        for shape, count in wanted.items():
            starting = sum(1 for a in self._actors if a.shape == shape and not a.up)
            if self._start_failures >= MAX_START_FAILURES and queue:
                self._start_failures = 0
                unit = next(u for u in queue if self._shape(u) == shape)
                queue.remove(unit)
                yield unit, WorkerDied(f"Ray could not start a worker ({self._last_start_failure})")
                continue
            while starting < count and self._make_room(shape):
                starting += 1

    def _send(self, fn: Callable[[Any], Any], unit: Any, actor: _Actor) -> None:
        self._tokens += 1
        ref = actor.handle.run.remote(fn, unit, self._tokens, self._sink)  # raises when the unit does not pickle
        task = _Task(unit, self._tokens, actor)
        self._busy[id(actor)] = task
        self._refs[ref] = task

    def _came_up(self, actor: _Actor) -> None:
        """An actor's warm-up answered: it takes units now, or it failed to start and goes."""
        try:
            node_id, ip = self._ray.get(actor.ready)
        except self._ray.exceptions.RayError as exc:
            self._start_failures += 1
            self._last_start_failure = _first_line(exc)
            self._drop(actor)
            return
        actor.ready, actor.up, actor.node = None, True, f"{ip} (id {node_id[:8]}"
        self._start_failures = 0

    # -- running ------------------------------------------------------------------------------------------

    def _check_cluster(self) -> None:
        if self._session.lost:
            self._drop_all_quietly()
            raise ClusterLost(self._session.lost_line())

    def _drain(self) -> None:
        """Take what units reported: a unit's start starts its clock, each progress report restarts it."""
        ray = self._ray
        try:
            started, events = ray.get(self._sink.drain.remote(), timeout=SINK_SECONDS)
        except (ray.exceptions.RayError, TimeoutError, ConnectionError) as exc:  # the driver's node, or the head, is gone
            watch = self._session.watch
            if watch is not None and watch.verdict(2 * watch.lost_after):
                raise ClusterLost(self._session.lost_line()) from None
            raise ClusterLost(f"lost the Ray cluster: the progress actor on the driver's node stopped answering "
                              f"({_first_line(exc)})") from None
        timeout = self._timeout
        by_token = {t.token: t for t in self._refs.values()}
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
        while queue or self._refs:
            self._check_cluster()
            yield from self._place(fn, queue)
            starting = {a.ready: a for a in self._actors if a.ready is not None}
            waiting_on = [*self._refs, *starting]
            if not waiting_on:
                time.sleep(POLL_SECONDS)
                continue
            try:
                ready, _ = ray.wait(waiting_on, num_returns=1, timeout=POLL_SECONDS)
            except ConnectionError:  # Ray Client: the connection broke and did not come back
                self._check_head()
                raise
            self._check_cluster()
            for ref in ready:
                if ref in starting:
                    self._came_up(starting[ref])
            self._drain()  # after the wait: a finished or dead unit's reports are all in
            for ref in ready:
                if ref in self._refs:
                    task = self._refs.pop(ref)
                    yield task.unit, self._outcome(ref, task)
            now = time.monotonic()
            for ref, task in list(self._refs.items()):
                if task.deadline is not None and now >= task.deadline:
                    del self._refs[ref]
                    self._drop(task.actor)  # kills its process, as the local executor does
                    yield task.unit, UnitTimedOut(f"timed out after {timeout:g} s", tuple(task.progress))

    def _outcome(self, ref: Any, task: _Task) -> Any:
        """The unit's result, or its failure in the local executor's terms; the actor goes back or goes.

        Raises :class:`ClusterLost` when the failure is the head's (or the connection's), not the unit's.
        """
        ray = self._ray
        try:
            kind, payload = ray.get(ref)
        except ConnectionError:  # Ray Client: the connection broke and did not come back
            self._check_head()
            raise
        except ray.exceptions.RayError as exc:
            self._check_head()
            if isinstance(exc, ray.exceptions.RayTaskError):  # our wrapper itself failed (it catches the work's)
                self._busy.pop(id(task.actor), None)
                return UnitRaised(f"Ray task failed: {one_line(exc.cause or exc)}", tuple(task.progress))
            self._drop(task.actor)  # the actor, its worker or its node died; out of memory
            return WorkerDied(f"worker died {self._on(task.actor)}Ray: {_first_line(exc)})", tuple(task.progress))
        if kind == "lost":  # its progress could not reach the driver's node
            self._check_head()
            self._drop(task.actor)
            return WorkerDied(f"worker {self._on(task.actor)}could not report to the driver: {payload})",
                              tuple(task.progress))
        if kind == "result":
            self._busy.pop(id(task.actor), None)
            return payload
        failure = LocalProcessExecutor._raised(payload, _Progress(task.progress))
        if isinstance(failure, UnitRaised):
            self._busy.pop(id(task.actor), None)
        else:  # the plugin ended its process (SystemExit): a fresh actor, as a fresh local worker
            self._drop(task.actor)
        return failure

    @staticmethod
    def _on(actor: _Actor) -> str:
        return f"on node {actor.node}; " if actor.node else "("

    def _check_head(self) -> None:
        """Raise :class:`ClusterLost` when the head does not answer now and the watch then decides it is gone."""
        watch = self._session.watch
        if watch is not None and watch.confirm():
            self._drop_all_quietly()
            raise ClusterLost(self._session.lost_line())

    def _drop_all_quietly(self) -> None:
        self._actors.clear()
        self._busy.clear()
        self._refs.clear()

    def close(self) -> None:
        """End the actors; disconnect from Ray when this executor connected. Once: later calls do nothing,
        and nothing calls into a cluster that is gone."""
        if self._session.closed:
            return
        if not self._session.lost:
            for actor in list(self._actors):
                self._drop(actor)
            try:
                self._ray.kill(self._sink)
            except Exception:  # the cluster may be gone already
                pass
        self._actors.clear()
        self._busy.clear()
        self._refs.clear()
        self._session.close()


@dataclass
class _Progress:
    progress: list[Any]
