"""Node's ``http.ClientRequest``: argument forms, the request head, the response.

Theory of operation
-------------------
The constructor follows Node's ``ClientRequest``: it merges the URL and options,
validates them (synchronously, with Node's codes), builds the header map and asks the
agent for a socket (``agent.add_request``). Output written before a socket arrives
waits in ``_pending`` and goes out in one write once the socket is assigned.

When the agent hands over a socket (:meth:`ClientRequest.on_socket`), a
``ResponseParser`` (llhttp) is attached to it; its callbacks build the
``IncomingMessage``. At the response's end the socket is given back: with keep-alive
it emits ``'free'`` (the agent pools it), otherwise it is ended.

Errors reach ``'error'`` exactly once, then ``'close'``: a socket that closes before a
response is Node's ``ECONNRESET`` ``socket hang up``; after ``abort()`` nothing is
reported, as Node.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Generator
from typing import Any

from mypy_extensions import mypyc_attr

from .. import _loop, errors
from .._abort import destroy_on_abort
from .._options import validate_number
from .._proto.h1parse import (
    Body,
    End,
    Event,
    Failure,
    ResponseHead,
    ResponseParser,
    Upgrade,
    max_header_pairs,
)
from .._proto.headers import headers_from_raw
from ._agent import Agent
from ._awaiting import Hold, report_unretrieved
from ._incoming import IncomingMessage
from ._outgoing import OutgoingMessage
from ._request_args import request_args, resolve_target

__all__ = ["ClientRequest", "request_args"]

_NO_BODY_METHODS = frozenset(("GET", "HEAD", "DELETE", "OPTIONS", "TRACE", "CONNECT"))


@mypyc_attr(allow_interpreted_subclasses=True)
class ClientRequest(OutgoingMessage):
    """Node's ``http.ClientRequest``: ``write``/``end``, ``'response'``, ``'error'``..."""

    def __init__(
        self,
        options: dict[str, Any],
        callback: Callable[..., Any] | None = None,
        *,
        default_agent: Any,
    ) -> None:
        super().__init__()
        self._loop = _loop.get_loop()
        target = resolve_target(options, default_agent)
        agent = self.agent = target.agent
        self._shape.has_agent = agent is not None
        self.protocol = target.protocol
        self.port = target.port
        self.host = target.host
        self.socket_path = target.socket_path
        self.timeout: float | None = target.timeout
        method = self.method = target.method
        self.max_header_size = target.max_header_size
        self.insecure_http_parser = target.insecure_http_parser
        self.max_headers_count: int | None = None
        self.path = target.path
        self.reused_socket = False
        self.aborted = False
        self.res: IncomingMessage | None = None
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._error_emitted = False
        # Node's listenSocketTimeout: the request relays the socket's 'timeout' (once)
        # only with a timeout option (its own or its agent's) or after set_timeout().
        agent_options = getattr(agent, "options", None) or {}
        self._timeout_armed = "timeout" in options or bool(agent_options.get("timeout"))
        self._timeout_fired = False
        self._closed = False
        # SPEC §4: made in the user's own loop, it may be awaited later: until then its
        # response is held and its error kept (see _awaiting.py).
        self._may_await = _loop.in_user_loop()
        self._awaited = False
        self._hold: Hold | None = None
        self._kept_error: BaseException | None = None
        self._error_report: Any = None
        self._parser: ResponseParser | None = None
        self._upgrade_head: ResponseHead | None = None
        self._listeners: tuple[tuple[str, Callable[..., None]], ...] | None = None
        self._shape.chunked_by_default = method not in _NO_BODY_METHODS
        self._options = options
        if callback is not None:
            self.once("response", callback)
        self._set_headers(options, target.host, target.default_port)
        signal = options.get("signal")
        if signal is not None:
            destroy_on_abort(signal, self, at_once=True)
        # Node: without an agent, or with one that neither keeps alive nor limits
        # sockets, the connection ends with this request.
        self.should_keep_alive = agent is not None and (
            agent.keep_alive or agent.max_sockets != float("inf")
        )
        self._last = not self.should_keep_alive and agent is not None
        self._start(options)

    # -- setup ---------------------------------------------------------------------------
    def _set_headers(self, options: dict[str, Any], host: str, default_port: int) -> None:
        headers = options.get("headers")
        raw_pairs: list[tuple[str, Any]] | None = None
        if isinstance(headers, list | tuple):
            items = list(headers)
            raw_pairs = (
                [(items[i], items[i + 1]) for i in range(0, len(items) - 1, 2)]
                if items and not isinstance(items[0], list | tuple)
                else [tuple(p) for p in items]
            )
            for name, value in raw_pairs:
                self.append_header(name, value)
        elif headers is not None:
            for name, value in headers.items():
                if value is not None:
                    self.set_header(name, value)
        set_host = options.get("set_host", True)
        if set_host is None:
            set_host = False
        if host and not self.has_header("host") and set_host:
            host_header = host
            colon = host_header.find(":")
            if colon != -1 and ":" in host_header[colon + 1 :] and not host_header.startswith("["):
                host_header = f"[{host_header}]"
            if self.port and int(self.port) != default_port:
                host_header += f":{self.port}"
            self.set_header("Host", host_header)
        auth = options.get("auth")
        if auth and not self.has_header("authorization"):
            token = base64.b64encode(str(auth).encode()).decode()
            self.set_header("Authorization", f"Basic {token}")

    def _start(self, options: dict[str, Any]) -> None:
        if self.destroyed:  # an aborted signal: no connection at all, as in Node
            return
        agent = self.agent
        if agent is not None:
            agent.add_request(self, options)
            return
        create = options["create_connection"]
        sock = create(options)
        if sock is not None:
            self.on_socket(sock)

    def _first_line(self) -> str:
        return f"{self.method} {self.path} HTTP/1.1\r\n"

    def _defer(self, fn: Callable[..., Any], *args: Any) -> None:
        self._loop.call_soon(fn, *args)

    # -- output --------------------------------------------------------------------------
    def _write_out(self, data: bytes) -> bool:
        sock = self.socket
        if sock is None:
            self._pending.append(data)
            self._pending_size += len(data)  # Node's outputSize, not re-summed per write
            return self._pending_size < 16384
        if sock.destroyed:
            return False
        return bool(sock.write(data))

    def _finish_output(self) -> None:
        if self.socket is not None and not self._pending:
            self._mark_finished()

    def _mark_finished(self) -> None:
        if not self.writable_finished:
            self.writable_finished = True
            self._loop.call_soon(self.emit, "finish")

    # -- the socket ----------------------------------------------------------------------
    def on_socket_error(self, err: BaseException) -> None:
        """No socket could be made (Node's ``req.onSocket(null, err)``): ``'error'`` and
        ``'close'`` on the next tick, so a request made in this tick can still be given
        its listeners."""
        self._loop.call_soon(_loop.guarded(self._socket_failed, self._loop), err)

    def _socket_failed(self, err: BaseException) -> None:
        try:
            self._emit_error(err)
        finally:
            self._emit_close()

    def on_socket(self, sock: Any, reused: bool = False) -> None:
        """The agent assigned ``sock`` (Node's ``onSocket``): the request takes it on the
        next tick, so ``req.socket`` is still None when ``request()`` returns, as in Node."""
        self._loop.call_soon(self._take_socket, sock, reused)

    def _take_socket(self, sock: Any, reused: bool) -> None:
        if self.destroyed or self.aborted:
            sock.destroy()
            return
        self.socket = sock
        self.reused_socket = reused
        mhc = self.max_headers_count
        self._parser = ResponseParser(
            max_header_size=self.max_header_size or 16384,
            max_header_pairs=max_header_pairs(mhc),
            insecure=self.insecure_http_parser,
            head_request=self.method == "HEAD",
        )
        for event, listener in self._socket_listeners():
            sock.on(event, listener)
        self.emit("socket", sock)
        pending, self._pending, self._pending_size = self._pending, [], 0
        if pending:
            sock.write(b"".join(pending))
        if self.finished:
            self._mark_finished()

    def _socket_listeners(self) -> tuple[tuple[str, Callable[..., None]], ...]:
        """The request's listeners on its socket, made once: the same objects detach
        fast (``remove_listener`` finds them by identity)."""
        listeners = self._listeners
        if listeners is None:
            listeners = self._listeners = tuple(
                (event, getattr(self, method)) for event, method in _SOCKET_EVENTS
            )
        return listeners

    def _detach(self, sock: Any) -> None:
        for event, listener in self._socket_listeners():
            sock.remove_listener(event, listener)

    def _on_socket_data(self, data: bytes) -> None:
        parser = self._parser
        if parser is not None:
            self._dispatch(parser.feed(data))

    def _on_socket_end(self) -> None:
        parser = self._parser
        if parser is not None:
            self._dispatch(parser.feed_eof())

    def _dispatch(self, events: list[Event]) -> None:
        """The parser's events, after llhttp returned (listeners never run inside it)."""
        for event in events:
            kind = type(event)
            if self._parser is None and kind is not Failure:
                return  # the response ended, or the socket was taken (upgrade)
            if kind is Body:
                res = self.res
                if res is not None:
                    res.push(event.data)  # type: ignore[union-attr]
            elif kind is ResponseHead:
                self._on_head(event)  # type: ignore[arg-type]
            elif kind is End:
                self.on_response_complete(event.raw_trailers)  # type: ignore[union-attr]
            elif kind is Upgrade:
                self.on_upgrade(event.rest)  # type: ignore[union-attr]
            elif kind is Failure:
                self.on_parse_error(event.error)  # type: ignore[union-attr]

    def _on_head(self, head: ResponseHead) -> None:
        if head.upgrade:
            self._upgrade_head = head  # the Upgrade event follows
        elif head.informational:
            self.on_informational(head)
        else:
            self.on_response_head(head)

    def _on_socket_error(self, err: BaseException) -> None:
        res = self.res
        if res is not None and not res.complete:
            res.destroy(errors.conn_reset("aborted"))  # 'aborted', then the error
        self._emit_error(err)

    def _on_socket_close(self, _had_error: bool = False) -> None:
        res = self.res
        if res is not None:
            if not res.complete:
                res.destroy(errors.conn_reset("aborted"))
        elif not self._error_emitted and not self.aborted:
            self._emit_error(errors.conn_reset("socket hang up"))
        self._emit_close()

    def _on_socket_drain(self) -> None:
        self.emit("drain")

    def _on_socket_timeout(self) -> None:
        """The socket went quiet: ``'timeout'`` on the request (at most once, as Node's
        ``emitRequestTimeout``), then (Node's ``responseOnTimeout``) on a response still
        being received."""
        if self._timeout_armed and not self._timeout_fired:
            self._timeout_fired = True  # Node: socket.once('timeout', emitRequestTimeout)
            self.emit("timeout")
        res = self.res
        if res is not None and not res.complete:
            res.emit("timeout")

    def _emit_error(self, err: BaseException) -> None:
        if self._error_emitted or self.aborted:
            return
        self._error_emitted = True
        self.destroyed = True
        if self._may_await and not self._awaited and not self.listener_count("error"):
            try:
                self._error_report = report_unretrieved(self, err, self._loop)
            except TypeError:  # not weakly referenceable: Node's rule
                self.emit("error", err)
                return
            self._kept_error = err  # for the await (SPEC §4)
            return
        self.emit("error", err)

    def _emit_close(self) -> None:
        if not self._closed:
            self._closed = True
            self.destroyed = True
            self.emit("close")

    # -- parser callbacks ----------------------------------------------------------------
    def on_response_head(self, head: ResponseHead) -> None:
        res = self._new_response(head)
        res.req = self
        if "high_water_mark" in self._options and self._options["high_water_mark"] is not None:
            res.readable_high_water_mark = int(self._options["high_water_mark"])
        self.res = res
        if not head.should_keep_alive:
            self.should_keep_alive = False
        if self.listener_count("response"):
            self.emit("response", res)
        elif self._may_await and not self._awaited:
            self._hold_response()
        else:
            res._dump()

    def _hold_response(self) -> None:
        """Keep the response for a later await; the socket refers to us weakly meanwhile
        (a request that cannot be weakly referenced keeps Node's rule instead)."""
        sock = self.socket
        res = self.res
        if sock is None or res is None:
            return
        try:
            self._hold = Hold(self, sock, _SOCKET_EVENTS)
        except TypeError:
            res._dump()
            return
        self._detach(sock)

    def _new_response(self, head: ResponseHead) -> IncomingMessage:
        res = IncomingMessage(self.socket)
        res.status_code = head.status_code
        res.status_message = head.status_message
        res._set_head(head)
        return res

    def on_informational(self, head: ResponseHead) -> None:
        info = {
            "status_code": head.status_code,
            "status_message": head.status_message,
            "http_version": head.http_version,
            "http_version_major": head.http_major,
            "http_version_minor": head.http_minor,
            "raw_headers": head.raw_headers,
            "headers": headers_from_raw(head.raw_headers, head.header_pairs),
        }
        if head.status_code == 100:
            self.emit("continue")
        self.emit("information", _Info(info))

    def on_response_complete(self, raw_trailers: list[str]) -> None:
        res = self.res
        sock = self.socket
        if res is None or sock is None:
            return
        if raw_trailers:
            res.raw_trailers = raw_trailers
        res.complete = True
        self._parser = None
        if self._hold is not None:
            self._hold.detach_listeners()
        else:
            self._detach(sock)
        res.push_eof()
        if self.should_keep_alive and self.finished and not sock.destroyed:
            res.prepend_once_listener("end", self._response_ended)
            res._release_socket = lambda ended, err: (
                self._free_socket(sock) if ended else self._response_destroyed(res, err)
            )
        elif sock.destroyed:
            self._loop.call_soon(self._emit_close)
        else:  # Node's socketCloseListener: the request closes with its socket, after
            # the response's own 'close'
            sock.once("close", lambda *_: self._close_after(res))
            sock.destroy_soon()

    def _close_after(self, res: IncomingMessage) -> None:
        if res._close_emitted:
            self._emit_close()
        else:
            res.once("close", self._emit_close)

    def _response_ended(self) -> None:
        """Node's ``responseKeepAlive``, first at the response's ``'end'``: the request is
        done; its socket goes back to the agent once every ``'end'`` listener has run
        (until then it is still in ``agent.sockets``)."""
        self.destroyed = True

    def _response_destroyed(self, res: IncomingMessage, err: BaseException | None) -> None:
        """A complete response destroyed before its ``'end'`` took the socket down: as in
        Node, the request reports ``err`` first and closes after the response."""
        if err is not None:
            self._emit_error(err)
        res.once("close", self._emit_close)

    def _free_socket(self, sock: Any) -> None:
        """Node's ``responseKeepAlive``: the socket goes back to the agent at once (a
        request made right after ``'end'`` reuses it, as Node's ``nextTick`` allows);
        the request's ``'close'`` and the socket's ``'free'`` follow on the next turn,
        after the response's ``'close'`` (Node's ``emitFreeNT``)."""
        agent = self.agent
        if not sock.destroyed and isinstance(agent, Agent):
            res = self.res
            hint = res.headers.get("keep-alive") if res is not None else None
            agent.release(sock, self.should_keep_alive, hint)
        self._loop.call_soon(self._emit_free, sock)

    def _emit_free(self, sock: Any) -> None:
        self._emit_close()
        if not sock.destroyed:
            sock.emit("free")  # Node's socket 'free', for whoever else listens

    def on_upgrade(self, rest: bytes) -> None:
        sock = self.socket
        head = self._upgrade_head
        assert sock is not None and head is not None
        res = self._new_response(head)
        res.upgrade = True
        self._detach(sock)
        self._parser = None
        event = "connect" if self.method == "CONNECT" else "upgrade"
        if self.listener_count(event):
            self.emit(event, res, sock, rest)
            self._emit_close()
        else:
            sock.destroy()

    def on_parse_error(self, err: BaseException) -> None:
        sock = self.socket
        self._emit_error(err)
        if sock is not None:
            sock.destroy()

    # -- Node's methods ------------------------------------------------------------------
    def set_timeout(
        self, msecs: float, callback: Callable[..., Any] | None = None
    ) -> ClientRequest:
        """Node's ``request.setTimeout(ms[, callback])``.

        As Node: a no-op once the response has ended; otherwise the socket's timeout is
        set once it is connected (a socket still connecting keeps the ``timeout``
        option's value until ``'connect'``). ``request.timeout`` (the option) is left
        as it was.
        """
        res = self.res
        if res is not None and res.complete:
            return self  # Node's _ended: nothing to time out any more
        validate_number(msecs, "msecs", 0)
        self._timeout_armed = True
        if callback is not None:
            self.once("timeout", callback)
        if self.socket is not None:
            _set_socket_timeout(self.socket, msecs)
        else:
            self.once("socket", lambda sock: _set_socket_timeout(sock, msecs))
        return self

    def set_no_delay(self, no_delay: bool = True) -> None:
        """Node's ``request.setNoDelay()`` (applied once a socket is assigned)."""
        if self.socket is not None:
            self.socket.set_no_delay(no_delay)
        else:
            self.once("socket", lambda s: s.set_no_delay(no_delay))

    def set_socket_keep_alive(self, enable: bool = False, initial_delay: int = 0) -> None:
        """Node's ``request.setSocketKeepAlive()``."""
        if self.socket is not None:
            self.socket.set_keep_alive(enable, initial_delay)
        else:
            self.once("socket", lambda s: s.set_keep_alive(enable, initial_delay))

    def destroy(self, error: BaseException | None = None) -> ClientRequest:
        """Node's ``request.destroy([error])``: ``'error'`` (``socket hang up``), ``'close'``."""
        if self.destroyed and (self._closed or self._error_emitted):
            return self
        self.destroyed = True
        sock = self.socket
        if self.res is not None and self.res.complete:
            return self  # the socket went back to the pool; leave it alone
        if sock is not None:
            if error is not None or self.res is None:
                self._emit_error(error or errors.conn_reset("socket hang up"))
            sock.destroy()
        else:
            if isinstance(self.agent, Agent):
                self.agent.cancel_request(self)
            self._loop.call_soon(self._destroy_unassigned, error)
        return self

    def _destroy_unassigned(self, error: BaseException | None) -> None:
        if not self.aborted:
            self._emit_error(error or errors.conn_reset("socket hang up"))
        self._emit_close()

    def abort(self) -> None:
        """Node's deprecated ``request.abort()``: ``'abort'`` then ``'close'``, no error."""
        if self.aborted:
            return
        self.aborted = True
        self._loop.call_soon(self.emit, "abort")
        self.destroy()

    # -- awaitable form (SPEC §4) ------------------------------------------------------------
    def __await__(self) -> Generator[Any, None, IncomingMessage]:
        """``res = await req``: the response (``'response'``), or what ``'error'`` emits."""
        return self._response().__await__()

    async def _response(self) -> IncomingMessage:
        self._awaited = True
        hold, self._hold = self._hold, None
        if hold is not None:  # the held response: we own the socket in full again
            hold.release()
            if self._parser is not None and self.socket is not None:
                for event, listener in self._socket_listeners():
                    self.socket.on(event, listener)
        if self._kept_error is not None:
            self._error_report.detach()
            raise self._kept_error
        if self.res is not None:
            return self.res
        fut = self._loop.create_future()

        def on_response(res: IncomingMessage) -> None:
            if not fut.done():
                fut.set_result(res)

        def on_error(err: BaseException) -> None:
            if not fut.done():
                fut.set_exception(err)

        self.once("response", on_response)
        self.once("error", on_error)
        try:
            result: IncomingMessage = await fut
            return result
        except asyncio.CancelledError:
            self.destroy()  # the awaiting task was cancelled: Python's way to abort
            raise
        finally:
            self.remove_listener("response", on_response)
            self.remove_listener("error", on_error)


# The socket's events and the request's listeners for them.
_SOCKET_EVENTS = (
    ("data", "_on_socket_data"),
    ("end", "_on_socket_end"),
    ("close", "_on_socket_close"),
    ("error", "_on_socket_error"),
    ("drain", "_on_socket_drain"),
    ("timeout", "_on_socket_timeout"),
)


def _set_socket_timeout(sock: Any, msecs: float) -> None:
    """Node's ``setSocketTimeout``: on a socket still connecting, at ``'connect'``."""
    if getattr(sock, "connecting", False):
        sock.once("connect", lambda *_: sock.set_timeout(msecs))
    else:
        sock.set_timeout(msecs)


@mypyc_attr(native_class=False)
class _Info(dict[str, Any]):
    """The ``'information'`` event's argument: Node's keys and snake_case attributes."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None
