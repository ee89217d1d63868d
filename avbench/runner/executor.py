"""Executors run picklable work units and yield results as they finish.

The local process pool is the default; a distributed engine only has to offer
the same ``map_unordered`` over the same units.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Callable, Iterable, Iterator, Protocol, TypeVar

U = TypeVar("U")
R = TypeVar("R")


class Executor(Protocol):
    """Runs ``fn`` over units; yields ``(unit, result)`` or ``(unit, exception)`` as each completes."""

    def map_unordered(self, fn: Callable[[U], R], units: Iterable[U]) -> Iterator[tuple[U, R | BaseException]]:
        ...

    def close(self) -> None:
        ...


class SerialExecutor:
    """Runs units one by one in this process (debugging, tests, one core)."""

    workers = 1

    def map_unordered(self, fn: Callable[[U], R], units: Iterable[U]) -> Iterator[tuple[U, R | BaseException]]:
        for unit in units:
            try:
                yield unit, fn(unit)
            except Exception as exc:  # one failed unit never stops the others
                yield unit, exc

    def close(self) -> None:
        pass


def _limit_threads(threads: int) -> None:
    """Keep each worker to its share of the cores.

    The environment covers libraries not loaded yet; threadpoolctl resizes the BLAS and OpenMP
    pools already loaded (spawning imports numpy before this runs), which otherwise oversubscribe
    the cores and spin against each other.
    """
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = str(threads)
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:
        pass


class LocalProcessExecutor:
    """A pool of ``workers`` spawned processes, each limited to its share of the cores."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        threads = max(1, (os.cpu_count() or 1) // self.workers)
        self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_limit_threads, initargs=(threads,))

    def map_unordered(self, fn: Callable[[U], R], units: Iterable[U]) -> Iterator[tuple[U, R | BaseException]]:
        pending: dict[Future[Any], U] = {}
        queue = list(units)
        queue.reverse()
        while queue or pending:
            while queue and len(pending) < self.workers * 2:
                unit = queue.pop()
                pending[self._pool.submit(fn, unit)] = unit
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                unit = pending.pop(future)
                exc = future.exception()
                yield unit, (exc if exc is not None else future.result())

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def make_executor(workers: int | None) -> Executor:
    return SerialExecutor() if workers == 1 else LocalProcessExecutor(workers)
