"""Node's own timeout and closing tests, ported (catalogue §A4 and §A5).

Server timeouts (``headers_timeout``, ``request_timeout``, the ``408`` answer,
``keep_alive_timeout`` and its header, ``max_requests_per_socket``, ``set_timeout`` on
the server, the request and the response, the TLS ``handshake_timeout``), client-side
timeouts (``req.set_timeout``, the ``timeout`` option, with and without an agent), and
closing (``close``, ``close_all_connections``, ``close_idle_connections``, ``aclose()``
/ ``async with``). https tests run over real TLS with the test PKI, http ones over
plain TCP. Each test names the Node test it mirrors.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TypeVar, Unpack

import pytest

import nodehttps as https
from harness import Run, closed, global_agent, next_connection, once, resolve
from nodehttps import consumers, errors, events, http, net, tls
from rawpeer import RawClient
from servers import Handler
from tls_pki import PKI

T = TypeVar("T")
TIMEOUT_408 = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n"


@pytest.fixture(scope="module")
def pki() -> PKI:
    return PKI()


def _port(server: net.Server) -> int:
    addr = server.address()
    assert addr is not None
    return int(addr["port"])


async def _https_server(
    pki: PKI, handler: Handler | None = None, **options: Unpack[https.HttpsServerOptions]
) -> tuple[https.Server, int]:
    server = https.create_server({**pki.leaf.https_options(), **options}, handler)
    server.listen(0, "127.0.0.1")
    await events.once(server, "listening")
    return server, _port(server)


async def _http_server(
    handler: Handler | None = None, **options: Unpack[http.HttpServerOptions]
) -> tuple[http.Server, int]:
    server = http.create_server(options or None, handler)
    server.listen(0, "127.0.0.1")
    await events.once(server, "listening")
    return server, _port(server)


async def _tls_raw(pki: PKI, port: int) -> RawClient:
    """A raw HTTP/1 peer over TLS (Python's own ssl, independent of the library)."""
    return await RawClient.connect(
        port, ssl=ssl.create_default_context(cadata=pki.ca), server_hostname="localhost"
    )


async def _server_for(
    proto: str, pki: PKI, handler: Handler | None = None, **options: Unpack[http.HttpServerOptions]
) -> tuple[http.Server | https.Server, int]:
    if proto == "https":
        return await _https_server(pki, handler, **options)
    return await _http_server(handler, **options)


async def _raw_for(proto: str, pki: PKI, port: int) -> RawClient:
    return await _tls_raw(pki, port) if proto == "https" else await RawClient.connect(port)


async def _read_until_closed(client: RawClient, timeout: float = 5) -> bytes:
    """Everything the server sends until it closes; an abrupt TLS close counts as EOF."""
    chunks: list[bytes] = []

    async def read() -> None:
        while True:
            try:
                data = await client.reader.read(65536)
            except (ConnectionError, ssl.SSLError):
                return
            if not data:
                return
            chunks.append(data)

    await asyncio.wait_for(read(), timeout)
    return b"".join(chunks)


def _future() -> asyncio.Future[T]:
    return asyncio.get_running_loop().create_future()


# -- §A4: server timeouts, https ------------------------------------------------------------


def test_https_server_headers_and_request_timeout_defaults_and_writable(run: Run, pki: PKI) -> None:
    """test-https-server-headers-timeout.js, test-https-server-request-timeout.js:
    ``headers_timeout`` is 60000 and ``request_timeout`` 300000 by default on an
    https.Server, both are writable, and what is written is what the server enforces."""

    async def main() -> None:
        defaults = https.create_server(pki.leaf.https_options())
        assert (defaults.headers_timeout, defaults.request_timeout) == (60000, 300000)
        both = https.create_server(
            {**pki.leaf.https_options(), "headers_timeout": 1000, "request_timeout": 2000}
        )
        assert (both.headers_timeout, both.request_timeout) == (1000, 2000)
        handled: list[str | None] = []
        server, port = await _https_server(
            pki, lambda req, res: handled.append(req.url), connections_checking_interval=50
        )
        server.headers_timeout = 200
        server.request_timeout = 400
        assert (server.headers_timeout, server.request_timeout) == (200, 400)
        client = await _tls_raw(pki, port)
        await client.send(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        loop = asyncio.get_running_loop()
        start = loop.time()
        assert await _read_until_closed(client) == TIMEOUT_408
        assert 0.15 < loop.time() - start < 2
        assert handled == []
        client.close()
        await server.aclose()

    run(main())


def test_https_set_timeout_server_fires_for_an_unanswered_request(run: Run, pki: PKI) -> None:
    """test-https-set-timeout-server.js (serverTimeout): ``server.set_timeout(50, cb)``
    returns the server and ``cb(socket)`` fires for a request that gets no reply."""

    async def main() -> None:
        server, port = await _https_server(pki, lambda req, res: None)
        fired: asyncio.Future[tls.TLSSocket] = _future()
        assert server.set_timeout(50, lambda sock: resolve(fired, sock)) is server
        assert server.timeout == 50
        req = https.get({"host": "localhost", "port": port, "ca": pki.ca, "agent": False})
        req.on("error", lambda _e: None)
        sock = await asyncio.wait_for(fired, 3)
        assert isinstance(sock, tls.TLSSocket) and sock.encrypted
        sock.destroy()
        await closed(req)
        await server.aclose()

    run(main())


def test_https_set_timeout_server_request_timeout_while_body_incomplete(run: Run, pki: PKI) -> None:
    """test-https-set-timeout-server.js (serverRequestTimeout): ``req.set_timeout(50, cb)``
    returns the IncomingMessage and fires while its body is still incomplete."""

    async def main() -> None:
        fired: asyncio.Future[http.IncomingMessage] = _future()
        returned: list[bool] = []

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            returned.append(req.set_timeout(50, lambda *a: resolve(fired, req)) is req)

        server, port = await _https_server(pki, handler)
        req = https.request(
            {"host": "localhost", "port": port, "ca": pki.ca, "agent": False, "method": "POST"}
        )
        req.on("error", lambda _e: None)
        req.write("Hello")  # the request stays in progress
        incoming = await asyncio.wait_for(fired, 3)
        assert returned == [True] and not incoming.complete
        incoming.socket.destroy()
        await closed(req)
        await server.aclose()

    run(main())


def test_https_set_timeout_server_response_timeout(run: Run, pki: PKI) -> None:
    """test-https-set-timeout-server.js (serverResponseTimeout): ``res.set_timeout(50, cb)``
    returns the ServerResponse and fires."""

    async def main() -> None:
        fired: asyncio.Future[http.ServerResponse] = _future()
        returned: list[bool] = []

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            returned.append(res.set_timeout(50, lambda *a: resolve(fired, res)) is res)

        server, port = await _https_server(pki, handler)
        req = https.get({"host": "localhost", "port": port, "ca": pki.ca, "agent": False})
        req.on("error", lambda _e: None)
        res = await asyncio.wait_for(fired, 3)
        assert returned == [True] and isinstance(res, http.ServerResponse)
        res.socket.destroy()
        await closed(req)
        await server.aclose()

    run(main())


def test_https_set_timeout_server_request_not_timed_out_after_end(run: Run, pki: PKI) -> None:
    """test-https-set-timeout-server.js (serverRequestNotTimeoutAfterEnd): once the
    request has fully arrived, ``req.set_timeout``'s callback does not fire; the response
    and the server still get ``'timeout'``."""

    async def main() -> None:
        seen: list[str] = []
        fired: asyncio.Future[None] = _future()

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            req.set_timeout(50, lambda *a: seen.append("req"))
            res.on("timeout", lambda sock: seen.append("res"))

        server, port = await _https_server(pki, handler)

        def on_server_timeout(sock: tls.TLSSocket) -> None:
            seen.append("server")
            sock.destroy()
            resolve(fired, None)

        server.on("timeout", on_server_timeout)
        req = https.get({"host": "localhost", "port": port, "ca": pki.ca, "agent": False})
        req.on("error", lambda _e: None)
        await asyncio.wait_for(fired, 3)
        assert seen == ["res", "server"]
        await closed(req)
        await server.aclose()

    run(main())


def test_https_set_timeout_server_response_timeout_with_pipeline(run: Run, pki: PKI) -> None:
    """test-https-set-timeout-server.js (serverResponseTimeoutWithPipeline): with three
    pipelined requests where only ``/1`` is answered, ``res.set_timeout`` fires for the
    response now in line, ``/2``, and for no other."""

    async def main() -> None:
        caught: list[str | None] = []
        fired: asyncio.Future[None] = _future()

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            res.set_timeout(50, lambda *a: caught.append(req.url))
            if req.url == "/1":
                res.end()

        server, port = await _https_server(pki, handler)

        def on_server_timeout(sock: tls.TLSSocket) -> None:
            sock.destroy()
            resolve(fired, None)

        server.on("timeout", on_server_timeout)
        client = await _tls_raw(pki, port)
        await client.send(
            b"GET /1 HTTP/1.1\r\nHost: localhost\r\n\r\n"
            b"GET /2 HTTP/1.1\r\nHost: localhost\r\n\r\n"
            b"GET /3 HTTP/1.1\r\nHost: localhost\r\n\r\n"
        )
        await asyncio.wait_for(fired, 3)
        assert caught == ["/2"]
        assert (await _read_until_closed(client)).startswith(b"HTTP/1.1 200 OK\r\n")
        client.close()
        await server.aclose()

    run(main())


def test_https_set_timeout_server_idle_keep_alive(run: Run, pki: PKI) -> None:
    """test-https-set-timeout-server.js (idleTimeout): a keep-alive connection left idle
    after its response triggers the server's timeout callback, not the request's nor
    the response's. (Node v20 probe: with ``keep_alive_timeout`` 0 the server's own
    timeout runs on the idle socket; with one set, the server's ``'timeout'`` fires once
    it (plus Node's one second of grace) runs out.)"""

    async def main() -> None:
        seen: list[str] = []
        fired: asyncio.Future[None] = _future()

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            req.on("timeout", lambda *a: seen.append("req"))
            res.on("timeout", lambda *a: seen.append("res"))
            res.end()

        server, port = await _https_server(pki, handler, keep_alive_timeout=0)

        def on_server_timeout(sock: tls.TLSSocket) -> None:
            seen.append("server")
            sock.destroy()
            resolve(fired, None)

        server.set_timeout(50, on_server_timeout)
        client = await _tls_raw(pki, port)
        await client.send(b"GET /1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert (await client.read_response()).startswith(b"HTTP/1.1 200 OK\r\n")
        await asyncio.wait_for(fired, 3)
        assert seen == ["server"]
        client.close()
        await server.aclose()

    run(main())


def test_https_set_timeout_server_idle_keep_alive_timeout_emits_server_timeout(
    run: Run, pki: PKI
) -> None:
    """test-https-set-timeout-server.js (idleTimeout), with a keep-alive timeout set: when
    the idle keep-alive timer runs out, Node's socket timeout handler runs, so a server
    ``'timeout'`` listener is called with the idle socket (Node v20 probe:
    ``keepAliveTimeout`` 50 fired the server's ``'timeout'`` after about 1050 ms)."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        fired: asyncio.Future[tls.TLSSocket] = _future()
        server, port = await _https_server(pki, lambda req, res: res.end(), keep_alive_timeout=50)
        server.set_timeout(500, lambda sock: resolve(fired, sock))
        client = await _tls_raw(pki, port)
        await client.send(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        resp = await client.read_response()
        assert b"Keep-Alive: timeout=0\r\n" in resp
        start = loop.time()
        sock = await asyncio.wait_for(fired, 4)
        assert 0.9 < loop.time() - start < 2.5
        sock.destroy()
        client.close()
        await server.aclose()

    run(main(), timeout=10)


def test_a_response_timeout_as_long_as_the_idle_timer_still_fires(run: Run, pki: PKI) -> None:
    """``res.set_timeout(ms)`` on a keep-alive connection's second request, with ``ms``
    equal to the idle timer's length (keep-alive timeout + 1 s, as Node's): the
    response's ``'timeout'`` fires, as in Node; the idle timer left over from between
    the requests is told apart from it by who set it, not by its length."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        fired: asyncio.Future[float] = _future()
        served = 0

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            nonlocal served
            served += 1
            if served == 1:
                res.end()
            else:  # left unanswered: only its own timeout ends it
                res.set_timeout(1100, lambda sock: resolve(fired, loop.time()))

        server, port = await _https_server(pki, handler, keep_alive_timeout=100)
        client = await _tls_raw(pki, port)
        await client.send(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        await client.read_response()
        await client.send(b"GET /2 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        start = loop.time()
        assert 0.9 < await asyncio.wait_for(fired, 4) - start < 2.5
        client.close()
        server.close_all_connections()
        await server.aclose()

    run(main(), timeout=10)


def test_https_set_timeout_server_fast_timeout(run: Run, pki: PKI) -> None:
    """test-https-set-timeout-server.js (fastTimeout): with ``server.set_timeout(1, cb)``
    the socket's timeout reaches the server's callback, while the request (answered at
    once) never gets a ``'timeout'`` of its own. (``keep_alive_timeout`` 0 keeps the
    1 ms timeout on the socket after the response; with the default the callback comes
    after 5 s + 1 s, in Node v20 as here.)"""

    async def main() -> None:
        seen: list[str] = []
        handled: asyncio.Future[None] = _future()
        timed_out: asyncio.Future[tls.TLSSocket] = _future()

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            req.on("timeout", lambda *a: seen.append("req timeout"))
            res.end()
            resolve(handled, None)

        server, port = await _https_server(pki, handler, keep_alive_timeout=0)
        assert server.set_timeout(1, lambda sock: resolve(timed_out, sock)) is server
        client = await _tls_raw(pki, port)
        await client.send(b"GET /1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        await asyncio.wait_for(handled, 3)
        sock = await asyncio.wait_for(timed_out, 3)
        assert seen == []
        sock.destroy()
        client.close()
        await server.aclose()

    run(main())


def test_https_set_timeout_server_idle_timeout_without_request_listener(run: Run, pki: PKI) -> None:
    """test-https-set-timeout-server.js (idleTimeout, as in v23): a server with no
    ``'request'`` listener leaves the request unanswered; ``set_timeout(50, cb)``
    returns the server and ``cb`` gets the socket."""

    async def main() -> None:
        server, port = await _https_server(pki)
        fired: asyncio.Future[tls.TLSSocket] = _future()
        assert server.set_timeout(50, lambda sock: resolve(fired, sock)) is server
        client = await _tls_raw(pki, port)
        await client.send(b"GET /1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        sock = await asyncio.wait_for(fired, 3)
        sock.destroy()
        assert await _read_until_closed(client) == b""
        client.close()
        await server.aclose()

    run(main())


def test_https_timeout_server_handshake_timeout(run: Run, pki: PKI) -> None:
    """test-https-timeout-server.js: with ``handshake_timeout`` 50, a TCP client that
    never sends a ClientHello gets ``'clientError'`` with ``ERR_TLS_HANDSHAKE_TIMEOUT``
    (``TLS handshake timeout``) on a connection that never became secure."""

    async def main() -> None:
        server, port = await _https_server(pki, handshake_timeout=50)
        secure: list[tls.TLSSocket] = []
        server.on("secureConnection", secure.append)
        got: asyncio.Future[tuple[errors.NodeError, tls.TLSSocket]] = _future()
        server.on("clientError", lambda err, conn: resolve(got, (err, conn)))
        client = await RawClient.connect(port)
        err, conn = await asyncio.wait_for(got, 3)
        assert isinstance(err, errors.ERR_TLS_HANDSHAKE_TIMEOUT)
        assert err.code == "ERR_TLS_HANDSHAKE_TIMEOUT"
        assert str(err) == "TLS handshake timeout"
        assert secure == [] and conn.authorized is False
        conn.destroy()
        assert await client.read_all() == b""
        client.close()
        await server.aclose()

    run(main())


def test_https_timeout_server_2_tls_socket_set_timeout(run: Run, pki: PKI) -> None:
    """test-https-timeout-server-2.js: in ``'secureConnection'``,
    ``tls_socket.set_timeout(50, cb)`` returns the TLSSocket and the callback fires."""

    async def main() -> None:
        server, port = await _https_server(pki)
        fired: asyncio.Future[None] = _future()
        returned: list[bool] = []

        def on_secure(sock: tls.TLSSocket) -> None:
            def on_timeout() -> None:
                sock.destroy()
                resolve(fired, None)

            returned.append(sock.set_timeout(50, on_timeout) is sock)

        server.prepend_listener("secureConnection", on_secure)
        client = await _tls_raw(pki, port)
        await asyncio.wait_for(fired, 3)
        assert returned == [True]
        assert await _read_until_closed(client) == b""
        client.close()
        await server.aclose()

    run(main())


@pytest.mark.parametrize("proto", ["https", "http"])
@pytest.mark.parametrize("answer", [True, False], ids=["end", "no-end"])
def test_server_keep_alive_timeout_with_pipeline(
    run: Run, pki: PKI, answer: bool, proto: str
) -> None:
    """sequential/test-https-server-keep-alive-timeout.js (and its http twin
    test-http-server-keep-alive-timeout.js): ``keep_alive_timeout`` 50 with three
    pipelined requests, answered or not: all three reach the handler and the server's
    ``set_timeout(500)`` callback eventually fires."""

    async def main() -> None:
        urls: list[str | None] = []
        fired: asyncio.Future[None] = _future()

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            urls.append(req.url)
            if answer:
                res.end()

        server, port = await _server_for(proto, pki, handler)

        def on_timeout(sock: net.Socket) -> None:
            sock.destroy()
            resolve(fired, None)

        server.set_timeout(500, on_timeout)
        server.keep_alive_timeout = 50
        client = await _raw_for(proto, pki, port)
        await client.send(
            b"GET /1 HTTP/1.1\r\nHost: localhost\r\n\r\n"
            b"GET /2 HTTP/1.1\r\nHost: localhost\r\n\r\n"
            b"GET /3 HTTP/1.1\r\nHost: localhost\r\n\r\n"
        )
        await asyncio.wait_for(fired, 5)
        assert urls == ["/1", "/2", "/3"]
        data = await _read_until_closed(client)
        assert data.count(b"HTTP/1.1 200 OK") == (3 if answer else 0)
        client.close()
        await server.aclose()

    run(main(), timeout=10)


# -- §A4: http server timeouts (inherited by https.Server) ----------------------------------


def test_http_server_timeouts_validation_both_options() -> None:
    """test-http-server-timeouts-validation.js: passing both options sets both, on http
    and https servers alike (the other cases: test_http_server.py)."""
    server = http.create_server({"headers_timeout": 5000, "request_timeout": 6000})
    assert (server.headers_timeout, server.request_timeout) == (5000, 6000)
    with pytest.raises(ValueError) as info:
        https.create_server({"headers_timeout": 10000, "request_timeout": 1000})
    assert isinstance(info.value, errors.NodeError) and info.value.code == "ERR_OUT_OF_RANGE"
    assert str(info.value) == (
        'The value of "headersTimeout" is out of range. '
        "It must be <= requestTimeout. Received 10000"
    )


@pytest.mark.parametrize("script", ["delayed", "interrupted"])
def test_http_server_headers_timeout_408(run: Run, script: str) -> None:
    """test-http-server-headers-timeout-delayed-headers.js and -interrupted-headers.js:
    headers not complete within ``headers_timeout`` (the client waits before sending
    anything, or stops half-way) get exactly Node's 408 bytes and the connection is
    closed; no ``'timeout'`` event fires and the handler is never called."""

    async def main() -> None:
        calls: list[object] = []
        server, port = await _http_server(
            lambda req, res: calls.append(req),
            headers_timeout=300,
            request_timeout=0,
            keep_alive_timeout=0,
            connections_checking_interval=75,
        )
        assert server.headers_timeout == 300
        server.on("timeout", lambda sock: calls.append("timeout"))
        loop = asyncio.get_running_loop()
        client = await RawClient.connect(port)
        start = loop.time()
        if script == "interrupted":
            await client.send(b"POST / HTTP/1.1\r\nContent-Length: 20\r\n")
        else:
            loop.call_later(
                0.8,
                client.writer.write,
                b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n"
                b"Connection: close\r\n\r\n12345678901234567890\r\n\r\n",
            )
        assert await client.read_all() == TIMEOUT_408
        assert 0.25 < loop.time() - start < 2
        assert calls == []
        client.close()
        await server.aclose()

    run(main())


@pytest.mark.parametrize("pipelined", [False, True], ids=["keepalive", "pipelining"])
def test_http_server_headers_timeout_on_second_request(run: Run, pipelined: bool) -> None:
    """test-http-server-headers-timeout-keepalive.js and -pipelining.js: a first request
    completed in time is answered 200 with keep-alive; a second one on the same socket
    whose headers stall past ``headers_timeout`` gets the 408 and the close."""

    async def main() -> None:
        server, port = await _http_server(
            lambda req, res: res.end("ok"),
            headers_timeout=300,
            request_timeout=0,
            keep_alive_timeout=5000,
            connections_checking_interval=75,
        )
        client = await RawClient.connect(port)
        first = b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
        second = b"GET /2 HTTP/1.1\r\nHost: x\r\n"
        await client.send(first + second if pipelined else first)
        resp = await client.read_response()
        assert resp.startswith(b"HTTP/1.1 200 OK\r\n") and resp.endswith(b"ok")
        assert b"Connection: keep-alive\r\n" in resp
        loop = asyncio.get_running_loop()
        start = loop.time()
        if not pipelined:
            await client.send(second)
        assert await client.read_all() == TIMEOUT_408
        assert 0.25 < loop.time() - start < 2
        client.close()
        await server.aclose()

    run(main())


_REQUEST_SCRIPTS = {
    # name: (parts sent at once, does the handler get the request?)
    "delayed-body": (
        [b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\nConnection: close\r\n\r\n"],
        True,
    ),
    "interrupted-body": (
        [
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n"
            b"Connection: close\r\n\r\n1234567890"
        ],
        True,
    ),
    "delayed-headers": ([], False),
    "interrupted-headers": ([b"POST / HTTP/1.1\r\nHost: x\r\nContent-Le"], False),
}


@pytest.mark.parametrize("name", list(_REQUEST_SCRIPTS))
def test_http_server_request_timeout_408(run: Run, name: str) -> None:
    """test-http-server-request-timeout-delayed-body.js, -interrupted-body.js,
    -delayed-headers.js, -interrupted-headers.js: a request (head and body) not received
    whole within ``request_timeout`` gets Node's 408 bytes and the close, whether the
    handler already has it (a body still missing) or not (a head still missing)."""
    parts, handled = _REQUEST_SCRIPTS[name]

    async def main() -> None:
        calls: list[str | None] = []

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            calls.append(req.url)
            body: list[bytes] = []
            req.on("data", body.append)
            req.on("end", lambda: res.end(b"".join(body)))

        server, port = await _http_server(handler, connections_checking_interval=75)
        assert server.request_timeout == 300000
        server.request_timeout = 400
        server.headers_timeout = 400
        server.on("timeout", lambda sock: calls.append("timeout"))
        loop = asyncio.get_running_loop()
        client = await RawClient.connect(port)
        start = loop.time()
        for part in parts:
            await client.send(part)
        assert await client.read_all() == TIMEOUT_408
        assert 0.35 < loop.time() - start < 2
        assert calls == (["/"] if handled else [])
        client.close()
        await server.aclose()

    run(main())


@pytest.mark.parametrize("pipelined", [False, True], ids=["keepalive", "pipelining"])
def test_http_server_request_timeout_on_second_request(run: Run, pipelined: bool) -> None:
    """test-http-server-request-timeout-keepalive.js and -pipelining.js: the first
    request is answered with keep-alive; a second one whose body never completes gets
    the 408 once ``request_timeout`` has passed since it began."""

    async def main() -> None:
        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            req.resume()
            req.on("end", lambda: res.end("ok"))

        server, port = await _http_server(
            handler, headers_timeout=400, request_timeout=400, connections_checking_interval=75
        )
        client = await RawClient.connect(port)
        first = b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
        second = b"POST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n12345"
        loop = asyncio.get_running_loop()
        if pipelined:
            await client.send(first + second)
        else:
            await client.send(first)
        resp = await client.read_response()
        assert resp.startswith(b"HTTP/1.1 200 OK\r\n") and b"keep-alive" in resp
        start = loop.time()
        if not pipelined:
            await asyncio.sleep(0.2)  # kept: idle time between requests, which does not count
            start = loop.time()
            await client.send(second)
        assert await client.read_all() == TIMEOUT_408
        assert 0.3 < loop.time() - start < 2
        client.close()
        await server.aclose()

    run(main())


def test_http_server_request_timeout_does_not_apply_after_upgrade(run: Run) -> None:
    """test-http-server-request-timeout-upgrade.js: after ``'upgrade'`` the request
    timeout no longer applies: bytes sent after twice the timeout are still echoed."""

    async def main() -> None:
        server, port = await _http_server(
            headers_timeout=200, request_timeout=200, connections_checking_interval=50
        )

        def on_upgrade(req: http.IncomingMessage, sock: net.Socket, head: bytes) -> None:
            sock.write(
                b"HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: test\r\n\r\n"
            )
            sock.on("data", sock.write)

        server.on("upgrade", on_upgrade)
        client = await RawClient.connect(port)
        await client.send(
            b"GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: test\r\n\r\n"
        )
        head = await asyncio.wait_for(client.reader.readuntil(b"\r\n\r\n"), 3)
        assert head.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
        await asyncio.sleep(0.45)  # kept: twice the request timeout passes, on purpose
        await client.send(b"after the timeout")
        assert await asyncio.wait_for(client.reader.readexactly(17), 3) == b"after the timeout"
        client.close()
        server.close_all_connections()
        await server.aclose()

    run(main())


# -- §A4: keep-alive headers and max_requests_per_socket ------------------------------------


def _date_free(resp: bytes) -> bytes:
    head, sep, body = resp.partition(b"\r\n\r\n")
    lines = [ln for ln in head.split(b"\r\n") if not ln.startswith(b"Date: ")]
    return b"\r\n".join(lines) + sep + body


async def _one_response(port: int, raw: bytes = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n") -> bytes:
    client = await RawClient.connect(port)
    await client.send(raw)
    resp = await client.read_response()
    client.close()
    return _date_free(resp)


def test_http_keep_alive_timeout_header_in_whole_seconds(run: Run) -> None:
    """test-http-keep-alive-timeout.js: ``keep_alive_timeout`` 12010 gives
    ``Keep-Alive: timeout=12`` (whole seconds, rounded down); bytes as Node v20's."""

    async def main() -> None:
        server, port = await _http_server(lambda req, res: res.end("x"))
        server.keep_alive_timeout = 12010
        assert await _one_response(port) == (
            b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=12\r\n"
            b"Content-Length: 1\r\n\r\nx"
        )
        await server.aclose()

    run(main())


def test_http_keep_alive_timeout_custom_header_kept(run: Run) -> None:
    """test-http-keep-alive-timeout-custom.js: a ``Keep-Alive: timeout=50`` set by the
    user is sent as is, and the server adds none of its own (bytes as Node v20's)."""

    async def main() -> None:
        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            if req.url == "/set":
                res.set_header("Keep-Alive", "timeout=50")
                res.end("x")
            else:
                res.write_head(200, {"Keep-Alive": "timeout=50"})
                res.end("x")

        server, port = await _http_server(handler)
        assert await _one_response(port, b"GET /set HTTP/1.1\r\nHost: x\r\n\r\n") == (
            b"HTTP/1.1 200 OK\r\nKeep-Alive: timeout=50\r\nConnection: keep-alive\r\n"
            b"Content-Length: 1\r\n\r\nx"
        )
        assert await _one_response(port, b"GET /head HTTP/1.1\r\nHost: x\r\n\r\n") == (
            b"HTTP/1.1 200 OK\r\nKeep-Alive: timeout=50\r\nConnection: keep-alive\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n"
        )
        await server.aclose()

    run(main())


def test_http_server_keep_alive_defaults(run: Run, pki: PKI) -> None:
    """test-http-server-keep-alive-defaults.js: responses carry ``Connection: keep-alive``
    and ``Keep-Alive: timeout=5`` by default (http and https alike) and there is no
    request limit per socket (http: 0; Node's https.Server leaves it undefined, which
    is just as unlimited)."""

    async def main() -> None:
        server, port = await _http_server(lambda req, res: res.end("x"))
        assert server.max_requests_per_socket == 0 and server.keep_alive_timeout == 5000
        resp = await _one_response(port)
        assert b"\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n" in resp
        await server.aclose()
        tserver, tport = await _https_server(pki, lambda req, res: res.end("x"))
        assert not tserver.max_requests_per_socket
        client = await _tls_raw(pki, tport)
        await client.send(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        tresp = await client.read_response()
        assert b"\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n" in tresp
        client.close()
        await tserver.aclose()

    run(main())


def test_http_keep_alive_max_requests(run: Run) -> None:
    """test-http-keep-alive-max-requests.js: with ``max_requests_per_socket`` 3, answers
    carry ``Keep-Alive: timeout=65, max=3``; the third on a socket carries
    ``Connection: close`` and no Keep-Alive header, and the server ends the socket;
    another socket's count is its own."""

    async def main() -> None:
        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            body: list[bytes] = []
            req.on("data", body.append)

            def done() -> None:
                if req.method == "POST":
                    assert b"".join(body) == b"This is my request"
                res.write_head(200, {"Content-Type": "text/plain"})
                res.write("Hello World!")
                res.end()

            req.on("end", done)

        server, port = await _http_server(handler)
        server.keep_alive_timeout = 65 * 1000
        server.max_requests_per_socket = 3
        get = b"GET / HTTP/1.1\r\nConnection: keep-alive\r\nHost: localhost\r\n\r\n"
        post = (
            b"POST / HTTP/1.1\r\nConnection: keep-alive\r\nContent-Type: text/plain\r\n"
            b"Host: localhost\r\nContent-Length: 18\r\n\r\nThis is my request"
        )
        first, other = await RawClient.connect(port), await RawClient.connect(port)
        for sock in (first, other):
            for raw in (get, post):
                await sock.send(raw)
                resp = await sock.read_response()
                assert b"Connection: keep-alive\r\n" in resp
                assert b"Keep-Alive: timeout=65, max=3\r\n" in resp
                assert resp.endswith(b"Hello World!\r\n0\r\n\r\n")
        await first.send(post)
        last = await first.read_response()
        assert b"Connection: close\r\n" in last and b"Keep-Alive" not in last
        assert last.endswith(b"Hello World!\r\n0\r\n\r\n")
        assert await first.closed()
        first.close()
        other.close()
        await server.aclose()

    run(main())


# -- §A4: client-side timeouts --------------------------------------------------------------


def test_https_timeout_client(run: Run, pki: PKI) -> None:
    """test-https-timeout.js: against an https server that never replies,
    ``req.set_timeout(10)`` emits ``'timeout'``; ``req.destroy()`` then gives
    ``'error'`` ECONNRESET ``socket hang up`` and ``'close'``."""

    async def main() -> None:
        server, port = await _https_server(pki, lambda req, res: None)
        order: list[str] = []
        req = https.request(
            {"host": "localhost", "port": port, "ca": pki.ca, "agent": False, "method": "GET"}
        )
        assert req.set_timeout(10) is req

        def on_timeout() -> None:
            order.append("timeout")
            req.destroy()

        req.on("timeout", on_timeout)
        req.on(
            "error", lambda e: order.append(f"{e.code}:{e}:{isinstance(e, ConnectionResetError)}")
        )
        req.end()
        await closed(req, 3)
        assert order == ["timeout", "ECONNRESET:socket hang up:True"]
        server.close_all_connections()
        await server.aclose()

    run(main())


def test_http_client_timeout_destroy_in_callback(run: Run) -> None:
    """test-http-client-timeout.js: ``req.set_timeout(1, cb)`` returns the request;
    ``cb`` destroys it, and ``'close'`` follows with ``req.destroyed`` True."""

    async def main() -> None:
        server, port = await _http_server(lambda req, res: None)
        req = http.request({"host": "127.0.0.1", "port": port, "agent": False})
        req.on("error", lambda _e: None)
        calls: list[str] = []

        def on_timeout() -> None:
            calls.append("cb")
            req.destroy()

        assert req.set_timeout(1, on_timeout) is req
        req.end()
        await closed(req, 3)
        assert calls == ["cb"] and req.destroyed is True
        server.close_all_connections()
        await server.aclose()

    run(main())


def test_http_client_timeout_option(run: Run) -> None:
    """test-http-client-timeout-option.js: ``{'timeout': None}`` is refused with
    ``The "timeout" argument must be of type number``; with ``timeout`` 1 the
    ``'timeout'`` event fires exactly once though ``end()`` comes 10 ms later and the
    request is destroyed only at 100 ms; ``'close'`` follows."""

    async def main() -> None:
        with pytest.raises(TypeError) as info:
            http.request({"host": "127.0.0.1", "timeout": None})  # type: ignore[arg-type]  # None on purpose
        assert str(info.value).startswith('The "timeout" argument must be of type number')
        assert str(info.value) == ('The "timeout" argument must be of type number. Received None')
        server, port = await _http_server()
        loop = asyncio.get_running_loop()
        req = http.request({"host": "127.0.0.1", "port": port, "path": "/", "timeout": 1})
        req.on("error", lambda _e: None)
        count = [0]
        req.on("timeout", lambda: count.__setitem__(0, count[0] + 1))
        loop.call_later(0.01, req.end)
        loop.call_later(0.1, req.destroy)
        await closed(req, 3)
        assert count == [1]
        server.close_all_connections()
        await server.aclose()

    run(main())


def test_http_client_set_timeout_and_timeout_option(run: Run) -> None:
    """test-http-client-set-timeout.js: the ``timeout`` option 2000 is the socket's
    timeout at ``'socket'``; ``req.set_timeout(1000)`` takes over at ``'connect'``;
    ``'timeout'`` fires exactly once; ``destroy(err)`` gives that ECONNRESET
    ``socket hang up`` error, then ``'close'``."""

    async def main() -> None:
        server, port = await _http_server(lambda req, res: None)
        seen: list[object] = []
        req = http.get({"host": "127.0.0.1", "port": port, "timeout": 2000})
        assert req.set_timeout(1000) is req

        def on_socket(sock: net.Socket) -> None:
            seen.append(("socket", sock.timeout))

            def on_connect(*_: object) -> None:
                seen.append(("connect", sock.timeout))
                sock.set_timeout(10)  # as Node's test: no need to wait a whole second
                seen.append(("rescheduled", sock.timeout))

            sock.on("connect", on_connect)

        req.on("socket", on_socket)

        def on_timeout() -> None:
            seen.append("timeout")
            assert req.socket.listener_count("timeout") <= 2  # none piled up
            req.destroy(errors.conn_reset("socket hang up"))

        req.on("timeout", on_timeout)
        req.on("error", lambda e: seen.append(("error", e.code, str(e))))
        await closed(req, 3)
        assert seen == [
            ("socket", 2000),
            ("connect", 1000),
            ("rescheduled", 10),
            "timeout",
            ("error", "ECONNRESET", "socket hang up"),
        ]
        server.close_all_connections()
        await server.aclose()

    run(main())


def test_http_client_timeout_option_with_agent(run: Run) -> None:
    """test-http-client-timeout-option-with-agent.js: a request's ``timeout`` (150 ms)
    overrides its agent's (50 ms): ``'timeout'`` comes no sooner than 150 ms, once."""

    async def main() -> None:
        server, port = await _http_server(lambda req, res: None)
        agent = http.Agent({"timeout": 50})
        loop = asyncio.get_running_loop()
        start = loop.time()
        req = http.request(
            {"host": "127.0.0.1", "port": port, "path": "/", "timeout": 150, "agent": agent}
        )
        req.on("error", lambda _e: None)
        times: list[float] = []
        req.on("timeout", lambda: times.append(loop.time() - start))
        req.end()
        loop.call_later(0.4, req.destroy)
        await closed(req, 3)
        assert len(times) == 1 and times[0] >= 0.145, times  # (uvloop: 1 ms clock)
        server.close_all_connections()
        await server.aclose()

    run(main())


def test_http_client_timeout_option_listeners(run: Run) -> None:
    """test-http-client-timeout-option-listeners.js: two requests with the ``timeout``
    option on one keep-alive socket: one socket only, and the socket's ``'timeout'``
    listener count during the second response is the same as during the first."""

    async def main() -> None:
        server, port = await _http_server(lambda req, res: res.end(""))
        agent = http.Agent({"keep_alive": True})
        counts: list[int] = []
        for _ in range(2):
            freed = once(agent, "free")  # back in the pool before the next request
            req = http.request(
                {
                    "agent": agent,
                    "method": "GET",
                    "host": "127.0.0.1",
                    "port": port,
                    "path": "/",
                    "timeout": 10,
                }
            )
            req.end()
            res = await req
            sockets = agent.sockets[f"127.0.0.1:{port}:"]
            assert len(sockets) == 1
            counts.append(sockets[0].listener_count("timeout"))
            await consumers.text(res)
            await freed
        assert counts[0] == counts[1]
        agent.destroy()
        await server.aclose()

    run(main())


def test_http_client_set_timeout_after_end(run: Run) -> None:
    """test-http-client-set-timeout-after-end.js: ``req.set_timeout(0)`` once the
    response has ended returns the request and adds no ``'timeout'`` listener."""

    async def main() -> None:
        server, port = await _http_server(lambda req, res: res.end())
        agent = http.Agent({"keep_alive": True, "max_sockets": 1})
        socks: list[net.Socket] = []
        req = http.get({"agent": agent, "host": "127.0.0.1", "port": port})
        req.on("socket", socks.append)
        res = await req
        ended: asyncio.Future[None] = _future()
        result: list[object] = []

        def on_end() -> None:
            before = socks[0].listener_count("timeout")
            result.append(req.set_timeout(0) is req)
            result.append(socks[0].listener_count("timeout") - before)
            resolve(ended, None)

        res.on("end", on_end)
        res.resume()
        await asyncio.wait_for(ended, 3)
        assert result == [True, 0]
        agent.destroy()
        await server.aclose()

    run(main())


def test_http_client_timeout_event_end_then_destroy(run: Run) -> None:
    """test-http-client-timeout-event.js: ``'timeout'`` fires; ``req.end()`` then
    ``req.destroy()`` inside the handler lead to ``'close'``."""

    async def main() -> None:
        server, port = await _http_server(lambda req, res: None)
        req = http.request({"host": "127.0.0.1", "port": port, "method": "GET", "agent": False})
        req.on("error", lambda _e: None)
        fired: list[str] = []

        def on_timeout() -> None:
            fired.append("timeout")
            req.end()
            req.destroy()

        req.set_timeout(10)
        req.on("timeout", on_timeout)
        req.flush_headers()
        await closed(req, 3)
        assert fired == ["timeout"]
        server.close_all_connections()
        await server.aclose()

    run(main())


def test_http_client_timeout_with_data(run: Run) -> None:
    """test-http-client-timeout-with-data.js: the timeout fires after the first body
    chunk arrived; the response still completes with both chunks."""

    async def main() -> None:
        server, port = await _http_server()

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            res.write_head(200, {"Content-Length": "2"})
            res.write("*")
            server.once("timeout", lambda *a: res.end("*"))

        server.on("request", handler)
        chunks: list[bytes] = []
        at_timeout: list[int] = []
        done: asyncio.Future[None] = _future()

        def on_response(res: http.IncomingMessage) -> None:
            def on_timeout() -> None:
                at_timeout.append(len(chunks))
                server.emit("timeout")

            req.set_timeout(50, on_timeout)
            res.on("data", chunks.append)
            res.on("end", lambda: resolve(done, None))

        req = http.request(
            {"host": "127.0.0.1", "port": port, "method": "GET", "path": "/"}, on_response
        )
        req.end()
        await asyncio.wait_for(done, 3)
        assert at_timeout == [1] and chunks == [b"*", b"*"]
        await server.aclose()

    run(main())


def test_http_client_timeout_agent(run: Run) -> None:
    """test-http-client-timeout-agent.js: 30 requests through an agent, every other one
    left unanswered, each with ``set_timeout(50)``: each finishes exactly once, by its
    response or by its timeout."""

    async def main() -> None:
        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            assert req.url is not None
            if int(req.url[1:]) % 2 == 0:
                res.end(req.url)

        server, port = await _http_server(handler)
        agent = http.Agent({"max_sockets": 10})
        outcome: dict[int, list[str]] = {i: [] for i in range(30)}
        finished = asyncio.Event()

        def record(i: int, what: str) -> None:
            outcome[i].append(what)
            if all(outcome.values()):
                finished.set()

        for i in range(30):
            req = http.request({"host": "127.0.0.1", "port": port, "path": f"/{i}", "agent": agent})

            def on_response(res: http.IncomingMessage, i: int = i) -> None:
                res.resume()
                res.on("end", lambda: record(i, "response"))

            def on_timeout(req: http.ClientRequest = req, i: int = i) -> None:
                record(i, "timeout")
                req.destroy()

            req.on("response", on_response)
            req.set_timeout(50, on_timeout)
            req.on("error", lambda _e: None)
            req.end()
        await asyncio.wait_for(finished.wait(), 5)
        await asyncio.sleep(0.1)  # kept: a window in which no request may finish twice
        assert all(len(v) == 1 for v in outcome.values())
        assert [i for i, v in outcome.items() if v == ["response"]] == list(range(0, 30, 2))
        agent.destroy()
        server.close_all_connections()
        await server.aclose()

    run(main())


def test_http_client_response_timeout(run: Run) -> None:
    """test-http-client-response-timeout.js: ``res.set_timeout(1)`` on the response
    (IncomingMessage) emits ``'timeout'`` there."""

    async def main() -> None:
        server, port = await _http_server(lambda req, res: res.write("partial"))
        res = await http.get({"host": "127.0.0.1", "port": port, "agent": False})
        fired: asyncio.Future[None] = _future()
        res.on("timeout", lambda *a: resolve(fired, None))
        assert res.set_timeout(1) is res
        await asyncio.wait_for(fired, 3)
        res.socket.destroy()
        server.close_all_connections()
        await server.aclose()

    run(main())


def test_server_timeout_fires_once_per_idle_period(run: Run) -> None:
    """Behind test-https-set-timeout-server.js and test-http-client-set-timeout.js: a
    socket's ``'timeout'`` comes once per idle period and again only after new activity
    (Node v20 probe: ``setTimeout(50)`` on a quiet socket, 1 event in 500 ms). A server
    ``'timeout'`` listener that keeps the socket therefore hears of it once."""

    async def main() -> None:
        server, port = await _http_server(lambda req, res: None)
        count: list[net.Socket] = []
        server.set_timeout(50, count.append)
        client = await RawClient.connect(port)
        await client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.sleep(0.5)  # kept: a window of ten 50 ms periods; one 'timeout' in it
        assert len(count) == 1
        client.close()
        server.close_all_connections()
        await server.aclose()

    run(main())


# -- §A5: close / close_all_connections / close_idle_connections / aclose -------------------


def _keep_alive_handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
    res.write_head(200, {"Connection": "keep-alive"})
    res.end()


async def _idle_and_busy(
    proto: str, pki: PKI, server: http.Server | https.Server, port: int
) -> tuple[RawClient, RawClient]:
    """Node's setup: one client mid-request (head incomplete), one idle on keep-alive."""
    busy_conn = next_connection(server, "secureConnection" if proto == "https" else "connection")
    busy = await _raw_for(proto, pki, port)
    await busy.send(b"GET / HTTP/1.1")
    await (await asyncio.wait_for(busy_conn, 5)).reach(14)  # the server has the bytes
    finished: asyncio.Future[None] = _future()
    server.once("request", lambda req, res: res.once("finish", lambda: resolve(finished, None)))
    idle = await _raw_for(proto, pki, port)
    await idle.send(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
    resp = await asyncio.wait_for(idle.reader.readuntil(b"0\r\n\r\n"), 3)
    assert resp.startswith(b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n")
    assert resp.endswith(b"\r\n\r\n0\r\n\r\n")
    await asyncio.wait_for(finished, 5)  # the server is done with it: idle
    return idle, busy


def test_https_close_with_streaming_response(run: Run, pki: PKI) -> None:
    """test-https-close.js: the server streams a response that never ends;
    ``server.close(cb)`` plus destroying the sockets seen on ``'connection'`` makes
    ``cb`` run with no error."""

    async def main() -> None:
        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            res.write_head(200)
            res.write("partial")  # and never ends

        server, port = await _https_server(pki, handler)
        sockets: list[net.Socket] = []
        server.on("connection", sockets.append)
        res = await https.get({"host": "localhost", "port": port, "ca": pki.ca, "agent": False})
        first: asyncio.Future[bytes] = _future()
        res.on("data", lambda d: resolve(first, d))
        res.on("error", lambda _e: None)
        assert await asyncio.wait_for(first, 3) == b"partial"
        close_done: asyncio.Future[tuple[str, BaseException | None]] = _future()
        server.close(lambda err=None: resolve(close_done, ("cb", err)))
        assert len(sockets) == 1
        for sock in sockets:
            sock.destroy()
        assert await asyncio.wait_for(close_done, 3) == ("cb", None)

    run(main())


@pytest.mark.parametrize("proto", ["https", "http"])
def test_server_close_all(run: Run, pki: PKI, proto: str) -> None:
    """test-https-server-close-all.js (and test-http-server-close-all.js): with one
    client mid-request and one idle on keep-alive, ``close_all_connections()`` then
    ``close(cb)`` closes both clients and ``cb`` runs with no error. (Node's https test
    passes ``{'headersTimeout': 0}`` as a third argument that ``create_server`` never
    reads: ours takes ``(options, listener)`` only, so it is not passed at all.)"""

    async def main() -> None:
        server, port = await _server_for(proto, pki, _keep_alive_handler)
        idle, busy = await _idle_and_busy(proto, pki, server, port)
        close_done: asyncio.Future[BaseException | None] = _future()
        server.close_all_connections()
        server.close(lambda err=None: resolve(close_done, err))
        assert await _read_until_closed(idle, 3) == b""
        assert await _read_until_closed(busy, 3) == b""
        assert await asyncio.wait_for(close_done, 3) is None
        assert not server.listening
        idle.close()
        busy.close()

    run(main())


@pytest.mark.parametrize("proto", ["https", "http"])
def test_server_close_idle(run: Run, pki: PKI, proto: str) -> None:
    """test-https-server-close-idle.js (and test-http-server-close-idle.js): ``close(cb)``
    alone closes the idle keep-alive client at once, while the client whose request is
    incomplete stays open; a later ``close_all_connections()`` closes it and ``cb``
    runs."""

    async def main() -> None:
        server, port = await _server_for(proto, pki, _keep_alive_handler)
        idle, busy = await _idle_and_busy(proto, pki, server, port)
        close_done: asyncio.Future[BaseException | None] = _future()
        server.close(lambda err=None: resolve(close_done, err))
        assert await _read_until_closed(idle, 1) == b""
        await asyncio.sleep(0.3)  # kept: a window in which the busy one must stay open
        assert not busy.reader.at_eof() and not close_done.done()
        server.close_all_connections()
        assert await _read_until_closed(busy, 3) == b""
        assert await asyncio.wait_for(close_done, 3) is None
        idle.close()
        busy.close()

    run(main())


def test_http_server_close_idle_wait_response(run: Run) -> None:
    """test-http-server-close-idle-wait-response.js: ``close_idle_connections()`` while
    a request waits for its delayed response does not kill it: the response arrives."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server, port = await _http_server(
            lambda req, res: loop.call_later(0.2, res.end, "late but there")
        )
        arrived = once(server, "request")
        res_fut = asyncio.ensure_future(
            http.get({"host": "127.0.0.1", "port": port, "agent": False})
        )
        await arrived  # the request waits for its response: the connection is busy
        server.close_idle_connections()
        res = await asyncio.wait_for(res_fut, 3)
        assert res.status_code == 200
        assert await consumers.text(res) == "late but there"
        await server.aclose()

    run(main())


@pytest.mark.parametrize("proto", ["https", "http"])
def test_server_async_dispose(run: Run, pki: PKI, proto: str) -> None:
    """test-https-server-async-dispose.js (and test-http-server-async-dispose.js):
    ``await server.aclose()`` (Node's ``[Symbol.asyncDispose]()``) closes the server and
    emits ``'close'``; ``async with`` does the same on exit; a new connection is then
    refused."""

    async def main() -> None:
        server, port = await _server_for(proto, pki, lambda req, res: res.end("x"))
        events_seen: list[str] = []
        server.on("close", lambda *a: events_seen.append("close"))
        await server.aclose()
        assert events_seen == ["close"] and not server.listening
        with pytest.raises(OSError):
            await RawClient.connect(port)
        factory = (
            https.create_server(pki.leaf.https_options())
            if proto == "https"
            else http.create_server()
        )
        factory.on("close", lambda *a: events_seen.append("close 2"))
        async with factory.listen(0, "127.0.0.1") as srv:
            assert srv is factory and srv.listening
            port2 = _port(srv)
        assert events_seen == ["close", "close 2"] and not factory.listening
        with pytest.raises(OSError):
            await RawClient.connect(port2)

    run(main())


_SCRIPT = """
import os, sys
import nodehttps as https
from nodehttps import http

PROTO = sys.argv[1]
# test-https-server-connections-checking-leak.js: servers that never listen start nothing.
idle_servers = [https.create_server({"key": os.environ["K"], "cert": os.environ["C"]})
                if PROTO == "https" else http.create_server() for _ in range(100)]

opts = {"key": os.environ["K"], "cert": os.environ["C"]} if PROTO == "https" else {}
server = (https if PROTO == "https" else http).create_server(opts, lambda req, res: res.end("hi"))

def on_listening():
    port = server.address()["port"]
    mod = https if PROTO == "https" else http
    def on_response(res):
        res.resume()
        res.on("end", lambda: server.close(lambda err=None: print("closed", err)))
    mod.get({"host": "localhost", "port": port, "ca": os.environ["CA"], "agent": False},
            on_response)

server.listen(0, "127.0.0.1", on_listening)
"""


@pytest.mark.parametrize("proto", ["https", "http"])
def test_server_close_leaves_no_timer_behind(pki: PKI, proto: str, tmp_path: Path) -> None:
    """test-https-server-close-destroy-timeout.js (and the http twin), with
    test-https-server-connections-checking-leak.js: the connections-checking timer (30 s
    by default) runs only while listening and is gone once ``close()`` is done, and 100
    servers that never listen start nothing: a script that serves one request and
    closes exits at once, with status 0."""
    env = dict(os.environ, K=pki.leaf.key_pem, C=pki.leaf.cert_pem, CA=pki.ca, PYTHONUNBUFFERED="1")
    src = str(Path(__file__).resolve().parent.parent / "src")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    script = tmp_path / "close_script.py"
    script.write_text(textwrap.dedent(_SCRIPT))
    try:
        proc = subprocess.run(
            [sys.executable, str(script), proto], env=env, capture_output=True, text=True, timeout=8
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the script did not exit: {exc.stdout!r} {exc.stderr!r}")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["closed None"]


def test_http_client_close_with_default_agent(run: Run) -> None:
    """test-http-client-close-with-default-agent.js: after a response through the
    keep-alive global agent, ``server.close()`` closes the idle client socket at once:
    ``'close'`` comes well before a 1 s guard, and the agent's pool is empty."""

    async def main() -> None:
        server, port = await _http_server(lambda req, res: res.end("x"))
        assert global_agent(http).keep_alive
        freed = once(global_agent(http), "free")
        res = await http.get({"host": "127.0.0.1", "port": port})
        assert await consumers.text(res) == "x"
        (idle, _) = await freed
        name = f"127.0.0.1:{port}:"
        assert len(global_agent(http).free_sockets.get(name, [])) == 1
        loop = asyncio.get_running_loop()
        start = loop.time()
        await asyncio.wait_for(server.aclose(), 1)
        assert loop.time() - start < 0.9
        await closed(idle)  # the agent lets go of a socket at its 'close'
        assert name not in global_agent(http).free_sockets

    run(main())
