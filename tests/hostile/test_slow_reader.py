"""Slow readers with pipelined requests: memory stays within Node's, and nothing stalls.

20 TLS connections each send 10 pipelined ``GET /big`` (10 MiB answers, one shared
buffer) and never read. The server runs in its own process (``serve.py``, nodehttps or
Node, https on the test certificate); its resident
memory is watched through ``/proc`` until it settles, and its growth over the warmed-up
baseline is the peak (``VmHWM``, reset after warm-up, or the sampled maximum). Then one
connection is read to the end: all 10 answers, 104,857,600 body bytes plus the heads,
must arrive with no pause longer than 5 s.

The bound, stated: nodehttps's growth <= 1.5 x Node's growth + 50 MB, measured in the
same run on the same machine. (Node stops reading a connection while its unsent output
is above the high-water mark, so it holds about one encrypted answer per connection:
~200 MB here; a server that encrypts and buffers every answer needs ~2 GB.)
A run that passes the bound is stopped at once, so the test stays short either way.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import NODE
from hostile.serve import BIG_SIZE, ServerProcess
from tls_pki import PKI

#: One shared run in a module fixture: its setup counts against the first test.
pytestmark = pytest.mark.timeout(120)

CONNECTIONS = 20
PIPELINED = 10
REQUEST = b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n"
MB = 1024  # kB
MARGIN_FACTOR, MARGIN_MB = 1.5, 50
#: With no node to compare with, the nodehttps run is still stopped past this growth.
FALLBACK_CAP_MB = 1024
STALL = 5.0


@dataclass
class SlowReaderRun:
    growth_mb: float
    stopped_early: bool
    answers: int
    body_bytes: int
    stalled: bool


async def _read_answers(reader: asyncio.StreamReader, count: int) -> tuple[int, int, bool]:
    """Read ``count`` answers of ``BIG_SIZE``; (answers, body bytes, stalled)."""
    answers = body = 0
    try:
        for _ in range(count):
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), STALL)
            assert head.startswith(b"HTTP/1.1 200 OK\r\n"), head[:80]
            assert f"\r\nContent-Length: {BIG_SIZE}\r\n".encode() in head, head
            left = BIG_SIZE
            while left:
                chunk = await asyncio.wait_for(reader.read(min(left, 1 << 20)), STALL)
                if not chunk:
                    return answers, body, False
                left -= len(chunk)
                body += len(chunk)
            answers += 1
    except TimeoutError:
        return answers, body, True
    return answers, body, False


async def _watch(server: ServerProcess, baseline_kb: int, cap_mb: float) -> tuple[float, bool]:
    """Sample RSS until it has not grown by 2 MB for 2 s (or 20 s pass, or the cap)."""
    loop = asyncio.get_running_loop()
    peak = 0
    last_rise = start = loop.time()
    while loop.time() - last_rise < 2.0 and loop.time() - start < 20:
        growth = server.status_kb("VmRSS") - baseline_kb
        if growth > peak + 2 * MB:
            last_rise = loop.time()
        peak = max(peak, growth)
        if peak > cap_mb * MB:
            return peak / MB, True
        await asyncio.sleep(0.1)  # kept: the sampling period
    return peak / MB, False


async def run_slow_readers(
    kind: str, cap_mb: float, config: dict[str, Any], ctx: ssl.SSLContext
) -> SlowReaderRun:
    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(
            "127.0.0.1", server.port, ssl=ctx, server_hostname="localhost"
        )

    async with ServerProcess(kind, config) as server:
        reader, writer = await connect()
        writer.write(REQUEST)  # warm-up: one whole answer
        assert (await _read_answers(reader, 1))[0] == 1
        writer.close()
        await asyncio.sleep(0.3)  # kept: the server settles before its baseline RSS is read
        baseline = server.status_kb("VmRSS")
        hwm_reset = server.reset_peak()
        conns = [await connect() for _ in range(CONNECTIONS)]
        for _, w in conns:
            w.write(REQUEST * PIPELINED)
        sampled, stopped = await _watch(server, baseline, cap_mb)
        growth = sampled
        if hwm_reset:
            growth = max(growth, (server.status_kb("VmHWM") - baseline) / MB)
        answers = body = 0
        stalled = False
        if not stopped:
            answers, body, stalled = await _read_answers(conns[0][0], PIPELINED)
        for _, w in conns:
            w.transport.abort()
    return SlowReaderRun(growth, stopped, answers, body, stalled)


@pytest.fixture(scope="module")
def tls_config(pki: PKI, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder: Path = tmp_path_factory.mktemp("slow-reader")
    return ServerProcess.tls_config(pki, folder)


@pytest.fixture(scope="module")
def node_run(
    module_loop: asyncio.AbstractEventLoop, tls_config: dict[str, Any], client_tls: ssl.SSLContext
) -> SlowReaderRun:
    if NODE is None:
        pytest.skip("node is not installed")
    run = run_slow_readers("node", FALLBACK_CAP_MB, tls_config, client_tls)
    result = module_loop.run_until_complete(asyncio.wait_for(run, 45))
    print(f"slow readers, node: +{result.growth_mb:.0f} MB")
    return result


@pytest.fixture(scope="module")
def nodehttps_run(
    module_loop: asyncio.AbstractEventLoop,
    tls_config: dict[str, Any],
    client_tls: ssl.SSLContext,
    request: pytest.FixtureRequest,
) -> tuple[SlowReaderRun, float | None]:
    """nodehttps's run, and the bound in MB from Node's (None without node)."""
    limit = None
    if NODE is not None:
        node: SlowReaderRun = request.getfixturevalue("node_run")
        limit = MARGIN_FACTOR * node.growth_mb + MARGIN_MB
    run = run_slow_readers("nodehttps", limit or FALLBACK_CAP_MB, tls_config, client_tls)
    ours = module_loop.run_until_complete(asyncio.wait_for(run, 45))
    print(
        f"slow readers, nodehttps: +{ours.growth_mb:.0f} MB, bound {limit or FALLBACK_CAP_MB:.0f} MB"
        f" (stopped at the bound: {ours.stopped_early})"
    )
    return ours, limit


def test_node_reference_reads_everything(node_run: SlowReaderRun) -> None:
    """The scenario itself, on Node: no stall, every byte (what nodehttps is held to)."""
    assert (node_run.answers, node_run.body_bytes, node_run.stalled) == (
        PIPELINED,
        PIPELINED * BIG_SIZE,
        False,
    )


def test_slow_reader_memory_within_nodes(nodehttps_run: tuple[SlowReaderRun, float | None]) -> None:
    ours, limit = nodehttps_run
    if limit is None:
        pytest.skip("node is not installed: nothing to compare with")
    assert not ours.stopped_early and ours.growth_mb <= limit, (
        f"RSS grew {ours.growth_mb:.0f} MB, bound {limit:.0f} MB (1.5 x Node's + 50 MB)"
    )


def test_slow_reader_gets_every_byte(nodehttps_run: tuple[SlowReaderRun, float | None]) -> None:
    ours, _ = nodehttps_run
    assert not ours.stopped_early, "memory passed the bound before the read"
    assert (ours.answers, ours.body_bytes, ours.stalled) == (PIPELINED, PIPELINED * BIG_SIZE, False)
