"""The Agent's socket limits over real sockets, as Node v20 measured here."""

from __future__ import annotations

import asyncio

from harness import Run
from nodehttps import events, http
from servers import listening


def test_max_total_sockets_with_max_sockets_over_two_origins_opens_three(run: Run) -> None:
    """Node v20: ``maxTotalSockets: 3, maxSockets: 2``, four requests to each of two
    origins at once: three connections in all, never more."""

    async def main() -> None:
        connections: list[str] = []
        servers = []
        for name in "ab":

            def answer(req: http.IncomingMessage, res: http.ServerResponse) -> None:
                asyncio.get_running_loop().call_later(0.02, res.end, "x")

            server = http.create_server(answer)
            server.on("connection", lambda _sock, n=name: connections.append(n))
            servers.append((server, await listening(server)))
        agent = http.Agent({"keep_alive": True, "max_sockets": 2, "max_total_sockets": 3})

        async def one(port: int) -> None:
            res = await http.get({"host": "127.0.0.1", "port": port, "agent": agent})
            res.resume()
            await events.once(res, "end")

        await asyncio.gather(*[one(port) for _, port in servers for _ in range(4)])
        assert sorted(connections) == ["a", "a", "b"]
        assert agent.total_socket_count <= 3
        agent.destroy()
        for server, _ in servers:
            await server.aclose()

    run(main())
