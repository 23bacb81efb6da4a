"""Binding sockets synchronously, as libuv does (so ``address()`` works at once)."""

from __future__ import annotations

import errno
import os
import socket as _socket

__all__ = ["BindError", "bind_pipe", "bind_tcp", "bound_socket"]


class BindError(Exception):
    """Binding to ``local_address``/``local_port`` failed (reported with syscall ``bind``)."""

    def __init__(self, error: OSError, address: str, port: int | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.address = address
        self.port = port


def bound_socket(family: int, local: str | None, local_port: int | None) -> _socket.socket:
    """A non-blocking socket bound to the local address and port, as libuv's
    ``uv_tcp_bind`` before ``uv_tcp_connect`` (Node's ``localAddress``/``localPort``).

    A failure raises :class:`BindError` naming what was asked for, as Node's
    ``bind EADDRNOTAVAIL 1.2.3.4`` does (the port only when one was given).
    """
    raw = _socket.socket(family, _socket.SOCK_STREAM)
    try:
        raw.setblocking(False)
        host = local or ("::" if family == _socket.AF_INET6 else "0.0.0.0")
        raw.bind((host, local_port or 0))
    except OSError as exc:
        raw.close()
        raise BindError(exc, host, local_port) from None
    return raw


def bind_tcp(
    host: str | None, port: int, backlog: int, *, ipv6_only: bool, reuse_port: bool
) -> list[_socket.socket]:
    """Bind and listen on ``host:port`` (``::`` dual-stack, else ``0.0.0.0``, when no
    host), with ``SO_REUSEADDR`` as libuv, and ``SO_REUSEPORT`` when asked (libuv's
    ``UV_TCP_REUSEPORT``; ``ENOTSUP`` where the platform has none)."""
    if reuse_port and not hasattr(_socket, "SO_REUSEPORT"):
        raise OSError(errno.ENOTSUP, os.strerror(errno.ENOTSUP))
    if host is None or host in ("", "::"):
        if _socket.has_ipv6:
            try:
                sock = _socket.create_server(
                    ("::", port),
                    family=_socket.AF_INET6,
                    backlog=backlog,
                    reuse_port=reuse_port,
                    dualstack_ipv6=not ipv6_only,
                )
                return [_listening(sock)]
            except OSError:
                if host == "::":
                    raise
        host = "0.0.0.0"
    infos = _socket.getaddrinfo(host, port, type=_socket.SOCK_STREAM, flags=_socket.AI_PASSIVE)
    family, _, _, _, addr = infos[0]
    sock = _socket.create_server(addr, family=family, backlog=backlog, reuse_port=reuse_port)
    return [_listening(sock)]


def bind_pipe(path: str, backlog: int) -> _socket.socket:
    """Bind and listen on a Unix socket at ``path`` (Node's ``listen(path)``); an existing
    file there is ``EADDRINUSE``, as libuv reports it."""
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.bind(path)
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def _listening(sock: _socket.socket) -> _socket.socket:
    # create_server() leaves proto 0, so asyncio's transports skip TCP_NODELAY on accepted
    # sockets (a 40 ms delayed-ACK stall on a second small write); accepted sockets
    # inherit it from the listener.
    sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
    sock.setblocking(False)
    return sock
