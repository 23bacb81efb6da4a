"""HTTP/1 parsing around httptools (llhttp, Node's own parser), sans-IO.

Theory of operation
-------------------
:class:`RequestParser` (server side) and :class:`ResponseParser` (client side) own one
``httptools`` parser each and translate its callbacks into a few calls on an owner
object (the connection or the client request): a head when the header block is
complete, body chunks, the end of a message with its trailers, an upgrade with the
bytes that follow the head, or a parse error.

Errors carry Node's codes and messages: llhttp's reason becomes ``Parse Error: <reason>``
and the reason's llhttp error name (``HPE_*``) becomes ``.code``, with ``bytes_parsed``
and ``raw_packet`` as Node's ``'clientError'`` has them. The header-size limit is
Node's: the URL (or status text), header names and values are counted, and past
``max_header_size`` the message fails with ``HPE_HEADER_OVERFLOW``; raw bytes are also
bounded, so a header line that never ends cannot grow memory.

httptools has two gaps, each closed here: a response to ``HEAD`` (and a ``1xx``) has no
body, which llhttp only learns from its caller, so the parser is reset right after that
head (the bytes after the head block are fed again to a fresh parser); and a body that
ends at EOF is completed by :meth:`ResponseParser.feed_eof`.
"""

from __future__ import annotations

from typing import Any, Protocol

import httptools

from .. import errors

__all__ = ["RequestHead", "RequestParser", "ResponseHead", "ResponseParser", "client_error_reply"]

# llhttp's reasons -> its error names, as Node reports them in err.code.
_REASON_CODES = {
    "Invalid method encountered": "HPE_INVALID_METHOD",
    "Invalid header token": "HPE_INVALID_HEADER_TOKEN",
    "Invalid header value char": "HPE_INVALID_HEADER_TOKEN",
    "Invalid header field char": "HPE_INVALID_HEADER_TOKEN",
    "Unexpected whitespace after header value": "HPE_INVALID_HEADER_TOKEN",
    "Missing expected CR after header value": "HPE_CR_EXPECTED",
    "Missing expected LF after header value": "HPE_LF_EXPECTED",
    "Transfer-Encoding can't be present with Content-Length": "HPE_INVALID_TRANSFER_ENCODING",
    "Content-Length can't be present with Transfer-Encoding": "HPE_UNEXPECTED_CONTENT_LENGTH",
    "Request has invalid `Transfer-Encoding`": "HPE_INVALID_TRANSFER_ENCODING",
    "Response has invalid `Transfer-Encoding`": "HPE_INVALID_TRANSFER_ENCODING",
    "Duplicate Content-Length": "HPE_UNEXPECTED_CONTENT_LENGTH",
    "Invalid character in Content-Length": "HPE_INVALID_CONTENT_LENGTH",
    "Content-Length overflow": "HPE_INVALID_CONTENT_LENGTH",
    "Invalid character in chunk size": "HPE_INVALID_CHUNK_SIZE",
    "Chunk size overflow": "HPE_INVALID_CHUNK_SIZE",
    "Expected CRLF after version": "HPE_INVALID_VERSION",
    "Invalid HTTP version": "HPE_INVALID_VERSION",
    "Invalid status code": "HPE_INVALID_STATUS",
    "Invalid response status": "HPE_INVALID_STATUS",
    "Expected HTTP/": "HPE_INVALID_CONSTANT",
    "Expected LF after chunk data": "HPE_STRICT",
    "Expected LF after CR": "HPE_STRICT",
    "Data after `Connection: close`": "HPE_CLOSED_CONNECTION",
}


def _reason_code(reason: str) -> str:
    code = _REASON_CODES.get(reason)
    if code is not None:
        return code
    low = reason.lower()
    for words, name in (
        ("url", "HPE_INVALID_URL"),
        ("method", "HPE_INVALID_METHOD"),
        ("version", "HPE_INVALID_VERSION"),
        ("header", "HPE_INVALID_HEADER_TOKEN"),
        ("chunk", "HPE_INVALID_CHUNK_SIZE"),
        ("status", "HPE_INVALID_STATUS"),
        ("content-length", "HPE_INVALID_CONTENT_LENGTH"),
    ):
        if words in low:
            return name
    return "HPE_INVALID_CONSTANT"


def parse_error(
    code: str, reason: str, bytes_parsed: int = 0, raw: bytes = b""
) -> errors.NodeError:
    """A Node ``Parse Error`` with ``.code``, ``.reason``, ``.bytes_parsed``, ``.raw_packet``."""
    return errors.make(
        code, f"Parse Error: {reason}", reason=reason, bytes_parsed=bytes_parsed, raw_packet=raw
    )


_REPLIES = {
    "HPE_HEADER_OVERFLOW": b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n",
    "HPE_CHUNK_EXTENSIONS_OVERFLOW": b"HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n",
    "ERR_HTTP_REQUEST_TIMEOUT": b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n",
}
_BAD_REQUEST = b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"


def client_error_reply(err: BaseException) -> bytes:
    """The bytes Node's default ``'clientError'`` handler answers ``err`` with."""
    return _REPLIES.get(getattr(err, "code", ""), _BAD_REQUEST)


class _Head:
    """What request and response heads share."""

    __slots__ = (
        "http_major",
        "http_minor",
        "http_version",
        "raw_headers",
        "should_keep_alive",
        "upgrade",
    )

    def __init__(self) -> None:
        self.http_version = "1.1"
        self.http_major = 1
        self.http_minor = 1
        self.raw_headers: list[str] = []
        self.should_keep_alive = True
        self.upgrade = False


class RequestHead(_Head):
    """A request's head as the parser saw it."""

    __slots__ = ("expect", "host_count", "method", "url")

    def __init__(self) -> None:
        super().__init__()
        self.expect: str | None = None
        self.host_count = 0
        self.method = ""
        self.url = ""


class ResponseHead(_Head):
    """A response's head as the parser saw it."""

    __slots__ = ("status_code", "status_message")

    def __init__(self) -> None:
        super().__init__()
        self.status_code = 0
        self.status_message = ""


class RequestOwner(Protocol):
    def on_message_begin(self) -> None: ...
    def on_request_head(self, head: RequestHead) -> None: ...
    def on_body(self, chunk: bytes) -> None: ...
    def on_request_complete(self, raw_trailers: list[str]) -> None: ...
    def on_upgrade(self, rest: bytes) -> None: ...
    def on_parse_error(self, err: errors.NodeError) -> None: ...


class _Reject(Exception):
    def __init__(self, err: errors.NodeError) -> None:
        self.err = err


class _Base:
    """What both parsers share: header collection, size accounting, error mapping."""

    __slots__ = (
        "dead",
        "fed",
        "head_bytes",
        "header_bytes",
        "in_head",
        "insecure",
        "max_header_size",
        "parser",
        "raw",
        "trailers",
    )

    def __init__(self, max_header_size: int, insecure: bool) -> None:
        self.max_header_size = max_header_size
        self.insecure = insecure
        self.raw: list[str] = []
        self.trailers: list[str] = []
        self.in_head = True
        self.header_bytes = 0
        self.head_bytes = 0  # raw bytes of the head seen so far
        self.dead = False
        self.fed = 0

    _parser_class: Any = None

    def _make_parser(self) -> Any:
        parser = self._parser_class(self)
        if self.insecure:
            parser.set_dangerous_leniencies(
                lenient_headers=True, lenient_chunked_length=True, lenient_keep_alive=True
            )
        return parser

    def feed(self, data: bytes) -> None:
        """Parse ``data``; callbacks on the owner follow."""
        rest: bytes | None = data
        while rest is not None:
            rest = self._feed_once(rest)

    def _feed_once(self, data: bytes) -> bytes | None:
        raise NotImplementedError

    def _count(self, n: int) -> None:
        self.header_bytes += n
        if self.header_bytes > self.max_header_size:
            raise _Reject(parse_error("HPE_HEADER_OVERFLOW", "Header overflow"))

    def on_message_begin(self) -> None:
        self.raw = []
        self.trailers = []
        self.in_head = True
        self.header_bytes = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        if self.in_head:
            self._count(len(name) + len(value))
            self.raw.append(name.decode("latin-1"))
            self.raw.append(value.decode("latin-1"))
        else:
            self.trailers.append(name.decode("latin-1"))
            self.trailers.append(value.decode("latin-1"))

    def _guard_raw(self, data: bytes) -> None:
        """Bound the bytes of a head that never ends (llhttp would buffer them)."""
        if self.in_head:
            self.head_bytes += len(data)
            if self.head_bytes > 2 * self.max_header_size + 4096:
                raise _Reject(parse_error("HPE_HEADER_OVERFLOW", "Header overflow"))

    def _error_from(self, exc: Exception, data: bytes) -> errors.NodeError:
        if isinstance(exc, httptools.HttpParserCallbackError):
            ctx = exc.__context__
            if isinstance(ctx, _Reject):
                return ctx.err
            if ctx is not None:
                raise ctx  # a user's listener raised: uncaught, as in Node
        if isinstance(exc, _Reject):
            return exc.err
        reason = str(exc.args[0]) if exc.args else str(exc)
        return parse_error(_reason_code(reason), reason, self.fed, data)


class RequestParser(_Base):
    """Server side: bytes in, request heads/bodies/errors out to ``owner``."""

    __slots__ = ("head", "owner", "progress", "quiet", "upgrade_wanted")
    _parser_class = httptools.HttpRequestParser
    #: Node's limit on chunk-extension bytes (CVE-2024-22019): past it, 413.
    MAX_CHUNK_EXTENSIONS = 16384

    def __init__(
        self,
        owner: Any,
        max_header_size: int = 16384,
        insecure: bool = False,
        upgrade_wanted: Any = None,
    ) -> None:
        super().__init__(max_header_size, insecure)
        self.owner = owner
        self.upgrade_wanted = upgrade_wanted
        self.head: RequestHead | None = None
        self.progress = False
        self.quiet = 0
        self.parser = self._make_parser()

    def _feed_once(self, data: bytes) -> bytes | None:
        if self.dead:
            return None
        try:
            self._guard_raw(data)
            self.progress = False
            self.parser.feed_data(data)
            self.fed += len(data)
            self._count_quiet(len(data))
            return None
        except httptools.HttpParserUpgrade as exc:
            rest = data[int(exc.args[0]) :]
        except (httptools.HttpParserError, _Reject) as exc:
            self.dead = True
            self.owner.on_parse_error(self._error_from(exc, data))
            return None
        head = self.head
        if head is not None and head.upgrade:
            self.dead = True
            self.owner.on_upgrade(rest)
            return None
        # An Upgrade request nobody listens for is a normal request: parse on, afresh.
        self.parser = self._make_parser()
        self.head_bytes = 0
        return rest or None

    def _count_quiet(self, n: int) -> None:
        """Bytes of a body that gave llhttp nothing to report: chunk extensions.

        httptools does not hand over chunk extensions, so their size is bounded by
        what llhttp swallowed in the body without a single callback.
        """
        if self.progress or self.in_head:
            self.quiet = 0
            return
        self.quiet += n
        if self.quiet > self.MAX_CHUNK_EXTENSIONS:
            self.dead = True
            self.owner.on_parse_error(
                parse_error("HPE_CHUNK_EXTENSIONS_OVERFLOW", "Chunk extensions overflow", self.fed)
            )

    def feed_eof(self) -> None:
        """The peer ended its side; an unfinished message is simply dropped, as Node."""
        self.dead = True

    # -- llhttp callbacks ----------------------------------------------------------------
    def on_message_begin(self) -> None:
        self.progress = True
        _Base.on_message_begin(self)
        self.owner.on_message_begin()

    def on_chunk_header(self) -> None:
        self.progress = True

    def on_chunk_complete(self) -> None:
        self.progress = True

    def on_header(self, name: bytes, value: bytes) -> None:
        self.progress = True
        _Base.on_header(self, name, value)
        if len(name) in (4, 6) and self.in_head and self.head is not None:
            low = name.lower()
            if low == b"host":
                self.head.host_count += 1
            elif low == b"expect":
                self.head.expect = value.decode("latin-1")

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        head = self.head = RequestHead()
        head.url = url.decode("latin-1")

    def on_headers_complete(self) -> None:
        parser = self.parser
        head = self.head
        if head is None:  # pragma: no cover - llhttp always calls on_url first
            head = self.head = RequestHead()
        self.in_head = False
        self.head_bytes = 0
        head.method = parser.get_method().decode("latin-1")
        version = parser.get_http_version()
        head.http_version = version
        head.http_major, head.http_minor = int(version[0]), int(version[2])
        head.raw_headers = self.raw
        head.should_keep_alive = parser.should_keep_alive()
        if parser.should_upgrade() or head.method == "CONNECT":
            head.upgrade = head.method == "CONNECT" or bool(
                self.upgrade_wanted is not None and self.upgrade_wanted(head.method)
            )
        self.owner.on_request_head(head)

    def on_body(self, body: bytes) -> None:
        self.progress = True
        self.owner.on_body(body)

    def on_message_complete(self) -> None:
        self.progress = True
        self.owner.on_request_complete(self.trailers)


class ResponseParser(_Base):
    """Client side: bytes in, response heads/bodies/errors out to ``owner``."""

    __slots__ = ("buffer", "head", "head_request", "owner", "status_text")
    _parser_class = httptools.HttpResponseParser

    def __init__(
        self,
        owner: Any,
        max_header_size: int = 16384,
        insecure: bool = False,
        head_request: bool = False,
    ) -> None:
        super().__init__(max_header_size, insecure)
        self.owner = owner
        self.head_request = head_request
        self.head: ResponseHead | None = None
        self.status_text = ""
        self.buffer = b""  # bytes of the current head, to restart after a bodiless head
        self.parser = self._make_parser()

    def _feed_once(self, data: bytes) -> bytes | None:
        """One llhttp run; the bytes to parse afresh after a bodiless head, if any.

        The restart happens outside the ``except`` block, so that exceptions raised by
        the next run are not chained to this one's.
        """
        if self.dead:
            return None
        if self.in_head:
            self.buffer += data
        try:
            self._guard_raw(data)
            self.parser.feed_data(data)
            self.fed += len(data)
            return None
        except httptools.HttpParserUpgrade as exc:
            head = self.head
            self.dead = True
            if head is not None:
                head.upgrade = True
                self.owner.on_upgrade(head, data[int(exc.args[0]) :])
            return None
        except httptools.HttpParserCallbackError as exc:
            if not isinstance(exc.__context__, _Restart):
                self.dead = True
                self.owner.on_parse_error(self._error_from(exc, data))
                return None
        except (httptools.HttpParserError, _Reject) as exc:
            self.dead = True
            self.owner.on_parse_error(self._error_from(exc, data))
            return None
        return None if self.dead else self._restart()

    def _restart(self) -> bytes:
        """A bodiless head (1xx) ended the message: a fresh parser for what follows."""
        end = self.buffer.find(b"\r\n\r\n")
        rest = self.buffer[end + 4 :] if end != -1 else b""
        self.buffer = b""
        self.parser = self._make_parser()
        self.in_head = True
        self.head_bytes = 0
        return rest

    def feed_eof(self) -> None:
        """The server closed: a body that runs to EOF is complete now."""
        if self.dead:
            return
        self.dead = True
        # Closed mid-message: the owner reports the hang-up (Node: ECONNRESET).
        if self.head is not None and not self.in_head and self._eof_body:
            self.owner.on_response_complete(self.trailers)

    @property
    def _eof_body(self) -> bool:
        head = self.head
        if head is None:
            return False
        names = {head.raw_headers[i].lower() for i in range(0, len(head.raw_headers), 2)}
        return "content-length" not in names and "transfer-encoding" not in names

    # -- llhttp callbacks ----------------------------------------------------------------
    def on_message_begin(self) -> None:
        if self.dead:
            raise _Restart  # bytes after the response: not ours to parse
        super().on_message_begin()

    def on_status(self, status: bytes) -> None:
        self._count(len(status))
        self.status_text = status.decode("latin-1")

    def on_headers_complete(self) -> None:
        parser = self.parser
        head = self.head = ResponseHead()
        self.in_head = False
        self.head_bytes = 0
        head.status_code = parser.get_status_code()
        head.status_message = self.status_text
        version = parser.get_http_version()
        head.http_version = version
        head.http_major, head.http_minor = int(version[0]), int(version[2])
        head.raw_headers = self.raw
        head.should_keep_alive = parser.should_keep_alive()
        status = head.status_code
        if status == 101 or parser.should_upgrade():
            head.upgrade = True  # on_upgrade follows, with the bytes after the head
            return
        if 100 <= status < 200:
            self.owner.on_informational(head)
            self.head = None
            raise _Restart
        self.owner.on_response_head(head)
        if self.head_request or status in (204, 304):
            self.owner.on_response_complete([])
            self.dead = True
            raise _Restart

    def on_body(self, body: bytes) -> None:
        self.owner.on_body(body)

    def on_message_complete(self) -> None:
        self.buffer = b""
        if self.head is not None and self.head.upgrade:
            return
        self.dead = True
        self.owner.on_response_complete(self.trailers)


class _Restart(Exception):
    """Raised from ``on_headers_complete`` to stop llhttp after a bodiless head."""
