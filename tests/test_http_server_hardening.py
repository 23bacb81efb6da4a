"""The server on hostile or fragmented input, over real sockets (plain and TLS).

Each request is sent whole, byte by byte and at seeded random split points; the
handler must see the same request every time, and bad input gets Node's exact bytes.
"""

from __future__ import annotations

import asyncio
import random
import re
import ssl
from typing import Unpack

import pytest

import nodehttps as https
from harness import Run, once
from nodehttps import http, net
from nodehttps.errors import NodeError
from rawpeer import RawClient
from servers import Handler, listening
from tls_pki import PKI

BAD_400 = b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"
BAD_431 = b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n"
BAD_413 = b"HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n"


def _date_free(data: bytes) -> bytes:
    return re.sub(rb"Date: [^\r]+\r\n", b"", data)


def _splits(data: bytes, seed: int = 1) -> list[list[bytes]]:
    rng = random.Random(seed)
    out = [[data], [data[i : i + 1] for i in range(len(data))]]
    for _ in range(4):
        cuts = sorted(rng.sample(range(1, len(data)), min(5, len(data) - 1)))
        out.append([data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)])
    return out


class _Recorder:
    """A handler that records what it saw and answers with it."""

    def __init__(self) -> None:
        self.seen: list[tuple[str | None, str | None, tuple[str, ...], bytes]] = []

    def __call__(self, req: http.IncomingMessage, res: http.ServerResponse) -> None:
        body: list[bytes] = []
        req.on("data", body.append)

        def end() -> None:
            self.seen.append((req.method, req.url, tuple(req.raw_headers), b"".join(body)))
            res.end("ok")

        req.on("end", end)


async def _server(
    tls: bool, pki: PKI, handler: Handler, **options: Unpack[http.HttpServerOptions]
) -> tuple[http.Server | https.Server, int, ssl.SSLContext | None]:
    server: http.Server | https.Server
    context: ssl.SSLContext | None
    if tls:
        full: https.HttpsServerOptions = {**pki.leaf.https_options(), **options}
        server = https.create_server(full, handler)
        context = ssl.create_default_context(cadata=pki.ca)
    else:
        server = http.create_server(options, handler)
        context = None
    return server, await listening(server), context


async def _exchange(
    port: int,
    context: ssl.SSLContext | None,
    pieces: list[bytes],
    half_close: bool = True,
    one: bool = False,
) -> bytes:
    """Send ``pieces`` (each its own read; over TLS, its own record); everything the
    server answers until it closes, or its first response (``one``)."""
    client = await RawClient.connect(
        port, ssl=context, server_hostname="localhost" if context else None
    )
    for piece in pieces:
        await client.send(piece)
        await asyncio.sleep(0)  # kept: one loop turn, in which the server reads this piece
    if half_close and context is None and not one:
        client.writer.write_eof()
    try:
        return await (client.read_response() if one else client.read_all(timeout=5))
    finally:
        client.close()


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
def test_the_handler_sees_the_same_request_in_any_split(run: Run, pki: PKI, tls: bool) -> None:
    data = (
        b"POST /some/path?x=1&y=%20z HTTP/1.1\r\nHost: localhost\r\nX-Long: "
        + b"v" * 300
        + b"\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nbody\r\n3\r\n!!!\r\n0\r\nT: 1\r\n\r\n"
    )

    async def main() -> None:
        recorder = _Recorder()
        server, port, context = await _server(tls, pki, recorder)
        for pieces in _splits(data):
            answer = await _exchange(port, context, pieces, one=True)
            assert answer.startswith(b"HTTP/1.1 200 OK")
        assert len(recorder.seen) == len(_splits(data))
        assert set(recorder.seen) == {
            (
                "POST",
                "/some/path?x=1&y=%20z",
                ("Host", "localhost", "X-Long", "v" * 300, "Transfer-Encoding", "chunked"),
                b"body!!!",
            )
        }
        await server.aclose()

    run(main(), timeout=60)


@pytest.mark.parametrize(("counted", "answer"), [(16383, b"HTTP/1.1 200 OK"), (16384, BAD_431)])
def test_header_block_limit_answers_nodes_431_to_the_byte(
    run: Run, pki: PKI, counted: int, answer: bytes
) -> None:
    # Node counts the URL, header names and values: "/" + "Host" + "a" + "X" + value
    data = b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"v" * (counted - 7) + b"\r\n\r\n"

    async def main() -> None:
        server, port, _ = await _server(False, pki, _Recorder())
        for pieces in ([data], [data[i : i + 999] for i in range(0, len(data), 999)]):
            got = _date_free(await _exchange(port, None, pieces))
            assert got.startswith(answer)
            if answer == BAD_431:
                assert got == BAD_431
        await server.aclose()

    run(main(), timeout=30)


@pytest.mark.parametrize(
    ("limit", "raw", "keys"), [(None, 1023, 1000), (50, 62, 50), (0, 2101, 2101)]
)
def test_max_headers_count_hands_over_what_node_does(
    run: Run, pki: PKI, limit: int | None, raw: int, keys: int
) -> None:
    data = b"GET / HTTP/1.1\r\nHost: a\r\n" + b"".join(b"x%d: v\r\n" % i for i in range(2100))
    seen: list[tuple[int, int]] = []

    def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
        seen.append((len(req.raw_headers) // 2, len(req.headers)))
        res.end()

    async def main() -> None:
        server, port, _ = await _server(False, pki, handler)
        server.max_headers_count = limit
        await _exchange(port, None, [data + b"\r\n"])
        assert seen == [(raw, keys)]
        await server.aclose()

    run(main())


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
def test_chunk_extensions_over_16k_in_one_read_get_413(run: Run, pki: PKI, tls: bool) -> None:
    data = (
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;"
        + b"e" * 20000
        + b"\r\nhello\r\n0\r\n\r\n"
    )

    async def main() -> None:
        recorder = _Recorder()
        server, port, context = await _server(tls, pki, recorder)
        for pieces in ([data], [data[i : i + 4096] for i in range(0, len(data), 4096)]):
            assert await _exchange(port, context, pieces, half_close=False) == BAD_413
        assert recorder.seen == []
        await server.aclose()

    run(main(), timeout=30)


def test_a_valid_request_followed_by_garbage_is_answered_then_400(run: Run, pki: PKI) -> None:
    # SPEC §9: Node drops the valid response; we answer it first.
    async def main() -> None:
        recorder = _Recorder()
        server, port, _ = await _server(False, pki, recorder)
        got = await _exchange(port, None, [b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGARBAGE\r\n\r\n"])
        first, rest = _date_free(got).split(b"ok", 1)
        assert first.startswith(b"HTTP/1.1 200 OK") and rest == BAD_400
        assert [s[1] for s in recorder.seen] == ["/1"]
        await server.aclose()

    run(main())


def test_requests_after_connection_close_are_ignored(run: Run, pki: PKI) -> None:
    # SPEC §9: Node answers only a 400; we answer the first and close.
    async def main() -> None:
        recorder = _Recorder()
        server, port, _ = await _server(False, pki, recorder)
        data = (
            b"GET /1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
            b"GET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
        )
        got = _date_free(await _exchange(port, None, [data], half_close=False))
        assert got == b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
        assert [s[1] for s in recorder.seen] == ["/1"]
        await server.aclose()

    run(main())


def test_a_body_cut_short_by_eof_gets_400(run: Run, pki: PKI) -> None:
    async def main() -> None:
        errors: list[str] = []
        recorder = _Recorder()
        server, port, _ = await _server(False, pki, recorder)
        aborted: list[bool] = []
        server.on("request", lambda req, res: req.on("aborted", lambda: aborted.append(True)))
        data = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhello"
        assert await _exchange(port, None, [data]) == BAD_400

        def on_client_error(err: NodeError, sock: net.Socket) -> None:
            errors.append(err.code)
            sock.destroy()

        server.on("clientError", on_client_error)
        assert await _exchange(port, None, [data]) == b""
        assert errors == ["HPE_INVALID_EOF_STATE"]
        assert recorder.seen == [] and aborted == [True, True]
        await server.aclose()

    run(main())


def test_pipelined_requests_wait_while_output_is_above_the_mark(run: Run, pki: PKI) -> None:
    """Node's parserOnIncoming: a client that sends many pipelined requests and reads
    nothing gets no more responses made than its socket buffer holds."""
    big = b"x" * (4 * 1024 * 1024)
    handled: list[str | None] = []

    def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
        handled.append(req.url)
        res.end(big)

    async def main() -> None:
        server, port, _ = await _server(False, pki, handler)
        client = await RawClient.connect(port)
        first = once(server, "request")
        await client.send(b"".join(b"GET /%d HTTP/1.1\r\nHost: a\r\n\r\n" % i for i in range(10)))
        await first
        # kept: a window in which the server runs its loop while nothing is read
        await asyncio.sleep(0.5)
        assert 1 <= len(handled) <= 2
        for _ in range(10):
            response = await client.read_response(timeout=10)
            assert response.endswith(big)
        assert handled == [f"/{i}" for i in range(10)]
        client.close()
        await server.aclose()

    run(main(), timeout=60)
