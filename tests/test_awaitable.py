"""The awaitable form (SPEC §4): requests awaited late lose nothing; script mode keeps
Node's rule; a request dropped unawaited frees its socket; cancelling the await
destroys the request."""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import nodehttps as https
from harness import Run, closed, until
from nodehttps import consumers, events, http, net
from servers import https_server, listening
from tls_pki import PKI

BODY = "x" * 339


async def _response_held(req: http.ClientRequest) -> None:
    """Until ``req``'s whole response has arrived and is held for its await."""
    await until(lambda: req.res is not None and req.res.complete)


def test_requests_started_together_and_awaited_in_turn_keep_their_bodies(
    run: Run, pki: PKI
) -> None:
    async def main() -> None:
        server, port = await https_server(pki.leaf, lambda req, res: res.end(BODY))
        agent = https.Agent({"keep_alive": True, "ca": pki.ca})
        requests = [https.get({"port": port, "agent": agent}) for _ in range(5)]
        for req in requests:  # every response arrives before its await
            await _response_held(req)
        got = []
        for req in requests:
            res = await req
            got.append((res.status_code, len(await consumers.text(res))))
        assert got == [(200, 339)] * 5
        agent.destroy()
        await server.aclose()

    run(main())


def test_a_held_response_is_not_read_past_its_high_water_mark(run: Run) -> None:
    big = b"y" * (8 * 1024 * 1024)

    async def main() -> None:
        server = http.create_server(lambda req, res: res.end(big))
        port = await listening(server)
        req = http.get({"port": port, "host": "127.0.0.1"})
        await events.once(req, "socket")
        await until(
            lambda: (
                req.res is not None and req.res.readable_length >= req.res.readable_high_water_mark
            ),
            what="the held response reached its high-water mark",
        )
        await asyncio.sleep(0.2)  # kept: a window in which reading must stay stopped
        assert req.res is not None and not req.res.complete
        assert req.res.readable_length <= 2 * req.res.readable_high_water_mark + 262144
        res = await req
        assert len(await consumers.buffer(res)) == len(big)
        await server.aclose()

    run(main())


def test_a_request_dropped_unawaited_frees_its_socket(run: Run) -> None:
    async def main() -> None:
        server = http.create_server(lambda req, res: res.end(BODY))
        port = await listening(server)
        agent = http.Agent({"keep_alive": True})
        req = http.get({"port": port, "host": "127.0.0.1", "agent": agent})
        (sock,) = await events.once(req, "socket")
        sock_closed = closed(sock)
        await _response_held(req)
        assert req.res is not None  # held, waiting for an await that will not come
        del req
        gc.collect()
        await sock_closed
        assert agent.total_socket_count == 0
        await server.aclose()

    run(main())


def test_an_error_before_the_await_is_raised_by_the_await(run: Run) -> None:
    class BrokenAgent(http.Agent):
        def create_connection(
            self, options: dict[str, Any], callback: Callable[..., Any] | None = None
        ) -> net.Socket:
            raise RuntimeError("no connection today")

    async def main() -> None:
        req = http.get({"port": 9, "host": "127.0.0.1", "agent": BrokenAgent()})
        close_seen: list[bool] = []
        req.on("close", lambda: close_seen.append(True))
        await closed(req)
        assert close_seen == [True]  # 'close' came even though the error waits
        with pytest.raises(RuntimeError, match="no connection today"):
            await req

    run(main())


def test_an_agent_that_cannot_connect_reports_to_the_error_listener(run: Run) -> None:
    class BrokenAgent(http.Agent):
        def create_connection(
            self, options: dict[str, Any], callback: Callable[..., Any] | None = None
        ) -> net.Socket:
            raise RuntimeError("no connection today")

    async def main() -> None:
        req = http.get({"port": 9, "host": "127.0.0.1", "agent": BrokenAgent()})
        order: list[str] = []
        req.on("close", lambda: order.append("close"))
        close_done = closed(req)
        (err,) = await events.once(req, "error")
        order.insert(0, "error")
        assert str(err) == "no connection today"
        await close_done
        assert order == ["error", "close"]

    run(main())


def test_cancelling_the_await_destroys_the_request(run: Run) -> None:
    """Node's ``timeout`` only emits ``'timeout'``; a Python caller bounds the await."""

    async def main() -> None:
        arrived = asyncio.get_running_loop().create_future()
        server = http.create_server(lambda req, res: arrived.set_result(req))  # never answers
        port = await listening(server)
        req = http.get({"port": port, "host": "127.0.0.1"})
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await req
        assert req.destroyed
        server_req = await arrived
        if not server_req.socket.destroyed:
            await events.once(server_req.socket, "close")  # the connection went away
        await server.aclose()

    run(main())


def test_script_mode_keeps_nodes_dumping_rule(tmp_path: Path) -> None:
    """With no loop running, a response nobody listens for is dumped at once, so the
    script ends (as Node's does)."""
    script = tmp_path / "script.py"
    script.write_text(
        textwrap.dedent(
            """
            from nodehttps import http
            served = []
            def handler(req, res):
                served.append(req.url)
                res.end("x" * 100000)
            server = http.create_server(handler)
            server.listen(0, "127.0.0.1", lambda: after())
            def after():
                port = server.address()["port"]
                req = http.get({"port": port, "host": "127.0.0.1"})   # nobody listens
                req.on("close", lambda: (print("closed", served), server.close()))
            """
        )
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "closed ['/']"
