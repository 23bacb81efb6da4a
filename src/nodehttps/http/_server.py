"""Node's ``http.Server``: options, timers and the server-wide methods.

Each accepted socket becomes a :class:`~nodehttps.http._connection.Connection` (the
glue between socket, protocol and messages; see that module). ``_HttpServer`` is a
mixin so that ``https.Server`` (a ``tls.Server``) gets the very same behaviour on
``'secureConnection'``: it keeps the options every connection reads, the one timer
that checks ``headers_timeout``/``request_timeout``, and Node's ``setTimeout``,
``closeAllConnections``, ``closeIdleConnections`` and ``close``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Self

from .. import errors, net
from .._options import normalize, validate_boolean, validate_integer, validate_number
from .._proto.h1parse import max_header_pairs
from ..events import EventEmitter
from ._connection import Connection
from ._incoming import IncomingMessage
from ._response import ServerResponse

__all__ = ["Server", "create_server"]


class _HttpServer(EventEmitter):
    """The http part of ``http.Server`` and ``https.Server`` (a mixin over net/tls Server)."""

    _connections_http: set[Connection]
    _check_timer: Any
    _loop: Any
    listening: bool

    def _init_http(self, opts: dict[str, Any], request_listener: Callable[..., Any] | None) -> None:
        self.IncomingMessage: type[IncomingMessage] = opts.get("IncomingMessage") or IncomingMessage
        self.ServerResponse: type[ServerResponse] = opts.get("ServerResponse") or ServerResponse
        mhs = opts.get("max_header_size")
        self.max_header_size: int = (
            16384 if mhs is None else validate_integer(mhs, "maxHeaderSize", 0)
        )
        ihp = opts.get("insecure_http_parser")
        self.insecure_http_parser = (
            False if ihp is None else validate_boolean(ihp, "options.insecureHTTPParser")
        )
        rhh = opts.get("require_host_header")
        self.require_host_header = (
            True if rhh is None else validate_boolean(rhh, "options.requireHostHeader")
        )
        request_timeout = opts.get("request_timeout")
        headers_timeout = opts.get("headers_timeout")
        self.request_timeout: float = (
            300000
            if request_timeout is None
            else validate_integer(request_timeout, "requestTimeout", 0)
        )
        if headers_timeout is None:
            self.headers_timeout: float = (
                min(60000, self.request_timeout) if self.request_timeout else 60000
            )
        else:
            self.headers_timeout = validate_integer(headers_timeout, "headersTimeout", 0)
        if (
            self.request_timeout > 0
            and self.headers_timeout > 0
            and self.headers_timeout > self.request_timeout
        ):
            raise errors.out_of_range("headersTimeout", "<= requestTimeout", self.headers_timeout)
        kat = opts.get("keep_alive_timeout")
        self.keep_alive_timeout: float = (
            5000 if kat is None else validate_number(kat, "keepAliveTimeout", 0)
        )
        self.timeout: float = 0
        self.max_headers_count = opts.get("max_headers_count")
        self.max_requests_per_socket: int = opts.get("max_requests_per_socket") or 0
        cci = opts.get("connections_checking_interval")
        self.connections_checking_interval: float = (
            30000 if cci is None else validate_integer(cci, "connectionsCheckingInterval", 0)
        )
        self._connections_http = set()
        self._check_timer = None
        if request_listener is not None:
            self.on("request", request_listener)
        self.on("listening", self._start_checking)

    @property
    def max_headers_count(self) -> int | None:
        """Node's ``server.maxHeadersCount`` (None: Node's default; 0: no limit)."""
        return self._max_headers_count

    @max_headers_count.setter
    def max_headers_count(self, count: int | None) -> None:
        self._max_headers_count = count
        # Node's parser.maxHeaderPairs: names and values counted
        self.max_header_pairs = max_header_pairs(count)

    def _connection_listener(self, socket: net.Socket) -> None:
        self._connections_http.add(Connection(self, socket))

    def _forget_connection(self, conn: Connection) -> None:
        """``conn`` is over (closed, or taken by an upgrade)."""
        self._connections_http.discard(conn)

    # -- timers ----------------------------------------------------------------------------
    def _start_checking(self) -> None:
        interval = self.connections_checking_interval
        if (
            interval
            and (self.headers_timeout or self.request_timeout)
            and self._check_timer is None
        ):
            self._check_timer = self._loop.call_later(interval / 1000, self._check_connections)

    def _check_connections(self) -> None:
        self._check_timer = None
        now = self._loop.time()
        for conn in list(self._connections_http):
            conn.check_timeouts(now)
        if self.listening:
            self._start_checking()

    def _stop_checking(self) -> None:
        if self._check_timer is not None:
            self._check_timer.cancel()
            self._check_timer = None

    # -- Node's server API -----------------------------------------------------------------
    def set_timeout(self, msecs: float = 120000, callback: Callable[..., Any] | None = None) -> Any:
        """Node's ``server.setTimeout([msecs][, callback])``: socket inactivity timeout."""
        validate_number(msecs, "msecs", 0)
        self.timeout = msecs
        if callback is not None:
            self.on("timeout", callback)
        return self

    def close_all_connections(self) -> None:
        """Node's ``server.closeAllConnections()``."""
        for conn in list(self._connections_http):
            conn.socket.destroy()

    def close_idle_connections(self) -> None:
        """Node's ``server.closeIdleConnections()``: sockets with no request in progress."""
        for conn in list(self._connections_http):
            if conn.idle:
                conn.socket.destroy()

    def close(self, callback: Callable[..., Any] | None = None) -> Self:
        """Node's ``server.close([callback])``: stop listening (the ``net``/``tls`` server's
        close, next in the MRO), then close the idle connections."""
        super().close(callback)  # type: ignore[misc]
        self._stop_checking()
        self.close_idle_connections()
        return self


class Server(_HttpServer, net.Server):
    """Node's ``http.Server`` (``http.createServer([options][, requestListener])``)."""

    def __init__(
        self,
        options: dict[str, Any] | Callable[..., Any] | None = None,
        request_listener: Callable[..., Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if callable(options) and request_listener is None:
            options, request_listener = None, options
        opts = normalize(options, kwargs)  # type: ignore[arg-type]
        net.Server.__init__(self, opts)
        self._init_http(opts, request_listener)
        self.on("connection", self._connection_listener)


def create_server(
    options: dict[str, Any] | Callable[..., Any] | None = None,
    request_listener: Callable[..., Any] | None = None,
    **kwargs: Any,
) -> Server:
    """Node's ``http.createServer([options][, requestListener])``."""
    return Server(options, request_listener, **kwargs)
