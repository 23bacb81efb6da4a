"""Client details: 1xx, upgrades, HEAD/204, trailers, and the Agent's keep-alive rules."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from harness import Run, closed, emitted, once, resolve, until
from nodehttps import consumers, errors, events, http, net


async def _raw_server(script: Callable[[net.Socket, bytes], object]) -> tuple[net.Server, int]:
    """A TCP server whose connections are handled by ``script(sock, data)`` per request."""
    server = net.create_server(lambda sock: sock.on("data", lambda d: script(sock, d)))
    server.listen(0, "127.0.0.1")
    await events.once(server, "listening")
    return server, int(server.address()["port"])


def _back_or_gone(sock: net.Socket) -> asyncio.Future[None]:
    """Done once ``sock`` went back to its agent (``'free'``) or away (destroyed)."""
    fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    if sock.destroyed:
        fut.set_result(None)
    sock.once("free", lambda: resolve(fut, None))
    sock.once("close", lambda *_: resolve(fut, None))
    return fut


def test_information_events_then_response(run: Run) -> None:
    async def main() -> None:
        server, port = await _raw_server(
            lambda s, d: s.write(
                b"HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
            )
        )
        infos: list[tuple[int, dict[str, str]]] = []
        req = http.get({"host": "127.0.0.1", "port": port, "agent": False})
        req.on("information", lambda info: infos.append((info.status_code, info.headers)))
        res = await req
        assert await consumers.text(res) == "ok"
        assert infos == [(102, {}), (103, {"link": "</a>"})]
        await server.aclose()

    run(main())


def test_head_and_204_responses_have_no_body_on_a_reused_socket(run: Run) -> None:
    async def main() -> None:
        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            if req.url == "/204":
                res.status_code = 204
            res.end("body!")

        server = http.create_server(handler)
        server.listen(0, "127.0.0.1")
        port = server.address()["port"]
        agent = http.Agent({"keep_alive": True})
        for method, path in (("HEAD", "/"), ("GET", "/204"), ("GET", "/")):
            req = http.request(
                {"host": "127.0.0.1", "port": port, "method": method, "path": path, "agent": agent}
            )
            req.end()
            res = await req
            settled = _back_or_gone(req.socket)
            body = await consumers.text(res)
            assert body == ("body!" if (method, path) == ("GET", "/") else "")
            await asyncio.wait_for(settled, 5)
        assert req.reused_socket
        agent.destroy()
        await server.aclose()

    run(main())


def test_chunked_response_with_trailers(run: Run) -> None:
    async def main() -> None:
        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            res.write_head(200, {"Trailer": "X-Sum"})
            res.write("a")
            res.add_trailers({"X-Sum": "1"})
            res.end("b")

        server = http.create_server(handler)
        server.listen(0, "127.0.0.1")
        port = server.address()["port"]
        res = await http.get({"host": "127.0.0.1", "port": port, "agent": False})
        assert await consumers.text(res) == "ab"
        assert res.trailers == {"x-sum": "1"}
        await server.aclose()

    run(main())


def test_client_upgrade(run: Run) -> None:
    async def main() -> None:
        server = http.create_server()

        def on_upgrade(req: http.IncomingMessage, sock: net.Socket, head: bytes) -> None:
            sock.write(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\n"
                b"Connection: Upgrade\r\n\r\nhi"
            )
            sock.on("data", lambda d: sock.write(d))

        server.on("upgrade", on_upgrade)
        server.listen(0, "127.0.0.1")
        port = server.address()["port"]
        got: asyncio.Future[tuple[http.IncomingMessage, net.Socket, bytes]]
        got = asyncio.get_running_loop().create_future()
        req = http.request(
            {
                "host": "127.0.0.1",
                "port": port,
                "agent": False,
                "headers": {"Connection": "Upgrade", "Upgrade": "echo"},
            }
        )
        req.on("upgrade", lambda res, sock, head: got.set_result((res, sock, head)))
        req.end()
        res, sock, head = await got
        assert (res.status_code, head) == (101, b"hi")
        # Node's upgrade response has the head's fields as any response
        assert (res.http_version, res.headers["upgrade"]) == ("1.1", "echo")
        echoed: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        sock.once("data", echoed.set_result)
        sock.write(b"ping")
        assert await echoed == b"ping"
        sock.destroy()
        server.close_all_connections()
        await server.aclose()

    run(main())


def test_expect_continue_from_the_client(run: Run) -> None:
    async def main() -> None:
        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            req.resume()
            req.on("end", lambda: res.end("done"))

        server = http.create_server(handler)
        server.listen(0, "127.0.0.1")
        port = server.address()["port"]
        order: list[str] = []
        req = http.request(
            {
                "host": "127.0.0.1",
                "port": port,
                "method": "POST",
                "agent": False,
                "headers": {"Expect": "100-continue", "Content-Length": "3"},
            }
        )

        def on_continue() -> None:
            order.append("continue")
            req.end("abc")

        req.on("continue", on_continue)
        req.flush_headers()
        res = await req
        assert await consumers.text(res) == "done"
        assert order == ["continue"]
        await server.aclose()

    run(main())


def test_keep_alive_hint_of_one_second_means_no_reuse(run: Run) -> None:
    async def main() -> None:
        server, port = await _raw_server(
            lambda s, d: s.write(
                b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nKeep-Alive: timeout=1\r\n\r\nx"
            )
        )
        agent = http.Agent({"keep_alive": True})
        freed = once(agent, "free")  # the agent decided: pooled or not
        req = http.get({"host": "127.0.0.1", "port": port, "agent": agent})
        res = await req
        await consumers.text(res)
        await freed
        assert agent.free_sockets == {}
        req2 = http.get({"host": "127.0.0.1", "port": port, "agent": agent})
        await consumers.text(await req2)
        assert req2.reused_socket is False
        agent.destroy()
        await server.aclose()

    run(main())


def test_agent_timeout_destroys_an_idle_socket_and_free_is_emitted(run: Run) -> None:
    async def main() -> None:
        server = http.create_server(lambda req, res: res.end("x"))
        server.listen(0, "127.0.0.1")
        port = server.address()["port"]
        agent = http.Agent({"keep_alive": True, "timeout": 50})
        freed: list[net.Socket] = []
        agent.on("free", lambda sock, opts: freed.append(sock))
        first_free = once(agent, "free")
        res = await http.get({"host": "127.0.0.1", "port": port, "agent": agent})
        await consumers.text(res)
        await first_free
        assert len(freed) == 1 and sum(map(len, agent.free_sockets.values())) == 1
        assert freed[0].timeout == 50
        await closed(freed[0])  # the agent's 50 ms timeout destroys the idle socket
        assert agent.free_sockets == {} and freed[0].destroyed
        await server.aclose()

    run(main())


def test_server_closing_an_idle_socket_takes_it_out_of_the_pool(run: Run) -> None:
    async def main() -> None:
        server = http.create_server({"keep_alive_timeout": 2000}, lambda req, res: res.end("x"))
        server.listen(0, "127.0.0.1")
        port = server.address()["port"]
        agent = http.Agent({"keep_alive": True})
        freed = once(agent, "free")
        await consumers.text(await http.get({"host": "127.0.0.1", "port": port, "agent": agent}))
        (idle, _) = await freed
        assert agent.total_socket_count == 1
        await closed(idle, 6)  # keep_alive_timeout + Node's one second of grace
        assert agent.total_socket_count == 0 and agent.free_sockets == {}
        await server.aclose()

    run(main())


def test_max_headers_count_on_the_client(run: Run) -> None:
    async def main() -> None:
        headers = b"".join(b"X-%d: v\r\n" % i for i in range(30))
        server, port = await _raw_server(
            lambda s, d: s.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n" + headers + b"\r\n")
        )
        req = http.get({"host": "127.0.0.1", "port": port, "agent": False})
        req.max_headers_count = 10
        res = await req
        assert len(res.headers) == 10
        res.resume()
        await server.aclose()

    run(main())


def test_abort_signal_and_task_cancellation(run: Run) -> None:
    async def main() -> None:
        from nodehttps import AbortController, AbortSignal

        server = http.create_server(lambda req, res: None)  # never answers
        server.listen(0, "127.0.0.1")
        port = server.address()["port"]
        controller = AbortController()
        errors_seen: list[errors.NodeError] = []
        arrived = once(server, "request")
        req = http.get(
            {"host": "127.0.0.1", "port": port, "agent": False, "signal": controller.signal}
        )
        req.on("error", errors_seen.append)
        await arrived  # in flight: the server has it
        req_closed = closed(req)
        controller.abort()
        await req_closed
        assert [(e.code, str(e), getattr(e, "name", None)) for e in errors_seen] == [
            ("ABORT_ERR", "The operation was aborted", "AbortError")
        ]
        assert req.destroyed
        pre = http.get(
            {"host": "127.0.0.1", "port": port, "agent": False, "signal": AbortSignal.abort()}
        )
        got: list[errors.NodeError] = []
        pre.on("error", got.append)
        await closed(pre)
        assert [e.code for e in got] == ["ABORT_ERR"]
        arrived = once(server, "request")
        task = asyncio.ensure_future(http.get({"host": "127.0.0.1", "port": port, "agent": False}))
        await arrived
        task.cancel()
        await asyncio.wait({task}, timeout=5)
        assert task.cancelled()
        server.close_all_connections()
        await server.aclose()

    run(main())


async def _ok_server_and_keep_alive_agent() -> tuple[http.Server, int, http.Agent, str]:
    """A server answering "ok", a keep-alive agent, and the agent's key for the server."""
    server = http.create_server(lambda req, res: res.end("ok"))
    server.listen(0, "127.0.0.1")
    await events.once(server, "listening")
    port = int(server.address()["port"])
    return server, port, http.Agent({"keep_alive": True}), f"127.0.0.1:{port}:"


def test_keep_alive_socket_after_the_response_is_destroyed_or_its_end_listener_raises(
    run: Run,
) -> None:
    """The request always ends: destroying a complete response before ``'end'`` takes its
    socket down (Node's ``||`` rule) and the request closes; an ``'end'`` listener that
    raises does not keep the socket from going back to the agent."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        uncaught: list[BaseException | None] = []
        loop.set_exception_handler(lambda _l, ctx: uncaught.append(ctx.get("exception")))
        server, port, agent, name = await _ok_server_and_keep_alive_agent()

        req = http.get({"host": "127.0.0.1", "port": port, "agent": agent})
        res = await req
        res.pause()
        await until(lambda: res.complete)  # no event: 'end' waits for the paused data
        req_close = once(req, "close", 2)
        sock_closed = closed(req.socket)
        res.destroy()
        await req_close
        assert res.aborted is True and req.socket.destroyed
        await sock_closed  # the agent lets go of a socket at its 'close'
        assert name not in agent.sockets and name not in agent.free_sockets

        req = http.get({"host": "127.0.0.1", "port": port, "agent": agent})
        res = await req
        boom = RuntimeError("boom")

        def explode() -> None:
            raise boom

        res.on("end", explode)
        req_close = once(req, "close", 2)
        res.resume()
        await req_close
        assert uncaught == [boom]
        assert len(agent.free_sockets[name]) == 1 and name not in agent.sockets
        agent.destroy()
        await server.aclose()

    run(main())


def test_destroying_a_complete_keep_alive_response(run: Run) -> None:
    """In its 'end' listener: the socket still goes back to the agent. Before 'end' with
    an error: the request reports it first, the response too, then both close (Node's
    order), and the socket leaves the agent."""

    async def main() -> None:
        server, port, agent, name = await _ok_server_and_keep_alive_agent()

        req = http.get({"host": "127.0.0.1", "port": port, "agent": agent})
        res = await req
        res.on("end", res.destroy)
        req_close = once(req, "close", 2)
        res.resume()
        await req_close
        assert len(agent.free_sockets[name]) == 1 and name not in agent.sockets

        order: list[str] = []
        req = http.get({"host": "127.0.0.1", "port": port, "agent": agent})
        res = await req
        res.pause()
        await until(lambda: res.complete)  # no event: 'end' waits for the paused data
        boom = RuntimeError("boom")
        req.on("error", lambda err: order.append(f"req error {err}"))
        res.on("error", lambda err: order.append(f"res error {err}"))
        res.on("close", lambda: order.append("res close"))
        req_closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def on_req_close() -> None:
            order.append("req close")
            req_closed.set_result(None)

        req.on("close", on_req_close)
        sock_closed = closed(req.socket)
        res.destroy(boom)
        await asyncio.wait_for(req_closed, 2)
        assert order == ["req error boom", "res error boom", "res close", "req close"]
        await sock_closed  # the agent lets go of a socket at its 'close'
        assert name not in agent.sockets and name not in agent.free_sockets
        agent.destroy()
        await server.aclose()

    run(main())


def test_idle_sockets_destroyed_before_their_close_are_never_handed_out(run: Run) -> None:
    """Node's addRequest skips a free socket already destroyed (its 'close' still to come):
    the next live one is reused, and with none left a new socket is made."""

    async def main() -> None:
        server, port, agent, name = await _ok_server_and_keep_alive_agent()
        opts: http.HttpRequestOptions = {"host": "127.0.0.1", "port": port, "agent": agent}
        both_freed = emitted(agent, "free", 2)
        first = await asyncio.gather(http.get(opts), http.get(opts))
        for res in first:
            assert await consumers.text(res) == "ok"
        await both_freed
        live, dead = agent.free_sockets[name]  # lifo: the pool would pick ``dead``
        dead.destroy()
        freed = once(agent, "free")
        req = http.get(opts)
        await consumers.text(await req)
        assert req.reused_socket and req.socket is live and not live.destroyed
        await freed
        assert agent.free_sockets == {name: [live]}
        live.destroy()
        req = http.get(opts)
        await consumers.text(await req)
        assert req.reused_socket is False and req.socket is not live
        agent.destroy()
        await server.aclose()

    run(main())
