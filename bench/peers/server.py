"""Server under test, nodehttps's side: the same handler and options as server.js.

    python server.py tls|plain hello|big KEY CERT [KEEP_ALIVE_TIMEOUT_MS]

Prints its port once listening. Then reads commands on stdin, one a line: ``stats``
prints ``{"tls_connections": N, "resumed": N}`` as one JSON line; end of input exits
(the harness never leaves a server behind).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import nodehttps as https
from nodehttps import events, http


def make_server(mode: str, body: str | bytes, key: bytes, cert: bytes) -> Any:
    def handler(req: Any, res: Any) -> None:
        res.end(body)

    if mode == "tls":
        return https.create_server({"key": key, "cert": cert}, handler)
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


async def main(argv: list[str]) -> None:
    mode, body_kind, key_file, cert_file = argv[:4]
    body: str | bytes = b"x" * (64 << 20) if body_kind == "big" else "hello world\n"
    server = make_server(mode, body, Path(key_file).read_bytes(), Path(cert_file).read_bytes())
    if len(argv) > 4:
        server.keep_alive_timeout = float(argv[4])
    stats = {"tls_connections": 0, "resumed": 0}
    count_tls(server, stats)
    server.listen(0, "127.0.0.1")
    await events.once(server, "listening")
    print(server.address()["port"], flush=True)
    serve_commands(stats)


if __name__ == "__main__":
    https.run(main(sys.argv[1:]))
