"""What went wrong, and whether it is a fact about a file or a passing failure of the work.

*Bad media* is a property of a clip's file under one extractor setting (it cannot be decoded, it
is empty, the extractor gives non-finite values for it). It is remembered by feature key, so it
clears itself when the file or the setting changes.

*Failed work* is a failure of the environment or the worker (a full disk, an I/O error, memory,
a dead worker, a timeout, a plugin that exits the process). It is never remembered: the run
reports it, exits non-zero, and a plain rerun retries it.
"""

from __future__ import annotations

import errno
import signal

from avbench.contract.errors import AvbenchError

# errno values that describe the machine, not the file being read
ENVIRONMENT_ERRNOS = frozenset(
    getattr(errno, name) for name in (
        "ENOSPC", "EDQUOT", "EIO", "ENOMEM", "EAGAIN", "EMFILE", "ENFILE", "EROFS", "EACCES", "EPERM",
        "ETIMEDOUT", "ESTALE", "EBUSY", "EINTR", "ENOLCK", "ENXIO", "ENODEV", "ECONNRESET", "ECONNREFUSED",
    ) if hasattr(errno, name))


class UnitFailure(AvbenchError):
    """A unit of work ended without a result; ``cause`` says why in words a user can act on."""

    retryable = True

    def __init__(self, cause: str, progress: tuple = ()) -> None:
        super().__init__(cause)
        self.cause = cause
        self.progress = progress  # what the worker reported before it failed, in order


class WorkerDied(UnitFailure):
    """The worker process ended while running the unit (segfault, ``os._exit``, OOM kill, ``sys.exit``)."""


class ClusterLost(AvbenchError):
    """The cluster the executor runs on went away (its head node, or the connection to it): the run ends.

    Not a unit's failure: nothing is retried or recorded as failed; what finished is kept and a rerun
    resumes. ``run.py`` adds how many folds are kept (:meth:`line`).
    """

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause
        self.kept: str = ""

    def line(self) -> str:
        """What was lost, what is kept, how to resume: one line."""
        kept = f"; {self.kept}" if self.kept else ""
        return (f"{self.cause}{kept}; rerun the same command when the cluster is back (or with --executor local) "
                f"to resume: finished folds and extracted features are not computed again")

    def __str__(self) -> str:
        return self.line()


class UnitTimedOut(UnitFailure):
    """The unit ran past its time limit; its worker was killed."""

    retryable = False


#: Errors of the plugin's code or installation, not of the clip: a fixed plugin or environment reruns them.
PLUGIN_FAULTS = (ImportError, NotImplementedError, NameError, AttributeError, TypeError, RecursionError)


def is_failed_work(exc: BaseException) -> bool:
    """True when ``exc`` is a failure of the environment, the worker or the plugin's code, not of the media.

    Plugins report a clip they cannot use with ``ClipError``; a decoder's complaint about a file
    (``ValueError``, ``RuntimeError``, ...) also counts as bad media. A missing module or binary,
    a programming error, a vanished file or exhausted memory does not: it is retried by the next run.
    """
    if isinstance(exc, (MemoryError, SystemExit, KeyboardInterrupt, FileNotFoundError, *PLUGIN_FAULTS)):
        return True
    if isinstance(exc, OSError) and exc.errno in ENVIRONMENT_ERRNOS:
        return True
    if "out of memory" in str(exc).lower():  # e.g. "CUDA out of memory" from older torch
        return True
    return "OutOfMemory" in type(exc).__name__  # e.g. torch.OutOfMemoryError


def describe_exit(exitcode: int | None) -> str:
    """``worker died (signal 11: SIGSEGV)`` or ``worker exited with code 3``."""
    if exitcode is None:
        return "worker died"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = "unknown signal"
        hint = "; killed, out of memory?" if -exitcode == signal.SIGKILL else ""
        return f"worker died (signal {-exitcode}: {name}{hint})"
    return f"worker exited with code {exitcode}"


def one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text.splitlines()[0] if text else type(exc).__name__
