"""Node's OutgoingMessage header API and write rules, on a real server's responses.

Each case runs inside a handler; the answer's bytes on the wire are checked too. The
expected values are Node's (``lib/_http_outgoing.js``): checked side by side against
node v20 where noted.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import pytest

from nodehttps import errors, http
from nodehttps.http import IncomingMessage, ServerResponse
from rawpeer import RawClient
from servers import listening


def _date_free(data: bytes) -> bytes:
    return re.sub(rb"Date: [^\r]+\r\n", b"", data)


def _answer(
    run: Callable[..., Any], handler: Callable[[IncomingMessage, ServerResponse], None]
) -> bytes:
    """Serve one GET with ``handler``; the answer's bytes (``Date`` removed)."""

    async def main() -> bytes:
        server = http.create_server(handler)
        port = await listening(server)
        client = await RawClient.connect(port)
        await client.send(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = await client.read_all()
        client.close()
        await server.aclose()
        return _date_free(data)

    return bytes(run(main()))


def test_header_map_as_node(run: Callable[..., Any]) -> None:
    seen: dict[str, Any] = {}

    def handler(req: IncomingMessage, res: ServerResponse) -> None:
        res.set_header("X-One", "1")
        res.set_headers({"X-Two": "2", "Set-Cookie": ("a=1", "b=2")})
        res.append_header("x-one", "1b")
        res.append_header("X-New", ["n1", "n2"])
        res.append_header("X-Single", "s")
        seen["get"] = res.get_header("X-ONE")
        seen["missing"] = res.get_header("nope")
        seen["headers"] = res.get_headers()
        seen["names"] = res.get_header_names()
        seen["raw"] = res.get_raw_header_names()
        seen["has"] = (res.has_header("set-cookie"), res.has_header("X-Nope"))
        res.remove_header("x-two")
        seen["after_remove"] = res.get_header_names()
        with pytest.raises(TypeError) as bad:
            res.get_header(5)  # Node's ERR_INVALID_ARG_TYPE
        seen["bad_code"] = bad.value.code  # type: ignore[attr-defined]
        res.end("ok")

    answer = _answer(run, handler)
    assert seen["get"] == ["1", "1b"]
    assert seen["missing"] is None
    assert seen["headers"] == {
        "x-one": ["1", "1b"],
        "x-two": "2",
        "set-cookie": ["a=1", "b=2"],
        "x-new": ["n1", "n2"],
        "x-single": "s",
    }
    assert seen["names"] == ["x-one", "x-two", "set-cookie", "x-new", "x-single"]
    assert seen["raw"] == ["X-One", "X-Two", "Set-Cookie", "X-New", "X-Single"]
    assert seen["has"] == (True, False)
    assert seen["after_remove"] == ["x-one", "set-cookie", "x-new", "x-single"]
    assert seen["bad_code"] == "ERR_INVALID_ARG_TYPE"
    assert answer == (
        b"HTTP/1.1 200 OK\r\nX-One: 1\r\nX-One: 1b\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n"
        b"X-New: n1\r\nX-New: n2\r\nX-Single: s\r\nConnection: close\r\n"
        b"Content-Length: 2\r\n\r\nok"
    )


def test_headers_after_they_are_sent(run: Callable[..., Any]) -> None:
    codes: list[str] = []

    def handler(req: IncomingMessage, res: ServerResponse) -> None:
        res.flush_headers()
        for call in (
            lambda: res.set_header("X", "1"),
            lambda: res.append_header("X", "1"),
            lambda: res.remove_header("X"),
            lambda: res.write_head(200),
        ):
            with pytest.raises(errors.NodeError) as bad:
                call()
            codes.append(str(bad.value.code))
        assert res.headers_sent and res.header_sent
        res.end()

    answer = _answer(run, handler)
    assert codes == ["ERR_HTTP_HEADERS_SENT"] * 4
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and b"Transfer-Encoding: chunked" in answer
    assert answer.endswith(b"0\r\n\r\n")


def test_removed_framing_headers_end_the_message_by_close(run: Callable[..., Any]) -> None:
    """Node: with Content-Length and Transfer-Encoding both removed, the body ends the
    message (the connection closes)."""

    def handler(req: IncomingMessage, res: ServerResponse) -> None:
        res.remove_header("content-length")
        res.remove_header("transfer-encoding")
        res.write("body")
        res.end()

    assert _answer(run, handler) == b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbody"


def test_connection_close_is_a_word_not_a_part_of_one(run: Callable[..., Any]) -> None:
    """Node's ``RE_CONN_CLOSE``: a user's ``Connection: closed`` keeps the connection
    (two requests answered on it), ``Connection: Close, TE`` ends it."""

    async def main() -> tuple[bytes, bytes, bytes]:
        value = "closed"

        def handler(req: IncomingMessage, res: ServerResponse) -> None:
            res.set_header("Connection", value)
            res.end("ok")

        server = http.create_server(handler)
        port = await listening(server)
        client = await RawClient.connect(port)
        await client.send(b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\n")
        first = await client.read_response()
        await client.send(b"GET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
        second = await client.read_response()
        client.close()
        value = "Close, TE"
        client = await RawClient.connect(port)
        await client.send(b"GET /3 HTTP/1.1\r\nHost: x\r\n\r\n")
        last = await client.read_all()  # the server closes after it
        client.close()
        await server.aclose()
        return first, second, last

    first, second, last = run(main())
    for answer in (first, second):
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and b"Connection: closed\r\n" in answer
        assert answer.endswith(b"\r\n\r\nok")
    assert b"Connection: Close, TE\r\n" in last and last.endswith(b"\r\n\r\nok")


def test_trailers_and_big_chunks(run: Callable[..., Any]) -> None:
    big = b"z" * 70000

    def handler(req: IncomingMessage, res: ServerResponse) -> None:
        res.write_head(200, {"Trailer": "X-Sum"})
        res.write(big)
        res.add_trailers({"X-Sum": "abc"})
        res.end(big)

    answer = _answer(run, handler)
    head, body = answer.split(b"\r\n\r\n", 1)
    assert b"Transfer-Encoding: chunked" in head
    assert body == (b"%x\r\n" % len(big) + big + b"\r\n") * 2 + b"0\r\nX-Sum: abc\r\n\r\n"


def test_strict_content_length(run: Callable[..., Any]) -> None:
    outcome: list[str] = []

    def handler(req: IncomingMessage, res: ServerResponse) -> None:
        res.strict_content_length = True
        res.set_header("Content-Length", "3")
        with pytest.raises(errors.NodeError) as over:
            res.write("toolong")
        outcome.append(str(over.value.code))
        res.strict_content_length = False
        res.end("abc")

    _answer(run, handler)
    assert outcome == ["ERR_HTTP_CONTENT_LENGTH_MISMATCH"]


def test_write_after_end_and_end_twice(run: Callable[..., Any]) -> None:
    events: list[Any] = []

    def handler(req: IncomingMessage, res: ServerResponse) -> None:
        res.end("done")
        res.on("error", lambda err: events.append(("error", err.code)))
        assert res.write("more", lambda err: events.append(("cb", err.code))) is True
        res.end(lambda err: events.append(("end-cb", err.code if err else None)))

    _answer(run, handler)
    assert ("cb", "ERR_STREAM_WRITE_AFTER_END") in events
    assert ("error", "ERR_STREAM_WRITE_AFTER_END") in events
    assert ("end-cb", "ERR_STREAM_ALREADY_FINISHED") in events


def test_write_on_a_destroyed_response(run: Callable[..., Any]) -> None:
    events: list[Any] = []
    done: asyncio.Future[None] | None = None

    def handler(req: IncomingMessage, res: ServerResponse) -> None:
        res.destroy()
        res.on("error", lambda err: events.append(err.code))
        assert res.write("x") is False
        assert done is not None
        res.socket.once("close", lambda *_: done.set_result(None))

    async def main() -> None:
        nonlocal done
        done = asyncio.get_running_loop().create_future()
        server = http.create_server(handler)
        port = await listening(server)
        client = await RawClient.connect(port)
        await client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.wait_for(done, 5)
        await asyncio.sleep(0)
        client.close()
        await server.aclose()

    run(main())
    assert events == ["ERR_STREAM_DESTROYED"]
