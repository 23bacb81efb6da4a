"""Real peers against https: curl and node's client against our server, our client
against node's server, openssl s_client resuming sessions. Each skips without its tool."""

from __future__ import annotations

import asyncio
import shutil
import socket
from pathlib import Path

import pytest

import nodehttps as https
from conftest import NODE
from harness import Run
from nodehttps import consumers, http
from servers import https_server
from tls_pki import PKI


@pytest.fixture
def pems(pki: PKI, tmp_path: Path) -> dict[str, Path]:
    """The test PKI's root and the server's key and chain, as files for other tools."""
    files = {"ca": pki.ca, "key": pki.leaf.key_pem, "cert": pki.leaf.chain_pem}
    for name, text in files.items():
        (tmp_path / f"{name}.pem").write_text(text)
    return {name: tmp_path / f"{name}.pem" for name in files}


async def _serve(pki: PKI) -> tuple[https.Server, int]:
    def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
        res.set_header("Content-Type", "text/plain")
        res.end(f"hello {req.method} {req.url}\n")

    return await https_server(pki.leaf, handler)


async def _run(*cmd: str, stdin: bytes = b"") -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin), 20)
    return proc.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace")


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_against_our_server(run: Run, pki: PKI, pems: dict[str, Path]) -> None:
    async def main() -> None:
        ca = pems["ca"]
        server, port = await _serve(pki)
        code, out, err = await _run(
            "curl",
            "-sS",
            "--cacert",
            str(ca),
            "-i",
            f"https://localhost:{port}/a?b",
            f"https://localhost:{port}/c",
        )
        assert code == 0, err
        assert out.count("HTTP/1.1 200 OK") == 2
        assert "hello GET /a?b\n" in out and "hello GET /c\n" in out
        assert "keep-alive" in out.lower()
        await server.aclose()

    run(main(), timeout=30)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_openssl_s_client_reconnect_reuses_sessions(
    run: Run, pki: PKI, pems: dict[str, Path]
) -> None:
    async def main() -> None:
        ca = pems["ca"]
        server, port = await _serve(pki)
        code, out, err = await _run(
            "openssl",
            "s_client",
            "-connect",
            f"127.0.0.1:{port}",
            "-tls1_2",
            "-reconnect",
            "-CAfile",
            str(ca),
            "-servername",
            "localhost",
            stdin=b"",
        )
        assert code == 0, err
        assert "Verify return code: 0 (ok)" in out
        assert out.count("Reused, TLSv1.2") >= 4, out[-2000:]
        await server.aclose()

    run(main(), timeout=30)


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_node_client_against_our_server(run: Run, pki: PKI, pems: dict[str, Path]) -> None:
    async def main() -> None:
        ca = pems["ca"]
        server, port = await _serve(pki)
        script = (
            "const https = require('https'); const fs = require('fs');"
            f"https.get({{host: 'localhost', port: {port}, path: '/n', "
            f"ca: fs.readFileSync('{ca}')}}, res => {{ let b = ''; const alpn = res.socket.alpnProtocol;"
            "res.on('data', d => b += d); res.on('end', () => { console.log(res.statusCode, "
            "res.headers['content-type'], JSON.stringify(b), alpn); "
            "process.exit(0); }); }).on('error', e => { console.log('ERR', e.code); });"
        )
        code, out, err = await _run(str(NODE), "-e", script)
        assert code == 0, err
        assert out.strip() == '200 text/plain "hello GET /n\\n" false'  # node offers no ALPN
        await server.aclose()

    run(main(), timeout=30)


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_our_client_against_node_server(run: Run, pki: PKI, pems: dict[str, Path]) -> None:
    async def main() -> None:
        script = (
            "const https = require('https'); const fs = require('fs');"
            f"const s = https.createServer({{key: fs.readFileSync('{pems['key']}'), "
            f"cert: fs.readFileSync('{pems['cert']}')}}, (q, r) => "
            "r.end('node ' + q.url + ' ' + q.headers.host));"
            "s.listen(0, '127.0.0.1', () => console.log(s.address().port));"
        )
        proc = await asyncio.create_subprocess_exec(
            str(NODE), "-e", script, stdout=asyncio.subprocess.PIPE
        )
        assert proc.stdout is not None
        port = int(await asyncio.wait_for(proc.stdout.readline(), 10))
        try:
            agent = https.Agent({"ca": pki.ca, "keep_alive": True})
            bodies: list[str] = []
            reused: list[bool] = []
            for path in ("/1", "/2"):
                req = https.get(f"https://localhost:{port}{path}", {"agent": agent})
                res = await req
                bodies.append(await consumers.text(res))
                reused.append(req.reused_socket)
            assert bodies == [f"node /1 localhost:{port}", f"node /2 localhost:{port}"]
            assert reused == [False, True]
            agent.destroy()
        finally:
            proc.kill()
            await proc.wait()

    run(main(), timeout=30)


async def _accepting(stdout: asyncio.StreamReader) -> None:
    """Return once ``openssl s_server`` says ``ACCEPT`` (it listens)."""
    while (line := await stdout.readline()).strip() != b"ACCEPT":
        if not line:
            raise AssertionError("openssl s_server ended before it listened")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_our_client_against_openssl_s_server(run: Run, pki: PKI, pems: dict[str, Path]) -> None:
    """https.get against ``openssl s_server -www``: an HTTP/1.0 reply ended by the close."""

    async def main() -> None:
        port = _free_port()
        proc = await asyncio.create_subprocess_exec(
            "openssl",
            "s_server",
            "-accept",
            f"127.0.0.1:{port}",
            "-key",
            str(pems["key"]),
            "-cert",
            str(pems["cert"]),
            "-www",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            assert proc.stdout is not None
            await asyncio.wait_for(_accepting(proc.stdout), 10)
            res = await https.get(f"https://localhost:{port}/", {"ca": pki.ca, "agent": False})
            body = await consumers.text(res)
            assert (res.status_code, res.http_version) == (200, "1.0")
            assert res.socket.authorized is True
            assert "New, TLSv1.3, Cipher is" in body and body.rstrip().endswith("</HTML>")
        finally:
            proc.kill()
            await proc.wait()

    run(main(), timeout=30)
