"""Node's ``OutgoingMessage``: the header map and the body writer shared by
``ServerResponse`` and ``ClientRequest``.

Theory of operation
-------------------
Headers live in ``_header_map`` (lower-cased name -> ``[name as given, value]``) until
the head is built, once, by :meth:`OutgoingMessage._store_header`, which hands them to
the sans-IO :func:`~nodehttps._proto.h1write.build_head` (Node's ``_storeHeader``): it
renders the head and decides framing and keep-alive; the message only records the
plan. The head is not written on its own: it waits in ``_head`` and goes out joined
with the first body bytes, so ``res.end(body)`` is one transport write. ``end(data)``
before any write makes the length known, so a small response gets ``Content-Length``
instead of chunks, as Node.

Output goes to ``_write_out(data)``; a subclass attaches the message to a socket (or,
for pipelined responses, holds the bytes until the earlier responses are done).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mypy_extensions import mypyc_attr

from .. import errors
from .._proto.h1write import LAST_CHUNK, MessageShape, build_head, chunk_frame, header_lines
from .._proto.headers import validate_header_name, validate_header_value
from .._stream import to_bytes as _to_bytes
from ..events import EventEmitter

__all__ = ["OutgoingMessage"]

# Up to this size a body is joined with its head (or chunk frame) into one write;
# beyond it, the bytes are handed on as they are (a copy would double the memory of a
# big response waiting for a slow reader).
_JOIN_LIMIT = 16384


def to_bytes(chunk: Any, encoding: str | None = None) -> bytes:
    """A body chunk as bytes: the stream's rules, with http's words for the types."""
    return _to_bytes(chunk, encoding, ("string", "Buffer", "Uint8Array"))


@mypyc_attr(allow_interpreted_subclasses=True)
class OutgoingMessage(EventEmitter):
    """Node's ``http.OutgoingMessage``: headers, ``write``/``end``, chunked framing."""

    # Defaults at class level: only what a message changes is stored on it.
    _head: bytes | None = None  # built, waiting for the first body bytes
    headers_sent = False  # Node: headersSent (head built)
    chunked_encoding = False
    should_keep_alive = True
    send_date = False
    strict_content_length = False
    finished = False  # end() called (Node's writableEnded)
    writable_finished = False
    destroyed = False
    _trailer = b""
    _last = False  # the connection ends with this message (the head plan says so)
    _written = 0
    socket: Any = None

    def __init__(self) -> None:
        self._events = {}
        self._header_map: dict[str, list[Any]] = {}
        self._shape = MessageShape()  # what the head builder needs besides the headers

    # -- headers -------------------------------------------------------------------------
    def set_header(self, name: Any, value: Any) -> OutgoingMessage:
        """Node's ``setHeader(name, value)``; returns the message."""
        if self.headers_sent:
            raise errors.ERR_HTTP_HEADERS_SENT(
                "Cannot set headers after they are sent to the client"
            )
        validate_header_name(name)
        validate_header_value(name, value)
        if isinstance(value, tuple):
            value = list(value)
        self._header_map[name.lower()] = [name, value]
        return self

    def set_headers(self, headers: Mapping[str, Any]) -> OutgoingMessage:
        """Node's ``setHeaders(headers)``."""
        for name, value in headers.items():
            self.set_header(name, value)
        return self

    def append_header(self, name: Any, value: Any) -> OutgoingMessage:
        """Node's ``appendHeader(name, value)``: adds to any existing value."""
        if self.headers_sent:
            raise errors.ERR_HTTP_HEADERS_SENT(
                "Cannot append headers after they are sent to the client"
            )
        validate_header_name(name)
        validate_header_value(name, value)
        key = name.lower()
        entry = self._header_map.get(key)
        new = list(value) if isinstance(value, list | tuple) else [value]
        if entry is None:
            self._header_map[key] = [name, new if len(new) > 1 else new[0]]
        else:
            old = entry[1] if isinstance(entry[1], list) else [entry[1]]
            entry[1] = old + new
        return self

    def get_header(self, name: Any) -> Any:
        """Node's ``getHeader(name)``; ``None`` when unset."""
        if not isinstance(name, str):
            raise errors.invalid_arg_type("name", "string", name)
        entry = self._header_map.get(name.lower())
        return None if entry is None else entry[1]

    def get_headers(self) -> dict[str, Any]:
        """Node's ``getHeaders()``: lower-cased names."""
        return {key: entry[1] for key, entry in self._header_map.items()}

    def get_header_names(self) -> list[str]:
        """Node's ``getHeaderNames()``."""
        return list(self._header_map)

    def get_raw_header_names(self) -> list[str]:
        """Node's ``getRawHeaderNames()``."""
        return [entry[0] for entry in self._header_map.values()]

    def has_header(self, name: Any) -> bool:
        """Node's ``hasHeader(name)``."""
        return name.lower() in self._header_map

    def remove_header(self, name: Any) -> None:
        """Node's ``removeHeader(name)``."""
        if self.headers_sent:
            raise errors.ERR_HTTP_HEADERS_SENT(
                "Cannot remove headers after they are sent to the client"
            )
        key = name.lower()
        self._header_map.pop(key, None)
        self._shape.removed = self._shape.removed | {key}

    # -- the head ------------------------------------------------------------------------
    def _first_line(self) -> str:
        raise NotImplementedError

    def _store_header(self, extra: Iterable[tuple[str, Any]] | None = None) -> None:
        """Build the head once (Node's ``_storeHeader``); it goes out with the first bytes."""
        pairs: Iterable[tuple[str, Any]] = (
            extra
            if extra is not None
            else ((entry[0], entry[1]) for entry in self._header_map.values())
        )
        shape = self._shape
        shape.send_date = self.send_date
        shape.keep_alive = self.should_keep_alive
        shape.has_trailer = bool(self._trailer)
        plan = build_head(self._first_line(), pairs, shape, self._keep_alive_lines)
        self._head = plan.data
        self.chunked_encoding = plan.chunked
        self.should_keep_alive = plan.keep_alive
        self._last = plan.last
        self.headers_sent = True

    def _keep_alive_lines(self, default_hint: bool) -> str:
        """The ``Connection`` lines of a message that keeps its connection."""
        return "Connection: keep-alive\r\n"

    # -- body ----------------------------------------------------------------------------
    def _write_out(self, data: bytes) -> bool:
        """Send bytes towards the socket; False under back-pressure."""
        raise NotImplementedError

    def _implicit_header(self) -> None:
        self._store_header()

    def write(
        self,
        chunk: Any,
        encoding: str | Callable[..., Any] | None = None,
        callback: Callable[..., Any] | None = None,
    ) -> bool:
        """Node's ``write(chunk[, encoding][, callback])``: False under back-pressure."""
        if callable(encoding):
            callback, encoding = encoding, None
        if self.finished:
            err = errors.ERR_STREAM_WRITE_AFTER_END()
            self._defer(self._write_after_end, err, callback)
            return True
        if self.destroyed:
            err2 = errors.ERR_STREAM_DESTROYED("Cannot call write after a stream was destroyed")
            self._defer(self._write_after_end, err2, callback)
            return False
        data = to_bytes(chunk, encoding if isinstance(encoding, str) else None)
        if not self.headers_sent:
            self._implicit_header()
        ok = self._send_body(data)
        if callback is not None:
            self._defer(callback, None)
        return ok

    def _send_body(self, data: bytes) -> bool:
        if not self._shape.has_body:
            return self._flush_head()
        if not data:
            return self._flush_head() if self._head is not None else True
        self._written += len(data)
        if self.strict_content_length:
            self._check_length(self._written, final=False)
        head = self._head or b""
        self._head = None
        if len(data) > _JOIN_LIMIT:  # a big body is written as it is, never copied
            if self.chunked_encoding:
                return self._write_parts(head + b"%x\r\n" % len(data), data, b"\r\n")
            return self._write_parts(head, data)
        if self.chunked_encoding:
            data = chunk_frame(data)
        return self._write_out(head + data if head else data)

    def _write_parts(self, *parts: bytes) -> bool:
        """Write ``parts`` in order, each on its own (empty ones skipped)."""
        ok = True
        for part in parts:
            if part:
                ok = self._write_out(part)
        return ok

    def _flush_head(self) -> bool:
        head = self._head
        if head is None:
            return True
        self._head = None
        return self._write_out(head)

    def _check_length(self, written: int, final: bool) -> None:
        declared = self.get_header("content-length")
        if declared is None:
            return
        want = int(declared)
        if written > want or (final and written != want):
            raise errors.ERR_HTTP_CONTENT_LENGTH_MISMATCH(
                f"Response body's content-length of {written} byte(s) does not match the "
                f"content-length of {want} byte(s) set in header"
            )

    def _write_after_end(self, err: BaseException, callback: Callable[..., Any] | None) -> None:
        if callback is not None:
            callback(err)
        self.emit("error", err)

    def _defer(self, fn: Callable[..., Any], *args: Any) -> None:
        raise NotImplementedError

    def end(
        self,
        chunk: Any = None,
        encoding: str | Callable[..., Any] | None = None,
        callback: Callable[..., Any] | None = None,
    ) -> OutgoingMessage:
        """Node's ``end([chunk][, encoding][, callback])``."""
        if callable(chunk):
            callback, chunk = chunk, None
        elif callable(encoding):
            callback, encoding = encoding, None
        if self.finished:
            if callback is not None:
                self._defer(
                    callback,
                    errors.ERR_STREAM_ALREADY_FINISHED(
                        "Cannot call end after a stream was finished"
                    ),
                )
            return self
        data = (
            b""
            if chunk is None
            else to_bytes(chunk, encoding if isinstance(encoding, str) else None)
        )
        if not self.headers_sent:
            self._shape.content_length = len(data) if self._shape.has_body else 0
            self._implicit_header()
        if callback is not None:
            self.once("finish", callback)
        self.finished = True
        if self.strict_content_length:
            self._check_length(self._written + len(data), final=True)
        if self.chunked_encoding and self._shape.has_body:
            end = LAST_CHUNK + self._trailer + b"\r\n"
            if len(data) > _JOIN_LIMIT:
                self._send_body(data)
                data = b""
            tail = (chunk_frame(data) if data else b"") + end
            self._written += len(data)
            head = self._head or b""
            self._head = None
            self._write_out(head + tail)
        elif data and self._shape.has_body:
            self._send_body(data)
        else:
            self._flush_head()
        self._finish_output()
        return self

    def _finish_output(self) -> None:
        """All bytes were handed over: emit ``'finish'`` (subclasses add their bookkeeping)."""
        raise NotImplementedError

    def add_trailers(self, headers: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
        """Node's ``addTrailers(headers)`` (sent only with chunked encoding)."""
        items = headers.items() if isinstance(headers, Mapping) else headers
        out = []
        for name, value in items:
            validate_header_name(name, "Trailer name")
            if value is not None:  # Node writes it as text without a check
                validate_header_value(name, value, "trailer content")
            out.append((name, value))
        self._trailer = header_lines(out).encode("latin-1")

    def flush_headers(self) -> None:
        """Node's ``flushHeaders()``: send the head now."""
        if not self.headers_sent:
            self._implicit_header()
        self._flush_head()

    @property
    def writable_ended(self) -> bool:
        """Node's ``writableEnded``."""
        return self.finished

    @property
    def header_sent(self) -> bool:
        """Node's deprecated ``headerSent``: same as ``headers_sent``."""
        return self.headers_sent

    @property
    def connection(self) -> Any:
        """Node's deprecated alias of ``socket``."""
        return self.socket
