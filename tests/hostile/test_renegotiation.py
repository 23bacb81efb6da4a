"""Client-initiated TLS renegotiation, tried with ``openssl s_client`` (its ``R`` command).

SPEC §9: nodehttps refuses it outright (OpenSSL's ``no_renegotiation`` alert ends the
connection), where Node allows 3 per 10 minutes; either way the server goes on serving.
Node is run as the reference that the probe itself works: there the renegotiation
completes and a request sent after it is answered.
"""

from __future__ import annotations

import asyncio
import shutil
import ssl
from pathlib import Path
from typing import Any

import pytest

from conftest import NODE
from harness import Run
from hostile.serve import ServerProcess
from tls_pki import PKI

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed"),
]
SPEC9 = "SPEC §9: client-initiated TLS renegotiation is refused outright"


async def _read_until(
    stream: asyncio.StreamReader, marks: tuple[bytes, ...], seen: bytearray
) -> bool:
    """Read s_client's output into ``seen`` until one of ``marks`` shows (or EOF)."""
    while not any(m in seen for m in marks):
        chunk = await asyncio.wait_for(stream.read(4096), 10)
        if not chunk:
            return False
        seen += chunk
    return True


async def renegotiate(port: int, ca: Path) -> tuple[int | None, str]:
    """Handshake (TLS 1.2), ask to renegotiate, then send a request; s_client's exit
    status (None: still running when done) and everything it printed."""
    proc = await asyncio.create_subprocess_exec(
        "openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_2",
        "-CAfile", str(ca), "-servername", "localhost",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    seen = bytearray()
    try:
        await _read_until(proc.stdout, (b"Verify return code",), seen)
        proc.stdin.write(b"R\n")
        await proc.stdin.drain()
        if await _read_until(proc.stdout, (b"RENEGOTIATING",), seen):
            # A line of its own (s_client drops the rest of a read that holds "R").
            proc.stdin.write(b"GET /size/3 HTTP/1.1\r\nHost: x\r\n\r\n")
            await proc.stdin.drain()
            await _read_until(proc.stdout, (b"yyy", b"no renegotiation"), seen)
    except (ConnectionError, TimeoutError):
        pass
    proc.stdin.close()  # s_client ends at the end of its input
    try:
        seen += await asyncio.wait_for(proc.stdout.read(), 5)
        await asyncio.wait_for(proc.wait(), 5)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return None, seen.decode(errors="replace")
    return proc.returncode, seen.decode(errors="replace")


async def _answers(port: int, ctx: ssl.SSLContext) -> bytes:
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=ctx, server_hostname="localhost"
    )
    writer.write(b"GET /size/3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return data


async def _probe(kind: str, config: dict[str, Any], ca: Path, ctx: ssl.SSLContext) -> Any:
    async with ServerProcess(kind, config) as server:
        status, output = await renegotiate(server.port, ca)
        after = await _answers(server.port, ctx)
    return status, output, after


@pytest.fixture(scope="module")
def tls_files(pki: PKI, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    folder = tmp_path_factory.mktemp("reneg")
    (folder / "ca.pem").write_text(pki.ca)
    return ServerProcess.tls_config(pki, folder), folder / "ca.pem"


def test_nodehttps_refuses_client_renegotiation(
    run: Run, tls_files: tuple[dict[str, Any], Path], client_tls: ssl.SSLContext
) -> None:
    config, ca = tls_files
    status, output, after = run(_probe("nodehttps", config, ca, client_tls), timeout=40)
    assert "RENEGOTIATING" in output, output[-2000:]
    assert "no renegotiation" in output, SPEC9
    assert "HTTP/1.1 200 OK" not in output
    assert status != 0
    assert after.startswith(b"HTTP/1.1 200 OK\r\n") and after.endswith(b"yyy"), "no longer serves"


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_node_reference_renegotiates(
    run: Run, tls_files: tuple[dict[str, Any], Path], client_tls: ssl.SSLContext
) -> None:
    config, ca = tls_files
    _, output, after = run(_probe("node", config, ca, client_tls), timeout=40)
    assert "RENEGOTIATING" in output and "no renegotiation" not in output
    assert "HTTP/1.1 200 OK" in output, output[-2000:]
    assert after.startswith(b"HTTP/1.1 200 OK\r\n")
