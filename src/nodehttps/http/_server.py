"""Node's ``http.Server``: connections, parsing, pipelining, timeouts, bad input.

Theory of operation
-------------------
Each accepted socket gets one :class:`_Connection`, the glue between the socket, the
sans-IO :class:`~nodehttps._proto.http1.RequestParser` (llhttp) and the messages.
Bytes arrive through the socket's ``'data'`` event and are fed to the parser, whose
callbacks build an ``IncomingMessage`` and a ``ServerResponse`` per request.

Responses to pipelined requests queue in ``responses``; only the first is *attached*
to the socket, the others buffer their bytes until it finishes (Node's order rule).
When a response ends, the connection either closes (``Connection: close``, HTTP/1.0
without keep-alive: later pipelined requests are ignored, SPEC §9) or attaches the
next response, or - idle - arms the keep-alive timeout.

Bad input never reaches a handler: a parser error goes to ``'clientError'`` (default:
Node's exact 400/413/431 bytes, then close). Slow clients are cut off as Node does: one
timer per server checks every ``connections_checking_interval`` that each request in
progress got its headers within ``headers_timeout`` and its body within
``request_timeout``; if not, ``408`` and close. As Node's parser, a request's clock
starts at llhttp's message begin, and a new connection's at once (a peer that sends
nothing is cut off too). Only one ``loop.time()`` per request is spent on it.

Socket timeouts follow Node's ``socketOnTimeout``: ``'timeout'`` goes to the unfinished
request, the response in line and the server, and only if nobody listens is the socket
destroyed; an idle keep-alive connection (``keep_alive_timeout`` plus Node's second of
grace) takes the same path.

``_HttpServer`` is a mixin so that ``https.Server`` (a ``tls.Server``) gets the very
same behaviour on ``'secureConnection'``.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from collections.abc import Callable
from typing import Any, Self

from .. import _loop, errors, net
from .._options import normalize, validate_boolean, validate_integer, validate_number
from .._proto.http1 import RequestParser, client_error_reply, parse_error
from ..events import EventEmitter
from ._incoming import IncomingMessage
from ._response import ServerResponse

__all__ = ["Server", "create_server"]

log = logging.getLogger("nodehttps")

_CONTINUE = re.compile(r"(?:^|\W)100-continue(?:$|\W)", re.IGNORECASE)  # Node's continueExpression


class _Connection:
    """One HTTP/1 connection on the server: parser callbacks and response order."""

    __slots__ = (
        "closing",
        "headers_done",
        "idle_armed",
        "in_request",
        "parser",
        "req",
        "request_start",
        "requests_seen",
        "responses",
        "server",
        "socket",
    )

    def __init__(self, server: _HttpServer, socket: net.Socket) -> None:
        self.server = server
        self.socket = socket
        self.req: IncomingMessage | None = None
        self.responses: deque[ServerResponse] = deque()
        # Node's parser is "active" from the connection on: a peer that sends nothing
        # is subject to headers_timeout too (and is not idle for close_idle_connections).
        self.in_request = True
        self.headers_done = False
        self.request_start = socket._loop.time()
        self.requests_seen = 0
        self.closing = False
        self.idle_armed = False
        self.parser = RequestParser(
            self,
            max_header_size=server.max_header_size,
            insecure=server.insecure_http_parser,
            upgrade_wanted=self._upgrade_wanted,
        )
        for event, fn in self._socket_listeners():
            socket.on(event, fn)
        if server.timeout:
            socket.set_timeout(server.timeout)

    def _socket_listeners(self) -> tuple[tuple[str, Callable[..., Any]], ...]:
        return (
            ("data", self.on_data),
            ("end", self.on_end),
            ("close", self.on_close),
            ("error", self.on_socket_error),
            ("drain", self.on_drain),
            ("timeout", self.on_timeout),
        )

    # -- socket events -------------------------------------------------------------------
    def on_data(self, data: bytes) -> None:
        if self.closing:
            return
        if self.idle_armed:  # a new request: back to the server's own timeout
            self.idle_armed = False
            self.socket.set_timeout(self.server.timeout)
        self.parser.feed(data)

    def on_end(self) -> None:
        self.parser.feed_eof()
        if self.req is not None and not self.req.complete:
            self.req.aborted = True

    def on_close(self, _had_error: bool = False) -> None:
        self.server._connections_http.discard(self)
        req = self.req
        if req is not None and not req.complete and not req.destroyed:
            req.destroy()  # 'aborted' first
        for res in self.responses:
            if not res.writable_finished:
                res.destroyed = True
                res.emit("close")
        self.responses.clear()

    def on_socket_error(self, err: BaseException) -> None:
        self.client_error(err)

    def on_drain(self) -> None:
        if self.responses:
            self.responses[0]._on_socket_drain()

    def on_timeout(self) -> None:
        """Node's ``socketOnTimeout``: ``'timeout'`` on the unfinished request, the response
        in line and the server; destroyed only if none of them listens. An idle keep-alive
        connection takes the same path (Node emits the server's ``'timeout'`` for it too)."""
        handled = False
        if self.req is not None and not self.req.complete and self.req.listener_count("timeout"):
            handled = self.req.emit("timeout", self.socket) or handled
        if self.responses and self.responses[0].listener_count("timeout"):
            handled = self.responses[0].emit("timeout", self.socket) or handled
        if self.server.listener_count("timeout"):
            handled = self.server.emit("timeout", self.socket) or handled
        if not handled:
            self.socket.destroy()

    # -- parser callbacks ----------------------------------------------------------------
    def on_message_begin(self) -> None:
        """Node's parser ``on_message_begin``: a request's clock starts (each pipelined
        one too), for ``headers_timeout`` and ``request_timeout``."""
        self.in_request = True
        self.headers_done = False
        self.request_start = self.socket._loop.time()

    def _upgrade_wanted(self, method: str) -> bool:
        event = "connect" if method == "CONNECT" else "upgrade"
        return self.server.listener_count(event) > 0

    def on_request_head(self, head: Any) -> None:
        server = self.server
        sock = self.socket
        if head.host_count > 1:  # SPEC §9: RFC 9112 says 400; Node accepts
            self.parser.dead = True
            self.on_parse_error(parse_error("HPE_INVALID_HEADER_TOKEN", "Duplicate Host header"))
            return
        if self.idle_armed:  # Node's resetSocketTimeout: a pipelined request ends idleness
            self.idle_armed = False
            sock.set_timeout(server.timeout)
        self.headers_done = True
        req: IncomingMessage = server.IncomingMessage(sock)
        req.method = head.method
        req.url = head.url
        req._set_head(head, server.max_headers_count)
        req.upgrade = head.upgrade
        self.req = req
        if head.upgrade:
            return  # on_upgrade follows with the bytes after the head
        res: ServerResponse = server.ServerResponse(req, self)
        res.should_keep_alive = head.should_keep_alive and bool(server.listening)
        res._keep_alive_timeout = server.keep_alive_timeout
        limit = server.max_requests_per_socket
        if limit:
            res._max_requests_per_socket = limit
        self.responses.append(res)
        if len(self.responses) == 1:
            res._attach()
        # As Node, the Host rule, the request limit and Expect apply to HTTP/1.1 only.
        http11 = head.http_major == 1 and head.http_minor == 1
        if http11 and server.require_host_header and not head.host_count:
            res.write_head(400, ["Connection", "close"])  # Node's answer, via a response
            res.end()
            return
        if http11 and limit:
            self.requests_seen += 1
            res._max_requests_reached = self.requests_seen >= limit
            if self.requests_seen > limit:
                server.emit("dropRequest", req, sock)
                res.write_head(503)  # "Connection: close": the limit is reached
                res.end()
                return
        expect = head.expect if http11 else None
        try:
            if expect is not None:
                if _CONTINUE.search(expect):
                    res._expect_continue = True
                    if server.listener_count("checkContinue"):
                        server.emit("checkContinue", req, res)
                        return
                    res.write_continue()
                elif server.listener_count("checkExpectation"):
                    server.emit("checkExpectation", req, res)
                    return
                else:
                    res.write_head(417)
                    res.end()
                    return
            server.emit("request", req, res)
        except Exception as exc:
            self.handler_failed(res, exc)

    def handler_failed(self, res: ServerResponse, exc: BaseException) -> None:
        log.error("Exception in the 'request' listener", exc_info=exc)
        if not res.headers_sent:
            res._header_map.clear()
            res.write_head(500, {"Content-Length": "0", "Connection": "close"})
            res.end()
        else:
            self.socket.destroy()

    def on_body(self, chunk: bytes) -> None:
        req = self.req
        if req is not None:
            req.push(chunk)

    def on_request_complete(self, raw_trailers: list[str]) -> None:
        self.in_request = False
        req = self.req
        if req is None:
            return
        if raw_trailers:
            req.raw_trailers = raw_trailers
        req.complete = True
        req.push_eof()
        if req._dump_on_complete:
            req._dump()
        self._maybe_idle()

    def on_upgrade(self, rest: bytes) -> None:
        req = self.req
        sock = self.socket
        assert req is not None
        self.closing = True
        self.in_request = False
        self.server._connections_http.discard(self)
        for event, fn in self._socket_listeners():
            sock.remove_listener(event, fn)
        req.complete = True
        req.push_eof()
        event = "connect" if req.method == "CONNECT" else "upgrade"
        if not self.server.listener_count(event):
            sock.destroy()  # CONNECT nobody handles: closed with zero bytes, as Node
            return
        try:
            self.server.emit(event, req, sock, rest)
        except Exception as exc:
            log.error("Exception in the '%s' listener", event, exc_info=exc)
            sock.destroy()

    def on_parse_error(self, err: errors.NodeError) -> None:
        self.closing = True
        self.client_error(err)

    def client_error(self, err: BaseException) -> None:
        """Node's ``socketOnError``: ``'clientError'``, or the default answer and close."""
        server = self.server
        socket = self.socket
        if server.listener_count("clientError"):
            try:
                server.emit("clientError", err, socket)
            except Exception as exc:
                _loop.report_uncaught(exc, socket._loop)
            return
        if socket.destroyed:
            return
        code = getattr(err, "code", None)
        headers_sent = bool(self.responses and self.responses[0].headers_sent)
        if (
            code not in ("ECONNRESET", "EPIPE")
            and isinstance(err, errors.NodeError)
            and socket.writable
            and not headers_sent
        ):
            socket.write(client_error_reply(err))
            socket.destroy_soon()
        else:
            socket.destroy()

    # -- responses -----------------------------------------------------------------------
    def response_done(self, res: ServerResponse) -> None:
        """``res`` handed its last byte to the socket: close, or move to the next one."""
        if self.responses and self.responses[0] is res:
            self.responses.popleft()
        req = res.req
        if req.complete:
            req._dump()
        else:
            req._dump_on_complete = True
        if res._max_requests_reached:
            # Node decides once the write is done: requests pipelined past the limit in
            # the same read are answered 503 behind this last allowed response first.
            self.socket._loop.call_soon(self._after_last_allowed)
            return
        if res._last or not res.should_keep_alive:
            self.closing = True
            self.socket.destroy_soon()
            return
        if self.responses:
            self.responses[0]._attach()
        else:
            self._maybe_idle()

    def _after_last_allowed(self) -> None:
        if self.responses and not self.socket.destroyed:
            self.responses[0]._attach()  # a 503 (it says Connection: close itself)
        elif not self.closing:
            self.closing = True
            self.socket.destroy_soon()

    def _maybe_idle(self) -> None:
        """Nothing in flight: Node's keep-alive timeout (plus its one-second grace) runs."""
        if (
            not self.in_request
            and not self.responses
            and not self.closing
            and self.server.keep_alive_timeout
        ):
            self.idle_armed = True
            self.socket.set_timeout(self.server.keep_alive_timeout + 1000)

    @property
    def idle(self) -> bool:
        return not self.in_request and not self.responses

    def check_timeouts(self, now: float) -> None:
        if not self.in_request or self.closing:
            return
        server = self.server
        elapsed = (now - self.request_start) * 1000
        if (
            not self.headers_done and server.headers_timeout and elapsed > server.headers_timeout
        ) or (server.request_timeout and elapsed > server.request_timeout):
            self.closing = True
            err = errors.ERR_HTTP_REQUEST_TIMEOUT()
            self.client_error(err)


class _HttpServer(EventEmitter):
    """The http part of ``http.Server`` and ``https.Server`` (a mixin over net/tls Server)."""

    _connections_http: set[_Connection]
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
        self.max_headers_count: int | None = opts.get("max_headers_count")
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

    def _connection_listener(self, socket: net.Socket) -> None:
        self._connections_http.add(_Connection(self, socket))

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
