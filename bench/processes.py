"""Processes for the benchmark: pinning, peers with a line protocol, /proc readings, tools.

Theory of operation
-------------------
Every process under test runs pinned with ``taskset``: the server side on
``SERVER_CORES``, the load side (wrk, ab, curl, the client under test) on
``LOAD_CORES``, so that the two never share a core. A :class:`Peer` is a long-lived
script from ``peers/``: it prints one line when it is ready (a port, or JSON), answers
one-line commands on stdin (``stats``, ``count``) with one JSON line, and exits when
its stdin closes, so a crashed harness never leaves a server behind. CPU time and RSS
are read from ``/proc`` (the process and its descendants, so that a server with worker
processes is measured whole). Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

__all__ = [
    "ALL_CORES",
    "LOAD_CORES",
    "SERVER_CORES",
    "BenchError",
    "OtherLoad",
    "Peer",
    "ToolRun",
    "ensure_tools",
    "other_cores",
    "pinned",
    "run_tool",
    "started",
]

SERVER_CORES = "0"
LOAD_CORES = "1"
ALL_CORES = "0,1"  # a server with worker processes: its own core and the load's

# The Debian package that provides each command the scenarios use.
APT_PACKAGES = {
    "wrk": "wrk",
    "ab": "apache2-utils",
    "curl": "curl",
    "node": "nodejs",
    "taskset": "util-linux",
}

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class BenchError(RuntimeError):
    """A measurement that could not be made (a tool failed, a peer did not answer)."""


def pinned(cmd: Sequence[str], cores: str) -> list[str]:
    """``cmd`` run on ``cores`` only; unpinned where taskset or a second core is missing."""
    if shutil.which("taskset") is None or (os.cpu_count() or 1) < 2:
        return list(cmd)
    return ["taskset", "-c", cores, *cmd]


@dataclass(frozen=True)
class ToolRun:
    stdout: str
    cpu_seconds: float  # the tool's user + system time


def run_tool(cmd: Sequence[str], cores: str, timeout: float) -> ToolRun:
    """Run a load tool pinned to ``cores`` to its end, or raise :class:`BenchError`."""
    before = _children_cpu_seconds()
    try:
        done = subprocess.run(
            pinned(cmd, cores), capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{cmd[0]} did not finish within {timeout:.0f} s") from exc
    if done.returncode != 0:
        raise BenchError(f"{' '.join(cmd)} exited {done.returncode}: {_tail(done.stderr)}")
    return ToolRun(done.stdout, _children_cpu_seconds() - before)


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _tail(text: str, lines: int = 5) -> str:
    return " | ".join(text.strip().splitlines()[-lines:])


@contextlib.contextmanager
def started(cmd: Sequence[str], cores: str) -> Iterator[Peer]:
    """Run a script from ``peers/`` pinned to ``cores``; stop it on leaving the block."""
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            pinned(cmd, cores), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr
        )
        peer = Peer(Path(cmd[1]).name if len(cmd) > 1 else cmd[0], proc, stderr)
        try:
            yield peer
        finally:
            peer.stop()


class Peer:
    """A running script from ``peers/``, spoken to one line at a time."""

    def __init__(self, name: str, proc: subprocess.Popen[bytes], stderr: IO[bytes]) -> None:
        self.name = name
        self.proc = proc
        self._stderr = stderr
        self._buffer = b""

    @property
    def pid(self) -> int:
        return self.proc.pid

    def read_line(self, timeout: float) -> str:
        """The next line the peer prints, waiting at most ``timeout`` seconds."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise BenchError(f"{self.name} printed nothing for {timeout:.0f} s")
            chunk = os.read(fd, 65536)
            if not chunk:
                raise BenchError(f"{self.name} exited {self.proc.wait()}: {self.stderr_tail()}")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode()

    def read_json(self, timeout: float) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.read_line(timeout))
        return data

    def ask(self, command: str, timeout: float = 10.0) -> dict[str, Any]:
        """Send one command line; its one-line JSON answer."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(command.encode() + b"\n")
        self.proc.stdin.flush()
        return self.read_json(timeout)

    def stderr_tail(self) -> str:
        self._stderr.seek(0)
        return _tail(self._stderr.read().decode(errors="replace"))

    def cpu_seconds(self) -> float:
        """User + system CPU time of the peer and its descendants (``/proc/PID/stat``)."""
        return sum(_cpu_ticks(pid) for pid in _process_tree(self.pid)) / _CLOCK_TICKS

    def rss_bytes(self) -> int:
        """Resident memory of the peer and its descendants (``VmRSS``)."""
        total = 0
        for pid in _process_tree(self.pid):
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        return total

    def stop(self) -> None:
        """Close its stdin (the peer exits), then terminate and kill if it lingers."""
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _stat_fields(pid: int) -> list[str]:
    """Fields of ``/proc/PID/stat`` after the command name (field 3 onwards)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return stat.rpartition(")")[2].split()


def _cpu_ticks(pid: int) -> int:
    fields = _stat_fields(pid)
    return int(fields[11]) + int(fields[12]) if fields else 0  # utime, stime


def _process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


class OtherLoad:
    """Cores used by other processes while a block runs: the machine's busy time
    (``/proc/stat``: user, nice, system, steal) minus this process's, its reaped
    children's (rusage) and its live descendants' (``/proc``)."""

    cores = 0.0

    def __enter__(self) -> OtherLoad:
        self._start = (time.monotonic(), _machine_busy_seconds(), _own_cpu_seconds())
        return self

    def __exit__(self, *_exc: object) -> None:
        wall, busy, own = self._start
        others = (_machine_busy_seconds() - busy) - (_own_cpu_seconds() - own)
        self.cores = max(0.0, others / (time.monotonic() - wall))


def other_cores(seconds: float = 1.0) -> float:
    """Cores other processes use now, watched for ``seconds``."""
    with OtherLoad() as load:
        time.sleep(seconds)
    return load.cores


def _machine_busy_seconds() -> float:
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, steal = fields[0], fields[1], fields[2], fields[7]
    return (user + nice + system + steal) / _CLOCK_TICKS


def _own_cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    live = sum(_cpu_ticks(pid) for pid in _process_tree(os.getpid())[1:]) / _CLOCK_TICKS
    return own.ru_utime + own.ru_stime + _children_cpu_seconds() + live


def ensure_tools(names: Sequence[str]) -> None:
    """Install missing commands with apt-get when root; otherwise say what to install."""
    missing = sorted({name for name in names if shutil.which(name) is None})
    if not missing:
        return
    packages = sorted({APT_PACKAGES[name] for name in missing})
    if shutil.which("apt-get") and os.geteuid() == 0:
        print(f"installing {', '.join(packages)} (for {', '.join(missing)}) ...", flush=True)
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]):
            subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL)
    still = [name for name in missing if shutil.which(name) is None]
    if still:
        sys.exit(
            f"bench needs {', '.join(still)}: install {', '.join(packages)} "
            "(e.g. sudo apt-get install -y " + " ".join(packages) + "), or pick other "
            "scenarios with --only"
        )
