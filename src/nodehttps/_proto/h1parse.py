"""HTTP/1 message parsing around httptools (llhttp, Node's own parser), sans-IO.

Theory of operation
-------------------
A parser owns one httptools parser and turns the bytes it is fed into a list of
*events* (h11's model): a :class:`RequestHead` or :class:`ResponseHead` when a header
block is complete, a :class:`Body` per piece of body, an :class:`End` (with the
trailers) when a message is complete, an :class:`Upgrade` with the bytes after an
upgrade head, and a :class:`Failure` carrying Node's parse error, after which the
parser is dead. Nothing is called back while llhttp runs: the caller dispatches the
events once :meth:`feed` returns, so no user code runs inside llhttp, and a caller may
hold events back (a pipelined request waits while the connection's output is above
its high-water mark).

llhttp judges the bytes; the parser adds what Node's own binding adds around it:

* Node's header-size limit (``TrackHeader``): the URL or status text and every header
  name and value count, and the message fails with ``HPE_HEADER_OVERFLOW`` once they
  reach ``max_header_size`` (trailers count from the last chunk). httptools keeps a
  header line until it ends, so the bytes of a head that bring no callback are bounded
  too.
* Node's cap on header lines (``maxHeaderPairs``, :func:`header_cap`), with its
  quirks: it is a count of names *and* values, applied per group of 31 header lines.
* Node's limit on chunk extensions, counted beside llhttp by :mod:`.chunkext`.
* A URL or status text split across reads arrives from llhttp in pieces: they are
  joined. Trailing whitespace of header values is trimmed, as Node trims it.
* Error names: llhttp's reason text gives the ``HPE_*`` name (:mod:`.llhttp_errors`).
* Responses: llhttp cannot know that a response to ``HEAD`` (or a ``1xx``, ``204``,
  ``304``) has no body, so the parser is restarted after such a head with the bytes
  that follow it; a body that runs to EOF is completed by :meth:`ResponseParser.feed_eof`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import httptools

from .. import errors
from .chunkext import MAX_CHUNK_EXTENSIONS, ChunkExtCounter, Framing
from .h1events import Body, End, Event, Failure, RequestHead, ResponseHead, Upgrade
from .llhttp_errors import error_name

__all__ = [
    "Body",
    "End",
    "Event",
    "Failure",
    "RequestHead",
    "RequestParser",
    "ResponseHead",
    "ResponseParser",
    "Upgrade",
    "header_cap",
    "max_header_pairs",
    "parse_error",
]

#: Node's default ``maxHeaderPairs`` (names and values counted: 1000 header lines).
DEFAULT_MAX_HEADER_PAIRS = 2000


def max_header_pairs(max_headers_count: int | None) -> int:
    """Node's ``maxHeaderPairs`` for a ``maxHeadersCount`` (None: the default)."""
    return DEFAULT_MAX_HEADER_PAIRS if max_headers_count is None else 2 * max_headers_count


_FLUSH_GROUP = 31  # Node's binding hands header lines to JavaScript 31 at a time

_VERSIONS: dict[str, tuple[int, int]] = {}  # "1.1" -> (1, 1)
_END = End([])  # the end of a message without trailers (read only: never changed)
_NO_BODY = Framing()
_CHUNKED = Framing(chunked=True)
_TO_END = Framing(to_end=True)


def parse_error(
    code: str, reason: str, bytes_parsed: int = 0, raw: bytes = b""
) -> errors.NodeError:
    """A Node ``Parse Error`` with ``.code``, ``.reason``, ``.bytes_parsed``, ``.raw_packet``."""
    return errors.make(
        code, f"Parse Error: {reason}", reason=reason, bytes_parsed=bytes_parsed, raw_packet=raw
    )


def header_cap(pairs: int, max_pairs: int) -> tuple[int, int]:
    """Node's ``maxHeaderPairs`` rule for a head of ``pairs`` header lines: how many
    lines ``raw_headers`` keeps, and how many of those make ``headers``.

    ``max_pairs`` counts names and values (``server.maxHeadersCount << 1``; 2000 by
    default, that is 1000 lines); 0 or less is no limit. A head of fewer than 32 lines
    reaches JavaScript whole; longer ones come in groups of 31 lines, and a group is
    kept while fewer than ``max_pairs`` names and values were kept before it.
    """
    if max_pairs <= 0 or pairs <= _FLUSH_GROUP:
        kept = pairs
    else:
        full_groups = (pairs - 1) // _FLUSH_GROUP
        kept = 0
        for group in range(full_groups + 1):
            if 2 * kept >= max_pairs:
                break
            kept += _FLUSH_GROUP if group < full_groups else pairs - full_groups * _FLUSH_GROUP
    return kept, kept if max_pairs <= 0 else min(kept, max_pairs // 2)


class _Reject(Exception):
    """Raised inside a callback to stop llhttp with Node's error."""

    def __init__(self, error: errors.NodeError) -> None:
        self.error = error


def _overflow() -> _Reject:
    return _Reject(parse_error("HPE_HEADER_OVERFLOW", "Header overflow"))


# -- the shared machinery --------------------------------------------------------------
class _Parser:
    """What both parsers share: events, header accounting, limits, error mapping."""

    __slots__ = (
        "_body_left",
        "_body_quiet",
        "_chunk_marks",
        "_connection",
        "_counter",
        "_events",
        "_fed",
        "_framed",
        "_framings",
        "_head_marks",
        "_head_quiet",
        "_head_seen",
        "_header_bytes",
        "_insecure",
        "_max_header_size",
        "_parser",
        "_progress",
        "_raw",
        "_tail",
        "_trailers",
        "dead",
        "in_head",
        "in_message",
        "max_header_pairs",
    )

    def __init__(self, max_header_size: int, max_header_pairs: int, insecure: bool) -> None:
        self._max_header_size = max_header_size
        self.max_header_pairs = max_header_pairs
        self._insecure = insecure
        self._events: list[Event] = []
        self._raw: list[str] = []
        self._trailers: list[str] = []
        self._header_bytes = 0
        self._head_quiet = 0  # bytes of the current head since its last callback
        self._head_seen = False  # a head callback came during this run of llhttp
        self._body_quiet = 0  # lenient mode: body bytes that brought no callback
        self._progress = False
        self._fed = 0
        self._framed = False  # the head has a header that may frame the body
        self._connection = False  # the head may have a Connection header
        self._body_left = 0  # Content-Length bytes still to come
        self._tail = b""  # the last bytes of a head split across reads
        self._framings: list[Framing] = []
        self._head_marks: list[int] = []
        self._chunk_marks: list[int] = []
        self._counter: ChunkExtCounter | None = None
        self.dead = False
        self.in_head = False  # a message began and its head is not complete
        self.in_message = False  # a message began and is not complete
        self._parser = self._new_parser()

    def _new_parser(self) -> httptools.HttpRequestParser | httptools.HttpResponseParser:
        raise NotImplementedError

    def _lenient(self, parser: httptools.HttpRequestParser | httptools.HttpResponseParser) -> None:
        if self._insecure:
            parser.set_dangerous_leniencies(
                lenient_headers=True, lenient_chunked_length=True, lenient_keep_alive=True
            )

    # -- feeding ----------------------------------------------------------------------
    def feed(self, data: bytes) -> list[Event]:
        """Parse ``data``; the events it completes, in order."""
        events: list[Event] = []
        self._events = events
        if self.dead or not data:
            return events
        counting = self._counter is not None and self._counter.active
        start_in_head, start_left, tail = self.in_head, self._body_left, self._tail
        self._framings.clear()
        self._head_marks.clear()
        self._chunk_marks.clear()
        self._run(data)
        self._fed += len(data)
        if counting or _CHUNKED in self._framings:
            self._count_extensions(data, counting, start_in_head, start_left, tail)
        if self.in_head and not self.dead:
            self._tail = data[-3:]
        return events

    def _run(self, data: bytes) -> None:
        rest: bytes | None = data
        while rest is not None and not self.dead:
            rest = self._run_once(rest)

    def _run_once(self, data: bytes) -> bytes | None:
        """One llhttp run; the bytes to parse afresh with a new parser, if any."""
        raise NotImplementedError

    def _begin_run(self) -> None:
        self._progress = False
        self._head_seen = False

    def _after_run(self, n: int) -> None:
        """Bound what llhttp took without a word: a head that never ends (httptools
        keeps an unfinished header line), and, in lenient mode, chunk extensions."""
        if self.in_head:
            self._head_quiet = 0 if self._head_seen else self._head_quiet + n
            if self._head_quiet > self._max_header_size + 4096:
                self._fail(_overflow().error)
        elif self._insecure:
            self._quiet_body(n)

    def _fail(self, error: errors.NodeError) -> None:
        self.dead = True
        self._events.append(Failure(error))

    def _error_from(self, exc: Exception, data: bytes) -> errors.NodeError:
        if isinstance(exc, _Reject):
            return exc.error
        context = exc.__context__
        if isinstance(exc, httptools.HttpParserCallbackError) and isinstance(context, _Reject):
            return context.error
        if isinstance(exc, httptools.HttpParserCallbackError) and context is not None:
            raise context  # a bug of ours inside a callback: not a client error
        reason = str(exc.args[0]) if exc.args else str(exc)
        return parse_error(error_name(reason, self._tail + data), reason, self._fed, data)

    # -- chunk extensions ---------------------------------------------------------------
    def _count_extensions(
        self, data: bytes, counting: bool, in_head: bool, left: int, tail: bytes
    ) -> None:
        if self._insecure:
            return  # bare line endings: the quiet-byte bound applies instead
        counter = self._counter
        if counter is None:
            counter = self._counter = ChunkExtCounter()
        if not counting:
            counter.start(in_head, left, tail)
        hit = counter.walk(data, self._framings)
        if hit is None:
            return
        heads, chunks = hit
        base = self._head_marks[heads - 1] + 1 if heads else 0
        marks = [mark for mark in self._chunk_marks if mark >= base]
        cut = marks[chunks] if chunks < len(marks) else len(self._events)
        del self._events[cut:]
        self._fail(
            parse_error(
                "HPE_CHUNK_EXTENSIONS_OVERFLOW", "Chunk extensions overflow", self._fed, data
            )
        )

    def _quiet_body(self, n: int) -> None:
        if self._progress:
            self._body_quiet = 0
            return
        self._body_quiet += n
        if self._body_quiet > MAX_CHUNK_EXTENSIONS:
            self._fail(parse_error("HPE_CHUNK_EXTENSIONS_OVERFLOW", "Chunk extensions overflow"))

    # -- llhttp callbacks shared by both sides --------------------------------------------
    def _count(self, n: int) -> None:
        self._header_bytes += n
        if self._header_bytes >= self._max_header_size:
            raise _overflow()

    def on_message_begin(self) -> None:
        self._progress = self._head_seen = True
        self._raw = []
        self._trailers = []
        self.in_head = True
        self.in_message = True
        self._framed = False
        self._connection = False
        self._header_bytes = 0
        self._head_quiet = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        self._progress = self._head_seen = True
        size = len(name)
        self._count(size + len(value))
        if self.in_head:
            target = self._raw
            if size == 14 or size == 17:  # perhaps Content-Length, Transfer-Encoding
                self._framed = True
            elif size == 10 and name[0] | 0x20 == 0x63:  # perhaps Connection
                self._connection = True
        else:
            target = self._trailers
        target.append(name.decode("latin-1"))
        target.append(value.rstrip(b" \t").decode("latin-1"))

    def _complete_head(self, head: RequestHead | ResponseHead, framing: Framing) -> None:
        """Fill the fields every head has, after llhttp's ``on_headers_complete``."""
        parser = self._parser
        self.in_head = False
        self._header_bytes = 0
        self._head_quiet = 0
        self._tail = b""
        keep_alive = head.should_keep_alive = parser.should_keep_alive()
        if keep_alive and not self._connection and not self._insecure:
            # llhttp keeps a connection that says nothing about it only on HTTP/1.1 (the
            # one version it accepts with a minor above 0), which spares the call below:
            # httptools formats the version as a string, a twentieth of a request's work.
            head.http_version, head.http_major, head.http_minor = "1.1", 1, 1
        else:
            version = parser.get_http_version()
            head.http_version = version
            numbers = _VERSIONS.get(version)
            if numbers is None:
                numbers = _VERSIONS[version] = (int(version[0]), int(version[2]))
            head.http_major, head.http_minor = numbers
        raw = self._raw
        pairs = len(raw) // 2
        limit = self.max_header_pairs
        if pairs <= _FLUSH_GROUP and (limit <= 0 or pairs <= limit // 2):
            head.raw_headers, head.header_pairs = raw, pairs  # the common head: all of it
        else:
            kept, head.header_pairs = header_cap(pairs, limit)
            head.raw_headers = raw if 2 * kept == len(raw) else raw[: 2 * kept]
        self._body_left = framing.length
        self._head_marks.append(len(self._events))
        self._framings.append(framing)
        self._events.append(head)

    def on_chunk_header(self) -> None:
        self._progress = True
        self._header_bytes = 0
        self._chunk_marks.append(len(self._events))

    def on_chunk_complete(self) -> None:
        self._progress = True
        self._header_bytes = 0

    def on_body(self, body: bytes) -> None:
        self._progress = True
        if self._body_left:
            self._body_left -= len(body)
        self._events.append(Body(body))

    def on_message_complete(self) -> None:
        self._progress = True
        self.in_message = False
        self._body_left = 0
        trailers = self._trailers
        if not trailers:
            self._events.append(_END)
            return
        kept, _ = header_cap(len(trailers) // 2, self.max_header_pairs)
        self._events.append(End(trailers[: 2 * kept]))


def _framing(raw: list[str], to_end: bool) -> Framing:
    """The body framing a head announces (llhttp has validated the headers)."""
    length: str | None = None
    chunked = False
    for i in range(0, len(raw), 2):
        name = raw[i]
        if len(name) == 14 and name.lower() == "content-length":
            length = raw[i + 1]
        elif len(name) == 17 and name.lower() == "transfer-encoding":
            chunked = raw[i + 1].rstrip().lower().endswith("chunked")
    if chunked:
        return _CHUNKED
    if length is not None and length.strip().isdigit() and int(length):
        return Framing(length=int(length))
    return _TO_END if to_end else _NO_BODY


# -- the server side -------------------------------------------------------------------
class RequestParser(_Parser):
    """Server side: bytes in, request events out."""

    __slots__ = ("_head", "_upgrade_wanted", "_url")

    def __init__(
        self,
        max_header_size: int = 16384,
        max_header_pairs: int = DEFAULT_MAX_HEADER_PAIRS,
        insecure: bool = False,
        upgrade_wanted: Callable[[str], bool] | None = None,
    ) -> None:
        self._upgrade_wanted = upgrade_wanted
        self._head = RequestHead()
        self._url: list[bytes] = []
        super().__init__(max_header_size, max_header_pairs, insecure)

    def _new_parser(self) -> httptools.HttpRequestParser:
        parser = httptools.HttpRequestParser(self)
        self._lenient(parser)
        return parser

    def _run_once(self, data: bytes) -> bytes | None:
        """One llhttp run; the bytes to parse afresh after an unwanted upgrade."""
        try:
            self._begin_run()
            self._parser.feed_data(data)
            self._after_run(len(data))
            return None
        except httptools.HttpParserUpgrade as exc:
            rest = data[int(exc.args[0]) :]
        except (httptools.HttpParserError, _Reject) as exc:
            self._fail(self._error_from(exc, data))
            return None
        if self._head.upgrade:
            self.dead = True
            self._events.append(Upgrade(rest))
            return None
        # An Upgrade request nobody listens for is an ordinary one: parse on, afresh.
        self._parser = self._new_parser()
        return rest or None

    def feed_eof(self) -> list[Event]:
        """The peer ended its side: a message cut short is Node's ``Invalid EOF state``."""
        events: list[Event] = []
        if not self.dead:
            self.dead = True
            if self.in_message:
                reason = "Invalid EOF state"
                events.append(Failure(parse_error("HPE_INVALID_EOF_STATE", reason, 0)))
        return events

    # -- llhttp callbacks ---------------------------------------------------------------
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head = RequestHead()
        self._url = []

    def on_url(self, piece: bytes) -> None:
        self._progress = self._head_seen = True
        self._count(len(piece))
        self._url.append(piece)

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        if self.in_head and len(name) in (4, 6):
            low = name.lower()
            if low == b"host":
                self._head.host_count += 1
            elif low == b"expect":
                self._head.expect = self._raw[-1]

    def on_headers_complete(self) -> None:
        head = self._head
        url = self._url
        head.url = (url[0] if len(url) == 1 else b"".join(url)).decode("latin-1")
        parser = cast(httptools.HttpRequestParser, self._parser)
        head.method = parser.get_method().decode("latin-1")
        connect = head.method == "CONNECT"
        if connect or parser.should_upgrade():
            wanted = self._upgrade_wanted
            head.upgrade = connect or (wanted is not None and wanted(head.method))
        framing = _framing(self._raw, False) if self._framed else _NO_BODY
        self._complete_head(head, _TO_END if connect else framing)


# -- the client side -------------------------------------------------------------------
class ResponseParser(_Parser):
    """Client side: bytes in, response events out (``head_request``: the request was
    ``HEAD``, so its response has no body)."""

    __slots__ = ("_after", "_buffer", "_head", "_status", "head_request")

    def __init__(
        self,
        max_header_size: int = 16384,
        max_header_pairs: int = DEFAULT_MAX_HEADER_PAIRS,
        insecure: bool = False,
        head_request: bool = False,
    ) -> None:
        self.head_request = head_request
        self._head: ResponseHead | None = None
        self._status: list[bytes] = []
        self._buffer = b""  # the current head's bytes, to restart after a bodiless head
        self._after = False  # parsing bytes that came after the response, in its last read
        super().__init__(max_header_size, max_header_pairs, insecure)

    def _new_parser(self) -> httptools.HttpResponseParser:
        parser = httptools.HttpResponseParser(self)
        self._lenient(parser)
        return parser

    def _run_once(self, data: bytes) -> bytes | None:
        """One llhttp run; the bytes to parse afresh after a bodiless head, if any.

        The restart happens outside the ``except`` block, so that exceptions raised by
        the next run are not chained to this one's.
        """
        if self.in_head or not self.in_message:
            self._buffer += data
        try:
            self._begin_run()
            self._parser.feed_data(data)
            self._after_run(len(data))
            return None
        except httptools.HttpParserUpgrade as exc:
            self.dead = True
            self._events.append(Upgrade(data[int(exc.args[0]) :]))
            return None
        except httptools.HttpParserCallbackError as exc:
            if not isinstance(exc.__context__, _Restart):
                self._fail(self._error_from(exc, data))
                return None
        except (httptools.HttpParserError, _Reject) as exc:
            self._fail(self._error_from(exc, data))
            return None
        return None if self._after else self._restart()

    def _restart(self) -> bytes | None:
        """A bodiless head ended its message: a fresh parser for what follows it."""
        end = self._buffer.find(b"\r\n\r\n")
        rest = self._buffer[end + 4 :] if end != -1 else b""
        self._buffer = b""
        self._parser = self._new_parser()
        return rest or None

    def feed_eof(self) -> list[Event]:
        """The server closed: a body that runs to EOF is complete now. Any other
        unfinished message is left to the caller (Node: ``'aborted'``/``ECONNRESET``)."""
        events: list[Event] = []
        self._events = events
        if not self.dead:
            self.dead = True
            head = self._head
            in_body = head is not None and self.in_message and not self.in_head
            if in_body and _framing(head.raw_headers, True) is _TO_END:  # type: ignore[union-attr]
                self.on_message_complete()
        return events

    # -- llhttp callbacks ---------------------------------------------------------------
    def on_message_begin(self) -> None:
        if self.dead:
            # Bytes after the response, in the same read: as Node, llhttp judges them, so
            # garbage is an error (a second response head is just dropped).
            self._after = True
            return
        super().on_message_begin()
        self._status = []
        self._head = ResponseHead()

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self._after:
            super().on_header(name, value)

    def on_status(self, piece: bytes) -> None:
        if self._after:
            return
        self._progress = self._head_seen = True
        self._count(len(piece))
        self._status.append(piece)

    def on_headers_complete(self) -> None:
        if self._after:
            raise _Restart  # a whole second head: not ours (Node destroys the socket)
        head = self._head
        assert head is not None
        parser = cast(httptools.HttpResponseParser, self._parser)
        head.status_code = status = parser.get_status_code()
        head.status_message = b"".join(self._status).decode("latin-1")
        if status == 101 or parser.should_upgrade():
            head.upgrade = True  # an Upgrade event follows, with the bytes after the head
            self._complete_head(head, _TO_END)
            return
        bodiless = self.head_request or status in (204, 304) or 100 <= status < 200
        if not bodiless:
            self._buffer = b""
            self._complete_head(head, _framing(self._raw, True) if self._framed else _TO_END)
            return
        self._complete_head(head, _NO_BODY)
        self.in_message = False
        if not head.informational:
            self.dead = True  # one response per request: what follows is not ours
            self._events.append(_END)
        raise _Restart

    def on_message_complete(self) -> None:
        self._buffer = b""
        head = self._head
        if head is not None and head.upgrade:
            return
        super().on_message_complete()
        self.dead = True


class _Restart(Exception):
    """Raised from ``on_headers_complete`` to stop llhttp after a bodiless head."""
