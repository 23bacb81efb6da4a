"""One HTTP/1 connection on Node's ``http.Server``: pipelining, timeouts, bad input.

Theory of operation
-------------------
Each accepted socket gets one :class:`Connection`: the glue between the socket, the
sans-IO :class:`~nodehttps._proto.h1server.ServerConnection` (llhttp, and every
protocol decision: which request is served, keep-alive, close) and the messages.
Bytes from the socket's ``'data'`` go to the protocol; then :meth:`Connection.dispatch`
takes its events one by one and builds an ``IncomingMessage`` and a
``ServerResponse`` per request, so the ``'request'`` listener runs after llhttp has
returned, never inside it.

Back-pressure, as Node's ``parserOnIncoming``: a new request is taken only while the
connection's unsent output (the socket's buffer, and the bytes of pipelined responses
waiting for their turn) is under the socket's high-water mark. Otherwise the events
wait in the protocol, the socket stops reading, and ``'drain'`` (or a response that
finishes) resumes both.

Responses to pipelined requests queue in the protocol's ``responses``; only the first
is *attached* to the socket, the others keep their bytes until it finishes. When a
response ends, the protocol says what follows: close, attach the next response, or -
idle - arm the keep-alive timeout.

Bad input never reaches a handler: a parse failure goes to ``'clientError'`` (default:
Node's exact 400/413/431 bytes, then close; behind the answers to the complete requests
before it). Slow clients are cut off as Node does: one timer per server checks every
``connections_checking_interval`` that each request in progress got its headers within
``headers_timeout`` and its body within ``request_timeout``; if not, ``408`` and close.

Socket timeouts follow Node's ``socketOnTimeout``: ``'timeout'`` goes to the unfinished
request, the response in line and the server, and only if nobody listens is the socket
destroyed; an idle keep-alive connection (``keep_alive_timeout`` plus Node's second of
grace) takes the same path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from .. import _loop, errors, net
from .._proto.h1events import Body, End, Event, RequestHead, Upgrade
from .._proto.h1server import Next, ServerConnection, Verdict
from .._proto.replies import client_error_reply
from ._incoming import IncomingMessage
from ._response import ServerResponse

__all__ = ["Connection", "ServerPolicy"]

log = logging.getLogger("nodehttps")


class ServerPolicy(Protocol):
    """What a connection reads and calls on its server (Node's ``http.Server``)."""

    IncomingMessage: type[IncomingMessage]
    ServerResponse: type[ServerResponse]
    max_header_size: int
    insecure_http_parser: bool
    require_host_header: bool
    max_requests_per_socket: int
    keep_alive_timeout: float
    headers_timeout: float
    request_timeout: float
    timeout: float
    listening: bool

    def listener_count(self, event: str) -> int: ...

    def emit(self, event: str, *args: Any) -> bool: ...

    max_header_pairs: int  # Node's parser.maxHeaderPairs, from maxHeadersCount

    def _forget_connection(self, conn: Connection) -> None: ...


class Connection:
    """One HTTP/1 connection on the server: socket events, dispatch, response order."""

    __slots__ = (
        "_idle_timer",
        "error_reply",
        "idle_armed",
        "outgoing_pending",
        "paused",
        "proto",
        "req",
        "request_start",
        "server",
        "socket",
    )

    def __init__(self, server: ServerPolicy, socket: net.Socket) -> None:
        self.server = server
        self.socket = socket
        self.req: IncomingMessage | None = None
        self.proto: ServerConnection[ServerResponse] = ServerConnection(
            max_header_size=server.max_header_size,
            max_header_pairs=server.max_header_pairs,
            insecure=server.insecure_http_parser,
            upgrade_wanted=self._upgrade_wanted,
            require_host=server.require_host_header,
            max_requests=server.max_requests_per_socket,
            keep_alive_timeout=server.keep_alive_timeout,
        )
        self.request_start = socket._loop.time()
        self.idle_armed = False
        self._idle_timer = -1  # the socket's timeout_changes when the idle timer was set
        self.paused = False  # reading stopped: the output is above its high-water mark
        self.outgoing_pending = 0  # bytes of pipelined responses waiting for their turn
        self.error_reply: bytes | None = None  # a failure's answer, behind the responses
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
        proto = self.proto
        if proto.closing:
            return
        if self.idle_armed:  # a new request: back to the server's own timeout
            self._end_idle()
        if not proto.in_request:  # Node's clock starts when a message begins
            self.request_start = self.socket._loop.time()
        # ``server.max_headers_count`` may change between requests; it applies to the next
        proto.parser.max_header_pairs = self.server.max_header_pairs
        proto.receive_data(data)
        self.dispatch()

    def on_end(self) -> None:
        self.proto.receive_eof()
        self.dispatch()

    def on_close(self, _had_error: bool = False) -> None:
        self.server._forget_connection(self)
        req = self.req
        if req is not None and not req.complete and not req.destroyed:
            req.destroy(errors.conn_reset("aborted"))  # Node's abortIncoming: 'aborted' first
        responses = self.proto.responses
        for res in responses:
            if not res.writable_finished:
                res.destroyed = True
                res.emit("close")
        responses.clear()

    def on_socket_error(self, err: BaseException) -> None:
        self.client_error(err)

    def on_drain(self) -> None:
        responses = self.proto.responses
        if responses:
            responses[0]._on_socket_drain()
        self.output_changed()

    def on_timeout(self) -> None:
        """Node's ``socketOnTimeout``: ``'timeout'`` on the unfinished request, the response
        in line and the server; destroyed only if none of them listens. An idle keep-alive
        connection takes the same path (Node emits the server's ``'timeout'`` for it too)."""
        if self._stale_idle_timer():
            return
        handled = False
        req = self.req
        if req is not None and not req.complete and req.listener_count("timeout"):
            handled = req.emit("timeout", self.socket) or handled
        responses = self.proto.responses
        if responses and responses[0].listener_count("timeout"):
            handled = responses[0].emit("timeout", self.socket) or handled
        if self.server.listener_count("timeout"):
            handled = self.server.emit("timeout", self.socket) or handled
        if not handled:
            self.socket.destroy()

    # -- dispatch ------------------------------------------------------------------------
    def output_blocked(self) -> bool:
        """Node's test before it takes a new request: unsent output at the mark."""
        sock = self.socket
        return sock.writable_need_drain or self.outgoing_pending >= sock.writable_high_water_mark

    def dispatch(self) -> None:
        """Hand the protocol's events to the messages, until it holds one back."""
        proto = self.proto
        while True:
            event = proto.next_event(self.output_blocked())
            if event is None:
                break
            if not self._handle(event):
                return
        if proto.held and not self.paused:  # Node's socket.pause() in parserOnIncoming
            self.paused = True
            self.socket._pause_source()
        elif self.paused and not proto.held:
            self.paused = False
            self.socket._resume_source()

    def _handle(self, event: Event) -> bool:
        """One event; False once the connection is no longer HTTP's."""
        kind = type(event)
        if kind is Body:
            req = self.req
            if req is not None:
                req.push(event.data)  # type: ignore[union-attr]
        elif kind is RequestHead:
            self.on_request_head(event)  # type: ignore[arg-type]
        elif kind is End:
            self.on_request_complete(event.raw_trailers)  # type: ignore[union-attr]
        elif kind is Upgrade:
            self.on_upgrade(event.rest)  # type: ignore[union-attr]
            return False
        else:
            self.on_failure(event.error)  # type: ignore[union-attr]
            return False
        return True

    def output_changed(self) -> None:
        """The unsent output shrank: take the requests that waited (Node's socketOnDrain)."""
        if self.paused and not self.output_blocked():
            self.dispatch()

    def _upgrade_wanted(self, method: str) -> bool:
        event = "connect" if method == "CONNECT" else "upgrade"
        return self.server.listener_count(event) > 0

    # -- requests ------------------------------------------------------------------------
    def on_request_head(self, head: RequestHead) -> None:
        server = self.server
        sock = self.socket
        if self.idle_armed:  # Node's resetSocketTimeout: a pipelined request ends idleness
            self._end_idle()
        # Node's IncomingMessage/ServerResponse options: the classes are called directly
        # when they are the default ones (a native call, not a lookup and a generic one).
        message_class = server.IncomingMessage
        req: IncomingMessage = (
            IncomingMessage(sock) if message_class is IncomingMessage else message_class(sock)
        )
        req.method = head.method
        req.url = head.url
        req._set_head(head)
        self.req = req
        if head.verdict == Verdict.UPGRADE:
            req.upgrade = True
            return  # an Upgrade event follows with the bytes after the head
        response_class = server.ServerResponse
        res: ServerResponse = (
            ServerResponse(req, self)
            if response_class is ServerResponse
            else response_class(req, self)
        )
        res._request_head = head
        res.should_keep_alive = head.should_keep_alive and bool(server.listening) and not head.last
        responses = self.proto.responses
        responses.append(res)
        if len(responses) == 1:
            res._attach()
        verdict = head.verdict
        if verdict == Verdict.NO_HOST:
            res.write_head(400, ["Connection", "close"])  # Node's answer, via a response
            res.end()
            return
        if verdict == Verdict.OVER_LIMIT:
            server.emit("dropRequest", req, sock)
            res.write_head(503)  # "Connection: close": the limit is reached
            res.end()
            return
        try:
            if head.expect_continue:
                res._expect_continue = True
                if server.listener_count("checkContinue"):
                    server.emit("checkContinue", req, res)
                    return
                res.write_continue()
            elif head.expect_failed:
                if server.listener_count("checkExpectation"):
                    server.emit("checkExpectation", req, res)
                    return
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

    def on_request_complete(self, raw_trailers: list[str]) -> None:
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
        self.proto.closing = True
        self.server._forget_connection(self)
        for event, fn in self._socket_listeners():
            sock.remove_listener(event, fn)
        if self.paused:
            self.paused = False
            sock._resume_source()
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

    # -- bad input -----------------------------------------------------------------------
    def on_failure(self, err: errors.NodeError) -> None:
        """A parse failure. After complete requests (garbage behind a valid request, SPEC
        §9) their answers go first; inside one, Node's ``socketOnError`` at once."""
        req = self.req
        if self.proto.responses and (req is None or req.complete) and not self._listened():
            self.error_reply = client_error_reply(err)  # sent once the responses are done
            return
        self.client_error(err)

    def _listened(self) -> bool:
        return bool(self.server.listener_count("clientError"))

    def client_error(self, err: BaseException) -> None:
        """Node's ``socketOnError``: ``'clientError'``, or the default answer and close."""
        server = self.server
        socket = self.socket
        self.proto.closing = True
        if server.listener_count("clientError"):
            try:
                server.emit("clientError", err, socket)
            except Exception as exc:
                _loop.report_uncaught(exc, socket._loop)
            return
        if socket.destroyed:
            return
        code = getattr(err, "code", None)
        responses = self.proto.responses
        headers_sent = bool(responses and responses[0].headers_sent)
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
        """``res`` handed its last byte to the socket: the protocol says what follows."""
        req = res.req
        if req.complete:
            req._dump()
        else:
            req._dump_on_complete = True
        head = res._request_head
        last_allowed = head is not None and head.last
        step = self.proto.response_done(res, res.should_keep_alive and not res._last, last_allowed)
        if step == Next.CLOSE_AFTER_TICK:
            # Node decides once the write is done: requests pipelined past the limit in
            # the same read are answered 503 behind this last allowed response first.
            self.socket._loop.call_soon(self._after_last_allowed)
        elif step == Next.CLOSE:
            self.socket.destroy_soon()
        elif step == Next.ATTACH:
            self.proto.responses[0]._attach()
            self.output_changed()
        elif self.error_reply is not None:
            self._send_error_reply()
        else:
            self._maybe_idle()
            self.output_changed()

    def _send_error_reply(self) -> None:
        reply, self.error_reply = self.error_reply, None
        self.proto.closing = True
        sock = self.socket
        if reply is not None and not sock.destroyed and sock.writable:
            sock.write(reply)
        sock.destroy_soon()

    def _after_last_allowed(self) -> None:
        responses = self.proto.responses
        if responses and not self.socket.destroyed:
            responses[0]._attach()  # a 503 (it says Connection: close itself)
        elif not self.socket.destroyed:
            self.proto.closing = True
            self.socket.destroy_soon()

    def _maybe_idle(self) -> None:
        """Nothing in flight: Node's keep-alive timeout (plus its one-second grace) runs."""
        proto = self.proto
        timeout = self.server.keep_alive_timeout
        if proto.idle and not proto.closing and timeout:
            self.idle_armed = True
            sock = self.socket
            if sock.timeout != timeout + 1000 or sock.timeout_changes != self._idle_timer:
                sock.set_timeout(timeout + 1000)
                self._idle_timer = sock.timeout_changes

    def _end_idle(self) -> None:
        """A request came: back to the server's own socket timeout. With none set (the
        default), the keep-alive timer is left in place rather than cleared and set
        again for every request; :meth:`on_timeout` ignores it while a request is in
        flight (there is no timeout then)."""
        self.idle_armed = False
        if self.server.timeout:
            self.socket.set_timeout(self.server.timeout)

    def _stale_idle_timer(self) -> bool:
        """The keep-alive timer fired while a request is in flight and no other timeout
        was set since it was armed (a user's, even of the same length, is a real one):
        not a timeout at all."""
        return not self.idle_armed and self.socket.timeout_changes == self._idle_timer

    @property
    def idle(self) -> bool:
        return self.proto.idle

    def check_timeouts(self, now: float) -> None:
        proto = self.proto
        if not proto.in_request or proto.closing:
            return
        server = self.server
        elapsed = (now - self.request_start) * 1000
        if (
            not proto.headers_done and server.headers_timeout and elapsed > server.headers_timeout
        ) or (server.request_timeout and elapsed > server.request_timeout):
            self.client_error(errors.ERR_HTTP_REQUEST_TIMEOUT())
