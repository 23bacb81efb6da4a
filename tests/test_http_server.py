"""http.Server over real sockets: responses, pipelining, bad input, timeouts, closing."""

from __future__ import annotations

import asyncio
import re

import pytest

from harness import Run, next_connection, once, resolve
from nodehttps import errors, http, net
from rawpeer import RawClient

BAD_400 = b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"
BAD_431 = b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n"
TIMEOUT_408 = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n"


def _date_free(resp: bytes) -> bytes:
    return re.sub(rb"Date: [^\r]+\r\n", b"", resp)


async def _listen(server: http.Server) -> int:
    server.listen(0, "127.0.0.1")
    addr = server.address()
    assert addr is not None
    return int(addr["port"])


def hello(req: http.IncomingMessage, res: http.ServerResponse) -> None:
    res.end("hello world\n")


def test_simple_response_bytes(run: Run) -> None:
    async def main() -> None:
        server = http.create_server(hello)
        port = await _listen(server)
        client = await RawClient.connect(port)
        await client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        resp = await client.read_response()
        assert _date_free(resp) == (
            b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n"
            b"Keep-Alive: timeout=5\r\nContent-Length: 12\r\n\r\n"
            b"hello world\n"
        )
        assert re.search(rb"\r\nDate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\n", resp)
        client.close()
        await server.aclose()

    run(main())


def test_write_head_then_end_is_chunked(run: Run) -> None:
    async def main() -> None:
        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            res.write_head(200, {"Content-Type": "text/plain"})
            res.end("hello")

        server = http.create_server(handler)
        port = await _listen(server)
        client = await RawClient.connect(port)
        await client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        resp = _date_free(await client.read_response())
        assert resp == (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\n"
            b"Keep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n0\r\n\r\n"
        )
        client.close()
        await server.aclose()

    run(main())


def test_pipelined_requests_answered_in_order(run: Run) -> None:
    async def main() -> None:
        seen: list[str | None] = []

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            seen.append(req.url)
            delay = 0.05 if req.url == "/1" else 0
            asyncio.get_running_loop().call_later(delay, res.end, req.url)

        server = http.create_server(handler)
        port = await _listen(server)
        client = await RawClient.connect(port)
        await client.send(b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
        first = await client.read_response()
        second = await client.read_response()
        assert first.endswith(b"/1") and second.endswith(b"/2")
        assert seen == ["/1", "/2"]
        client.close()
        await server.aclose()

    run(main())


@pytest.mark.parametrize(
    "raw",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"GE T / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost : x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",  # SPEC §9: two Host headers
    ],
)
def test_bad_requests_get_400_and_never_reach_the_handler(run: Run, raw: bytes) -> None:
    async def main() -> None:
        calls: list[str | None] = []

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            calls.append(req.url)
            res.end()

        server = http.create_server(handler)
        port = await _listen(server)
        client = await RawClient.connect(port)
        await client.send(raw)
        assert await client.read_all() == BAD_400
        assert calls == []
        client.close()
        await server.aclose()

    run(main())


def test_missing_host_gets_nodes_400_response(run: Run) -> None:
    async def main() -> None:
        calls: list[str | None] = []

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            calls.append(req.url)
            res.end()

        server = http.create_server(handler)
        port = await _listen(server)
        client = await RawClient.connect(port)
        await client.send(b"GET / HTTP/1.1\r\n\r\n")
        assert _date_free(await client.read_all()) == (
            b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        )
        assert calls == []
        client.close()
        await server.aclose()

    run(main())


def test_oversized_headers_get_431(run: Run) -> None:
    async def main() -> None:
        errs: list[str] = []
        server = http.create_server(hello)

        def on_client_error(err: errors.NodeError, sock: net.Socket) -> None:
            errs.append(err.code)
            sock.end(BAD_431)

        server.on("clientError", on_client_error)
        port = await _listen(server)
        client = await RawClient.connect(port)
        await client.send(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
        assert await client.read_all() == BAD_431
        assert errs == ["HPE_HEADER_OVERFLOW"]
        client.close()
        await server.aclose()

    run(main())


def test_default_431_without_client_error_listener(run: Run) -> None:
    async def main() -> None:
        server = http.create_server(hello)
        port = await _listen(server)
        client = await RawClient.connect(port)
        await client.send(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
        assert await client.read_all() == BAD_431
        client.close()
        await server.aclose()

    run(main())


def test_head_and_204_have_no_body(run: Run) -> None:
    async def main() -> None:
        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            if req.url == "/204":
                res.status_code = 204
            res.end("body")

        server = http.create_server(handler)
        port = await _listen(server)
        client = await RawClient.connect(port)
        await client.send(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET /204 HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await client.reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        second = await client.reader.readuntil(b"\r\n\r\n")
        assert second.startswith(b"HTTP/1.1 204 No Content\r\n")
        assert b"Content-Length" not in second and b"Transfer-Encoding" not in second
        client.close()
        await server.aclose()

    run(main())


def test_chunked_request_body_and_trailers(run: Run) -> None:
    async def main() -> None:
        got: dict[str, object] = {}

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            chunks: list[bytes] = []
            req.on("data", chunks.append)

            def done() -> None:
                got["body"] = b"".join(chunks)
                got["trailers"] = req.trailers
                res.end("ok")

            req.on("end", done)

        server = http.create_server(handler)
        port = await _listen(server)
        client = await RawClient.connect(port)
        await client.send(
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 11\r\n\r\n"
        )
        resp = await client.read_response()
        assert resp.endswith(b"ok")
        assert got == {"body": b"hello world", "trailers": {"x-sum": "11"}}
        client.close()
        await server.aclose()

    run(main())


def test_expect_100_continue(run: Run) -> None:
    async def main() -> None:
        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            req.resume()
            req.on("end", lambda: res.end("done"))

        server = http.create_server(handler)
        port = await _listen(server)
        client = await RawClient.connect(port)
        await client.send(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"
        )
        cont = await client.reader.readuntil(b"\r\n\r\n")
        assert cont == b"HTTP/1.1 100 Continue\r\n\r\n"
        await client.send(b"abc")
        assert (await client.read_response()).endswith(b"done")
        client.close()
        await server.aclose()

    run(main())


def test_final_status_without_100_continue_closes_and_503_as_node(run: Run) -> None:
    """Node: a final status to an ``Expect: 100-continue`` request that got no
    ``100 Continue`` ends the connection (the body may still come); the 503 past
    ``max_requests_per_socket`` has Node's header order (Date, then Connection)."""

    async def main() -> None:
        server = http.create_server(hello)
        server.on("checkContinue", lambda req, res: res.end("no"))
        port = await _listen(server)
        client = await RawClient.connect(port)
        await client.send(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"
        )
        assert _date_free(await client.read_all()) == (
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nno"
        )
        client.close()
        server.max_requests_per_socket = 1
        client = await RawClient.connect(port)
        await client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
        data = await client.read_all()
        assert re.sub(rb"Date: [^\r]+\r\n", b"Date: *\r\n", data).endswith(
            b"HTTP/1.1 503 Service Unavailable\r\nDate: *\r\nConnection: close\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        )
        client.close()
        await server.aclose()

    run(main())


def test_connection_close_ends_the_socket(run: Run) -> None:
    async def main() -> None:
        server = http.create_server(hello)
        port = await _listen(server)
        client = await RawClient.connect(port)
        # SPEC §9: the request after Connection: close in the same packet is ignored.
        await client.send(
            b"GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        data = await client.read_all()
        assert data.count(b"HTTP/1.1 200 OK") == 1
        assert b"Connection: close\r\n" in data
        client.close()
        await server.aclose()

    run(main())


def test_exception_in_handler_answers_500_and_keeps_serving(
    run: Run, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            if req.url == "/boom":
                raise RuntimeError("boom")
            res.end("fine")

        server = http.create_server(handler)
        port = await _listen(server)
        client = await RawClient.connect(port)
        await client.send(b"GET /boom HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await client.read_all()).startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
        client.close()
        client = await RawClient.connect(port)
        await client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await client.read_response()).endswith(b"fine")
        client.close()
        await server.aclose()

    run(main())
    assert any("boom" in str(r.exc_info) for r in caplog.records)


def test_headers_timeout_answers_408(run: Run) -> None:
    async def main() -> None:
        server = http.create_server(
            {"headers_timeout": 200, "request_timeout": 400, "connections_checking_interval": 50},
            hello,
        )
        port = await _listen(server)
        client = await RawClient.connect(port)
        await client.send(b"GET / HTTP/1.1\r\nHost: x\r\n")
        loop = asyncio.get_running_loop()
        start = loop.time()
        assert await client.read_all() == TIMEOUT_408
        assert 0.15 < loop.time() - start < 1.5
        client.close()
        await server.aclose()

    run(main())


def test_keep_alive_timeout_closes_idle_socket(run: Run) -> None:
    async def main() -> None:
        server = http.create_server({"keep_alive_timeout": 100}, hello)
        port = await _listen(server)
        client = await RawClient.connect(port)
        await client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        resp = await client.read_response()
        assert b"Keep-Alive: timeout=0\r\n" in resp
        loop = asyncio.get_running_loop()
        start = loop.time()
        assert await client.closed(timeout=5)
        assert loop.time() - start < 3
        client.close()
        await server.aclose()

    run(main())


def test_close_closes_idle_connections_but_not_busy_ones(run: Run) -> None:
    async def main() -> None:
        server = http.create_server(hello)
        port = await _listen(server)
        idle = await RawClient.connect(port)
        await idle.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await idle.read_response()
        busy_conn = next_connection(server)
        busy = await RawClient.connect(port)
        await busy.send(b"GET / HTTP/1.1\r\n")
        await (await asyncio.wait_for(busy_conn, 5)).reach(16)  # a request under way
        closed: list[BaseException | None] = []
        close_done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def on_close(err: BaseException | None = None) -> None:
            closed.append(err)
            resolve(close_done, None)

        server.close(on_close)
        assert await idle.closed()
        await asyncio.sleep(0.1)  # kept: a window in which the busy one must stay open
        assert not busy.reader.at_eof()
        server.close_all_connections()
        assert await busy.closed()
        await asyncio.wait_for(close_done, 5)
        assert closed == [None]
        idle.close()
        busy.close()

    run(main())


def test_outgoing_header_validation(run: Run) -> None:
    async def main() -> None:
        results: list[str] = []

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            for name, value in (("X-Bad", "a\r\nb"), ("Bad Name", "v"), ("X-None", None)):
                try:
                    res.set_header(name, value)
                except errors.NodeError as err:
                    results.append(err.code)
            try:
                res.write_head(1000)
            except errors.NodeError as err:
                results.append(err.code)
            res.end("x")
            try:
                res.set_header("X-Late", "1")
            except errors.NodeError as err:
                results.append(err.code)

        server = http.create_server(handler)
        port = await _listen(server)
        client = await RawClient.connect(port)
        await client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await client.read_response()
        assert results == [
            "ERR_INVALID_CHAR",
            "ERR_INVALID_HTTP_TOKEN",
            "ERR_HTTP_INVALID_HEADER_VALUE",
            "ERR_HTTP_INVALID_STATUS_CODE",
            "ERR_HTTP_HEADERS_SENT",
        ]
        client.close()
        await server.aclose()

    run(main())


def test_trailer_validation_and_response_set_timeout_as_node(run: Run) -> None:
    """Node's addTrailers: 'Trailer name' tokens, any control character refused;
    res.setTimeout's callback is an ``on`` listener (it fires on every 'timeout')."""

    async def main() -> None:
        results: list[str] = []
        fired: list[int] = []

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            for trailers in ({"a b": "1"}, {"x": "a\x01b"}, {"x": ["a", "b\x7f"]}):
                try:
                    res.add_trailers(trailers)
                except errors.NodeError as err:
                    results.append(f"{err.code} {err}")
            res.set_timeout(0, lambda *a: fired.append(1))
            res.emit("timeout")
            res.emit("timeout")
            res.end("x")

        server = http.create_server(handler)
        port = await _listen(server)
        client = await RawClient.connect(port)
        await client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await client.read_response()
        assert results == [
            'ERR_INVALID_HTTP_TOKEN Trailer name must be a valid HTTP token ["a b"]',
            'ERR_INVALID_CHAR Invalid character in trailer content ["x"]',
            'ERR_INVALID_CHAR Invalid character in trailer content ["x"]',
        ]
        assert fired == [1, 1]
        client.close()
        await server.aclose()

    run(main())


def test_write_early_hints_as_node(run: Run) -> None:
    """Node's writeEarlyHints: Link first (a list joined with ', '), nothing without a
    link, a malformed link refused with ERR_INVALID_ARG_VALUE (bytes checked with node 20)."""

    async def main() -> None:
        codes: list[str] = []
        called: list[int] = []

        all_hints: list[dict[str, str | list[str]]] = [
            {"x-a": "1", "link": "</a.css>; rel=preload; as=style"},
            {"link": ["</a>; rel=preload", '</b>; rel="x"'], "x-b": ["1", "2"]},
            {"x-a": "1"},
            {"link": []},
            {"link": "bad"},
            {"link": "</a>\n"},
        ]

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            for hints in all_hints:
                try:
                    res.write_early_hints(hints, lambda: called.append(1))
                except errors.NodeError as err:
                    codes.append(err.code)
            res.end()

        server = http.create_server(handler)
        port = await _listen(server)
        client = await RawClient.connect(port)
        await client.send(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = await client.read_all()
        assert data.startswith(
            b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload; as=style\r\nx-a: 1\r\n\r\n"
            b'HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload, </b>; rel="x"\r\nx-b: 1,2\r\n'
            b"\r\nHTTP/1.1 200 OK\r\n"
        )
        assert codes == ["ERR_INVALID_ARG_VALUE"] * 2 and called == [1, 1]
        client.close()
        await server.aclose()

    run(main())


def test_upgrade_event_gets_the_socket_and_the_rest(run: Run) -> None:
    async def main() -> None:
        got: dict[str, object] = {}

        def on_upgrade(req: http.IncomingMessage, sock: net.Socket, head: bytes) -> None:
            got["head"] = head
            sock.write(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n"
            )
            sock.on("data", lambda d: sock.write(d.upper()))

        server = http.create_server(hello)
        server.on("upgrade", on_upgrade)
        port = await _listen(server)
        client = await RawClient.connect(port)
        await client.send(
            b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nearly"
        )
        head = await client.reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101")
        await client.send(b"more")
        assert await client.reader.readexactly(4) == b"MORE"
        assert got["head"] == b"early"
        client.close()
        await server.aclose()

    run(main())


def test_server_timeouts_validation() -> None:
    with pytest.raises(errors.error_class("ERR_OUT_OF_RANGE")) as info:
        http.create_server({"headers_timeout": 10000, "request_timeout": 1000})
    assert str(info.value) == (
        'The value of "headersTimeout" is out of range. '
        "It must be <= requestTimeout. Received 10000"
    )
    assert http.create_server({"request_timeout": 20000}).headers_timeout == 20000
    assert http.create_server({"request_timeout": 100000}).headers_timeout == 60000
    server = http.create_server()
    assert (
        server.headers_timeout,
        server.request_timeout,
        server.keep_alive_timeout,
        server.timeout,
    ) == (60000, 300000, 5000, 0)


def test_response_back_pressure_and_drain(run: Run) -> None:
    async def main() -> None:
        state = {"false": 0, "drain": 0, "sent": 0}
        pressed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            chunk = b"x" * 65536

            def pump() -> None:
                for _ in range(64):
                    state["sent"] += 1
                    if state["sent"] > 64:
                        res.end()
                        return
                    if not res.write(chunk):
                        state["false"] += 1
                        resolve(pressed, None)
                        return
                res.end()

            def on_drain() -> None:
                state["drain"] += 1
                pump()

            res.on("drain", on_drain)
            pump()

        server = http.create_server(handler)
        port = await _listen(server)
        client = await RawClient.connect(port)
        await client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.wait_for(pressed, 5)  # the server hits back-pressure: we do not read
        resp = await client.read_response(timeout=10)
        assert resp.count(b"x") == 64 * 65536
        assert state["false"] >= 1 and state["drain"] >= 1
        client.close()
        await server.aclose()

    run(main())


def test_streamed_chunk_extensions_get_413(run: Run) -> None:
    async def main() -> None:
        calls: list[str | None] = []

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            calls.append(req.url)
            req.resume()

        server = http.create_server(handler)
        port = await _listen(server)
        conn = next_connection(server)
        head_parsed = once(server, "request")
        client = await RawClient.connect(port)
        head = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;a="
        await client.send(head)
        await head_parsed  # the head is parsed on its own; only extension bytes follow
        received = await asyncio.wait_for(conn, 5)
        sent = len(head)
        for size in (4096, 4096, 4096, 4096):  # 16584 extension bytes, piece by piece
            await client.send(b"x" * size)
            sent += size
            await received.reach(sent)  # each piece its own read
        await client.send(b"x" * 200)  # the last piece goes over the limit
        assert await client.read_all() == (
            b"HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n"
        )
        client.close()
        await server.aclose()

    run(main())


def test_request_set_timeout_callback_hears_every_quiet_period(run: Run) -> None:
    """``req.set_timeout(ms, cb)``: ``cb`` listens as Node's ``on``, so a second quiet
    period after new activity calls it again."""

    async def main() -> None:
        fired: list[float] = []
        server = http.create_server(
            lambda req, res: req.set_timeout(40, lambda *_: fired.append(1))
        )
        port = await _listen(server)
        client = await RawClient.connect(port)
        await client.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab")
        # kept: windows of several 40 ms periods, in each of which it must fire just once
        await asyncio.sleep(0.15)
        await client.send(b"c")  # activity re-arms the socket's timer
        await asyncio.sleep(0.15)
        assert len(fired) == 2
        client.close()
        server.close_all_connections()
        await server.aclose()

    run(main())
