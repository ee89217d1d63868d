"""A real multi-node Ray cluster on this machine, on loopback: a head and worker nodes, each ``ray start --block``.

Every node advertises ``127.0.0.2``: Ray rewrites ``127.0.0.1`` (and ``localhost``) to the host's own
interface, and any other loopback address stays as given. Each node has its own temporary folder
(short: Ray's socket paths must fit 107 bytes) and its own CPUs. A node is killed as a machine dies:
SIGKILL to its raylet and every process under it (its workers included), then to what is left of it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

IP = "127.0.0.2"
START_SECONDS = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind((IP, 0))
        return s.getsockname()[1]


def _children() -> dict[int, list[int]]:
    """Every process's children, from /proc."""
    out: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        out.setdefault(ppid, []).append(int(entry.name))
    return out


def descendants(pid: int) -> list[int]:
    tree, out, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


@dataclass
class Node:
    name: str
    process: subprocess.Popen
    temp_dir: Path
    log: Path
    cpus: int
    killed: bool = False

    def started(self) -> bool:
        return "Ray runtime started" in self.log.read_text(errors="replace")

    def pids(self) -> set[int]:
        return set(descendants(self.process.pid)) if not self.killed else set()

    def kill(self) -> None:
        """Die as a machine dies: the raylet and everything under it at once, then the rest of the node."""
        self.killed = True
        raylets = [p for p in descendants(self.process.pid) if _name(p) == "raylet"]
        for pid in [q for r in raylets for q in (r, *descendants(r))]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.stop()

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)


@dataclass
class LoopbackCluster:
    """Nodes of one cluster; ``env`` goes to every node (and should go to every driver)."""

    env: dict[str, str]
    port: int = field(default_factory=free_port)
    nodes: list[Node] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"{IP}:{self.port}"

    def _start(self, name: str, *args: str, cpus: int) -> Node:
        temp_dir = Path(tempfile.mkdtemp(prefix="avb-ray-", dir="/tmp"))
        log = temp_dir / "start.log"
        ray = str(Path(sys.executable).with_name("ray"))
        with open(log, "w") as out:
            process = subprocess.Popen(
                [ray, "start", "--block", f"--node-ip-address={IP}", f"--num-cpus={cpus}", "--num-gpus=0",
                 f"--temp-dir={temp_dir}", "--disable-usage-stats", *args],
                stdout=out, stderr=subprocess.STDOUT, env=self.env, start_new_session=True)
        node = Node(name, process, temp_dir, log, cpus)
        self.nodes.append(node)
        return node

    def start_head(self, cpus: int = 1) -> Node:
        return self._start("head", "--head", f"--port={self.port}", "--include-dashboard=false", cpus=cpus)

    def add_worker(self, name: str, cpus: int = 1) -> Node:
        return self._start(name, f"--address={self.address}", cpus=cpus)

    def wait_started(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        for node in [n for n in self.nodes if not n.killed]:
            while not node.started():
                if node.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Ray node {node.name} did not start:\n{node.log.read_text()[-3000:]}")
                time.sleep(0.3)

    def node_of(self, pid: int) -> Node | None:
        return next((n for n in self.nodes if pid in n.pids()), None)

    def head(self) -> Node:
        """The head that runs now."""
        return next(n for n in reversed(self.nodes) if n.name == "head")

    def shutdown(self) -> None:
        for node in self.nodes:
            if not node.killed:
                node.killed = True
                node.stop()
            shutil.rmtree(node.temp_dir, ignore_errors=True)
        self.nodes.clear()
