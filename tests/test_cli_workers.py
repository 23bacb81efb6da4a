"""``serve --workers N``: several processes on one port, one set of ticket keys.

The server runs as a subprocess; connections come from Python's own ``ssl`` client,
each a new TCP connection that offers the session of the first. With shared ticket
keys every connection resumes, whichever worker the kernel hands it to; the workers'
log lines show that both of them answered.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    not hasattr(socket, "SO_REUSEPORT") or not hasattr(os, "fork"),
    reason="needs SO_REUSEPORT and fork()",
)

CONNECTIONS = 24


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int, Path]]:
    (tmp_path / "index.html").write_text("hello from a worker\n")
    log = tmp_path / "stderr.txt"
    with log.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "nodehttps", "serve", str(tmp_path), "--port", "0",
             "--workers", "2"],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache")),
        )  # fmt: skip
        assert proc.stdout is not None
        first = proc.stdout.readline()
        match = re.search(r":(\d+)/$", first.strip())
        assert match, first
        try:
            yield proc, int(match.group(1)), log
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=15)


def _get(
    port: int, ctx: ssl.SSLContext, session: ssl.SSLSession | None
) -> tuple[bytes, bool, ssl.SSLSession | None]:
    request = b"GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    with ctx.wrap_socket(raw, server_hostname="localhost", session=session) as tls:
        tls.sendall(request)
        data = b""
        while chunk := tls.recv(65536):
            data += chunk
        return data, bool(tls.session_reused), tls.session


def test_workers_share_the_port_and_resume_each_others_sessions(
    workers: tuple[subprocess.Popen[str], int, Path],
) -> None:
    proc, port, log = workers
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # serve's own self-signed certificate
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2  # one session, reused as it is
    body, reused, session = _get(port, ctx, None)
    assert body.endswith(b"hello from a worker\n") and not reused
    resumed = []
    for _ in range(CONNECTIONS):
        body, reused, _ = _get(port, ctx, session)
        assert body.endswith(b"hello from a worker\n")
        resumed.append(reused)
    deadline = time.monotonic() + 10
    while log.read_text().count(" 200") < CONNECTIONS + 1 and time.monotonic() < deadline:
        time.sleep(0.05)  # the log lines of the last answers are on their way
    lines = log.read_text().splitlines()
    served = {line.split("]")[0] for line in lines if line.startswith("[worker ")}
    assert served == {"[worker 0", "[worker 1"}, lines  # the kernel used both workers
    assert all(resumed), resumed  # ... and each resumed the session of the other
    assert proc.poll() is None


def test_sigterm_stops_every_worker(workers: tuple[subprocess.Popen[str], int, Path]) -> None:
    proc, port, _ = workers
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 143
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
