"""A bounded soak over TLS with random disconnects: memory stays flat, descriptors return.

The nodehttps https server runs in its own process (``serve.py``). Against it, at once:

* 16 keep-alive connections make 20,000 requests in all (``GET /size/N``, N of 10 B,
  1 kB or 20 kB), each answer read and checked;
* 2,000 connections are dropped at random points: during the TLS handshake, in the
  middle of a request head or body, or in the middle of a 200 kB answer, half of
  them with a reset (``SO_LINGER`` 0), the others with a FIN.

The first fifth is warm-up. After it, and again at the end, the client waits until the
server's open descriptors are back to their count before any client came (an
unreleased socket fails the test), then reads the server's RSS. The bound, stated:
RSS after the run <= RSS after warm-up + 16 MB. The server must write nothing to stderr
(no traceback, no logged error) the whole time.
"""

from __future__ import annotations

import asyncio
import random
import socket
import ssl
import struct
from pathlib import Path
from typing import Any

import pytest

from hostile.serve import ServerProcess
from tls_pki import PKI

#: One shared run in a module fixture: its setup counts against the first test.
pytestmark = pytest.mark.timeout(200)

REQUESTS = 20_000
DROPS = 2_000
KEEP_ALIVE_CONNECTIONS = 16
DROPPERS = 8
WARM_UP = 0.2
GROWTH_LIMIT_MB = 16
SIZES = (10, 1000, 20_000)


async def _read_answer(reader: asyncio.StreamReader, size: int) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n"), head[:60]
    assert f"\r\nContent-Length: {size}\r\n".encode() in head
    body = await reader.readexactly(size)
    assert body == b"y" * size


async def keep_alive_worker(port: int, ctx: ssl.SSLContext, count: int, rng: random.Random) -> int:
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=ctx, server_hostname="localhost"
    )
    for _ in range(count):
        size = rng.choice(SIZES)
        writer.write(b"GET /size/%d HTTP/1.1\r\nHost: x\r\n\r\n" % size)
        await _read_answer(reader, size)
    writer.close()
    return count


def _abort(writer: asyncio.StreamWriter, rng: random.Random) -> None:
    raw: socket.socket | None = writer.get_extra_info("socket")
    if raw is not None and rng.random() < 0.5:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def drop_once(port: int, ctx: ssl.SSLContext, rng: random.Random) -> str:
    """One connection dropped at a random point; which point it was."""
    where = rng.choice(("handshake", "request", "body", "answer"))
    if where == "handshake":
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + rng.randbytes(rng.randrange(64))
        )
        await writer.drain()
        _abort(writer, rng)
        return where
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=ctx, server_hostname="localhost"
    )
    if where == "request":
        head = b"GET /size/10 HTTP/1.1\r\nHost: x\r\nX-Pad: abcdef\r\n\r\n"
        writer.write(head[: rng.randrange(1, len(head))])
    elif where == "body":
        writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n")
        writer.write(b"b" * rng.randrange(4999))
    else:
        writer.write(b"GET /size/200000 HTTP/1.1\r\nHost: x\r\n\r\n")
        await reader.readexactly(rng.randrange(1, 100_000))
    await writer.drain()
    await asyncio.sleep(0)  # kept: a loop turn, so the drop comes after what was written
    _abort(writer, rng)
    return where


async def _phase(port: int, ctx: ssl.SSLContext, requests: int, drops: int, seed: int) -> int:
    rng = random.Random(seed)
    per = requests // KEEP_ALIVE_CONNECTIONS
    workers = [
        keep_alive_worker(port, ctx, per, random.Random(rng.random()))
        for _ in range(KEEP_ALIVE_CONNECTIONS)
    ]

    async def dropper(n: int, r: random.Random) -> int:
        for _ in range(n):
            await drop_once(port, ctx, r)
        return 0

    droppers = [dropper(drops // DROPPERS, random.Random(rng.random())) for _ in range(DROPPERS)]
    done = await asyncio.gather(*workers, *droppers)
    return sum(done)


async def _settle(server: ServerProcess, fds: int) -> int:
    """Wait until the server holds ``fds`` descriptors again (10 s at most); its count.
    (Polled: no event announces another process's descriptors.)"""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while server.open_fds() > fds and loop.time() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.3)  # kept: a window in which the count must stay down
    return server.open_fds()


async def soak(config: dict[str, Any], ctx: ssl.SSLContext, stderr: Path) -> dict[str, Any]:
    async with ServerProcess("nodehttps", config, stderr=stderr) as server:
        fds = server.open_fds()
        warm_requests, warm_drops = int(REQUESTS * WARM_UP), int(DROPS * WARM_UP)
        served = await _phase(server.port, ctx, warm_requests, warm_drops, seed=1)
        fds_warm = await _settle(server, fds)
        rss_warm = server.status_kb("VmRSS")
        served += await _phase(server.port, ctx, REQUESTS - warm_requests, DROPS - warm_drops, 2)
        fds_end = await _settle(server, fds)
        rss_end = server.status_kb("VmRSS")
        alive = server.proc is not None and server.proc.returncode is None
    return {
        "served": served,
        "fds": (fds, fds_warm, fds_end),
        "rss_mb": (rss_warm / 1024, rss_end / 1024),
        "alive": alive,
        "stderr": stderr.read_text(errors="replace"),
    }


@pytest.fixture(scope="module")
def soak_result(
    module_loop: asyncio.AbstractEventLoop,
    pki: PKI,
    client_tls: ssl.SSLContext,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    folder: Path = tmp_path_factory.mktemp("soak")
    config = ServerProcess.tls_config(pki, folder)
    run = soak(config, client_tls, folder / "stderr.txt")
    result = module_loop.run_until_complete(asyncio.wait_for(run, 150))
    warm, end = result["rss_mb"]
    print(
        f"soak: {result['served']} requests, {DROPS} drops, RSS {warm:.1f} -> {end:.1f} MB, fds {result['fds']}"
    )
    return result


def test_soak_serves_every_request(soak_result: dict[str, Any]) -> None:
    assert soak_result["alive"]
    assert soak_result["stderr"] == "", "the server wrote to stderr"
    served = soak_result["served"]
    assert served == (REQUESTS // KEEP_ALIVE_CONNECTIONS) * KEEP_ALIVE_CONNECTIONS


def test_soak_memory_stays_flat(soak_result: dict[str, Any]) -> None:
    warm, end = soak_result["rss_mb"]
    assert end - warm <= GROWTH_LIMIT_MB, f"RSS grew {end - warm:.1f} MB after warm-up"


def test_soak_descriptors_return_to_baseline(soak_result: dict[str, Any]) -> None:
    before, after_warm_up, after = soak_result["fds"]
    assert (after_warm_up, after) == (before, before)
