"""Differential: the same raw bytes to node's http server and to ours; same answer bytes.

Both servers run the same handler (echo the method, URL and body length). Each vector
is sent on a fresh connection; the whole reply up to the close (or a short quiet
time) is compared, with the Date header's value masked. Where SPEC §9 makes us differ
on purpose, the expected difference is asserted instead.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from collections.abc import Iterator

import pytest

from conftest import NODE, needs_node
from harness import Run
from nodehttps import http

NODE_SERVER = r"""
const http = require('http');
const server = http.createServer((req, res) => {
  let n = 0;
  req.on('data', d => { n += d.length; });
  req.on('end', () => {
    if (req.url === '/chunked') { res.writeHead(200, {'X-A': '1'}); res.write('a'); res.end('b'); return; }
    if (req.url === '/empty') { res.statusCode = 204; res.end(); return; }
    res.setHeader('X-Len', String(n));
    res.end(`${req.method} ${req.url}`);
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
"""


def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
    size = [0]
    req.on("data", lambda d: size.__setitem__(0, size[0] + len(d)))

    def end() -> None:
        if req.url == "/chunked":
            res.write_head(200, {"X-A": "1"})
            res.write("a")
            res.end("b")
            return
        if req.url == "/empty":
            res.status_code = 204
            res.end()
            return
        res.set_header("X-Len", str(size[0]))
        res.end(f"{req.method} {req.url}")

    req.on("end", end)


H = b"Host: x\r\n"
VECTORS: list[bytes] = [
    b"GET / HTTP/1.1\r\n" + H + b"\r\n",
    b"GET /a?b=c HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n",
    b"HEAD / HTTP/1.1\r\n" + H + b"\r\n",
    b"GET /chunked HTTP/1.1\r\n" + H + b"\r\n",
    b"GET /empty HTTP/1.1\r\n" + H + b"\r\n",
    b"GET / HTTP/1.0\r\n\r\n",
    b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    b"GET /chunked HTTP/1.0\r\n\r\n",
    b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 5\r\n\r\nhello",
    b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\n"
    + H
    + b"Transfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nT: v\r\n\r\n",
    b"GET /1 HTTP/1.1\r\n" + H + b"\r\nGET /2 HTTP/1.1\r\n" + H + b"\r\n",
    b"GET / HTTP/1.1\r\n\r\n",
    # Expect: Node's continueExpression, and HTTP/1.1 only
    b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 0\r\nExpect: foo, 100-Continue\r\n\r\n",
    b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 0\r\nExpect: foo\r\n\r\n",
    b"POST / HTTP/1.0\r\nContent-Length: 0\r\nExpect: 100-continue\r\n\r\n",
    b"POST / HTTP/1.0\r\nContent-Length: 0\r\nExpect: foo\r\n\r\n",
    # rejected by the parser: 400 (or 431) and close
    b"GE T / HTTP/1.1\r\n" + H + b"\r\n",
    b"GET / HTTP/1.1\r\nHost : x\r\n\r\n",
    b"GET / HTTP/1.1\r\n" + H + b"X: a\x00b\r\n\r\n",
    b"GET / HTTP/1.1\r\n" + H + b"Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"GET / HTTP/1.1\n" + H + b"\n",
    b"GET / HTTP/1.1\r\n" + H + b"X: a\r\n b\r\n\r\n",
    b"GET /\x01 HTTP/1.1\r\n" + H + b"\r\n",
    b"GET / HTTP/1.1\r\n" + H + b"X: " + b"a" * 17000 + b"\r\n\r\n",
    b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n" + H + b"\r\n",
    b"GET / HTTP/1.1\r\n" + H + b"Content-Length: 1\r\nContent-Length: 2\r\n\r\n",
    b"GET / HTTP/9.1\r\n" + H + b"\r\n",
    b"GET / HTTP/1.1\r\n" + H + b"Content-Length: abc\r\n\r\n",
    b"GET / HTTP/1.1\r\n" + H + b"X\r\n\r\n",
    b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip, chunked, identity\r\n\r\n",
    b"\x16\x03\x01\x00\x05hello",
    b"POST / HTTP/1.1\r\n"
    + H
    + b"Transfer-Encoding: chunked\r\n\r\n1;a="
    + b"x" * 1000
    + b"\r\nx\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\n" + H + b"Content-Length: -1\r\n\r\n",
]

# SPEC §9: deliberate differences (ours, Node's).
DIFFERENT = {
    b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n": b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n",
}


async def _exchange(port: int, raw: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    chunks = []
    try:
        while True:
            chunk = await asyncio.wait_for(reader.read(65536), 0.4)
            if not chunk:
                break
            chunks.append(chunk)
    except (TimeoutError, ConnectionResetError):
        pass
    writer.close()
    return b"".join(chunks)


def _mask(data: bytes) -> bytes:
    return re.sub(rb"Date: [^\r]+\r\n", b"Date: *\r\n", data)


@pytest.fixture(scope="module")
def node_port() -> Iterator[int]:
    proc = subprocess.Popen([str(NODE), "-e", NODE_SERVER], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    yield port
    proc.kill()
    proc.wait()


@needs_node
def test_same_bytes_as_node(run: Run, node_port: int) -> None:
    async def main() -> list[tuple[bytes, bytes, bytes]]:
        server = http.create_server(handler)
        server.listen(0, "127.0.0.1")
        port = server.address()["port"]
        results = []
        for raw in VECTORS:
            ours, theirs = await asyncio.gather(_exchange(port, raw), _exchange(node_port, raw))
            results.append((raw, _mask(ours), _mask(theirs)))
        server.close_all_connections()
        await server.aclose()
        return results

    mismatches = [
        (raw[:60], ours, theirs) for raw, ours, theirs in run(main(), timeout=60) if ours != theirs
    ]
    assert not mismatches, json.dumps(
        [[repr(a), repr(b), repr(c)] for a, b, c in mismatches], indent=1
    )


def test_deliberate_differences(run: Run) -> None:
    async def main() -> None:
        server = http.create_server(handler)
        server.listen(0, "127.0.0.1")
        port = server.address()["port"]
        for raw, expected in DIFFERENT.items():
            assert await _exchange(port, raw) == expected
        await server.aclose()

    run(main())
