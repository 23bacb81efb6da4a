"""Node's ``http.ServerResponse``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from mypy_extensions import mypyc_attr

from .. import errors
from .._proto.headers import CHUNKED, STATUS_CODES, validate_header_name, validate_header_value
from ._outgoing import OutgoingMessage

if TYPE_CHECKING:
    from .._proto.h1parse import RequestHead
    from ._connection import Connection
    from ._incoming import IncomingMessage

__all__ = ["ServerResponse"]

# Node's status lines, made once: "HTTP/1.1 200 OK\r\n" ...
_STATUS_LINES = {code: f"HTTP/1.1 {code} {text}\r\n" for code, text in STATUS_CODES.items()}

# Node's linkValueRegExp (used with fullmatch); its =(")?...\1 is spelt as two alternatives.
_LINK_VALUE = re.compile(r'<[^>]*>(?:\s*;\s*[^;"\s]+(?:="[^;"\s]*"|=[^;"\s]*)?)*')
_LINK_FORMAT = 'must be an array or string of format "</styles.css>; rel=preload; as=style"'


@mypyc_attr(allow_interpreted_subclasses=True)
class ServerResponse(OutgoingMessage):
    """Node's ``http.ServerResponse``: ``write_head``, ``status_code``, ``'finish'``..."""

    status_code = 200
    status_message: str | None = None
    send_date = True
    _attached = False
    _pending: tuple[bytes, ...] = ()  # bytes held back until earlier responses are done
    _need_drain = False
    _request_head: RequestHead | None = None  # the head this answers (its verdicts)
    _expect_continue = False  # the request said "Expect: 100-continue"
    _sent100 = False

    def __init__(self, req: IncomingMessage, conn: Connection | None = None) -> None:
        super().__init__()
        self.req = req
        self._conn = conn
        if req.method == "HEAD":
            self._shape.has_body = False
        # Node's test, minor version alone included: "HTTP/2.0" is answered as 1.0 is
        if req.http_version_major < 1 or req.http_version_minor < 1:
            te = req.headers.get("te")
            self._shape.chunked_by_default = bool(te and CHUNKED.search(te))
        if conn is not None:
            self.socket = conn.socket

    # -- head ----------------------------------------------------------------------------
    def _first_line(self) -> str:
        status = self.status_code
        message = self.status_message
        if message is None:
            line = _STATUS_LINES.get(status)
            if line is not None:
                self.status_message = STATUS_CODES[status]
                return line
            message = self.status_message = STATUS_CODES.get(status, "unknown")
        return f"HTTP/1.1 {status} {message}\r\n"

    def _keep_alive_lines(self, default_hint: bool) -> str:
        conn = self._conn
        if conn is None:
            return "Connection: keep-alive\r\n"
        return conn.proto.keep_alive_lines(default_hint)

    def _implicit_header(self) -> None:
        self.write_head(self.status_code)

    def write_head(
        self,
        status_code: int,
        status_message: Any = None,
        headers: Mapping[str, Any] | Iterable[Any] | None = None,
    ) -> ServerResponse:
        """Node's ``writeHead(statusCode[, statusMessage][, headers])``.

        ``headers`` may be a dict, a flat raw list ``[name, value, name, value]`` or a
        list of pairs; header names already set with ``set_header`` are merged.
        """
        if self.headers_sent:
            raise errors.ERR_HTTP_HEADERS_SENT(
                "Cannot write headers after they are sent to the client"
            )
        if status_message is not None and not isinstance(status_message, str):
            headers, status_message = status_message, None
        if (
            isinstance(status_code, bool)
            or not isinstance(status_code, int)
            or not 100 <= status_code <= 999
        ):
            raise errors.ERR_HTTP_INVALID_STATUS_CODE(f"Invalid status code: {status_code}")
        if status_message is not None:
            if any(c in status_message for c in "\r\n"):
                raise errors.ERR_INVALID_CHAR("Invalid character in statusMessage")
            self.status_message = status_message
        self.status_code = status_code
        if status_code in (204, 304) or 100 <= status_code < 200:
            self._shape.has_body = False
        if self._expect_continue and not self._sent100:
            # Node: a final status without 100 Continue - the body may still be on the wire.
            self.should_keep_alive = False
        pairs: list[tuple[str, Any]] | None = None
        if headers is not None:
            if isinstance(headers, Mapping):
                for name, value in headers.items():
                    if value is not None:
                        self.set_header(name, value)
            else:
                items = list(headers)
                if items and not isinstance(items[0], list | tuple):
                    if len(items) % 2:
                        raise errors.invalid_arg_value("headers", items)
                    items = [(items[i], items[i + 1]) for i in range(0, len(items), 2)]
                if self._header_map:
                    for name, value in items:
                        self.set_header(name, value)
                else:
                    pairs = []
                    for name, value in items:
                        validate_header_name(name)
                        validate_header_value(name, value)
                        pairs.append((name, value))
        self._store_header(pairs)
        return self

    def write_header(
        self,
        status_code: int,
        status_message: Any = None,
        headers: Mapping[str, Any] | Iterable[Any] | None = None,
    ) -> ServerResponse:
        """Node's ``writeHeader``: an alias of ``write_head``."""
        return self.write_head(status_code, status_message, headers)

    # -- output --------------------------------------------------------------------------
    def _write_out(self, data: bytes) -> bool:
        if not self._attached:
            self._pending += (data,)
            if self._conn is not None:  # Node's outgoingData: counts toward back-pressure
                self._conn.outgoing_pending += len(data)
            return False
        sock = self.socket
        if sock is None or sock.destroyed:
            return False
        ok: bool = sock.write(data)
        if not ok:
            self._need_drain = True
        return ok

    def _attach(self) -> None:
        """This response is now first in line on its connection: flush what waited."""
        self._attached = True
        pending, self._pending = self._pending, ()
        if pending:
            data = b"".join(pending)
            if self._conn is not None:
                self._conn.outgoing_pending -= len(data)
            self.socket.write(data)
        if self._need_drain or pending:
            self._need_drain = False
            self.emit("drain")
        if self.finished and not self.writable_finished:
            self._finish_output()

    def _defer(self, fn: Callable[..., Any], *args: Any) -> None:
        self.req._loop.call_soon(fn, *args)

    def _finish_output(self) -> None:
        if not self._attached:
            return
        self.writable_finished = True
        conn = self._conn
        self.req._loop.call_soon(self._emit_finish)
        if conn is not None:
            conn.response_done(self)

    def _emit_finish(self) -> None:
        self.emit("finish")
        self.emit("close")

    def _on_socket_drain(self) -> None:
        if self._need_drain:
            self._need_drain = False
            self.emit("drain")

    # -- informational responses ---------------------------------------------------------
    def _send_informational(self, data: bytes) -> None:
        if self._attached and self.socket is not None:
            self.socket.write(data)
        else:
            self._write_out(data)

    def write_continue(self, callback: Callable[..., Any] | None = None) -> None:
        """Node's ``writeContinue()``: ``HTTP/1.1 100 Continue``."""
        self._send_informational(b"HTTP/1.1 100 Continue\r\n\r\n")
        self._sent100 = True
        if callback is not None:
            self._defer(callback)

    def write_processing(self, callback: Callable[..., Any] | None = None) -> None:
        """Node's ``writeProcessing()``: ``HTTP/1.1 102 Processing``."""
        self._send_informational(b"HTTP/1.1 102 Processing\r\n\r\n")
        if callback is not None:
            self._defer(callback)

    def write_early_hints(
        self, hints: Mapping[str, Any], callback: Callable[..., Any] | None = None
    ) -> None:
        """Node's ``writeEarlyHints(hints)``: ``HTTP/1.1 103 Early Hints`` with ``Link`` first;
        nothing is sent (and ``callback`` not called) without a ``link`` hint, as Node."""
        if not isinstance(hints, Mapping):
            raise errors.invalid_arg_type("hints", "object", hints)
        link = hints.get("link")
        if link is None:
            return
        links = (
            [link] if isinstance(link, str) else link if isinstance(link, list | tuple) else None
        )
        for value in links if links is not None else [link]:
            if not isinstance(value, str) or not _LINK_VALUE.fullmatch(value):
                raise errors.invalid_arg_value("hints", value, _LINK_FORMAT)
        if not links:
            return
        lines = ["HTTP/1.1 103 Early Hints\r\n", f"Link: {', '.join(links)}\r\n"]
        for name, value in hints.items():
            if name != "link":
                # Unlike Node, names and values are checked: no header injection here.
                validate_header_name(name)
                validate_header_value(name, value)
                text = ",".join(map(str, value)) if isinstance(value, list | tuple) else value
                lines.append(f"{name}: {text}\r\n")
        lines.append("\r\n")
        self._send_informational("".join(lines).encode("latin-1"))
        if callback is not None:
            self._defer(callback)

    def set_timeout(
        self, msecs: float, callback: Callable[..., Any] | None = None
    ) -> ServerResponse:
        """Node's ``response.setTimeout()``: ``'timeout'`` on the response (``on``, as Node)."""
        if callback is not None:
            self.on("timeout", callback)
        if self.socket is not None:
            self.socket.set_timeout(msecs)
        return self

    def destroy(self, error: BaseException | None = None) -> ServerResponse:
        """Node's ``response.destroy()``: destroys the socket."""
        if not self.destroyed:
            self.destroyed = True
            if self.socket is not None:
                self.socket.destroy(error)
        return self
