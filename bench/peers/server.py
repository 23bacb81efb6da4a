"""Server under test, nodehttps's side: the same handler and options as server.js.

    python server.py tls|plain hello|big KEY CERT [KEEP_ALIVE_TIMEOUT_MS [WORKERS]]

Prints its port once listening. Then reads commands on stdin, one a line: ``stats``
prints ``{"tls_connections": N, "resumed": N}`` as one JSON line; end of input exits
(the harness never leaves a server behind). A keep-alive timeout of 0 keeps the default.

With WORKERS > 1 it is the library's documented pattern for several cores (docs/cli.md):
ticket keys drawn before ``fork()``, every worker listening on one port with
``reuse_port``; this process only waits for them, prints the port and stops them when
its input ends (``stats`` is not answered then: the scenario that uses workers does not
ask).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import nodehttps as https
from nodehttps import HttpsServerOptions, events, http


def make_server(
    mode: str, body: str | bytes, key: bytes, cert: bytes, ticket_keys: bytes | None = None
) -> Any:
    def handler(req: Any, res: Any) -> None:
        res.end(body)

    if mode == "tls":
        options: HttpsServerOptions = {"key": key, "cert": cert}
        if ticket_keys is not None:
            options["ticket_keys"] = ticket_keys
        return https.create_server(options, handler)
    return http.create_server(handler)


def count_tls(server: Any, stats: dict[str, int]) -> None:
    def on_secure(socket: Any) -> None:
        stats["tls_connections"] += 1
        if socket.is_session_reused():
            stats["resumed"] += 1

    server.on("secureConnection", on_secure)


def serve_commands(stats: dict[str, int]) -> None:
    """The stdin command channel (node's side: readline on process.stdin)."""
    pending = bytearray()

    def on_readable() -> None:
        chunk = os.read(sys.stdin.fileno(), 4096)
        if not chunk:
            os._exit(0)
        pending.extend(chunk)
        while b"\n" in pending:
            line, _, rest = bytes(pending).partition(b"\n")
            pending[:] = rest
            if line.strip() == b"stats":
                print(json.dumps(stats), flush=True)

    asyncio.get_running_loop().add_reader(sys.stdin.fileno(), on_readable)


def configured(argv: list[str], ticket_keys: bytes | None = None) -> Any:
    mode, body_kind, key_file, cert_file = argv[:4]
    body: str | bytes = b"x" * (64 << 20) if body_kind == "big" else "hello world\n"
    key, cert = Path(key_file).read_bytes(), Path(cert_file).read_bytes()
    server = make_server(mode, body, key, cert, ticket_keys)
    if len(argv) > 4 and float(argv[4]):
        server.keep_alive_timeout = float(argv[4])
    return server


async def main(argv: list[str]) -> None:
    server = configured(argv)
    stats = {"tls_connections": 0, "resumed": 0}
    count_tls(server, stats)
    server.listen(0, "127.0.0.1")
    await events.once(server, "listening")
    print(server.address()["port"], flush=True)
    serve_commands(stats)


async def worker(argv: list[str], port: int, ticket_keys: bytes, ready: int, life: int) -> None:
    """One of several processes on one port; exits when the parent's ``life`` pipe ends."""
    server = configured(argv, ticket_keys)
    server.listen({"port": port, "host": "127.0.0.1", "reuse_port": True})
    await events.once(server, "listening")
    os.write(ready, b"+")
    asyncio.get_running_loop().add_reader(life, lambda: os._exit(0))


def run_workers(argv: list[str], count: int) -> None:
    """Fork ``count`` workers before any event loop exists, print their shared port."""
    reserved = socket.socket()  # holds the port, bound but never listening
    reserved.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    reserved.bind(("127.0.0.1", 0))
    port = reserved.getsockname()[1]
    ticket_keys = os.urandom(48)
    ready_r, ready_w = os.pipe()
    life_r, life_w = os.pipe()
    children = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            os.close(life_w)
            https.run(worker(argv, port, ticket_keys, ready_w, life_r))
            os._exit(0)
        children.append(pid)
    for _ in range(count):
        if not os.read(ready_r, 1):
            sys.exit("a worker failed")
    print(port, flush=True)
    while os.read(sys.stdin.fileno(), 4096):
        pass
    for pid in children:  # reaped, so that their CPU time counts as this process's
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)


if __name__ == "__main__":
    workers = int(sys.argv[6]) if len(sys.argv) > 6 else 1
    if workers > 1:
        run_workers(sys.argv[1:], workers)
    else:
        https.run(main(sys.argv[1:]))
