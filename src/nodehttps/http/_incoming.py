"""Node's ``http.IncomingMessage``: a request on the server, a response on the client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mypy_extensions import mypyc_attr

from .._proto.h1events import Head
from .._proto.headers import headers_distinct_from_raw, headers_from_raw
from .._stream import Readable

__all__ = ["IncomingMessage"]


@mypyc_attr(allow_interpreted_subclasses=True)
class IncomingMessage(Readable):
    """Node's ``http.IncomingMessage``: head fields, and the body as a readable stream.

    ``headers`` is a plain dict of lower-cased names joined by Node's rules (built on
    first access from ``raw_headers``); ``trailers`` likewise after ``'end'``.
    """

    method: str | None = None
    url: str | None = ""
    status_code: int | None = None
    status_message: str | None = None
    http_version = "1.1"
    http_version_major = 1
    http_version_minor = 1
    complete = False
    aborted = False
    upgrade = False
    _header_pairs: int | None = None  # lines of raw_headers that make headers (Node's n)
    _headers: dict[str, Any] | None = None
    _trailers: dict[str, Any] | None = None
    _consuming = False
    _dump_on_complete = False
    # As Node's (its stream starts "sync"): the first body chunk reaches 'data' on a later
    # loop turn, so a parse error in the same read is reported before it.
    _sync = True
    req: Any = None  # a client's response: its ClientRequest (Node's ``res.req``)

    def __init__(self, socket: Any) -> None:
        super().__init__(getattr(socket, "_loop", None))
        self.socket = socket
        self.raw_headers: list[str] = []
        self.raw_trailers: list[str] = []
        self._on_dump: Callable[[], None] | None = None
        # The client's keep-alive socket, once this response is over: called once with
        # (True, None) after every 'end' listener ran (Node's nextTick), or with
        # (False, error) when the response is destroyed before that.
        self._release_socket: Callable[[bool, BaseException | None], None] | None = None

    def _set_head(self, head: Head) -> None:
        """The parsed head's fields (a request or response head from ``_proto``)."""
        self.http_version = head.http_version
        self.http_version_major, self.http_version_minor = head.http_major, head.http_minor
        self.raw_headers = head.raw_headers
        self._header_pairs = head.header_pairs

    @property
    def connection(self) -> Any:
        """Node's deprecated alias of ``socket``."""
        return self.socket

    @property
    def headers(self) -> dict[str, Any]:
        """Node's ``message.headers``: lower-cased names, duplicates joined as Node joins."""
        if self._headers is None:
            self._headers = headers_from_raw(self.raw_headers, self._header_pairs)
        return self._headers

    @headers.setter
    def headers(self, value: dict[str, Any]) -> None:
        self._headers = value

    @property
    def headers_distinct(self) -> dict[str, list[str]]:
        """Node's ``message.headersDistinct``: every value a list."""
        return headers_distinct_from_raw(self.raw_headers, self._header_pairs)

    @property
    def trailers(self) -> dict[str, Any]:
        """Node's ``message.trailers`` (filled at ``'end'``)."""
        if self._trailers is None:
            self._trailers = headers_from_raw(self.raw_trailers, None)
        return self._trailers

    @property
    def trailers_distinct(self) -> dict[str, list[str]]:
        """Node's ``message.trailersDistinct``."""
        return headers_distinct_from_raw(self.raw_trailers, None)

    def set_timeout(
        self, msecs: float, callback: Callable[..., Any] | None = None
    ) -> IncomingMessage:
        """Node's ``message.setTimeout()``: the socket's idle timeout, ``'timeout'`` here
        (``callback`` listens to every one, as Node's ``on``)."""
        if callback is not None:
            self.on("timeout", callback)
        if self.socket is not None:
            self.socket.set_timeout(msecs)
        return self

    # The socket is the source: pausing the message pauses reading from it.
    def _pause_source(self) -> None:
        sock = self.socket
        if sock is not None and not self.complete:
            sock._pause_source()

    def _resume_source(self) -> None:
        sock = self.socket
        if sock is not None:
            sock._resume_source()

    def _dump(self) -> None:
        """Node's ``_dump``: nobody will read the body; drop it and keep the socket moving."""
        if self.complete and not self._buffer and not self._consuming and not self._events:
            # Nothing to read and nobody listening: end quietly, without loop turns.
            self._consuming = True
            self.readable_ended = self._end_emitted = self.destroyed = True
            return
        if not self._consuming and not self.readable_ended:
            self._consuming = True
            self.remove_all_listeners("data")
            self.on("data", _drop)
            self.resume()

    def _add(self, event: str, listener: Callable[..., Any], prepend: bool) -> None:
        if event in ("data", "readable"):
            self._consuming = True
        super()._add(event, listener, prepend)

    def resume(self) -> IncomingMessage:
        self._consuming = True
        super().resume()
        return self

    def _take_release(self) -> Callable[[bool, BaseException | None], None] | None:
        release, self._release_socket = self._release_socket, None
        return release

    def _after_end(self) -> None:
        # Node's autoDestroy: 'close' follows 'end' (and comes before the request's).
        if not self.destroyed:
            self.destroyed = True
            self._loop.call_soon(self._emit_close_safe)
        release = self._take_release()
        if release is not None:
            release(True, None)

    def _emit_close_safe(self) -> None:
        self._close_emitted = True
        self.emit("close")

    def destroy(self, error: BaseException | None = None) -> IncomingMessage:
        """Node's ``message.destroy([error])``: before ``'end'`` (or before the whole body
        came) the message is aborted and takes its socket down with it."""
        if self.destroyed:
            return self
        if not self.readable_ended or not self.complete:
            if not self.aborted:
                self.aborted = True
                self.emit("aborted")
            # A complete keep-alive response: its request no longer listens to the socket
            # and hears of this (and of ``error``) through the release hook instead.
            release = self._take_release()
            sock = self.socket
            if sock is not None and not sock.destroyed:
                sock.destroy(error if release is None else None)
            if release is not None:
                release(False, error)
        if error is not None and not self.listener_count("error"):
            error = None  # Node's onError: a message emits 'error' only to its listeners
        super().destroy(error)
        return self


def _drop(_chunk: Any) -> None:
    return None
