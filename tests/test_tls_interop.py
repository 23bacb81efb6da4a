"""Interop: our TLS server and client against `openssl` and `node` (skipped when absent)."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness import Run, once, resolve
from nodehttps import tls
from tls_pki import PKI

OPENSSL = shutil.which("openssl")
NODE = shutil.which("node")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="openssl is not installed")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")


@pytest.fixture(scope="module")
def certs() -> PKI:
    return PKI()


@pytest.fixture
def files(certs: PKI, tmp_path: Path) -> dict[str, str]:
    out = {}
    for name, text in (
        ("ca", certs.ca),
        ("key", certs.leaf.key_pem),
        ("cert", certs.leaf.cert_pem),
    ):
        path = tmp_path / f"{name}.pem"
        path.write_text(text)
        out[name] = str(path)
    return out


async def proc(*argv: str, stdin: bytes = b"", timeout: float = 15) -> str:
    p = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(p.communicate(stdin), timeout)
    return out.decode(errors="replace")


async def echo_server(options: dict[str, Any], *, once: bool = False) -> tuple[tls.Server, int]:
    def on_secure(sock: tls.TLSSocket) -> None:
        sock.on("error", lambda err: None)
        if once:
            sock.on("data", lambda d: sock.end(b"echo:" + d))
        else:
            sock.on("data", lambda d: sock.write(b"echo:" + d))
        sock.on("end", sock.end)

    server = tls.create_server(options, on_secure)
    server.on("tlsClientError", lambda err, sock: None)
    return server, await _listen(server)


async def _listen(server: tls.Server) -> int:
    listening = once(server, "listening")
    server.listen(0, "127.0.0.1")
    await listening
    return int(server.address()["port"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _read_until_close(sock: tls.TLSSocket) -> tuple[bytes, BaseException | None]:
    data = bytearray()
    err: list[BaseException] = []
    fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    sock.on("data", data.extend)
    sock.on("error", err.append)
    sock.on("close", lambda *_: resolve(fut, None))
    await asyncio.wait_for(fut, 10)
    return bytes(data), (err[0] if err else None)


# -- openssl ------------------------------------------------------------------------------------
@needs_openssl
def test_openssl_s_client_reconnect_reuses_tls12(
    run: Run, certs: PKI, files: dict[str, str]
) -> None:
    async def main() -> None:
        server, port = await echo_server(certs.leaf.server_options())
        out = await proc(
            OPENSSL or "openssl",
            "s_client",
            "-connect",
            f"127.0.0.1:{port}",
            "-servername",
            "localhost",
            "-CAfile",
            files["ca"],
            "-tls1_2",
            "-reconnect",
        )
        assert "Verify return code: 0 (ok)" in out
        lines = [ln for ln in out.splitlines() if ln.startswith(("New,", "Reused,"))]
        assert lines[0].startswith("New, TLSv1.2")
        assert len(lines) >= 3 and all(ln.startswith("Reused, TLSv1.2") for ln in lines[1:])
        server.close()

    run(main(), timeout=30)


@needs_openssl
def test_openssl_s_client_resumes_tls13_ticket(
    run: Run, certs: PKI, files: dict[str, str], tmp_path: Path
) -> None:
    async def main() -> None:
        server, port = await echo_server(certs.leaf.server_options(), once=True)
        sess = str(tmp_path / "sess.pem")
        base = [
            OPENSSL or "openssl",
            "s_client",
            "-connect",
            f"127.0.0.1:{port}",
            "-servername",
            "localhost",
            "-CAfile",
            files["ca"],
            "-ign_eof",
        ]
        first = await proc(*base, "-sess_out", sess, stdin=b"ping\n")
        assert "New, TLSv1.3" in first and "echo:ping" in first
        second = await proc(*base, "-sess_in", sess, stdin=b"pong\n")
        assert "Reused, TLSv1.3" in second and "echo:pong" in second
        server.close()

    run(main(), timeout=30)


@needs_openssl
def test_our_client_against_openssl_s_server(run: Run, files: dict[str, str]) -> None:
    async def main() -> None:
        port = _free_port()
        p = await asyncio.create_subprocess_exec(
            OPENSSL or "openssl",
            "s_server",
            "-accept",
            f"127.0.0.1:{port}",
            "-key",
            files["key"],
            "-cert",
            files["cert"],
            "-www",
            "-naccept",
            "1",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            assert p.stdout is not None
            await asyncio.wait_for(_accepting(p.stdout), 10)
            sock = tls.connect(
                {"port": port, "host": "localhost", "ca": Path(files["ca"]).read_text()}
            )
            await once(sock, "secureConnect", timeout=10)
            assert sock.authorized is True
            sock.write(b"GET / HTTP/1.0\r\n\r\n")
            data, error = await _read_until_close(sock)
            assert error is None
            assert data.startswith(b"HTTP/1.0 200 ok")
            assert b"TLSv1.3" in data
        finally:
            if p.returncode is None:
                p.kill()
            await p.wait()

    run(main(), timeout=30)


async def _accepting(stdout: asyncio.StreamReader) -> None:
    """Return once ``openssl s_server`` says ``ACCEPT`` (it listens)."""
    while (line := await stdout.readline()).strip() != b"ACCEPT":
        if not line:
            raise AssertionError("openssl s_server ended before it listened")


async def _read_through(stdout: asyncio.StreamReader, marker: bytes) -> bytes:
    """Lines of ``stdout`` up to and including the first that holds ``marker``."""
    out = bytearray()
    while marker not in (line := await stdout.readline()):
        if not line:
            raise AssertionError(f"the output ended before {marker!r}: {bytes(out)!r}")
        out += line
    return bytes(out + line)


@needs_openssl
def test_client_renegotiation_is_refused(run: Run, certs: PKI) -> None:
    async def main() -> None:
        closed: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        def on_secure(sock: tls.TLSSocket) -> None:
            sock.on("error", lambda err: None)
            sock.on("data", lambda d: sock.write(b"echo:" + d))
            sock.on("close", lambda had_error=False: resolve(closed, had_error))

        server = tls.create_server(certs.leaf.server_options(), on_secure)
        port = await _listen(server)
        p = await asyncio.create_subprocess_exec(
            OPENSSL or "openssl",
            "s_client",
            "-connect",
            f"127.0.0.1:{port}",
            "-tls1_2",
            "-servername",
            "localhost",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        assert p.stdin is not None and p.stdout is not None
        p.stdin.write(b"hello\n")
        echoed = await asyncio.wait_for(_read_through(p.stdout, b"echo:hello"), 10)
        p.stdin.write(b"R\n")  # s_client's command: renegotiate
        rest = await asyncio.wait_for(p.stdout.read(), 10)
        out = (echoed + rest).decode(errors="replace")
        await p.wait()
        assert "echo:hello" in out and "RENEGOTIATING" in out
        assert "no renegotiation" in out
        assert await asyncio.wait_for(closed, 5) is True
        server.close()

    run(main(), timeout=30)


# -- node -----------------------------------------------------------------------------------
_NODE_SERVER = """
const tls = require('tls'), fs = require('fs');
const s = tls.createServer({key: fs.readFileSync(process.argv[1]), cert: fs.readFileSync(process.argv[2])},
  c => { c.on('data', d => c.end('node:' + d)); });
s.listen(0, '127.0.0.1', () => console.log(s.address().port));
s.on('connection', () => s.close());
"""

_NODE_CLIENT = """
const tls = require('tls'), fs = require('fs');
const [port, ca] = [Number(process.argv[1]), fs.readFileSync(process.argv[2])];
let lines = [], protocol = null;
const c = tls.connect({port, host: 'localhost', ca}, () => { protocol = c.getProtocol(); c.write('ping'); });
c.on('keylog', l => lines.push(l.toString()));
let data = '';
c.on('data', d => { data += d; c.end(); });
c.on('close', () => console.log(JSON.stringify({authorized: c.authorized, data, lines,
  protocol})));
"""

_NODE_VERIFY = """
const tls = require('tls'), fs = require('fs');
const ca = fs.readFileSync(process.argv[1]);
const ports = JSON.parse(process.argv[2]);
const out = {};
function next(i) {
  if (i >= ports.length) { console.log(JSON.stringify(out)); return; }
  const [name, port] = ports[i];
  const c = tls.connect({port, host: 'localhost', ca});
  c.on('secureConnect', () => { out[name] = {code: null}; c.destroy(); next(i + 1); });
  c.on('error', e => { out[name] = {code: e.code, message: e.message}; next(i + 1); });
}
next(0);
"""


@needs_node
def test_our_client_against_a_node_server(run: Run, certs: PKI, files: dict[str, str]) -> None:
    async def main() -> None:
        p = await asyncio.create_subprocess_exec(
            NODE or "node",
            "-e",
            _NODE_SERVER,
            files["key"],
            files["cert"],
            stdout=asyncio.subprocess.PIPE,
        )
        assert p.stdout is not None
        port = int((await asyncio.wait_for(p.stdout.readline(), 10)).decode())
        sock = tls.connect({"port": port, "host": "localhost", "ca": certs.ca})
        sock.once("secureConnect", lambda: sock.write(b"hi"))
        data, error = await _read_until_close(sock)
        assert error is None and data == b"node:hi"
        assert sock.authorized is True and sock.get_protocol() == "TLSv1.3"
        await asyncio.wait_for(p.wait(), 10)

    run(main(), timeout=30)


@needs_node
def test_node_client_against_our_server_keylog_matches(
    run: Run, certs: PKI, files: dict[str, str]
) -> None:
    async def main() -> None:
        server, port = await echo_server(certs.leaf.server_options())
        ours: list[bytes] = []
        server.on("keylog", lambda line, sock: ours.append(line))
        out = await proc(NODE or "node", "-e", _NODE_CLIENT, str(port), files["ca"])
        result = json.loads(out.strip().splitlines()[-1])
        assert result["authorized"] is True
        assert result["data"] == "echo:ping"
        assert result["protocol"] == "TLSv1.3"
        assert sorted(line.decode() for line in ours) == sorted(result["lines"])
        server.close()

    run(main(), timeout=30)


VERIFY_ROLES = ["untrusted_leaf", "self_signed", "expired", "future", "cn_only", "chain_leaf"]


@needs_node
def test_verify_errors_match_node(run: Run, certs: PKI, files: dict[str, str]) -> None:
    async def main() -> None:
        servers: list[tls.Server] = []
        ports: list[tuple[str, int]] = []
        for role in VERIFY_ROLES:
            options = getattr(certs, role).server_options()
            server, port = await echo_server(options)
            servers.append(server)
            ports.append((role, port))
        # chain_leaf is trusted through the root: both sides must accept it.
        out = await proc(NODE or "node", "-e", _NODE_VERIFY, files["ca"], json.dumps(ports))
        node = json.loads(out.strip().splitlines()[-1])
        ours: dict[str, dict[str, Any]] = {}
        for role, port in ports:
            sock = tls.connect({"port": port, "host": "localhost", "ca": certs.ca})
            fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
            sock.on("secureConnect", lambda f=fut: resolve(f, {"code": None}))
            sock.on(
                "error",
                lambda e, f=fut: resolve(f, {"code": getattr(e, "code", None), "message": str(e)}),
            )
            ours[role] = await asyncio.wait_for(fut, 10)
            sock.destroy()
        assert ours == node
        for server in servers:
            server.close()

    run(main(), timeout=30)


_NODE_SESSION_STORE = r"""
const tls = require('tls'), fs = require('fs');
const [ourPort, keyFile, certFile, version] = process.argv.slice(1);
const noTicket = version === 'TLSv1.2' ? require('constants').SSL_OP_NO_TICKET : 0;
function twice(port) {
  let session; const reused = [];
  const once = () => new Promise((resolve) => {
    const c = tls.connect({port, host: '127.0.0.1', rejectUnauthorized: false, session,
                           maxVersion: version});
    c.on('session', (s) => { session = s; });
    c.on('secureConnect', () => { reused.push(c.isSessionReused()); c.write('x'); });
    c.on('data', () => c.end());
    c.on('close', resolve);
  });
  return once().then(once).then(() => reused);
}
(async () => {
  const events = [], store = {};
  const server = tls.createServer({key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile),
                                   secureOptions: noTicket}, (s) => {
    events.push('secure'); s.on('data', (d) => s.end(d));
  });
  server.on('newSession', (id, data, cb) => {
    events.push('new:' + id.length); store[id.toString('hex')] = data; cb();
  });
  server.on('resumeSession', (id, cb) => {
    const key = id.toString('hex');
    events.push('resume:' + (key in store)); cb(null, store[key] || null);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const nodeReused = await twice(server.address().port);
  server.close();
  const oursReused = await twice(+ourPort);
  console.log(JSON.stringify({events, nodeReused, oursReused}));
})();
"""


@needs_node
@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_session_store_events_match_node(
    run: Run, certs: PKI, files: dict[str, str], version: str
) -> None:
    """'newSession'/'resumeSession' with an external store: node's client resumes from
    our server exactly as from node's, and both servers report the same events in order."""

    async def main() -> None:
        import ssl

        no_ticket = ssl.OP_NO_TICKET if version == "TLSv1.2" else 0
        events: list[str] = []
        store: dict[bytes, bytes] = {}

        def on_secure(sock: tls.TLSSocket) -> None:
            events.append("secure")
            sock.on("data", sock.end)

        server = tls.create_server(
            {**certs.leaf.server_options(), "secure_options": no_ticket}, on_secure
        )

        def on_new(session_id: bytes, data: bytes, done: Callable[[], None]) -> None:
            events.append(f"new:{len(session_id)}")
            store[session_id] = data
            done()

        def on_resume(session_id: bytes, done: Callable[[object, bytes | None], None]) -> None:
            events.append(f"resume:{str(session_id in store).lower()}")
            done(None, store.get(session_id))

        server.on("newSession", on_new)
        server.on("resumeSession", on_resume)
        port = await _listen(server)
        out = await proc(
            NODE or "node",
            "-e",
            _NODE_SESSION_STORE,
            str(port),
            files["key"],
            files["cert"],
            version,
        )
        result = json.loads(out.strip().splitlines()[-1])
        assert result["nodeReused"] == [False, True]
        assert result["oursReused"] == result["nodeReused"]
        node_events = result["events"]
        assert events[: len(node_events)] == node_events
        # OpenSSL's own ticket keys renew the ticket on a TLS 1.3 resumption (one more
        # session); Node's ticket-key callback does not (README: deliberate differences).
        assert events[len(node_events) :] == (["new:32"] if version == "TLSv1.3" else [])
        server.close()

    run(main(), timeout=30)
