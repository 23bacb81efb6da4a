"""Helpers for the command-line tests (no tests here).

``cli(...)`` runs ``python -m nodehttps`` as a subprocess; ``ServeProcess`` runs
``serve`` and waits for the lines it prints (bounded in time); ``in_process(...)``
runs a command through ``nodehttps.cli.amain`` on the test's loop, so coverage counts
it. Every run gets its own cache folder (``XDG_CACHE_HOME``): ``serve``'s built-in
certificate is made there, never in the user's home.
"""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from nodehttps.cli import amain

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 30


def cli_env(cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src")
    env["XDG_CACHE_HOME"] = str(cache)
    env.pop("NODE_EXTRA_CA_CERTS", None)
    return env


def cli(cache: Path, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    """``python -m nodehttps ARGS``; its status, stdout and stderr as bytes."""
    return subprocess.run(
        [sys.executable, "-m", "nodehttps", *args],
        env=cli_env(cache),
        capture_output=True,
        timeout=TIMEOUT,
        **kwargs,
    )


def one_error_line(stderr: bytes | str, command: str, code: str | None = None) -> str:
    """The single line a failure prints; checks there is one, no traceback, the code."""
    text = stderr.decode() if isinstance(stderr, bytes) else stderr
    lines = text.splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    assert lines[0].startswith(f"nodehttps {command}: error: "), text
    if code is not None:
        assert lines[0].startswith(f"nodehttps {command}: error: {code}"), text
    return lines[0]


class ServeProcess:
    """``nodehttps serve`` in a subprocess: its URL, port, pin and fingerprint."""

    def __init__(self, cache: Path, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "nodehttps", "serve", *args],
            env=cli_env(cache),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.lines: list[str] = []
        self._read_until("try: ")
        found = re.search(r"at (https://\S+?:(\d+)/)", self.lines[0])
        assert found, self.lines
        self.url, self.port = found.group(1), int(found.group(2))
        self.fingerprint = self.lines[1].removeprefix("certificate SHA-256 fingerprint: ")
        self.pin = self.lines[2].removeprefix("pin-sha256: ")

    def _read_until(self, prefix: str) -> None:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + TIMEOUT
        buffer = b""
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            while not any(line.startswith(prefix) for line in self.lines):
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    self.stop()
                    pytest.fail(f"serve printed no {prefix!r} line: {self.lines}")
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    err = self.proc.stderr.read() if self.proc.stderr else b""
                    pytest.fail(f"serve ended: {self.lines} {err!r}")
                buffer += chunk
                *done, buffer = buffer.split(b"\n")
                self.lines += [line.decode() for line in done]

    def stop(self) -> tuple[int, bytes]:
        """SIGTERM; the exit status and what it logged on stderr."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        _, err = self.proc.communicate(timeout=TIMEOUT)
        return self.proc.returncode, err

    def __enter__(self) -> ServeProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


async def in_process(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``amain(args)`` on the running loop: status, stdout, stderr."""
    capsys.readouterr()
    status = await amain(list(args))
    out, err = capsys.readouterr()
    return status, out, err
