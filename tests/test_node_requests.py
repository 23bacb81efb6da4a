"""Node's own https request tests, ported: the forms of ``request``/``get`` (catalogue §A7)
and the per-server / per-request HTTP options of ``https`` (the http-flavoured part of
§A6). Everything runs over real TLS on 127.0.0.1 with certificates from ``tls_pki``."""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import tempfile
import urllib.parse
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any, TypeVar

import pytest

import nodehttps as https
from harness import Run, closed, global_agent, resolve
from nodehttps import URL, consumers, errors, events, http, tls
from nodehttps.tls import _connect
from rawpeer import RawClient
from servers import https_server, listening
from tls_pki import PKI

DEFAULT_MAX_HEADER = 16384  # Node's http.maxHeaderSize
T = TypeVar("T")


def _future() -> asyncio.Future[T]:
    return asyncio.get_running_loop().create_future()


async def _serve(
    pki: PKI, handler: Callable[..., object] | None = None, **options: Any
) -> tuple[https.Server, int]:
    """An https server on 127.0.0.1 with the ``localhost`` leaf, and its port."""
    return await https_server(pki.leaf, handler, **options)


async def _raw_tls_server(
    pki: PKI, on_secure: Callable[[tls.TLSSocket], None]
) -> tuple[tls.Server, int]:
    """A bare ``tls.Server`` (no HTTP) whose connections ``on_secure`` scripts."""
    server = tls.create_server(pki.leaf.server_options(), on_secure)
    return server, await listening(server)


def _answer_once(reply: bytes) -> Callable[[tls.TLSSocket], None]:
    """A raw TLS connection script: on the first bytes, write ``reply`` and end."""

    def on_secure(sock: tls.TLSSocket) -> None:
        sock.on("error", lambda _e: None)
        sock.once("data", lambda _d: sock.end(reply))

    return on_secure


def _client_ssl(pki: PKI) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cadata=pki.ca)
    return ctx


async def _raw_request(pki: PKI, port: int, request: bytes) -> bytes:
    """Send ``request`` over TLS and read until the server closes."""
    client = await RawClient.connect(port, ssl=_client_ssl(pki), server_hostname="localhost")
    try:
        await client.send(request)
        return await client.read_all()
    except (ConnectionResetError, ssl.SSLError):
        return b""
    finally:
        client.close()


async def _error_of(req: http.ClientRequest) -> errors.NodeError:
    """The error ``req`` emits (it must not get a response)."""
    with pytest.raises(errors.NodeError) as info:
        await req
    return info.value


# -- §A7: request/get argument forms ------------------------------------------------------


def test_https_client_get_url(run: Run, pki: PKI, monkeypatch: pytest.MonkeyPatch) -> None:
    """test-https-client-get-url: a string, a ``urllib.parse`` result (Node: ``url.parse``)
    and a ``URL`` all reach the server as ``GET /foo?bar``; verification is off through
    ``NODE_TLS_REJECT_UNAUTHORIZED=0``, as in Node's test."""
    monkeypatch.setenv("NODE_TLS_REJECT_UNAUTHORIZED", "0")
    monkeypatch.setattr(_connect, "_warned", set())  # the process-wide warn-once state

    async def main() -> None:
        seen: list[tuple[str | None, str | None]] = []

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            seen.append((req.method, req.url))
            res.end("ok")

        server, port = await _serve(pki, handler)
        text = f"https://127.0.0.1:{port}/foo?bar"
        for form in (text, urllib.parse.urlparse(text), urllib.parse.urlsplit(text), URL(text)):
            res = await https.get(form)
            assert await consumers.text(res) == "ok"
            assert res.socket.authorized is False  # verification really was off
        assert seen == [("GET", "/foo?bar")] * 4
        global_agent(https).destroy()
        await server.aclose()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run(main())
    insecure = [w for w in caught if "NODE_TLS_REJECT_UNAUTHORIZED" in str(w.message)]
    assert len(insecure) == 1  # Node warns once per process


def test_https_request_arguments(run: Run, pki: PKI) -> None:
    """test-https-request-arguments: ``get(url, options, callback)``: the options' hostname
    and port win over the URL's, the URL's path stays, the callback is the third argument."""

    async def main() -> None:
        seen: list[tuple[str | None, str | None]] = []

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            seen.append((req.url, req.headers.get("host")))
            res.end("done")

        server, port = await _serve(pki, handler)
        got: asyncio.Future[http.IncomingMessage] = _future()
        req = https.get(
            "https://example.com/testpath",
            {"hostname": "localhost", "port": port, "ca": pki.ca, "agent": False},
            got.set_result,
        )
        assert (req.host, req.port, req.path) == ("localhost", port, "/testpath")
        res = await got
        assert await consumers.text(res) == "done"
        # The certificate was checked against "localhost", not the URL's example.com.
        assert res.socket.authorized is True
        assert seen == [("/testpath", f"localhost:{port}")]
        with pytest.raises(TypeError) as info:
            https.get("https://localhost:99999/", {"ca": pki.ca})
        assert isinstance(info.value, errors.NodeError) and info.value.code == "ERR_INVALID_URL"
        assert str(info.value) == "Invalid URL"
        await server.aclose()

    run(main())


def test_https_host_headers(run: Run, pki: PKI) -> None:
    """test-https-host-headers: every method sends ``Host: localhost:PORT``;
    ``set_host`` False, 0 or None sends none, True sends it."""

    async def main() -> None:
        seen: list[tuple[str | None, str | None]] = []

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            seen.append((req.method, req.headers.get("host")))
            req.resume()
            res.end("ok")

        server, port = await _serve(pki, handler, require_host_header=False)
        base: https.HttpsRequestOptions = {"host": "localhost", "port": port, "ca": pki.ca}
        for method in ("GET", "POST", "PUT", "DELETE"):
            req = https.request({**base, "method": method, "path": "/m"})
            req.end("body" if method in ("POST", "PUT") else None)
            assert await consumers.text(await req) == "ok"
        for set_host in (False, 0, None, True):
            res = await https.get({**base, "set_host": set_host})  # type: ignore[arg-type]  # 0 too, as Node's test
            assert await consumers.text(res) == "ok"
        host = f"localhost:{port}"
        assert seen == [
            ("GET", host),
            ("POST", host),
            ("PUT", host),
            ("DELETE", host),
            ("GET", None),
            ("GET", None),
            ("GET", None),
            ("GET", host),
        ]
        global_agent(https).destroy()
        await server.aclose()

    run(main())


@pytest.mark.parametrize("module", ["https", "http"])
def test_http_default_port(run: Run, pki: PKI, module: str) -> None:
    """test-http-default-port: with no ``port``, the global agent's ``default_port`` is
    used, and a port equal to the default is left out of the Host header."""

    async def main() -> None:
        hosts: list[str | None] = []

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            hosts.append(req.headers.get("host"))
            res.end("ok")

        mod: ModuleType = https if module == "https" else http
        server: http.Server | https.Server
        if module == "https":
            server, port = await _serve(pki, handler)
            extra: dict[str, Any] = {"ca": pki.ca}
        else:
            server = http.create_server(handler)
            port = await listening(server)
            extra = {}
        agent = global_agent(mod)
        old = agent.default_port
        agent.default_port = port
        try:
            res = await mod.get({"host": "localhost", **extra})
            assert await consumers.text(res) == "ok"
        finally:
            agent.default_port = old
            agent.destroy()
        assert hosts == ["localhost"]
        await server.aclose()

    run(main())


def test_https_hwm(run: Run, pki: PKI) -> None:
    """test-https-hwm: ``high_water_mark`` becomes ``res.readable_high_water_mark``
    (128000, 0, and 64 KiB when not given, Node v22+'s default)."""

    async def main() -> None:
        server, port = await _serve(pki, lambda req, res: res.end("x" * 1000))
        for given, expected in ((128000, 128000), (0, 0), (None, 65536)):
            options: https.HttpsRequestOptions = {"host": "localhost", "port": port, "ca": pki.ca}
            if given is not None:
                options["high_water_mark"] = given
            res = await https.get(options)
            assert res.readable_high_water_mark == expected
            assert await consumers.text(res) == "x" * 1000
        global_agent(https).destroy()
        await server.aclose()

    run(main())


@pytest.mark.parametrize("module", ["https", "http"])
def test_https_socket_options(run: Run, pki: PKI, module: str) -> None:
    """test-https-socket-options: ``set_no_delay``, ``set_timeout`` and
    ``set_socket_keep_alive`` may be called before the request has a socket; they apply
    once it has one."""

    async def main() -> None:
        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            res.end("ok")

        server: http.Server | https.Server
        if module == "https":
            server, port = await _serve(pki, handler)
            mod: ModuleType = https
            extra: dict[str, Any] = {"ca": pki.ca}
        else:
            server = http.create_server(handler)
            port, mod, extra = await listening(server), http, {}
        req = mod.request({"host": "localhost", "port": port, "agent": False, **extra})
        timeouts: list[str] = []
        req.set_no_delay(True)
        req.set_timeout(1000, lambda: timeouts.append("timeout"))
        req.set_socket_keep_alive(True, 1000)
        req.end()
        res = await req
        assert res.socket is req.socket and req.socket.timeout == 1000
        assert await consumers.text(res) == "ok"
        assert timeouts == []
        await server.aclose()

    run(main())


@pytest.mark.parametrize("agent", [False, None])
def test_https_socket_options_socket_comes_later(run: Run, pki: PKI, agent: bool | None) -> None:
    """test-https-socket-options (premise): right after ``request()`` there is no socket
    yet (Node assigns it on a later tick), with or without a pooling agent."""

    async def main() -> None:
        server, port = await _serve(pki, lambda req, res: res.end("ok"))
        options: https.HttpsRequestOptions = {"host": "localhost", "port": port, "ca": pki.ca}
        if agent is False:
            options["agent"] = False
        req = https.request(options)
        socket_now = req.socket
        req.end()
        try:
            assert await consumers.text(await req) == "ok"
        finally:
            global_agent(https).destroy()
            await server.aclose()
        assert socket_now is None

    run(main())


def test_https_localaddress_bind_error(run: Run, pki: PKI) -> None:
    """test-https-localaddress-bind-error: an unassignable ``local_address`` gives
    ``'error'`` (``bind EADDRNOTAVAIL 1.2.3.4``, as Node prints it) and no response."""

    async def main() -> None:
        requests: list[http.IncomingMessage] = []

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            requests.append(req)
            res.end()

        server, port = await _serve(pki, handler)
        responses: list[http.IncomingMessage] = []
        req = https.request(
            {
                "host": "localhost",
                "port": port,
                "ca": pki.ca,
                "local_address": "1.2.3.4",
                "agent": False,
            },
            responses.append,
        )
        req_closed = closed(req)
        req.end()
        err = await _error_of(req)
        assert isinstance(err, errors.NodeSystemError)
        assert (err.code, err.syscall, err.address) == ("EADDRNOTAVAIL", "bind", "1.2.3.4")
        assert str(err) == "bind EADDRNOTAVAIL 1.2.3.4"
        assert getattr(err, "port", None) is None
        await req_closed  # the request is over: no response can follow
        assert responses == [] and requests == []
        await server.aclose()

    run(main())


def test_https_localaddress_and_connect_localport(run: Run, pki: PKI) -> None:
    """test-https-localaddress and sequential/test-https-connect-localport: the client
    socket is bound to ``local_address`` and ``local_port``, as the server sees it."""

    async def main() -> None:
        peers: list[tuple[str | None, int | None]] = []

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            peers.append((req.socket.remote_address, req.socket.remote_port))
            res.end("ok")

        server, port = await _serve(pki, handler)
        with socket.socket() as probe:  # a port that was free a moment ago
            probe.bind(("127.0.0.1", 0))
            local_port = probe.getsockname()[1]
        res = await https.get(
            {
                "host": "localhost",
                "port": port,
                "ca": pki.ca,
                "agent": False,
                "local_address": "127.0.0.1",
                "local_port": local_port,
            }
        )
        assert await consumers.text(res) == "ok"
        assert (res.socket.local_address, res.socket.local_port) == ("127.0.0.1", local_port)
        assert peers == [("127.0.0.1", local_port)]
        await server.aclose()

    run(main())


def test_https_byteswritten(run: Run, pki: PKI) -> None:
    """test-https-byteswritten: once the response has ended, the request's socket counts
    a positive number of bytes written."""

    async def main() -> None:
        server, port = await _serve(pki, lambda req, res: res.end("x" * 1024))
        req = https.get({"host": "localhost", "port": port, "ca": pki.ca, "agent": False})
        res = await req
        assert await consumers.text(res) == "x" * 1024
        written = req.socket.bytes_written
        assert isinstance(written, int) and written > 0
        await server.aclose()

    run(main())


# test-https-connect-address-family (P2) is not ported: net.Socket resolves names with
# the loop's getaddrinfo and has no ``lookup`` option to observe, and the test needs ::1.
# pummel/test-https-large-response and -no-reader (P2) are left to the pummel-sized suites;
# test_https_truncate and test_https_drain cover pausing per chunk and back-pressure.


def test_https_eof_for_eom(run: Run, pki: PKI) -> None:
    """test-https-eof-for-eom: a body with neither Content-Length nor chunked encoding
    ends where the server closes the connection; duplicate Set-Cookie headers are kept."""

    async def main() -> None:
        loop = asyncio.get_running_loop()

        def on_secure(sock: tls.TLSSocket) -> None:
            def answer(_data: bytes) -> None:
                sock.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                    b"Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nhello world\n"
                )
                loop.call_later(0.02, lambda: sock.end(b"hello world\n"))

            sock.on("error", lambda _e: None)
            sock.once("data", answer)

        server, port = await _raw_tls_server(pki, on_secure)
        res = await https.get({"host": "localhost", "port": port, "ca": pki.ca, "agent": False})
        assert res.status_code == 200
        assert res.headers["set-cookie"] == ["a=1", "b=2"]
        chunks: list[bytes] = []
        ended: asyncio.Future[None] = _future()
        res.on("data", chunks.append)
        res.on("end", lambda: resolve(ended, None))
        await ended
        assert b"".join(chunks) == b"hello world\nhello world\n"
        assert res.complete
        await server.aclose()

    run(main())


def test_https_truncate(run: Run, pki: PKI) -> None:
    """test-https-truncate: a 32 KiB + 1 body with Content-Length, paused and resumed on
    every chunk, arrives whole, and ``readable_length`` is 0 at ``'end'``."""

    async def main() -> None:
        body = bytes(range(256)) * 128 + b"!"
        assert len(body) == 32 * 1024 + 1

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            res.write_head(200, {"Content-Length": str(len(body))})
            res.end(body)

        server, port = await _serve(pki, handler)
        res = await https.get({"host": "localhost", "port": port, "ca": pki.ca, "agent": False})
        loop = asyncio.get_running_loop()
        got: list[bytes] = []
        ended: asyncio.Future[int] = _future()

        def on_data(chunk: bytes) -> None:
            got.append(chunk)
            res.pause()
            loop.call_later(0.001, res.resume)

        res.on("data", on_data)
        res.on("end", lambda: resolve(ended, res.readable_length))
        assert await ended == 0
        assert b"".join(got) == body
        await server.aclose()

    run(main())


def test_https_drain(run: Run, pki: PKI) -> None:
    """test-https-drain: the server echoes a POST; while the response is paused the
    request's ``write()`` eventually returns False; after resuming, ``'drain'`` follows and
    every byte written comes back."""

    async def main() -> None:
        server, port = await _serve(pki, lambda req, res: req.pipe(res))
        req = https.request(
            {"host": "localhost", "port": port, "ca": pki.ca, "agent": False, "method": "POST"}
        )
        chunk = b"x" * 16384
        sent = len(chunk)
        req.write(chunk)
        res = await req
        res.pause()
        received: list[int] = []
        res.on("data", lambda d: received.append(len(d)))
        writes = 0
        while req.write(chunk):
            sent += len(chunk)
            writes += 1
            assert writes < 4096, "write() never returned False (64 MiB written)"
            if writes % 16 == 0:
                await asyncio.sleep(0)  # kept: a loop turn, to let the server move what it can
        sent += len(chunk)
        assert sum(received) < sent  # the paused response held the echo back
        drained: asyncio.Future[None] = _future()
        req.once("drain", lambda: resolve(drained, None))
        res.resume()
        await drained
        ended: asyncio.Future[None] = _future()
        res.on("end", lambda: resolve(ended, None))
        req.end()
        await ended
        assert sum(received) == sent
        await server.aclose()

    run(main(), timeout=30)


# -- §A6: per-server / per-request HTTP options over https ---------------------------------


def test_https_server_options_incoming_message(run: Run, pki: PKI) -> None:
    """test-https-server-options-incoming-message: the ``IncomingMessage`` option gives the
    class the server builds each request from."""

    class MyIncomingMessage(http.IncomingMessage):
        def user_agent(self) -> str:
            return str(self.headers.get("user-agent", "unknown"))

    async def main() -> None:
        seen: list[type] = []

        def handler(req: MyIncomingMessage, res: http.ServerResponse) -> None:
            seen.append(type(req))
            res.end(req.user_agent())

        server, port = await _serve(pki, handler, IncomingMessage=MyIncomingMessage)
        res = await https.get(
            {
                "host": "localhost",
                "port": port,
                "ca": pki.ca,
                "agent": False,
                "headers": {"User-Agent": "node-test"},
            }
        )
        assert await consumers.text(res) == "node-test"
        assert seen == [MyIncomingMessage]
        await server.aclose()

    run(main())


def test_https_server_options_server_response(run: Run, pki: PKI) -> None:
    """test-https-server-options-server-response: the ``ServerResponse`` option gives the
    class the server builds each response from."""

    class MyServerResponse(http.ServerResponse):
        def status(self, code: int) -> MyServerResponse:
            self.status_code = code
            return self

    async def main() -> None:
        seen: list[type] = []

        def handler(req: http.IncomingMessage, res: MyServerResponse) -> None:
            seen.append(type(res))
            res.status(200).end("ok")

        server, port = await _serve(pki, handler, ServerResponse=MyServerResponse)
        res = await https.get({"host": "localhost", "port": port, "ca": pki.ca, "agent": False})
        assert (res.status_code, await consumers.text(res)) == (200, "ok")
        assert seen == [MyServerResponse]
        await server.aclose()

    run(main())


def test_https_max_header_size_per_stream_client(run: Run, pki: PKI) -> None:
    """test-https-max-header-size-per-stream, client half: ``max_header_size`` of 4x the
    default accepts a 3x-default response header; without it: ``HPE_HEADER_OVERFLOW``."""

    async def main() -> None:
        big = b"a" * (DEFAULT_MAX_HEADER * 3)
        reply = b"HTTP/1.1 200 OK\r\nX-Big: " + big + b"\r\nContent-Length: 2\r\n\r\nok"
        server, port = await _raw_tls_server(pki, _answer_once(reply))
        base: https.HttpsRequestOptions = {
            "host": "localhost",
            "port": port,
            "ca": pki.ca,
            "agent": False,
        }
        res = await https.get({**base, "max_header_size": DEFAULT_MAX_HEADER * 4})
        assert res.headers["x-big"] == big.decode()
        assert await consumers.text(res) == "ok"
        err = await _error_of(https.get(base))
        assert (err.code, str(err)) == ("HPE_HEADER_OVERFLOW", "Parse Error: Header overflow")
        await server.aclose()

    run(main())


def test_https_max_header_size_per_stream_server(run: Run, pki: PKI) -> None:
    """test-https-max-header-size-per-stream, server half: a server ``max_header_size`` of
    4x the default accepts a 3x-default request header; without it ``'clientError'`` is
    emitted, and with no listener the answer is Node's exact 431."""

    async def main() -> None:
        big = b"a" * (DEFAULT_MAX_HEADER * 3)
        request = (
            b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + big + b"\r\nConnection: close\r\n\r\n"
        )
        lengths: list[int] = []

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            lengths.append(len(req.headers["x-big"]))
            res.end("ok")

        roomy, port = await _serve(pki, handler, max_header_size=DEFAULT_MAX_HEADER * 4)
        reply = await _raw_request(pki, port, request)
        assert reply.startswith(b"HTTP/1.1 200 OK\r\n") and reply.endswith(b"\r\n\r\nok")
        assert lengths == [len(big)]
        await roomy.aclose()

        strict, port = await _serve(pki, handler)
        reply = await _raw_request(pki, port, request)
        assert reply == b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n"
        client_errors: list[errors.NodeError] = []

        def on_client_error(err: errors.NodeError, sock: tls.TLSSocket) -> None:
            client_errors.append(err)
            sock.destroy()

        strict.on("clientError", on_client_error)
        await _raw_request(pki, port, request)
        assert len(client_errors) >= 1
        assert client_errors[0].code == "HPE_HEADER_OVERFLOW"
        assert lengths == [len(big)]  # the handler never saw the oversized ones
        await strict.aclose()

    run(main())


def test_https_insecure_parse_per_stream(run: Run, pki: PKI) -> None:
    """test-https-insecure-parse-per-stream: ``insecure_http_parser`` per request and per
    server lets a ``\\x08`` in a header value through; without it the client errors with
    ``HPE_INVALID_HEADER_TOKEN`` and the server answers 400; a non-boolean is refused."""

    async def main() -> None:
        reply = b"HTTP/1.1 200 OK\r\nFoo: bar\x08baz\r\nContent-Length: 2\r\n\r\nok"
        raw, port = await _raw_tls_server(pki, _answer_once(reply))
        base: https.HttpsRequestOptions = {
            "host": "localhost",
            "port": port,
            "ca": pki.ca,
            "agent": False,
        }
        res = await https.get({**base, "insecure_http_parser": True})
        assert res.headers["foo"] == "bar\x08baz"
        assert await consumers.text(res) == "ok"
        err = await _error_of(https.get(base))
        assert (err.code, str(err)) == (
            "HPE_INVALID_HEADER_TOKEN",
            "Parse Error: Invalid header value char",
        )
        await raw.aclose()

        request = (
            b"GET / HTTP/1.1\r\nHost: localhost\r\nFoo: bar\x08baz\r\nConnection: close\r\n\r\n"
        )
        values: list[str] = []

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            values.append(req.headers["foo"])
            res.end("ok")

        lenient, port = await _serve(pki, handler, insecure_http_parser=True)
        reply = await _raw_request(pki, port, request)
        assert reply.startswith(b"HTTP/1.1 200 OK\r\n") and reply.endswith(b"ok")
        assert values == ["bar\x08baz"]
        await lenient.aclose()

        strict, port = await _serve(pki, handler)
        client_errors: list[str] = []

        def on_client_error(err: errors.NodeError, sock: tls.TLSSocket) -> None:
            client_errors.append(err.code)
            sock.end(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")

        strict.on("clientError", on_client_error)
        reply = await _raw_request(pki, port, request)
        assert reply == b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"
        assert client_errors == ["HPE_INVALID_HEADER_TOKEN"]
        assert values == ["bar\x08baz"]
        await strict.aclose()

        message = (
            'The "options.insecureHTTPParser" property must be of type boolean. '
            "Received type int (0)"
        )
        with pytest.raises(TypeError) as info:
            https.request({"host": "localhost", "insecure_http_parser": 0})  # type: ignore[arg-type]  # on purpose
        assert (
            isinstance(info.value, errors.NodeError) and info.value.code == "ERR_INVALID_ARG_TYPE"
        )
        assert str(info.value) == message
        with pytest.raises(TypeError) as info2:
            https.create_server({**pki.leaf.https_options(), "insecureHTTPParser": 0})  # type: ignore[arg-type]  # on purpose
        assert str(info2.value) == message

    run(main())


def test_https_max_headers_count(run: Run, pki: PKI) -> None:
    """test-https-max-headers-count: ``server.max_headers_count`` of 50, 1500 and 0 gives
    50, all (102) and all request headers; ``req.max_headers_count`` on the client does the
    same for the response's 104 (20, all, all)."""

    async def main() -> None:
        custom = {f"X-Foo{i}": "bar" for i in range(100)}
        counts: list[int] = []

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            counts.append(len(req.headers))
            res.write_head(200, custom)
            res.end()

        server, port = await _serve(pki, handler)
        agent = https.Agent({"keep_alive": True, "ca": pki.ca})
        base: https.HttpsRequestOptions = {
            "host": "localhost",
            "port": port,
            "agent": agent,
            "headers": custom,
        }
        for limit in (50, 1500, 0):
            server.max_headers_count = limit
            res = await https.get(base)
            res.resume()
            await events.once(res, "end")
        assert counts == [50, 102, 102]
        got: list[tuple[int, int]] = []
        for limit in (20, 1500, 0):
            req = https.get(base)
            req.max_headers_count = limit
            res = await req
            got.append((len(res.headers), len(res.raw_headers) // 2))
            res.resume()
            await events.once(res, "end")
        # Node v20 measured: rawHeaders keeps the first group of 31 lines it flushed
        assert got == [(20, 31), (104, 104), (104, 104)]
        agent.destroy()
        await server.aclose()

    run(main())


async def _pipeline_past_the_limit(
    pki: PKI,
) -> tuple[
    bytes,
    list[str | None],
    list[tuple[http.IncomingMessage, tls.TLSSocket]],
    list[tls.TLSSocket],
]:
    """Two pipelined requests to a server with ``max_requests_per_socket = 1``: the reply
    bytes, the handled URLs, the ``'dropRequest'`` arguments and the TLS connections."""
    handled: list[str | None] = []
    dropped: list[tuple[http.IncomingMessage, tls.TLSSocket]] = []
    connections: list[tls.TLSSocket] = []

    def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
        handled.append(req.url)
        res.end("ok")

    server, port = await _serve(pki, handler)
    server.max_requests_per_socket = 1
    server.on("dropRequest", lambda req, sock: dropped.append((req, sock)))
    server.on("secureConnection", connections.append)
    reply = await _raw_request(
        pki, port, b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    await closed(connections[0])  # the server's end of the connection is gone too
    await server.aclose()
    return reply, handled, dropped, connections


def test_https_keep_alive_drop_requests(run: Run, pki: PKI) -> None:
    """test-https-keep-alive-drop-requests: with ``max_requests_per_socket = 1`` a second
    pipelined request emits ``'dropRequest'`` (IncomingMessage, the TLS socket); the
    handler runs once, its response says ``Connection: close`` and the socket closes."""

    async def main() -> None:
        reply, handled, dropped, connections = await _pipeline_past_the_limit(pki)
        assert reply.startswith(b"HTTP/1.1 200 OK\r\n")
        first_head = reply.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        assert b"Connection: close" in first_head
        assert handled == ["/a"]
        assert len(dropped) == 1
        req, sock = dropped[0]
        assert isinstance(req, http.IncomingMessage) and req.url == "/b"
        assert sock is connections[0] and isinstance(sock, tls.TLSSocket)
        assert sock.destroyed

    run(main())


def test_https_keep_alive_drop_requests_get_503(run: Run, pki: PKI) -> None:
    """test-https-keep-alive-drop-requests (the probe): the dropped request is answered
    ``503 Service Unavailable`` with ``Connection: close`` after the first response."""

    async def main() -> None:
        reply, *_ = await _pipeline_past_the_limit(pki)
        _, _, second = reply.partition(b"\r\n\r\nok")
        head, _, body = second.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        assert lines[0] == b"HTTP/1.1 503 Service Unavailable"
        assert b"Connection: close" in lines and b"Transfer-Encoding: chunked" in lines
        assert body == b"0\r\n\r\n"

    run(main())


def test_https_unix_socket_listen_on_a_path(run: Run, pki: PKI) -> None:
    """test-https-unix-socket-self-signed, server half: ``server.listen(path)`` serves
    https on a Unix socket, and ``address()`` is the path, as in Node."""

    async def main() -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "https.sock")
            server = https.create_server(
                pki.self_signed.https_options(), lambda req, res: res.end("hello")
            )
            server.listen(path)
            await events.once(server, "listening")
            assert server.address() == path
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            reader, writer = await asyncio.open_unix_connection(
                path, ssl=ctx, server_hostname="localhost"
            )
            writer.write(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            reply = await asyncio.wait_for(reader.read(), 5)
            writer.close()
            assert reply.startswith(b"HTTP/1.1 200 OK\r\n") and reply.endswith(b"hello")
            second = https.create_server(pki.self_signed.https_options())
            second.listen(path)
            (err,) = await events.once(second, "error")
            assert (err.code, err.syscall, err.address) == ("EADDRINUSE", "listen", path)
            assert str(err) == f"listen EADDRINUSE: address already in use {path}"
            await server.aclose()
            assert not os.path.exists(path)  # Node unlinks the socket file on close

    run(main())


def test_https_unix_socket_self_signed(run: Run, pki: PKI) -> None:
    """test-https-unix-socket-self-signed: ``https.get({socket_path,
    reject_unauthorized: False})`` reaches a server listening on that path."""

    async def main() -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "https.sock")
            server = https.create_server(
                pki.self_signed.https_options(), lambda req, res: res.end(f"hello {req.url}")
            )
            server.listen(path)
            await events.once(server, "listening")
            try:
                res = await https.get(
                    {
                        "socket_path": path,
                        "path": "/x",
                        "reject_unauthorized": False,
                        "agent": False,
                    }
                )
                assert await consumers.text(res) == "hello /x"
                assert res.socket.authorization_error == "DEPTH_ZERO_SELF_SIGNED_CERT"
            finally:
                await server.aclose()

    run(main())
