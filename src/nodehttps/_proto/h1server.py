"""The server side of one HTTP/1 connection, sans-IO (Node's ``parserOnIncoming``).

Theory of operation
-------------------
:class:`ServerConnection` takes the bytes a client sends (:meth:`receive_data`,
:meth:`receive_eof`) and hands out events one at a time (:meth:`next_event`): each
:class:`~.h1parse.RequestHead` carries the connection's verdict on it, then its body
pieces and end, or a :class:`~.h1parse.Failure`. It owns every decision about the
connection, in one place, as Node makes them:

* which requests are served: a second ``Host`` header fails the connection (SPEC §9:
  RFC 9112 says 400, Node accepts it); an HTTP/1.1 request without ``Host`` is answered
  ``400`` (``verdict``); past ``max_requests_per_socket`` requests are answered ``503``,
  and the last allowed one closes the connection (``last``); ``Expect`` is classified;
* pipelining: requests are parsed as they come, but a new request is handed out only
  while the connection's unsent output is under its high-water mark (the caller says
  so: ``output_blocked``); until then the events wait here and the caller stops reading;
* what follows the end of the conversation: bytes after a request that said
  ``Connection: close`` are ignored (SPEC §9), and a failure after complete requests is
  reported behind them (``Failure`` after their events, so their answers go first);
* the keep-alive and close decision of every response (:meth:`keep_alive_lines`,
  :meth:`response_done`), from the request, the server's limits and what the response
  said;
* the clock of a request in progress for ``headers_timeout``/``request_timeout``
  (``in_request``, ``headers_done``: the caller's timer reads them).

Responses queue in ``responses`` in request order; only the first is on the wire.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from enum import IntEnum
from typing import Generic, TypeVar

from .h1parse import End, Event, Failure, RequestHead, RequestParser, parse_error

__all__ = ["Next", "ServerConnection", "Verdict"]

# Node's continueExpression: ``Expect`` asks for ``100-continue``.
_CONTINUE = re.compile(r"(?:^|\W)100-continue(?:$|\W)", re.IGNORECASE)

R = TypeVar("R")


class Verdict(IntEnum):
    """What the connection decided about a request head."""

    SERVE = 0
    NO_HOST = 400  # HTTP/1.1 without Host: Node answers 400 through a response
    OVER_LIMIT = 503  # past max_requests_per_socket: 503, and 'dropRequest'
    UPGRADE = 101  # the connection becomes the upgrade's (CONNECT, or a wanted Upgrade)


class Next(IntEnum):
    """What the connection does once a response handed over its last byte."""

    IDLE = 0  # nothing in flight: the keep-alive timeout runs
    ATTACH = 1  # the next pipelined response goes on the wire
    CLOSE = 2  # this response ended the conversation
    CLOSE_AFTER_TICK = 3  # the last allowed request: 503s pipelined behind it go first


class ServerConnection(Generic[R]):
    """One HTTP/1 server connection's protocol state (``R``: the caller's response)."""

    __slots__ = (
        "_events",
        "_failed",
        "_first",
        "_fresh",
        "_hint_lines",
        "_last_complete",
        "_max_requests",
        "_require_host",
        "closing",
        "keep_alive_timeout",
        "parser",
        "requests_seen",
        "responses",
    )

    def __init__(
        self,
        *,
        max_header_size: int = 16384,
        max_header_pairs: int = 2000,
        insecure: bool = False,
        upgrade_wanted: Callable[[str], bool] | None = None,
        require_host: bool = True,
        max_requests: int = 0,
        keep_alive_timeout: float = 5000,
    ) -> None:
        self.parser = RequestParser(max_header_size, max_header_pairs, insecure, upgrade_wanted)
        self._require_host = require_host
        self._max_requests = max_requests
        self.keep_alive_timeout = keep_alive_timeout
        # the parsed events not yet taken: a list read from ``_first`` (deque operations
        # are generic calls in the compiled build; the list is emptied once read through)
        self._events: list[Event] = []
        self._first = 0
        self._last_complete = True  # no request in progress (the next bytes start one)
        self._failed = False
        self.responses: deque[R] = deque()
        self.requests_seen = 0
        self.closing = False
        # Node's parser is active from the connection on: a client that sends nothing
        # is subject to headers_timeout too (and is not idle for closeIdleConnections).
        self._fresh = True
        self._hint_lines: str | None = None  # the Keep-Alive lines, made once

    # -- input ---------------------------------------------------------------------------
    def receive_data(self, data: bytes) -> None:
        """Bytes from the client; their events wait for :meth:`next_event`."""
        if self.closing:
            return
        self._fresh = False
        for event in self.parser.feed(data):
            self._queue(event)

    def receive_eof(self) -> None:
        """The client ended its side; a request cut short fails (Node's
        ``Invalid EOF state``: ``400``)."""
        for event in self.parser.feed_eof():
            self._queue(event)

    def _queue(self, event: Event) -> None:
        if self._failed:
            return  # the connection failed: nothing after that counts
        kind = type(event)
        if kind is RequestHead:
            if not self._judge(event):  # type: ignore[arg-type]
                return
        elif kind is End:
            self._last_complete = True
        elif kind is Failure:
            if self._ignorable(event):  # type: ignore[arg-type]
                return
            self._failed = self.closing = True
        self._events.append(event)

    def _ignorable(self, failure: Failure) -> bool:
        """Bytes after a request that ended the conversation are ignored (SPEC §9)."""
        return failure.error.code == "HPE_CLOSED_CONNECTION" and self._last_complete

    def _judge(self, head: RequestHead) -> bool:
        """Decide about ``head``; False if it fails the connection instead."""
        self._last_complete = False
        if head.host_count > 1:  # SPEC §9: RFC 9112 says 400; Node accepts it
            self.parser.dead = True
            self._queue(Failure(parse_error("HPE_INVALID_HEADER_TOKEN", "Duplicate Host header")))
            return False
        http11 = head.http_major == 1 and head.http_minor == 1
        if head.upgrade:
            head.verdict = Verdict.UPGRADE
        elif http11 and self._require_host and not head.host_count:
            head.verdict = Verdict.NO_HOST
        elif http11 and self._max_requests:
            self.requests_seen += 1
            head.last = self.requests_seen >= self._max_requests
            if self.requests_seen > self._max_requests:
                head.verdict = Verdict.OVER_LIMIT
        if http11 and head.expect is not None:
            head.expect_continue = bool(_CONTINUE.search(head.expect))
            head.expect_failed = not head.expect_continue
        return True

    # -- output to the caller ---------------------------------------------------------------
    def next_event(self, output_blocked: bool = False) -> Event | None:
        """The next event, or None: nothing parsed yet, or a new request waits until
        the connection's output is no longer ``output_blocked`` (Node stops reading a
        connection whose unsent output is above its high-water mark)."""
        events = self._events
        first = self._first
        if first >= len(events):
            return None
        event = events[first]
        if output_blocked and type(event) is RequestHead:
            return None
        first += 1
        if first == len(events):
            events.clear()
            first = 0
        elif first > 64 and 2 * first > len(events):
            del events[:first]  # a long pipeline: keep the list from growing
            first = 0
        self._first = first
        return event

    @property
    def in_request(self) -> bool:
        """A request is arriving (Node's active connection: its clock runs)."""
        return self._fresh or self.parser.in_message

    @property
    def headers_done(self) -> bool:
        """The arriving request's head is complete (only its body is timed now)."""
        return not self._fresh and not self.parser.in_head

    @property
    def held(self) -> bool:
        """Events are waiting (the caller should stop reading until it can take them)."""
        return self._first < len(self._events)

    # -- responses ----------------------------------------------------------------------
    def keep_alive_lines(self, default_hint: bool) -> str:
        """The ``Connection`` (and Node's ``Keep-Alive``) lines of a response that keeps
        the connection (``default_hint``: the user set no ``Keep-Alive`` of their own)."""
        if not (self.keep_alive_timeout and default_hint):
            return "Connection: keep-alive\r\n"
        lines = self._hint_lines
        if lines is None:
            timeout = int(self.keep_alive_timeout // 1000)
            limit = f", max={self._max_requests}" if self._max_requests > 0 else ""
            lines = f"Connection: keep-alive\r\nKeep-Alive: timeout={timeout}{limit}\r\n"
            self._hint_lines = lines
        return lines

    def response_done(self, response: R, keep_alive: bool, last_allowed: bool) -> Next:
        """``response`` handed its last byte over (``keep_alive``: its head let the
        connection live on): what the connection does now."""
        responses = self.responses
        if responses and responses[0] is response:
            responses.popleft()
        if last_allowed:
            return Next.CLOSE_AFTER_TICK
        if not keep_alive:
            self.closing = True
            return Next.CLOSE
        if responses:
            return Next.ATTACH
        return Next.IDLE

    @property
    def idle(self) -> bool:
        """No request in progress and no response in flight (Node's idle connection)."""
        return not self.in_request and not self.responses and not self.held
