"""Servers for the tests: listen on 127.0.0.1 and give the port once listening."""

from __future__ import annotations

from collections.abc import Callable
from typing import Unpack

import nodehttps as https
from nodehttps import events, http, net
from tls_pki import Cert

#: A request handler, as ``http.create_server(handler)`` calls it.
Handler = Callable[[http.IncomingMessage, http.ServerResponse], object]


async def listening(server: net.Server) -> int:
    """``server.listen(0, '127.0.0.1')``; the port, once ``'listening'`` was emitted."""
    server.listen(0, "127.0.0.1")
    await events.once(server, "listening")
    return int(server.address()["port"])


async def https_server(
    cert: Cert, handler: Handler | None = None, /, **options: Unpack[https.HttpsServerOptions]
) -> tuple[https.Server, int]:
    """An https server with ``cert`` (key and chain) and its port."""
    full: https.HttpsServerOptions = {"key": cert.key_pem, "cert": cert.chain_pem, **options}
    server = https.create_server(full, handler)
    return server, await listening(server)
