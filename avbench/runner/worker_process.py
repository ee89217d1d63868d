"""The loop a worker process runs: take a unit, run it, send the result back; never outlive the parent.

Work functions may call :func:`report_progress` to tell the main process how far they got (for
extraction: which clip starts and how each clip ended), so a worker that dies costs only the clip
it was on, and a per-clip time limit restarts with each clip.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any

from .failures import is_failed_work, one_line

_connection: Connection | None = None
PARENT_POLL_SECONDS = 1.0
#: first item of the message that asks a fresh worker to load plugins before its first unit (no reply)
WARM_UP = "warm-up"


def report_progress(payload: Any) -> None:
    """Send ``payload`` to the main process now; does nothing outside a worker process."""
    if _connection is not None:
        _connection.send(("progress", payload))


def limit_threads(threads: int) -> None:
    """Keep each worker to its share of the cores (BLAS and OpenMP pools, and torch's if loaded).

    Spawning imports numpy before this runs, so the pools already loaded are resized too; a fold
    then sets its own declared thread count (:mod:`avbench.runner.determinism`).
    """
    from .determinism import limit_threads as limit_pools

    limit_pools(threads)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)


def _die_with_parent(parent_pid: int) -> None:
    """End this process soon after the main process ends, however it ends (SIGKILL included)."""
    if sys.platform.startswith("linux"):
        try:  # the kernel sends SIGKILL when the parent exits
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass

    def watch() -> None:  # portable fallback, and covers a parent that died before prctl
        while True:
            if os.getppid() != parent_pid:
                os._exit(1)
            time.sleep(PARENT_POLL_SECONDS)

    threading.Thread(target=watch, name="avbench-parent-watch", daemon=True).start()


def warm_up(plugins: tuple[tuple[str, str], ...]) -> None:
    """Import the work functions' module and each plugin class ``(module, qualified name)``; call its ``warm_up``.

    Whatever goes wrong is left for the unit that uses the plugin to meet and report: a warm-up only
    moves work earlier, it never decides an outcome.
    """
    import importlib

    for module, qualname in (("avbench.runner.worker", ""), *plugins):
        try:
            target: Any = importlib.import_module(module)
            for part in filter(None, qualname.split(".")):
                target = getattr(target, part)
            if qualname:
                target.warm_up()
        except BaseException:  # noqa: BLE001 (see the docstring)
            continue


def _raised(exc: BaseException) -> tuple[str, str, str, bool]:
    """An exception as plain data: some exceptions do not pickle."""
    return (type(exc).__name__, one_line(exc), traceback.format_exc(), is_failed_work(exc))


def worker_main(connection: Connection, parent_pid: int, threads: int) -> None:
    """Serve units until the main process sends ``None`` or goes away."""
    global _connection
    _connection = connection
    os.setpgrp()  # our own group: killing it also ends what a plugin started (a decoder subprocess, say)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process decides; it stops us itself
    _die_with_parent(parent_pid)
    limit_threads(threads)
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            os._exit(0)
        if message is None:
            os._exit(0)
        if message[0] == WARM_UP:
            warm_up(message[1])
            connection.send(("ready", None))  # a unit sent meanwhile starts its time limit now, not at sending
            continue
        fn, unit = message
        try:
            reply: tuple[str, Any] = ("result", fn(unit))
        except BaseException as exc:  # SystemExit from a plugin included: the unit failed, not the worker
            reply = ("raised", _raised(exc))
        try:
            connection.send(reply)
        except Exception as exc:  # a result that does not pickle
            connection.send(("raised", ("PicklingError", f"result could not be sent back: {one_line(exc)}", "",
                                        False)))
