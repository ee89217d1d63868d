"""One connection to Ray for a run: join (or start) it, watch it, and leave it once, leaving nothing behind.

- **Joining**: ``ray.init`` only when this process is not connected yet; failures are one line (with a
  hint when the cluster wants token authentication).
- **A local instance** (no address): Ray 2.60 turns token authentication on for it and, without a
  token, writes one to ``~/.ray/auth_token``, after which ``ray start --head`` turns authentication
  on for every later cluster of the user. avbench gives its own instance a random token that lives
  only in this process's environment (and its Ray processes') and is gone after the run.
- **Watching**: the driver cannot tell from Ray's calls that the head is gone (``ray.wait`` keeps
  returning nothing and Ray ends the process about a minute later). A thread connects to the head's
  GCS port (or the Ray Client server's) every second; when it has refused or timed out for
  :data:`LOST_AFTER_SECONDS`, the cluster counts as lost and the run ends with one line.
- **Leaving**: idempotent; after it (or after the cluster is lost) nothing calls into Ray, whose
  API would otherwise start a fresh local instance on its own.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from pathlib import Path
from typing import Any

from avbench.contract.errors import AvbenchError

#: How long the head (or Ray Client server) must stay unreachable before the cluster counts as lost.
LOST_AFTER_SECONDS = 4.0
#: How often the watch connects to it.
PROBE_SECONDS = 1.0
#: How long Ray Client keeps trying to reconnect before its calls fail (Ray's default: 30 s), unless set.
CLIENT_RECONNECT_SECONDS = 10


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


def _host_port(address: str) -> tuple[str, int] | None:
    """``(host, port)`` of ``HOST:PORT`` or ``ray://HOST:PORT``; None when it has no port."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    host = host.strip("[]")
    return (host, int(port)) if host and port.isdigit() else None


def _user_has_token() -> bool:
    """Whether the user configured Ray token authentication in any of the ways Ray reads."""
    return bool(os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH")
                or (Path.home() / ".ray" / "auth_token").is_file())


class PrivateToken:
    """A random Ray token in this process's environment while a local instance runs, when the user has none.

    Ray 2.60 then authenticates its local instance with it and writes no ``~/.ray/auth_token``; ``restore``
    puts ``RAY_AUTH_TOKEN`` and ``RAY_AUTH_MODE`` (which Ray sets for its instance) back as they were.
    """

    NAMES = ("RAY_AUTH_TOKEN", "RAY_AUTH_MODE")

    def __init__(self) -> None:
        self._saved = {name: os.environ.get(name) for name in self.NAMES}
        self.active = "RAY_AUTH_MODE" not in os.environ and not _user_has_token()
        if self.active:
            os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)

    def restore(self) -> None:
        if not self.active:
            return
        self.active = False
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class ClusterWatch:
    """A daemon thread that says when ``(host, port)`` stopped accepting connections for good."""

    def __init__(self, where: tuple[str, int], lost_after: float = LOST_AFTER_SECONDS,
                 period: float = PROBE_SECONDS) -> None:
        self.where, self.lost_after, self.period = where, lost_after, period
        self._last_ok = time.monotonic()
        self._stop = threading.Event()
        self._lost = threading.Event()
        self._thread = threading.Thread(target=self._run, name="avbench-ray-watch", daemon=True)
        self._thread.start()

    def _reachable(self) -> bool:
        try:
            socket.create_connection(self.where, timeout=self.period).close()
            return True
        except OSError:
            return False

    def _run(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            if self._reachable():
                self._last_ok = now
            elif now - self._last_ok >= self.lost_after:
                self._lost.set()
                return
            self._stop.wait(self.period)

    @property
    def lost(self) -> bool:
        return self._lost.is_set()

    def verdict(self, within: float) -> bool:
        """Whether the cluster is lost, waiting up to ``within`` seconds for the watch to decide."""
        return self._lost.wait(within)

    def confirm(self) -> bool:
        """Whether the cluster is lost: when the head does not answer right now, wait for the watch to decide."""
        if self.lost or self._reachable():
            return self.lost
        return self.verdict(self.lost_after + 2 * self.period)

    def stop(self) -> None:
        self._stop.set()


class RaySession:
    """This process's connection to Ray for one executor: ``ray``, where it is, whether it is lost."""

    def __init__(self, address: str | None, runtime_env: dict[str, Any]) -> None:
        self.ray = ray = import_ray()
        self.address = address
        self.connected = False  # this session called ray.init, so it calls ray.shutdown
        self.closed = False
        self._token: PrivateToken | None = None
        if not ray.is_initialized():
            self._token = PrivateToken() if address is None else None
            grace = "RAY_CLIENT_RECONNECT_GRACE_PERIOD"  # read as Ray Client connects
            own_grace = grace not in os.environ and address is not None and address.startswith("ray://")
            if own_grace:
                os.environ[grace] = str(CLIENT_RECONNECT_SECONDS)
            try:
                ray.init(address=address, include_dashboard=False, log_to_driver=True, runtime_env=runtime_env)
            except Exception as exc:  # no cluster there, a version mismatch, ...: one line, not a traceback
                self._restore_env()
                raise AvbenchError(f"executor 'ray': cannot {self.what_to_join()}: {_first_line(exc)}"
                                   f"{_auth_hint(exc)}") from None
            finally:
                if own_grace:
                    os.environ.pop(grace, None)
            self.connected = True
        self.client = address is not None and address.startswith("ray://")
        self.head = self._head_address()
        self.watch = ClusterWatch(self.head) if self.head else None

    def what_to_join(self) -> str:
        return f"join the Ray cluster at {self.address}" if self.address else "start a local Ray instance"

    def _restore_env(self) -> None:
        if self._token is not None:
            self._token.restore()

    def _head_address(self) -> tuple[str, int] | None:
        """What the watch connects to: the Ray Client server of a ``ray://`` address, else the head's GCS."""
        if self.client:
            return _host_port(self.address or "")
        try:
            return _host_port(self.ray.get_runtime_context().gcs_address)
        except Exception:  # an older Ray without it: no watch, Ray's own end applies
            return None

    @property
    def lost(self) -> bool:
        return self.watch is not None and self.watch.lost

    def lost_line(self) -> str:
        """What was lost, in words: the first part of :class:`~avbench.runner.failures.ClusterLost`'s line."""
        head = ":".join(map(str, self.head or ()))
        where = self.address or head
        server = "Ray Client server" if self.client else "head"
        at = f" at {head}" if head != where.removeprefix("ray://") else ""
        return (f"lost the Ray cluster at {where} (its {server}{at} stopped answering for {LOST_AFTER_SECONDS:g} s: "
                f"it died, or the connection to it broke)")

    def driver_node(self) -> dict[str, Any]:
        """Scheduling options that put an actor on the driver's node (for Ray Client: the head, where it runs)."""
        if not self.client:
            try:
                from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

                node = self.ray.get_runtime_context().get_node_id()
                return {"scheduling_strategy": NodeAffinitySchedulingStrategy(node_id=node, soft=False)}
            except Exception:  # fall back to the head node
                pass
        return {"resources": {"node:__internal_head__": 0.001}}

    def close(self) -> None:
        """Leave Ray once: disconnect when this session connected; later calls do nothing."""
        if self.closed:
            return
        self.closed = True
        if self.watch is not None:
            self.watch.stop()
        if self.connected:
            self.ray.shutdown()
            self.connected = False
        self._restore_env()


def _auth_hint(exc: BaseException) -> str:
    text = f"{type(exc).__name__} {exc}".lower()
    if "auth" in text and "token" in text:
        return ("; the cluster uses token authentication: set RAY_AUTH_MODE=token and its token (RAY_AUTH_TOKEN, "
                "RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token) here too (README: Running on a Ray cluster)")
    return ""


def _first_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return next((line.strip() for line in text.splitlines() if line.strip()), type(exc).__name__)
