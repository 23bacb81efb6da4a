"""CPU time per TLS handshake: nodehttps' engine vs asyncio's own TLS transport.

Client and server run in this one process on 127.0.0.1, so each figure is the CPU
time of both ends of one connection: TCP connect, TLS handshake, one byte each way,
close. Four series, interleaved in rounds so that noise on a shared host hits them
alike:

* ``ours full``    ``tls.connect`` <-> ``tls.create_server`` (memory-BIO engine)
* ``ours resumed`` the same with ``session=`` from a previous connection
* ``aio full``     ``loop.create_connection(ssl=ctx)`` <-> ``loop.create_server(ssl=ctx)``
* ``aio resumed``  the same, with the session injected through ``SSLContext.wrap_bio``
  (asyncio has no ``session=`` parameter; this is the documented hook)

Usage: ``python bench/bench_tls_handshake.py [N=300] [--asyncio] [--tls12]``
(uvloop is used when installed, unless ``--asyncio``). Prints medians per round and
the ratio ours/asyncio.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

import trustme

from nodehttps import tls

ROUNDS = 5


def _pems() -> tuple[str, str, str]:
    ca = trustme.CA()
    leaf = ca.issue_cert("localhost", "127.0.0.1")
    key = leaf.private_key_pem.bytes().decode()
    cert = "".join(b.bytes().decode() for b in leaf.cert_chain_pems)
    return key, cert, ca.cert_pem.bytes().decode()


class _SessionContext(ssl.SSLContext):
    """asyncio's path to resumption: ``wrap_bio`` adds the session to offer."""

    next_session: ssl.SSLSession | None = None

    def wrap_bio(
        self,
        incoming: Any,
        outgoing: Any,
        server_side: bool = False,
        server_hostname: Any = None,
        session: Any = None,
    ) -> ssl.SSLObject:
        return super().wrap_bio(
            incoming, outgoing, server_side, server_hostname, session or self.next_session
        )


def _stdlib_contexts(
    key: str, cert: str, ca: str, version: ssl.TLSVersion
) -> tuple[ssl.SSLContext, _SessionContext]:
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as f:
        f.write(cert + key)
    try:
        server.load_cert_chain(f.name)
    finally:
        os.unlink(f.name)
    client = _SessionContext(ssl.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(cadata=ca)
    client.maximum_version = version
    return server, client


class _Pong(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)  # type: ignore[attr-defined]


class _Ping(asyncio.Protocol):
    def __init__(self) -> None:
        self.got: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        if not self.got.done():
            self.got.set_result(data)


async def _aio_series(n: int, port: int, client: _SessionContext, resumed: bool) -> float:
    loop = asyncio.get_running_loop()
    client.next_session = None
    if resumed:
        transport, proto = await loop.create_connection(
            _Ping, "127.0.0.1", port, ssl=client, server_hostname="localhost"
        )
        transport.write(b"x")
        await proto.got  # TLS 1.3 tickets arrive with the first reply
        client.next_session = transport.get_extra_info("ssl_object").session
        transport.close()
    start = time.process_time()
    for _ in range(n):
        transport, proto = await loop.create_connection(
            _Ping, "127.0.0.1", port, ssl=client, server_hostname="localhost"
        )
        transport.write(b"x")
        await proto.got
        if resumed:
            assert transport.get_extra_info("ssl_object").session_reused
        transport.close()
    return (time.process_time() - start) / n


async def _ours_one(port: int, ca: str, session: Any, version: str) -> tls.TLSSocket:
    fut: asyncio.Future[tls.TLSSocket] = asyncio.get_running_loop().create_future()
    sock = tls.connect(
        {
            "port": port,
            "host": "127.0.0.1",
            "servername": "localhost",
            "ca": ca,
            "session": session,
            "max_version": version,
        }
    )
    sock.once("data", lambda _d: fut.set_result(sock))
    sock.once("error", fut.set_exception)
    sock.write(b"x")
    return await fut


async def _ours_series(n: int, port: int, ca: str, resumed: bool, version: str) -> float:
    session = None
    if resumed:
        first = await _ours_one(port, ca, None, version)
        session = first.get_session()
        first.destroy()
    start = time.process_time()
    for _ in range(n):
        sock = await _ours_one(port, ca, session, version)
        if resumed:
            assert sock.is_session_reused()
        sock.destroy()
    return (time.process_time() - start) / n


async def main(n: int, tls12: bool) -> None:
    key, cert, ca = _pems()
    version = ssl.TLSVersion.TLSv1_2 if tls12 else ssl.TLSVersion.TLSv1_3
    vname = "TLSv1.2" if tls12 else "TLSv1.3"
    loop = asyncio.get_running_loop()
    sctx, cctx = _stdlib_contexts(key, cert, ca, version)
    aio_server = await loop.create_server(_Pong, "127.0.0.1", 0, ssl=sctx)
    aio_port = aio_server.sockets[0].getsockname()[1]

    def on_secure(sock: tls.TLSSocket) -> None:
        sock.on("data", sock.write)
        sock.on("error", lambda _e: None)

    ours = tls.create_server({"key": key, "cert": cert}, on_secure)
    ours.listen(0, "127.0.0.1")
    await asyncio.sleep(0.01)
    port = ours.address()["port"]
    series: dict[str, Callable[[], Awaitable[float]]] = {
        "ours full": lambda: _ours_series(n, port, ca, False, vname),
        "aio full": lambda: _aio_series(n, aio_port, cctx, False),
        "ours resumed": lambda: _ours_series(n, port, ca, True, vname),
        "aio resumed": lambda: _aio_series(n, aio_port, cctx, True),
    }
    results: dict[str, list[float]] = {name: [] for name in series}
    for fn in series.values():  # warm-up
        await fn()
    for _ in range(ROUNDS):
        for name, fn in series.items():
            results[name].append(await fn())
    print(f"{vname}, {n} connections x {ROUNDS} rounds, loop={type(loop).__module__}")
    print("CPU ms per connection (client + server, one process), median of rounds:")
    med = {name: statistics.median(v) * 1000 for name, v in results.items()}
    for name, value in med.items():
        print(f"  {name:13s} {value:6.3f} ms")
    print(
        f"  ratio ours/aio: full {med['ours full'] / med['aio full']:.2f}, "
        f"resumed {med['ours resumed'] / med['aio resumed']:.2f}"
    )
    ours.close()
    aio_server.close()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    count = int(args[0]) if args else 300
    use_asyncio = "--asyncio" in sys.argv
    if not use_asyncio:
        try:
            import uvloop

            uvloop.install()
        except ImportError:
            pass
    asyncio.run(main(count, "--tls12" in sys.argv))
