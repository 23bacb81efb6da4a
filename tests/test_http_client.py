"""http.request / ClientRequest / Agent over real sockets."""

from __future__ import annotations

import asyncio
from typing import Unpack

import pytest

from harness import Run, closed, once
from nodehttps import consumers, errors, events, http, net
from servers import Handler


async def _server(
    handler: Handler, **opts: Unpack[http.HttpServerOptions]
) -> tuple[http.Server, int]:
    server = http.create_server(opts or None, handler)
    server.listen(0, "127.0.0.1")
    await events.once(server, "listening")
    addr = server.address()
    assert addr is not None
    return server, int(addr["port"])


async def _raw_server(reply: bytes, close: bool = True) -> tuple[net.Server, int]:
    """A TCP server that answers every connection with ``reply`` bytes."""

    def on_conn(sock: net.Socket) -> None:
        def on_data(_d: bytes) -> None:
            sock.write(reply)
            if close:
                sock.end()

        sock.once("data", on_data)

    server = net.create_server(on_conn)
    server.listen(0, "127.0.0.1")
    await events.once(server, "listening")
    addr = server.address()
    assert addr is not None
    return server, int(addr["port"])


def test_get_and_awaitable_form(run: Run) -> None:
    async def main() -> None:
        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            res.set_header("X-Url", req.url)
            res.end(f"{req.method} {req.headers['host']}")

        server, port = await _server(handler)
        res = await http.get(f"http://127.0.0.1:{port}/foo?bar")
        assert res.status_code == 200
        assert res.headers["x-url"] == "/foo?bar"
        assert await consumers.text(res) == f"GET 127.0.0.1:{port}"
        await server.aclose()

    run(main())


def test_request_with_body_and_callback(run: Run) -> None:
    async def main() -> None:
        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            body: list[bytes] = []
            req.on("data", body.append)
            req.on("end", lambda: res.end(b"".join(body).upper()))

        server, port = await _server(handler)
        got: asyncio.Future[http.IncomingMessage] = asyncio.get_running_loop().create_future()
        req = http.request(
            {"port": port, "host": "127.0.0.1", "method": "POST"}, lambda res: got.set_result(res)
        )
        req.write("hello ")
        req.end("world")
        res = await got
        assert await consumers.text(res) == "HELLO WORLD"
        await server.aclose()

    run(main())


def test_econnrefused(run: Run) -> None:
    async def main() -> None:
        sock = net.Server()
        sock.listen(0, "127.0.0.1")
        port = sock.address()["port"]
        sock_closed = once(sock, "close")
        # closed in listen()'s tick: on asyncio's loop, a close while the server is still
        # starting can leave its descriptor registered, and the next socket fails (ENOENT)
        sock.close()
        await sock_closed
        with pytest.raises(ConnectionRefusedError) as info:
            await http.get(f"http://127.0.0.1:{port}/")
        err = info.value
        assert isinstance(err, errors.NodeSystemError)
        assert err.code == "ECONNREFUSED"
        assert str(err) == f"connect ECONNREFUSED 127.0.0.1:{port}"
        assert (err.syscall, err.address, err.port) == ("connect", "127.0.0.1", port)

    run(main())


def test_socket_hang_up_when_server_closes_before_response(run: Run) -> None:
    async def main() -> None:
        server = net.create_server(lambda s: s.once("data", lambda _d: s.destroy()))
        server.listen(0, "127.0.0.1")
        port = server.address()["port"]
        order: list[str] = []
        req = http.get(f"http://127.0.0.1:{port}/")
        req.on("error", lambda e: order.append(f"error {e.code} {e}"))
        req.on("close", lambda: order.append("close"))
        await closed(req)
        assert order == ["error ECONNRESET socket hang up", "close"]
        await server.aclose()

    run(main())


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        (
            b"HTTP/1.1 200 OK\r\nX-Bad: a\x08b\r\nContent-Length: 0\r\n\r\n",
            "HPE_INVALID_HEADER_TOKEN",
        ),
        (b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n", "HPE_HEADER_OVERFLOW"),
        (b"garbage\r\n\r\n", None),
    ],
)
def test_malformed_responses_give_hpe_codes(run: Run, reply: bytes, code: str | None) -> None:
    async def main() -> None:
        server, port = await _raw_server(reply)
        with pytest.raises(errors.NodeError) as info:
            await http.get(f"http://127.0.0.1:{port}/")
        assert info.value.code.startswith("HPE_")
        if code:
            assert info.value.code == code
        await server.aclose()

    run(main())


def test_eof_delimited_body(run: Run) -> None:
    async def main() -> None:
        server, port = await _raw_server(
            b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\n"
            b"Set-Cookie: b=2\r\n\r\nhello world\nhello world\n"
        )
        res = await http.get(f"http://127.0.0.1:{port}/")
        assert await consumers.text(res) == "hello world\nhello world\n"
        assert res.headers["set-cookie"] == ["a=1", "b=2"]
        await server.aclose()

    run(main())


def test_keep_alive_agent_reuses_one_socket(run: Run) -> None:
    async def main() -> None:
        ports: list[int] = []

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            ports.append(req.socket.remote_port)
            res.end("x")

        server, port = await _server(handler)
        agent = http.Agent({"keep_alive": True, "max_sockets": 5, "max_free_sockets": 5})
        name = f"127.0.0.1:{port}:"
        reused = []
        for _ in range(10):
            freed = once(agent, "free")  # the socket is back in the pool before the next
            req = http.get({"host": "127.0.0.1", "port": port, "agent": agent})
            res = await req
            reused.append(req.reused_socket)
            await consumers.text(res)
            await freed
        assert len(set(ports)) == 1
        assert reused == [False] + [True] * 9
        assert len(agent.free_sockets.get(name, [])) == 1
        agent.destroy()
        await server.aclose()

    run(main())


def test_max_sockets_respected(run: Run) -> None:
    async def main() -> None:
        active = {"now": 0, "peak": 0}

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            active["now"] += 1
            active["peak"] = max(active["peak"], active["now"])

            def done() -> None:
                active["now"] -= 1
                res.end("ok")

            asyncio.get_running_loop().call_later(0.02, done)

        server, port = await _server(handler)
        agent = http.Agent({"keep_alive": True, "max_sockets": 2})

        async def fetch() -> str:
            return await consumers.text(
                await http.get({"host": "127.0.0.1", "port": port, "agent": agent})
            )

        bodies = await asyncio.gather(*(fetch() for _ in range(6)))
        assert bodies == ["ok"] * 6
        assert sum(map(len, agent.free_sockets.values())) == 2
        assert active["peak"] == 2
        agent.destroy()
        await server.aclose()

    run(main())


def test_agent_get_name_and_validation() -> None:
    agent = http.Agent()
    assert (
        agent.get_name({"host": "localhost", "port": 80, "local_address": "192.168.1.1"})
        == "localhost:80:192.168.1.1"
    )
    assert agent.get_name() == "localhost::"
    assert agent.get_name({"family": 6}) == "localhost:::6"
    with pytest.raises(TypeError) as info:
        http.Agent({"max_total_sockets": "x"})
    assert isinstance(info.value, errors.NodeError) and info.value.code == "ERR_INVALID_ARG_TYPE"
    with pytest.raises(ValueError) as info2:
        http.Agent({"max_total_sockets": 0})
    assert str(info2.value) == (
        'The value of "maxTotalSockets" is out of range. It must be >= 1. Received 0'
    )
    with pytest.raises(TypeError) as info3:
        http.Agent({"scheduling": "filo"})
    assert str(info3.value) == (
        "The argument 'scheduling' must be one of: 'fifo', 'lifo'. Received 'filo'"
    )


def test_request_argument_errors() -> None:
    with pytest.raises(TypeError) as info:
        http.request({"agent": True})  # type: ignore[arg-type]  # wrong on purpose
    assert str(info.value) == (
        'The "options.agent" property must be one of Agent-like Object, '
        "undefined, or false. Received type bool (True)"
    )
    with pytest.raises(TypeError) as info2:
        http.request({"method": "GE T"})
    assert str(info2.value) == 'Method must be a valid HTTP token ["GE T"]'
    with pytest.raises(TypeError) as info3:
        http.request("not a url")
    assert isinstance(info3.value, errors.NodeError) and info3.value.code == "ERR_INVALID_URL"
    with pytest.raises(TypeError) as info4:
        http.request({"protocol": "https:"})
    assert str(info4.value) == 'Protocol "https:" not supported. Expected "http:"'
    with pytest.raises(TypeError) as info5:
        http.request({"timeout": None, "host": "x"})  # type: ignore[arg-type]  # on purpose
    assert isinstance(info5.value, errors.NodeError) and info5.value.code == "ERR_INVALID_ARG_TYPE"
    with pytest.raises(TypeError) as info6:
        http.request({"insecure_http_parser": 0})  # type: ignore[arg-type]  # on purpose
    assert str(info6.value) == (
        'The "options.insecureHTTPParser" property must be of type boolean. Received type int (0)'
    )


def test_timeout_then_destroy_gives_socket_hang_up(run: Run) -> None:
    async def main() -> None:
        server, port = await _server(lambda req, res: None)  # never answers
        order: list[str] = []
        req = http.get({"host": "127.0.0.1", "port": port, "agent": False})

        def on_timeout() -> None:
            order.append("timeout")
            req.destroy()

        req.set_timeout(50, on_timeout)
        req.on("error", lambda e: order.append(f"{e.code} {e}"))
        await closed(req)
        assert order == ["timeout", "ECONNRESET socket hang up"]
        server.close_all_connections()
        await server.aclose()

    run(main())


def test_host_header_rules(run: Run) -> None:
    async def main() -> None:
        hosts: list[str | None] = []

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            hosts.append(req.headers.get("host"))
            res.end()

        server, port = await _server(handler, require_host_header=False)
        variants: list[http.HttpRequestOptions] = [
            {},
            {"set_host": False},
            {"headers": {"Host": "custom"}},
        ]
        for opts in variants:
            res = await http.get({"host": "127.0.0.1", "port": port, **opts})
            res.resume()
        assert hosts == [f"127.0.0.1:{port}", None, "custom"]
        await server.aclose()

    run(main())


def test_timeout_option_reaches_the_socket_on_every_path(run: Run) -> None:
    """As Node: a new agent's connection, an agent with another timeout, and a
    create_connection function each give the socket the request's timeout."""

    async def main() -> None:
        server, port = await _server(lambda req, res: res.end("x"))
        agent = http.Agent({"keep_alive": True, "timeout": 5000})
        extras: list[http.HttpRequestOptions] = [
            {"agent": False},
            {"agent": agent},
            {"create_connection": net.create_connection},
        ]
        for extra in extras:
            seen: list[float | None] = []
            req = http.get({"host": "127.0.0.1", "port": port, "timeout": 70, **extra})
            req.on(
                "socket",
                lambda sock, seen=seen: asyncio.get_running_loop().call_soon(
                    lambda: seen.append(sock.timeout)
                ),
            )
            res = await req
            res.resume()
            await events.once(res, "end")
            assert seen == [70], extra
        agent.destroy()
        await server.aclose()

    run(main())
