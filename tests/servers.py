"""Servers for the tests: listen on 127.0.0.1 and give the port once listening."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import nodehttps as https
from nodehttps import events


async def listening(server: Any) -> int:
    """``server.listen(0, '127.0.0.1')``; the port, once ``'listening'`` was emitted."""
    server.listen(0, "127.0.0.1")
    await events.once(server, "listening")
    return int(server.address()["port"])


async def https_server(
    cert: Any, handler: Callable[..., Any] | None = None, **options: Any
) -> tuple[https.Server, int]:
    """An https server with ``cert`` (a ``tls_pki.Cert``: key and chain) and its port."""
    server = https.create_server({"key": cert.key_pem, "cert": cert.chain_pem, **options}, handler)
    return server, await listening(server)
