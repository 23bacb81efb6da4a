"""Node's ``net``: TCP :class:`Socket` and :class:`Server` over asyncio transports.

The package by job: ``_socket`` (the stream), ``_connect`` (a client's resolve and
connect task), ``_server`` (listening and accepting), ``_bind`` (binding listening and
local sockets as libuv does), ``_address`` (``is_ip``, ports, arguments) and
``_refable`` (Node's ``ref()``/``unref()``).
"""

from __future__ import annotations

from ._address import is_ip, is_ipv4, is_ipv6
from ._server import Server, create_server
from ._socket import WRITE_HIGH_WATER_MARK, Socket, connect

__all__ = [
    "WRITE_HIGH_WATER_MARK",
    "Server",
    "Socket",
    "connect",
    "create_connection",
    "create_server",
    "is_ip",
    "is_ipv4",
    "is_ipv6",
]

create_connection = connect
