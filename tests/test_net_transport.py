"""net's joints: a socket is its transport's protocol; writes queue until released; the
socket's source may be paused or resumed at any point of its life; ``reuse_port``."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

import pytest

from harness import Run
from nodehttps import events, http, net
from servers import Handler


async def _listen(server: net.Server, **options: Any) -> int:
    server.listen({"port": 0, "host": "127.0.0.1", **options})
    await events.once(server, "listening")
    return int(server.address()["port"])


def test_socket_is_its_transports_protocol(run: Run) -> None:
    """No adapter between asyncio and the socket: the transport drives the socket."""

    async def main() -> None:
        server = net.create_server(lambda sock: sock.end(b"hi"))
        port = await _listen(server)
        client = net.connect(port, "127.0.0.1")
        await events.once(client, "connect")
        assert client._transport is not None
        assert client._transport.get_protocol() is client  # type: ignore[attr-defined]
        client.resume()
        await events.once(client, "end")
        server.close()

    run(main())


def test_writes_while_connecting_go_out_in_order_then_drain(run: Run) -> None:
    """Writes made before the connection is up wait, go out at once when it is, and a
    write that said False gets its 'drain' (it never came when the kernel took the
    queued bytes in one go)."""

    async def main() -> None:
        received: list[bytes] = []
        done = asyncio.get_running_loop().create_future()

        def on_connection(sock: net.Socket) -> None:
            sock.on("data", received.append)
            sock.on("end", lambda: done.set_result(b"".join(received)))

        server = net.create_server(on_connection)
        port = await _listen(server)
        client = net.connect(port, "127.0.0.1")
        drained: list[str] = []
        client.on("drain", lambda: drained.append("drain"))
        chunk = b"x" * 10000
        assert client.write(b"first:") is True
        assert client.write(chunk) is True
        assert client.write(chunk) is False  # 20006 bytes queued: past the 16 KiB mark
        assert client.writable_length == 20006
        assert client.writable_need_drain is True
        client.end(b":last")
        body = await asyncio.wait_for(done, 5)
        assert body == b"first:" + chunk * 2 + b":last"
        assert drained == ["drain"]
        assert client.writable_need_drain is False
        server.close()

    run(main())


@pytest.mark.parametrize("when", ["before connect", "after destroy", "after close"])
def test_pause_and_resume_at_any_time(run: Run, when: str) -> None:
    """Pausing or resuming a socket whose transport is not there yet, or is closing or
    closed, is a no-op: nothing raises (no exception was hidden for it)."""

    async def main() -> None:
        server = net.create_server(lambda sock: sock.resume())
        port = await _listen(server)
        client = net.connect(port, "127.0.0.1")
        if when != "before connect":
            await events.once(client, "connect")
            client.destroy()
            if when == "after close":
                await events.once(client, "close")
        client.pause()
        client.resume()
        client.pause()
        client.destroy()
        await client.wait_closed()
        server.close()

    run(main())


# -- reusePort (Node v23) ------------------------------------------------------------------------
def test_reuse_port_lets_two_servers_share_a_port(run: Run) -> None:
    """Node v23's ``reusePort: true``: a second server binds the same port (the OS
    shares the connections out), and both serve."""

    async def main() -> None:
        served: dict[str, int] = {"a": 0, "b": 0}

        def counting(name: str) -> Callable[[net.Socket], None]:
            def on_connection(sock: net.Socket) -> None:
                served[name] += 1
                sock.end(name.encode())

            return on_connection

        first = net.create_server(counting("a"))
        port = await _listen(first, reusePort=True)
        second = net.create_server(counting("b"))
        assert await _listen(second, port=port, reuse_port=True) == port
        for _ in range(40):
            client = net.connect(port, "127.0.0.1")
            client.resume()
            await events.once(client, "end")
            client.destroy()
        assert served["a"] + served["b"] == 40
        assert served["a"] and served["b"], served  # both listening sockets took some
        first.close()
        second.close()

    run(main())


@pytest.mark.parametrize("value", [False, 1, "true", None])
def test_reuse_port_only_when_true(run: Run, value: object) -> None:
    """Only ``True`` counts, as Node's ``reusePort === true``: otherwise the port stays
    the first server's and the second gets ``EADDRINUSE``."""

    async def main() -> None:
        first = net.create_server()
        port = await _listen(first, reusePort=True)
        second = net.create_server()
        second.listen({"port": port, "host": "127.0.0.1", "reusePort": value})
        (err,) = await events.once(second, "error")
        assert err.code == "EADDRINUSE"
        assert second.listening is False
        first.close()

    run(main())


def test_reuse_port_not_on_the_first_server(run: Run) -> None:
    """Every socket sharing the port must ask for it (SO_REUSEPORT semantics)."""

    async def main() -> None:
        first = net.create_server()
        port = await _listen(first)
        second = net.create_server()
        second.listen({"port": port, "host": "127.0.0.1", "reusePort": True})
        (err,) = await events.once(second, "error")
        assert err.code == "EADDRINUSE"
        first.close()

    run(main())


def test_reuse_port_for_http_servers(run: Run) -> None:
    """``http.Server`` listens through ``net.Server.listen``: two share a port."""

    async def main() -> None:
        def answering(n: int) -> Handler:
            return lambda req, res: res.end(str(n))

        servers = [http.create_server(answering(n)) for n in range(2)]
        port = await _listen(servers[0], reusePort=True)
        await _listen(servers[1], port=port, reusePort=True)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            raw.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            reply = b""
            while chunk := await asyncio.get_running_loop().run_in_executor(None, raw.recv, 4096):
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 200 OK") and reply[-1:] in (b"0", b"1")
        for server in servers:
            server.close()

    run(main())
