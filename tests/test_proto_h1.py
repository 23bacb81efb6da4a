"""The sans-IO HTTP/1 core (``nodehttps._proto``), in memory: no sockets, no loop.

The central property: a request (or a pipeline of them), or a response, split at any
points gives exactly the events it gives when fed whole. Limits are checked at Node's
boundaries, to the byte.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nodehttps._proto.chunkext import MAX_CHUNK_EXTENSIONS
from nodehttps._proto.h1parse import (
    Body,
    End,
    Event,
    Failure,
    RequestHead,
    RequestParser,
    ResponseHead,
    ResponseParser,
    Upgrade,
    header_cap,
)
from nodehttps._proto.h1server import Next, ServerConnection, Verdict


# -- helpers ---------------------------------------------------------------------------
def summary(events: list[Event]) -> list[tuple[object, ...]]:
    """Events as plain data, with body pieces of one message joined (their split into
    pieces follows the reads, and is not part of what a handler may rely on)."""
    out: list[tuple[object, ...]] = []
    for event in events:
        if isinstance(event, RequestHead):
            out.append(
                (
                    "request",
                    event.method,
                    event.url,
                    event.http_version,
                    tuple(event.raw_headers),
                    event.header_pairs,
                    event.should_keep_alive,
                    event.upgrade,
                    event.expect,
                    event.host_count,
                )
            )
        elif isinstance(event, ResponseHead):
            out.append(
                (
                    "response",
                    event.status_code,
                    event.status_message,
                    event.http_version,
                    tuple(event.raw_headers),
                    event.should_keep_alive,
                    event.upgrade,
                )
            )
        elif isinstance(event, Body):
            last = out[-1] if out else ()
            if last[:1] == ("body",):
                assert isinstance(last[1], bytes)
                out[-1] = ("body", last[1] + event.data)
            else:
                out.append(("body", event.data))
        elif isinstance(event, End):
            out.append(("end", tuple(event.raw_trailers)))
        elif isinstance(event, Upgrade):
            out.append(("upgrade", event.rest))
        else:
            assert isinstance(event, Failure)
            out.append(("failure", event.error.code))
    return out


def feed_request(
    pieces: list[bytes], eof: bool = False, **options: Any
) -> list[tuple[object, ...]]:
    return feed(RequestParser(**options), pieces, eof)


def feed_response(
    pieces: list[bytes], eof: bool = True, **options: Any
) -> list[tuple[object, ...]]:
    return feed(ResponseParser(**options), pieces, eof)


def feed(
    parser: RequestParser | ResponseParser, pieces: list[bytes], eof: bool
) -> list[tuple[object, ...]]:
    """The summary of the events ``parser`` gives for ``pieces`` (then EOF, if ``eof``)."""
    events: list[Event] = []
    for piece in pieces:
        events += parser.feed(piece)
    if eof:
        events += parser.feed_eof()
    return summary(events)


def split_at(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, last = [], 0
    for point in points:
        pieces.append(data[last:point])
        last = point
    pieces.append(data[last:])
    return [p for p in pieces if p]


def every_split(data: bytes) -> list[list[bytes]]:
    """Whole, byte by byte, every single cut, and a few seeded random splits."""
    rng = random.Random(len(data))
    splits = [[data], [data[i : i + 1] for i in range(len(data))]]
    splits += [[data[:i], data[i:]] for i in range(1, len(data))]
    splits += [split_at(data, [rng.randrange(len(data) + 1) for _ in range(6)]) for _ in range(8)]
    return splits


# -- generated messages ----------------------------------------------------------------
_TOKEN = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-",
    min_size=1,
    max_size=12,
)
_VALUE = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=20)
_PATH = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789/-._~%=&?", max_size=40).map(
    lambda p: "/" + p
)
_BODY = st.binary(max_size=300)


@st.composite
def requests(draw: st.DrawFn) -> bytes:
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]))
    headers = [("Host", "example.test")]
    headers += draw(st.lists(st.tuples(_TOKEN, _VALUE), max_size=6))
    headers = [
        (n, v)
        for n, v in headers
        if n.lower() not in ("content-length", "transfer-encoding", "host", "connection", "upgrade")
    ] + [("Host", "example.test")]
    framing = draw(st.sampled_from(["none", "length", "chunked"]))
    body = draw(_BODY) if framing != "none" else b""
    head = f"{method} {draw(_PATH)} HTTP/1.1\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers)
    if framing == "length":
        return (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    if framing == "none":
        return (head + "\r\n").encode()
    chunks = draw(st.lists(st.integers(1, 64), max_size=4))
    out = (head + "Transfer-Encoding: chunked\r\n\r\n").encode()
    pos = 0
    for size in chunks:
        piece = body[pos : pos + size]
        pos += size
        if not piece:
            break
        ext = draw(st.sampled_from(["", ";a", ";a=b", ';q="x y"']))
        out += b"%x%s\r\n%s\r\n" % (len(piece), ext.encode(), piece)
    trailers = draw(st.lists(st.tuples(_TOKEN, _VALUE), max_size=2))
    out += b"0\r\n" + "".join(f"{n}: {v}\r\n" for n, v in trailers).encode() + b"\r\n"
    return out


@st.composite
def responses(draw: st.DrawFn) -> tuple[bytes, bool]:
    status = draw(st.sampled_from([200, 201, 204, 304, 404, 500]))
    informational = draw(st.lists(st.sampled_from([100, 102, 103]), max_size=2))
    head_request = draw(st.booleans())
    headers = [
        (n, v)
        for n, v in draw(st.lists(st.tuples(_TOKEN, _VALUE), max_size=5))
        if n.lower() not in ("content-length", "transfer-encoding", "connection", "upgrade")
    ]
    out = b"".join(b"HTTP/1.1 %d Info\r\nX-I: 1\r\n\r\n" % code for code in informational)
    head = f"HTTP/1.1 {status} Reason Phrase\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers)
    body = draw(_BODY)
    framing = draw(st.sampled_from(["length", "chunked", "eof"]))
    if framing == "length":
        out += (head + f"Content-Length: {len(body)}\r\n\r\n").encode()
        return out + (b"" if head_request or status in (204, 304) else body), head_request
    if framing == "eof":
        return out + (head + "\r\n").encode() + body, head_request
    out += (head + "Transfer-Encoding: chunked\r\n\r\n").encode()
    if head_request or status in (204, 304):
        return out, head_request
    if body:
        out += b"%x;e=1\r\n%s\r\n" % (len(body), body)
    return out + b"0\r\nX-T: t\r\n\r\n", head_request


# -- the split property ------------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(st.lists(requests(), min_size=1, max_size=4), st.lists(st.integers(0, 10_000), max_size=12))
def test_a_pipeline_split_anywhere_gives_the_events_it_gives_whole(
    pipeline: list[bytes], cuts: list[int]
) -> None:
    data = b"".join(pipeline)
    whole = feed_request([data], eof=True)
    assert whole.count(("end", ())) + sum(1 for e in whole if e[0] == "end" and e[1]) == len(
        pipeline
    )
    assert feed_request(split_at(data, cuts), eof=True) == whole
    assert feed_request([data[i : i + 1] for i in range(len(data))], eof=True) == whole


@settings(max_examples=150, deadline=None)
@given(responses(), st.lists(st.integers(0, 10_000), max_size=12))
def test_a_response_split_anywhere_gives_the_events_it_gives_whole(
    response: tuple[bytes, bool], cuts: list[int]
) -> None:
    data, head_request = response
    whole = feed_response([data], head_request=head_request)
    assert whole[-1][0] == "end"
    assert feed_response(split_at(data, cuts), head_request=head_request) == whole
    assert (
        feed_response([data[i : i + 1] for i in range(len(data))], head_request=head_request)
        == whole
    )


def test_a_url_split_across_reads_arrives_whole() -> None:
    data = b"GET /some/path?x=1 HTTP/1.1\r\nHost: a\r\n\r\n"
    for pieces in every_split(data):
        events = feed_request(pieces)
        assert events[0][1:3] == ("GET", "/some/path?x=1"), pieces


def test_a_status_text_split_across_reads_arrives_whole() -> None:
    data = b"HTTP/1.1 404 Not Found Here\r\nContent-Length: 0\r\n\r\n"
    for pieces in every_split(data):
        assert feed_response(pieces)[0][1:3] == (404, "Not Found Here")


_CONNECTION_LINES = [
    b"",
    b"Connection: keep-alive\r\n",
    b"connection: close\r\n",
    b"User-Agent: x\r\n",
    b"CONNECTION: Keep-Alive, Upgrade-Insecure\r\n",
]


@pytest.mark.parametrize("insecure", [False, True])
@pytest.mark.parametrize("extra", _CONNECTION_LINES)
@pytest.mark.parametrize("version", ["0.9", "1.0", "1.1", "2.0"])
def test_every_head_carries_its_own_http_version(
    version: str, extra: bytes, insecure: bool
) -> None:
    """The version read (or, on the common HTTP/1.1 path, known without asking
    httptools) is the request's and the response's, whatever their Connection header."""
    numbers = (int(version[0]), int(version[2]))
    request = b"GET / HTTP/" + version.encode() + b"\r\nHost: a\r\n" + extra + b"\r\n"
    for pieces in ([request], [request[i : i + 1] for i in range(len(request))]):
        parser = RequestParser(insecure=insecure)
        events = [e for piece in pieces for e in parser.feed(piece)]
        head = events[0]
        assert isinstance(head, RequestHead)
        assert (head.http_version, head.http_major, head.http_minor) == (version, *numbers)
    response = b"HTTP/" + version.encode() + b" 200 OK\r\nContent-Length: 0\r\n" + extra + b"\r\n"
    events = ResponseParser(insecure=insecure).feed(response)
    head = events[0]
    assert isinstance(head, ResponseHead)
    assert (head.http_version, head.http_major, head.http_minor) == (version, *numbers)


def test_header_values_lose_trailing_whitespace_as_in_node() -> None:
    events = feed_request([b"GET / HTTP/1.1\r\nHost: a \t\r\nX: \t b  c \t \r\n\r\n"])
    assert events[0][4] == ("Host", "a", "X", "b  c")


# -- Node's limits, to the byte ------------------------------------------------------------
def _with_header_bytes(counted: int) -> bytes:
    """A request whose URL, names and values add up to ``counted`` bytes (Node's count)."""
    # "/" (1) + "Host" "a" (5) + "X" (1) + value
    return b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"v" * (counted - 7) + b"\r\n\r\n"


@pytest.mark.parametrize(("counted", "overflow"), [(16383, False), (16384, True), (20000, True)])
def test_header_block_limit_is_nodes_boundary(counted: int, overflow: bool) -> None:
    data = _with_header_bytes(counted)
    for pieces in ([data], [data[i : i + 1000] for i in range(0, len(data), 1000)]):
        events = feed_request(pieces)
        assert (events[-1] == ("failure", "HPE_HEADER_OVERFLOW")) is overflow


def test_a_header_that_never_ends_is_cut_off_without_growing() -> None:
    parser = RequestParser()
    events: list[Event] = []
    events += parser.feed(b"GET / HTTP/1.1\r\nX: ")
    for _ in range(30):
        events += parser.feed(b"v" * 1000)
    assert summary(events) == [("failure", "HPE_HEADER_OVERFLOW")]


# Node v20 measured (server.maxHeadersCount, lines sent incl. Host) -> (rawHeaders, headers)
NODE_MAX_HEADERS = [
    (None, 31, 31, 31), (None, 32, 32, 32), (None, 1000, 1000, 1000), (None, 1001, 1001, 1000),
    (None, 1100, 1023, 1000), (None, 2101, 1023, 1000), (0, 2101, 2101, 2101),
    (1, 5, 5, 1), (1, 32, 31, 1), (1, 2101, 31, 1), (5, 31, 31, 5), (5, 32, 31, 5),
    (50, 32, 32, 32), (50, 33, 33, 33), (50, 63, 62, 50), (50, 2101, 62, 50),
    (2000, 1100, 1100, 1100), (2000, 2101, 2015, 2000),
]  # fmt: skip


@pytest.mark.parametrize(("count", "lines", "raw", "keys"), NODE_MAX_HEADERS)
def test_max_headers_count_follows_nodes_groups(
    count: int | None, lines: int, raw: int, keys: int
) -> None:
    max_pairs = 2000 if count is None else 2 * count
    assert header_cap(lines, max_pairs) == (raw, keys)
    data = b"GET / HTTP/1.1\r\nHost: a\r\n" + b"".join(b"x%d: v\r\n" % i for i in range(lines - 1))
    parser = RequestParser(max_header_pairs=max_pairs)
    (head, _end) = parser.feed(data + b"\r\n")
    assert isinstance(head, RequestHead)
    assert (len(head.raw_headers) // 2, head.header_pairs) == (raw, keys)


# Node measured: 413 past 16384 bytes of extension names and values on one size line.
@pytest.mark.parametrize(
    ("ext", "overflow"),
    [
        (b";" + b"a" * MAX_CHUNK_EXTENSIONS, False),
        (b";" + b"a" * (MAX_CHUNK_EXTENSIONS + 1), True),
        (b";x=" + b"a" * (MAX_CHUNK_EXTENSIONS - 1), False),
        (b";x=" + b"a" * MAX_CHUNK_EXTENSIONS, True),
        (b';x="' + b"a" * (MAX_CHUNK_EXTENSIONS - 3) + b'"', False),
        (b';x="' + b"a" * (MAX_CHUNK_EXTENSIONS - 2) + b'"', True),
        (b";x=" + b"a" * 8000 + b";y=" + b"a" * 8382, False),
        (b";x=" + b"a" * 8000 + b";y=" + b"a" * 8383, True),
    ],
)
def test_chunk_extensions_limit_is_nodes_in_any_split(ext: bytes, overflow: bool) -> None:
    first = b"GET /first HTTP/1.1\r\nHost: a\r\n\r\nPOST /cl HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody"
    chunked = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;a=b\r\nabc\r\n5"
    data = first + chunked + ext + b"\r\nhello\r\n0\r\n\r\nGET /after HTTP/1.1\r\nHost: a\r\n\r\n"
    rng = random.Random(7)
    splits = [[data], [data[i : i + 7] for i in range(0, len(data), 7)]]
    splits += [split_at(data, [rng.randrange(len(data)) for _ in range(5)]) for _ in range(20)]
    expected = None
    for pieces in splits:
        events = feed_request(pieces)
        if overflow:
            assert events[-1] == ("failure", "HPE_CHUNK_EXTENSIONS_OVERFLOW")
            # what came before the bad size line was delivered, nothing after it
            assert ("body", b"abc") in events and ("body", b"abchello") not in events
            assert not any(e[0] == "request" and e[2] == "/after" for e in events)
        else:
            assert events[-2][2] == "/after" and ("body", b"abchello") in events
        assert expected is None or events == expected
        expected = events


def test_chunk_extensions_streamed_forever_are_cut_off() -> None:
    parser = RequestParser()
    events = parser.feed(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;")
    for _ in range(40):
        events += parser.feed(b"x" * 500)
    assert summary(events)[-1] == ("failure", "HPE_CHUNK_EXTENSIONS_OVERFLOW")


def test_response_chunk_extensions_overflow() -> None:
    data = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n5;"
        + b"e" * 17000
        + b"\r\nhello\r\n0\r\n\r\n"
    )
    for pieces in ([data], [data[i : i + 100] for i in range(0, len(data), 100)]):
        events = feed_response(pieces)
        assert events[-1] == ("failure", "HPE_CHUNK_EXTENSIONS_OVERFLOW")
        assert ("body", b"ok") in events


def test_lenient_parser_bounds_extensions_by_quiet_bytes() -> None:
    parser = RequestParser(insecure=True)
    events = parser.feed(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;")
    for _ in range(40):
        events += parser.feed(b"x" * 500)
    assert summary(events)[-1] == ("failure", "HPE_CHUNK_EXTENSIONS_OVERFLOW")


# -- the end of a conversation -------------------------------------------------------------
def test_a_body_cut_short_by_eof_is_nodes_invalid_eof_state() -> None:
    data = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhello"
    assert feed_request([data], eof=True)[-1] == ("failure", "HPE_INVALID_EOF_STATE")
    assert feed_request([data[:20]], eof=True) == [("failure", "HPE_INVALID_EOF_STATE")]
    complete = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
    assert feed_request([complete], eof=True)[-1] == ("end", ())


def test_a_response_body_to_eof_ends_at_eof() -> None:
    data = b"HTTP/1.1 200 OK\r\nX: 1\r\n\r\nall of it"
    assert feed_response([data]) == [
        ("response", 200, "OK", "1.1", ("X", "1"), False, False),
        ("body", b"all of it"),
        ("end", ()),
    ]
    assert feed_response([data], eof=False)[-1] == ("body", b"all of it")


def test_an_upgrade_hands_over_the_bytes_after_the_head() -> None:
    data = b"GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\nraw bytes"
    wanted = feed_request([data], upgrade_wanted=lambda method: True)
    assert wanted[-1] == ("upgrade", b"raw bytes")
    # nobody listens: an ordinary request, and the bytes after it are parsed as HTTP
    unwanted = feed_request([data + b" HTTP/1.1\r\n\r\n"], upgrade_wanted=lambda method: False)
    assert unwanted[1] == ("end", ()) and unwanted[-1][0] == "failure"


# -- the server connection's decisions ---------------------------------------------------
def _heads(conn: ServerConnection[object], blocked: bool = False) -> list[Event]:
    out = []
    while (event := conn.next_event(blocked)) is not None:
        out.append(event)
    return out


def test_a_pipelined_request_waits_while_output_is_blocked() -> None:
    conn: ServerConnection[object] = ServerConnection()
    conn.receive_data(b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
    first = conn.next_event(output_blocked=False)
    assert isinstance(first, RequestHead) and first.url == "/1"
    assert isinstance(conn.next_event(output_blocked=True), End)
    assert conn.next_event(output_blocked=True) is None and conn.held
    second = conn.next_event(output_blocked=False)
    assert isinstance(second, RequestHead) and second.url == "/2"


def test_a_long_pipeline_comes_out_whole_and_in_order() -> None:
    """Hundreds of requests in one read, taken one event at a time (with a pause on the
    way, and more bytes arriving once all were taken): every head and end, in order."""
    conn: ServerConnection[object] = ServerConnection()
    conn.receive_data(b"".join(b"GET /%d HTTP/1.1\r\nHost: a\r\n\r\n" % i for i in range(300)))
    urls: list[str] = []
    ends = 0
    while (event := conn.next_event(output_blocked=len(urls) == 100 and ends == 100)) is not None:
        if isinstance(event, RequestHead):
            urls.append(event.url)
        else:
            assert isinstance(event, End)
            ends += 1
    assert (urls, ends, conn.held) == ([f"/{i}" for i in range(100)], 100, True)
    while (event := conn.next_event()) is not None:
        if isinstance(event, RequestHead):
            urls.append(event.url)
        else:
            ends += 1
    assert (urls, ends, conn.held) == ([f"/{i}" for i in range(300)], 300, False)
    conn.receive_data(b"GET /last HTTP/1.1\r\nHost: a\r\n\r\n")
    last = conn.next_event()
    assert isinstance(last, RequestHead) and last.url == "/last"


def test_requests_after_connection_close_are_ignored() -> None:
    conn: ServerConnection[object] = ServerConnection()
    conn.receive_data(
        b"GET /1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
    )
    events = _heads(conn)
    assert [type(e) for e in events] == [RequestHead, End]


def test_garbage_after_a_request_fails_behind_it() -> None:
    conn: ServerConnection[object] = ServerConnection()
    conn.receive_data(b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nXYZ\r\n\r\n")
    events = _heads(conn)
    assert [type(e) for e in events] == [RequestHead, End, Failure]
    assert conn.closing


def test_verdicts() -> None:
    conn: ServerConnection[object] = ServerConnection(max_requests=2)
    conn.receive_data(
        b"GET /1 HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n"
        b"GET /2 HTTP/1.1\r\nHost: a\r\nExpect: other\r\n\r\n"
        b"GET /3 HTTP/1.1\r\nHost: a\r\n\r\n"
        b"GET /4 HTTP/1.0\r\n\r\n"
    )
    heads = [e for e in _heads(conn) if isinstance(e, RequestHead)]
    assert [(h.verdict, h.last, h.expect_continue, h.expect_failed) for h in heads] == [
        (Verdict.SERVE, False, True, False),
        (Verdict.SERVE, True, False, True),
        (Verdict.OVER_LIMIT, True, False, False),
        (Verdict.SERVE, False, False, False),  # HTTP/1.0: no Host rule, no limit
    ]
    missing: ServerConnection[object] = ServerConnection()
    missing.receive_data(b"GET / HTTP/1.1\r\n\r\n")
    head = missing.next_event()
    assert isinstance(head, RequestHead) and head.verdict == Verdict.NO_HOST


def test_a_second_host_header_fails_the_connection() -> None:
    conn: ServerConnection[object] = ServerConnection()
    conn.receive_data(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
    events = _heads(conn)
    assert summary(events) == [("failure", "HPE_INVALID_HEADER_TOKEN")]


def test_what_follows_a_response() -> None:
    conn: ServerConnection[str] = ServerConnection(keep_alive_timeout=5000, max_requests=10)
    conn.responses.extend(["a", "b"])
    assert conn.response_done("a", keep_alive=True, last_allowed=False) == Next.ATTACH
    assert conn.response_done("b", keep_alive=True, last_allowed=False) == Next.IDLE
    conn.responses.append("c")
    assert conn.response_done("c", keep_alive=True, last_allowed=True) == Next.CLOSE_AFTER_TICK
    conn.responses.append("d")
    assert conn.response_done("d", keep_alive=False, last_allowed=False) == Next.CLOSE
    assert (
        conn.keep_alive_lines(True) == "Connection: keep-alive\r\nKeep-Alive: timeout=5, max=10\r\n"
    )
    assert conn.keep_alive_lines(False) == "Connection: keep-alive\r\n"
