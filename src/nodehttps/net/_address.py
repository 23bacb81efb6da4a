"""Addresses and ports: Node's ``net.isIP`` family, port validation, listen/connect args."""

from __future__ import annotations

import os
import socket as _socket
from collections.abc import Callable
from typing import Any

from .. import errors
from .._options import normalize

__all__ = [
    "connect_args",
    "family_name",
    "is_ip",
    "is_ipv4",
    "is_ipv6",
    "strerror",
    "validate_port",
]


def is_ip(value: str) -> int:
    """Node's ``net.isIP``: 4, 6 or 0 (``inet_pton``, in C: it runs per connection)."""
    if not value:
        return 0
    try:
        if ":" in value:
            _socket.inet_pton(_socket.AF_INET6, value.split("%", 1)[0])
            return 6
        if value.count(".") == 3:
            _socket.inet_pton(_socket.AF_INET, value)
            return 4
    except (OSError, ValueError):
        pass
    return 0


def is_ipv4(value: str) -> bool:
    """Node's ``net.isIPv4``."""
    return is_ip(value) == 4


def is_ipv6(value: str) -> bool:
    """Node's ``net.isIPv6``."""
    return is_ip(value) == 6


def family_name(family: int) -> str:
    """Node's family name of an address family (``'IPv4'``/``'IPv6'``)."""
    return "IPv6" if family == _socket.AF_INET6 else "IPv4"


def validate_port(port: Any) -> int:
    """Node's ``validatePort``: 0..65535 (a string of digits too), else
    ``ERR_SOCKET_BAD_PORT``."""
    if isinstance(port, str) and port.strip().isdigit():
        port = int(port)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise errors.ERR_SOCKET_BAD_PORT(
            f"Port should be >= 0 and < 65536. Received {errors.describe_received(port)}."
        )
    return port


def connect_args(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[dict[str, Any], Callable[..., Any] | None]:
    """Node's ``normalizeArgs`` for ``connect``: ``(options | port[, host])[, listener]``."""
    listener = None
    rest = list(args)
    if rest and callable(rest[-1]):
        listener = rest.pop()
    if rest and isinstance(rest[0], dict):
        opts = normalize(rest[0], kwargs)
    else:
        opts = normalize(None, kwargs)
        if rest:
            opts["port"] = rest[0]
        if len(rest) > 1:
            opts["host"] = rest[1]
    return opts, listener


def strerror(exc: OSError) -> str:
    """libuv's lower-case text of an ``OSError`` (not asyncio's decorated one)."""
    if exc.errno:
        return os.strerror(exc.errno).lower()
    return (exc.strerror or str(exc)).lower()
