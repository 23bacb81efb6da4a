"""Node's ``net.Server``: listens, and emits ``'connection'`` with a :class:`Socket`.

Theory of operation
-------------------
``listen()`` binds synchronously (as libuv does: ``address()`` works at once, and a
bind failure is an ``'error'`` on a later turn); a task then hands the bound sockets
to asyncio, which accepts. Each accepted connection gets a :class:`Socket` from
:meth:`Server._protocol_factory`; once its transport is attached the server emits
``'connection'`` (or, past ``max_connections``, drops it with ``'drop'``). The server
counts its open connections: ``close()`` stops accepting at once, and ``'close'``
follows when the last connection has closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket as _socket
from collections.abc import Callable
from typing import Any

from mypy_extensions import mypyc_attr

from .. import _loop, errors
from .._options import normalize
from ..events import EventEmitter
from ._address import family_name, strerror, validate_port
from ._bind import bind_pipe, bind_tcp
from ._refable import Refable
from ._socket import Socket, settle

__all__ = ["Server", "create_server"]


@mypyc_attr(allow_interpreted_subclasses=True)
class Server(EventEmitter, Refable):
    """Node's ``net.Server``: listens, emits ``'connection'`` with a :class:`Socket`."""

    def __init__(
        self,
        options: dict[str, Any] | Callable[..., Any] | None = None,
        connection_listener: Callable[..., Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        given: dict[str, Any] | None = None
        if callable(options):  # net.createServer(connectionListener)
            connection_listener = connection_listener or options
        else:
            given = options
        self._net_options = normalize(given, kwargs)
        self.allow_half_open = bool(self._net_options.get("allow_half_open", False))
        self._loop = _loop.get_loop()
        self._sockets: list[_socket.socket] = []
        self._aio_server: asyncio.AbstractServer | None = None
        self._start_task: asyncio.Task[None] | None = None
        self.listening = False
        self._closing = False
        self._connections = 0
        self.max_connections: int | None = None
        self._pipe_path: str | None = None
        if connection_listener is not None:
            self.on("connection", connection_listener)

    # -- listening -----------------------------------------------------------------------
    def listen(self, *args: Any, **kwargs: Any) -> Server:
        """Node's ``server.listen(port, host, backlog, callback)`` / ``listen(options, cb)``
        / ``listen(path, cb)`` (a Unix domain socket, also ``options['path']``).

        The socket is bound before this returns, so ``address()`` works at once;
        ``'listening'`` follows on a later loop turn. Options as Node v23's: ``port``,
        ``host``, ``backlog``, ``path``, ``ipv6_only``, and ``reuse_port``: ``True``
        (only ``True``, as Node's ``reusePort === true``) sets ``SO_REUSEPORT``, so
        several servers (processes) can listen on one port and the OS shares the
        connections out; where the platform lacks it, ``'error'`` is ``ENOTSUP``.
        """
        rest = list(args)
        callback = rest.pop() if rest and callable(rest[-1]) else None
        if rest and isinstance(rest[0], dict):
            opts = normalize(rest[0], kwargs)
        else:
            opts = normalize(None, kwargs)
            for key, value in zip(("port", "host", "backlog"), rest, strict=False):
                opts[key] = value
        if self.listening or self._sockets:
            raise errors.ERR_SERVER_ALREADY_LISTEN()
        path = opts.get("path")
        port_arg = opts.get("port")
        if path is None and isinstance(port_arg, str) and not port_arg.strip().isdigit():
            path, port_arg = port_arg, None  # listen(path[, backlog][, callback])
            if "host" in opts:
                opts["backlog"] = opts.pop("host")
        backlog = int(opts.get("backlog") or 511)
        if callback is not None:
            self.once("listening", callback)
        bound = (
            self._bind_pipe(str(path), backlog)
            if path is not None
            else self._bind_tcp(validate_port(port_arg or 0), backlog, opts)
        )
        if bound:
            self.listening = True
            self._closing = False
            self._do_ref()
            self._start_task = self._loop.create_task(self._serve())
        return self

    def _bind_pipe(self, path: str, backlog: int) -> bool:
        try:
            self._sockets = [bind_pipe(path, backlog)]
        except OSError as exc:
            err = errors.from_oserror(exc, "listen", path)
            err.message = f"listen {err.code}: {strerror(exc)} {path}"
            self._loop.call_soon(self._emit_safe, "error", err)
            return False
        self._pipe_path = path
        return True

    def _bind_tcp(self, port: int, backlog: int, opts: dict[str, Any]) -> bool:
        host = opts.get("host")
        try:
            self._sockets = bind_tcp(
                host,
                port,
                backlog,
                ipv6_only=bool(opts.get("ipv6_only")),
                reuse_port=opts.get("reuse_port") is True,
            )
        except OSError as exc:
            err = errors.from_oserror(exc, "listen", host or "::", port)
            err.message = f"listen {err.code}: {strerror(exc)} {host or '::'}:{port}"
            self._loop.call_soon(self._emit_safe, "error", err)
            return False
        return True

    async def _serve(self) -> None:
        loop = self._loop
        try:
            for sock in self._sockets:
                if sock.family == _socket.AF_UNIX:
                    server = await loop.create_unix_server(
                        self._protocol_factory, sock=sock, start_serving=True
                    )
                else:
                    server = await loop.create_server(
                        self._protocol_factory, sock=sock, start_serving=True
                    )
                self._aio_server = server
        except OSError as exc:  # pragma: no cover - bind succeeded, so this is rare
            self._emit_safe("error", errors.from_oserror(exc, "listen"))
            return
        if self.listening:
            self._emit_safe("listening")

    def _emit_safe(self, event: str, *args: Any) -> None:
        """Emit from a loop callback or task: an exception escaping a listener is uncaught."""
        try:
            self.emit(event, *args)
        except Exception as exc:
            _loop.report_uncaught(exc, self._loop)

    def _new_socket(self) -> Socket:
        """The socket of an accepted connection (``tls.Server``: a server-side TLSSocket)."""
        return Socket(allow_half_open=self.allow_half_open)

    def _protocol_factory(self) -> asyncio.BaseProtocol:
        """asyncio's factory for each accepted connection: a socket counted as open until
        its ``'close'``, told to report to :meth:`_on_accept` once attached."""
        sock = self._new_socket()
        sock.server = self
        sock._acceptor = self._on_accept
        self._connections += 1
        sock.once("close", lambda *_: self._connection_closed())
        return sock._protocol()

    def _on_accept(self, sock: Socket) -> None:
        """A connection was accepted: Node's ``maxConnections`` check, ``'connection'``."""
        if self.max_connections is not None and self._connections > self.max_connections:
            local = sock.address()  # Node's data, taken before the socket is closed
            data = {
                "localAddress": local.get("address"),
                "localPort": local.get("port"),
                "localFamily": local.get("family"),
                "remoteAddress": sock.remote_address,
                "remotePort": sock.remote_port,
                "remoteFamily": sock.remote_family,
            }
            sock.destroy()
            self.emit("drop", data)
            return
        self.emit("connection", sock)

    def _connection_closed(self) -> None:
        self._connections -= 1
        if self._closing and self._connections <= 0:
            self._finish_close()

    def address(self) -> Any:
        """Node's ``server.address()``: ``{'address', 'family', 'port'}`` once bound; the
        path (a ``str``) for a server listening on a Unix socket; ``None`` before."""
        if not self._sockets:
            return None
        sock = self._sockets[0]
        if sock.family == _socket.AF_UNIX:
            return str(sock.getsockname())
        name = sock.getsockname()
        return {"address": name[0], "family": family_name(sock.family), "port": name[1]}

    # -- closing -------------------------------------------------------------------------
    def close(self, callback: Callable[..., Any] | None = None) -> Server:
        """Node's ``server.close([callback])``: stop accepting; ``'close'`` once all ended."""
        if not self.listening:
            if callback is not None:
                self.once("close", lambda *_: callback(errors.ERR_SERVER_NOT_RUNNING()))
            self._loop.call_soon(self._emit_safe, "close")
            return self
        if callback is not None:
            self.once("close", lambda *_: callback(None))
        self.listening = False
        self._closing = True
        if self._aio_server is not None:
            self._aio_server.close()
        else:
            if self._start_task is not None:
                self._start_task.cancel()
            for sock in self._sockets:
                sock.close()
        self._sockets = []
        if self._pipe_path is not None:  # as libuv, which unlinks the pipe it bound
            with contextlib.suppress(OSError):
                os.unlink(self._pipe_path)
            self._pipe_path = None
        self._do_unref()
        if self._connections <= 0:
            self._loop.call_soon(self._finish_close)
        return self

    def _finish_close(self) -> None:
        if self._closing:
            self._closing = False
            self._aio_server = None
            self._emit_safe("close")

    def get_connections(self, callback: Callable[..., Any]) -> Server:
        """Node's ``server.getConnections(callback)``."""
        self._loop.call_soon(_loop.guarded(callback, self._loop), None, self._connections)
        return self

    def _ref_active(self) -> bool:
        return self.listening

    async def aclose(self) -> None:
        """``await server.aclose()``: close and wait for ``'close'`` (Node's asyncDispose)."""
        if not self.listening and not self._closing:
            return
        fut = self._loop.create_future()
        self.once("close", lambda *_: settle(fut))
        self.close()
        await fut

    async def __aenter__(self) -> Server:
        if self._start_task is not None:
            await asyncio.shield(self._start_task)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def create_server(
    options: dict[str, Any] | Callable[..., Any] | None = None,
    connection_listener: Callable[..., Any] | None = None,
    **kwargs: Any,
) -> Server:
    """Node's ``net.createServer([options][, connectionListener])``."""
    return Server(options, connection_listener, **kwargs)
