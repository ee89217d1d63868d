"""Executors run picklable work units and yield results as they finish.

The local executor runs every unit in a worker process (also with one worker), so a plugin that
segfaults, calls ``os._exit`` or is killed for memory costs only the unit it was running: the
worker is replaced and the others go on. A unit past its time limit has its worker killed. A
distributed engine only has to offer the same ``map_unordered`` over the same units
(:mod:`avbench.runner.ray_executor` does, on warm Ray actors).

Units whose plugins run on CUDA take a GPU slot (:mod:`avbench.runner.gpu_slots`): they run in
workers that see only their slot's GPUs, one unit per slot at a time, beside the ``workers`` that
run the other units (which then see no GPU).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import Any, Callable, Iterable, Iterator, Protocol, Sequence, TypeVar

from .failures import UnitFailure, UnitTimedOut, WorkerDied, describe_exit
from .gpu_slots import GpuSlots, slot_devices, unit_wants_cuda, visible_gpus
from .worker_process import WARM_UP, worker_main

U = TypeVar("U")
R = TypeVar("R")

STOP_GRACE_SECONDS = 3.0
#: how long a unit waits for its worker's warm-up (``Plugin.warm_up``) before the worker is given up
WARM_UP_LIMIT_SECONDS = 600.0
MAX_LOST_SENDS = 3


def usable_cores() -> int:
    """Cores this process may run on (its affinity, e.g. under a batch scheduler), else all of them."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Executor(Protocol):
    """Runs ``fn`` over units; yields ``(unit, result)`` or ``(unit, UnitFailure)`` as each completes.

    ``units`` may be a :class:`collections.deque` that the caller appends to while iterating (retries).
    ``timeout`` limits each unit in seconds, counted afresh after each progress report of the unit.
    """

    workers: int

    def map_unordered(self, fn: Callable[[U], R], units: Iterable[U], timeout: float | None = None
                      ) -> Iterator[tuple[U, R | UnitFailure]]:
        ...

    def close(self) -> None:
        ...

    def warm(self, plugins: Sequence[tuple[str, str]]) -> None:
        """Get workers ready for units of ``plugins`` (``(module, class name)``) while the caller goes on planning."""
        ...


class UnitRaised(UnitFailure):
    """The work function raised instead of returning (work functions record their own errors, so rare)."""

    retryable = False


@dataclass
class _Worker:
    process: Any
    connection: Any
    slot: int | None = None  # the GPU slot it was started for; None: a worker that sees no GPU
    warming: bool = False  # asked to warm up and given no unit since: it may still be importing


@dataclass
class _Running:
    unit: Any
    deadline: float | None
    progress: list[Any] = field(default_factory=list)
    warming: bool = False  # sent to a worker still warming up: its own time starts when the worker is ready


class LocalProcessExecutor:
    """``workers`` spawned processes, each limited to its share of the cores, each unit isolated.

    ``gpus`` (GPU ids; default: :func:`~avbench.runner.gpu_slots.visible_gpus`) and ``gpus_per_unit``
    make the GPU slots that units wanting CUDA run in, one at a time per slot.
    """

    def __init__(self, workers: int | None = None, gpus: list[str] | None = None, gpus_per_unit: float = 1.0) -> None:
        cores = usable_cores()
        self.workers = workers or cores
        self.threads = max(1, cores // self.workers)
        self._context = multiprocessing.get_context("spawn")
        self._idle: list[_Worker] = []
        self._busy: dict[int, tuple[_Worker, _Running]] = {}
        self.gpu_slots = GpuSlots(visible_gpus() if gpus is None else gpus, gpus_per_unit)
        self._gpu_idle: dict[int, _Worker] = {}  # slot -> its idle worker

    def _start_worker(self, slot: int | None = None) -> _Worker:
        parent, child = self._context.Pipe(duplex=True)
        # not a daemon: a plugin may start processes of its own (a torch DataLoader with workers, say);
        # close(), the parent-death signal and the parent watch end it instead
        process = self._context.Process(target=worker_main, args=(child, os.getpid(), self.threads),
                                        name="avbench-worker", daemon=False)
        with _visible_devices(self._devices_of(slot)):  # a spawned process takes the environment of now
            process.start()
        child.close()
        return _Worker(process, parent, slot)

    def warm(self, plugins: Sequence[tuple[str, str]]) -> None:
        """Start the CPU workers now; each loads ``plugins`` (:meth:`Plugin.warm_up`) before its first unit.

        Their start-up (interpreter, imports, compiled kernels) then overlaps the caller's planning instead
        of delaying the first unit. Units sent meanwhile queue behind the warm-up; their time limit starts
        when the worker says it is ready.
        """
        cpu_busy = sum(1 for w, _ in self._busy.values() if w.slot is None)
        while len(self._idle) + cpu_busy < self.workers:
            worker = self._start_worker()
            try:
                worker.connection.send((WARM_UP, tuple(plugins)))
            except (BrokenPipeError, EOFError, OSError):  # it died at start: units will say so if it happens again
                self._discard(worker, kill=True)
                return
            worker.warming = True
            self._idle.append(worker)

    def _devices_of(self, slot: int | None) -> str | None:
        """``CUDA_VISIBLE_DEVICES`` for a worker: its slot's GPUs, none while GPUs are scheduled, else as is."""
        if slot is not None:
            return self.gpu_slots.devices[slot]
        return "" if len(self.gpu_slots) else None

    def _placed(self, queue: deque) -> Iterator[tuple[Any, int | None]]:
        """Units that can start now, taken from ``queue`` in order, each with its GPU slot (or None)."""
        cpu_free = self.workers - sum(1 for w, _ in self._busy.values() if w.slot is None)
        waiting = []
        while queue:
            unit = queue.popleft()
            if len(self.gpu_slots) and unit_wants_cuda(unit):
                slot = self.gpu_slots.acquire()
                if slot is not None:
                    yield unit, slot
                    continue
            elif cpu_free > 0:
                cpu_free -= 1
                yield unit, None
                continue
            waiting.append(unit)
        queue.extend(waiting)

    def _worker_for(self, slot: int | None) -> _Worker:
        if slot is None:
            return self._idle.pop() if self._idle else self._start_worker()
        return self._gpu_idle.pop(slot, None) or self._start_worker(slot)

    def _rest(self, worker: _Worker) -> None:
        """An idle worker goes back to its pool; its GPU slot is free again."""
        if worker.slot is None:
            self._idle.append(worker)
        else:
            self._gpu_idle[worker.slot] = worker
            self.gpu_slots.release(worker.slot)

    def _discard(self, worker: _Worker, kill: bool = False) -> int | None:
        """Forget a worker; with ``kill``, end it and its process group (whatever its plugin started)."""
        if kill:
            try:
                os.killpg(worker.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError, TypeError):
                if worker.process.is_alive():
                    worker.process.kill()
        worker.process.join(timeout=STOP_GRACE_SECONDS)
        worker.connection.close()
        if worker.slot is not None:
            self.gpu_slots.release(worker.slot)
        return worker.process.exitcode

    def map_unordered(self, fn: Callable[[U], R], units: Iterable[U], timeout: float | None = None
                      ) -> Iterator[tuple[U, R | UnitFailure]]:
        queue = units if isinstance(units, deque) else deque(units)
        lost_sends = 0  # units a worker died before receiving, in a row
        while queue or self._busy:
            for unit, slot in list(self._placed(queue)):
                worker = self._worker_for(slot)
                warming, worker.warming = worker.warming, False
                try:
                    worker.connection.send((fn, unit))
                except (BrokenPipeError, EOFError, OSError):  # the worker died before taking the unit
                    exitcode = self._discard(worker, kill=True)
                    lost_sends += 1
                    if lost_sends >= MAX_LOST_SENDS:  # workers die as they start: say so, do not loop
                        lost_sends = 0
                        yield unit, WorkerDied(f"{describe_exit(exitcode)} before it could take the unit")
                    else:
                        queue.appendleft(unit)
                    continue
                except Exception as exc:  # the unit does not pickle: its failure, not the worker's
                    self._rest(worker)
                    yield unit, UnitRaised(f"the unit could not be sent to a worker: {type(exc).__name__}: {exc}")
                    continue
                lost_sends = 0
                limit = max(timeout or 0.0, WARM_UP_LIMIT_SECONDS) if warming else timeout
                deadline = time.monotonic() + limit if limit else None
                self._busy[id(worker)] = (worker, _Running(unit, deadline, warming=warming))
            deadlines = [r.deadline for _, r in self._busy.values() if r.deadline is not None]
            wait_for = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            handles = [h for w, _ in self._busy.values() for h in (w.connection, w.process.sentinel)]
            wait(handles, timeout=wait_for)
            for key, (worker, running) in list(self._busy.items()):
                outcome = self._collect(worker, running, timeout)
                if outcome is None:
                    continue
                del self._busy[key]
                if isinstance(outcome, UnitFailure) and not isinstance(outcome, UnitRaised):
                    self._discard(worker, kill=True)
                else:
                    self._rest(worker)
                yield running.unit, outcome

    def _read(self, worker: _Worker, running: _Running, timeout: float | None) -> Any:
        """Take every message waiting from the worker; the unit's outcome if one came, else None."""
        try:
            while worker.connection.poll():
                kind, payload = worker.connection.recv()
                if kind == "ready":  # its warm-up is over: the unit's time starts now
                    running.warming = False
                    running.deadline = time.monotonic() + timeout if timeout else None
                elif kind == "progress":
                    running.progress.append(payload)
                    if timeout:
                        running.deadline = time.monotonic() + timeout
                elif kind == "result":
                    return payload
                else:
                    return self._raised(payload, running)
        except (EOFError, OSError):
            pass  # the worker is gone: its exit code says why
        return None

    def _collect(self, worker: _Worker, running: _Running, timeout: float | None) -> Any:
        """The unit's outcome if it has one now (result, failure), else None (still running)."""
        outcome = self._read(worker, running, timeout)
        if outcome is not None:
            return outcome
        if not worker.process.is_alive():
            worker.process.join(timeout=STOP_GRACE_SECONDS)
            outcome = self._read(worker, running, timeout)  # what it wrote just before it died
            if outcome is not None:
                return outcome
            exitcode = self._discard(worker)
            return WorkerDied(describe_exit(exitcode), tuple(running.progress))
        if running.deadline is not None and time.monotonic() >= running.deadline:
            if running.warming:  # not the unit's fault: it goes to a fresh worker
                return WorkerDied(f"its worker's warm-up did not finish within {WARM_UP_LIMIT_SECONDS:g} s")
            return UnitTimedOut(f"timed out after {timeout:g} s", tuple(running.progress))
        return None

    @staticmethod
    def _raised(payload: tuple, running: _Running) -> UnitFailure:
        name, line, trace, _failed_work = payload
        if name in ("SystemExit", "KeyboardInterrupt"):
            return WorkerDied(f"plugin ended its process ({line})", tuple(running.progress))
        failure = UnitRaised(line, tuple(running.progress))
        failure.traceback = trace
        return failure

    def close(self) -> None:
        """Stop every worker: idle ones are asked to exit, busy ones are killed."""
        for worker, _ in self._busy.values():
            self._discard(worker, kill=True)
        self._busy.clear()
        idle = [*self._idle, *self._gpu_idle.values()]
        for worker in [w for w in idle if w.warming]:  # never used, maybe mid-import: nothing to wait for
            self._discard(worker, kill=True)
        idle = [w for w in idle if not w.warming]
        for worker in idle:
            try:
                worker.connection.send(None)
            except (BrokenPipeError, EOFError, OSError):
                pass
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for worker in idle:
            worker.process.join(timeout=max(0.0, deadline - time.monotonic()))
            self._discard(worker, kill=True)
        self._idle.clear()
        self._gpu_idle.clear()


@contextlib.contextmanager
def _visible_devices(value: str | None) -> Iterator[None]:
    """``CUDA_VISIBLE_DEVICES`` set to ``value`` (None: left as is) while a worker is started."""
    if value is None:
        yield
        return
    previous = os.environ.get("CUDA_VISIBLE_DEVICES")
    os.environ["CUDA_VISIBLE_DEVICES"] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("CUDA_VISIBLE_DEVICES", None)
        else:
            os.environ["CUDA_VISIBLE_DEVICES"] = previous


def with_executor(config: Any, executor: str | None = None, address: str | None = None) -> Any:
    """``config`` with its ``[benchmark]`` executor settings overridden (``avbench run --executor/--address``).

    An address alone means Ray: only a Ray executor joins a cluster.
    """
    update = {"executor": executor or ("ray" if address else None), "ray_address": address}
    update = {k: v for k, v in update.items() if v is not None}
    if update:
        config = config.model_copy(update={"benchmark": config.benchmark.model_copy(update=update)})
    if config.benchmark.executor == "ray":  # say so before planning, not after it
        from .ray_executor import import_ray

        import_ray()
    else:
        from avbench.config.loader import ConfigError

        try:
            gpus = visible_gpus()
        except ValueError as exc:
            raise ConfigError([str(exc)]) from None
        try:
            slot_devices(gpus, config.benchmark.gpus_per_unit)
        except ValueError as exc:
            raise ConfigError([config.where(f"[benchmark] {exc}")]) from None
    return config


def make_executor(workers: int | None, settings: Any = None) -> Executor:
    """The executor ``settings`` (the ``[benchmark]`` section, or anything with its fields) ask for.

    ``executor = "ray"`` runs units on warm Ray actors of ``ray_address`` (a local Ray instance when unset);
    the default runs them in local worker processes.
    """
    from avbench.config.schema import max_workers
    from avbench.contract.errors import AvbenchError

    kind = getattr(settings, "executor", "local") or "local"
    gpus_per_unit = getattr(settings, "gpus_per_unit", 1.0)
    if workers is not None and not 1 <= workers <= max_workers(kind):
        raise AvbenchError(f"--workers {workers}: expected 1 to {max_workers(kind)} worker processes "
                           f"({os.cpu_count()} CPU core(s) here)")
    if kind == "ray":
        from .ray_executor import RayExecutor

        return RayExecutor(getattr(settings, "ray_address", None), workers=workers, gpus_per_unit=gpus_per_unit)
    return LocalProcessExecutor(workers, gpus_per_unit=gpus_per_unit)
