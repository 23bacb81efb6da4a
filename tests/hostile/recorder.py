"""Recording servers: what the handler saw of each request, for Node and for nodehttps.

Both run the same handler: it records the method, the whole URL, the HTTP version, every
raw header, the joined ``headers``, the body and the raw trailers of each request, then
answers ``200`` with the body ``ok`` once the request has ended. A request whose
connection closes before it ends is recorded too, with ``complete: false``.

Records are keyed by the server's port and the client's (``localPort``, ``remotePort``)
and ordered by the request's place on its connection, so one server can take many
vectors at once; a client keeps its connection open until the records are read, so
that its port is not reused meanwhile. The recorder also counts the requests the handler
got that have no record yet: :meth:`Recorder.settled` waits for that count to reach
zero (Node's server says ``{"started": true}`` as its handler starts).

Each server set is, per option set, a plain http server, an https server, and a third
http server (``codes``) whose ``'clientError'`` listener records ``err.code`` and
destroys the socket (instead of the default answer). Node's run in one ``node``
process that prints its ports, then one JSON line per request or client error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
from collections import defaultdict
from collections.abc import Mapping
from typing import Any, cast

import nodehttps as https
from nodehttps import http, net

__all__ = ["NODE", "NODE_RECORDER_JS", "NodeRecorder", "NodehttpsRecorder", "Recorder"]

NODE = shutil.which("node")

NODE_RECORDER_JS = r"""
const http = require('http');
const https = require('https');
const readline = require('readline');

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

function handler(req, res) {
  out({started: true});
  const sock = req.socket;
  sock.__requests = (sock.__requests || 0) + 1;
  const index = sock.__requests - 1;
  const port = sock.remotePort;
  const local = sock.localPort;
  const chunks = [];
  let done = false;
  const emit = (complete) => {
    if (done) return;
    done = true;
    out({server: local, port, index, method: req.method, url: req.url, httpVersion: req.httpVersion,
         rawHeaders: req.rawHeaders, headers: req.headers,
         body: Buffer.concat(chunks).toString('latin1'), rawTrailers: req.rawTrailers,
         complete});
  };
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => { emit(true); res.end('ok'); });
  req.on('close', () => emit(false));
}

const rl = readline.createInterface({input: process.stdin});
rl.once('line', async (line) => {
  const spec = JSON.parse(line);
  const ports = {};
  for (const [name, options] of Object.entries(spec.servers)) {
    const plain = http.createServer(options, handler);
    const secure = https.createServer({...options, key: spec.key, cert: spec.cert}, handler);
    const codes = http.createServer(options, handler);
    for (const key of ['maxHeadersCount', 'keepAliveTimeout']) {  // properties
      if (key in options) plain[key] = secure[key] = codes[key] = options[key];
    }
    codes.on('clientError', (err, socket) => {
      out({server: socket.localPort, port: socket.remotePort, clientError: err.code || null});
      socket.destroy();
    });
    for (const server of [plain, secure, codes]) {
      await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
    }
    ports[name] = {tcp: plain.address().port, tls: secure.address().port,
                   codes: codes.address().port};
  }
  out({ports});
});
rl.on('close', () => process.exit(0));
"""


class Recorder:
    """Ports per option set and transport, and the requests each client port made."""

    def __init__(self) -> None:
        self.ports: dict[str, dict[str, int]] = {}
        self._records: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
        self._errors: dict[tuple[int, int], list[str | None]] = defaultdict(list)
        self._open = 0  # requests the handler got that have no record yet
        self._none_open = asyncio.Event()

    def started(self) -> None:
        """The handler got a request: its record comes once it ends or closes."""
        self._open += 1
        self._none_open.clear()

    def add(self, record: dict[str, Any]) -> None:
        key = (int(record.pop("server")), int(record.pop("port")))
        if "clientError" in record:
            self._errors[key].append(record["clientError"])
        else:
            self._records[key].append(record)
            self._open -= 1
            if self._open <= 0:
                self._none_open.set()

    async def settled(self, timeout: float = 5) -> None:
        """Return once every request the handler got has its record (a request whose
        connection closed before it ended is recorded at that close), or after
        ``timeout`` seconds: what is still missing then shows in the comparison."""
        if self._open > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._none_open.wait(), timeout)

    def client_errors(self, server_port: int, client_port: int) -> list[str | None]:
        """The codes of the ``'clientError'`` events of this connection, in order."""
        return list(self._errors.get((server_port, client_port), []))

    def requests(self, server_port: int, client_port: int) -> list[dict[str, Any]]:
        """What the handler saw on this connection, in request order."""
        found = self._records.get((server_port, client_port), [])
        return sorted(found, key=lambda r: int(r["index"]))

    def take(self, server_port: int, client_port: int) -> list[dict[str, Any]]:
        """As :meth:`requests`, and forget them (the client port may come again)."""
        found = self.requests(server_port, client_port)
        self._records.pop((server_port, client_port), None)
        return found


class NodeRecorder(Recorder):
    """Node's http and https recording servers, one per option set, in a ``node`` process."""

    def __init__(self, servers: Mapping[str, http.HttpServerOptions], key: str, cert: str) -> None:
        super().__init__()
        self._spec = {"servers": dict(servers), "key": key, "cert": cert}
        self._proc: asyncio.subprocess.Process | None = None
        self._reading: asyncio.Task[None] | None = None

    async def __aenter__(self) -> NodeRecorder:
        assert NODE is not None
        self._proc = await asyncio.create_subprocess_exec(
            NODE,
            "-e",
            NODE_RECORDER_JS,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=1 << 24,
        )
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(self._spec).encode() + b"\n")
        await self._proc.stdin.drain()
        first = json.loads(await asyncio.wait_for(self._proc.stdout.readline(), 20))
        self.ports = first["ports"]
        self._reading = asyncio.get_running_loop().create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        async for line in self._proc.stdout:
            record = json.loads(line)
            if record.get("started"):
                self.started()
            else:
                self.add(record)

    async def __aexit__(self, *exc: object) -> None:
        assert self._proc is not None
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        try:
            await asyncio.wait_for(self._proc.wait(), 5)
        except TimeoutError:
            self._proc.kill()
            await self._proc.wait()
        if self._reading is not None:
            await self._reading


class NodehttpsRecorder(Recorder):
    """The same servers made with nodehttps, in this process and this event loop."""

    def __init__(self, servers: Mapping[str, http.HttpServerOptions], key: str, cert: str) -> None:
        super().__init__()
        self._options = servers
        self._key, self._cert = key, cert
        self._servers: list[http.Server | https.Server] = []

    def handler(self, req: http.IncomingMessage, res: http.ServerResponse) -> None:
        self.started()
        sock = req.socket
        port, local = int(sock.remote_port), int(sock.local_port)
        counts = self._counts
        index = counts[local, port]
        counts[local, port] += 1
        chunks: list[bytes] = []
        done = [False]

        def emit(complete: bool) -> None:
            if done[0]:
                return
            done[0] = True
            self.add(
                {
                    "server": local,
                    "port": port,
                    "index": index,
                    "method": req.method,
                    "url": req.url,
                    "httpVersion": req.http_version,
                    "rawHeaders": list(req.raw_headers),
                    "headers": dict(req.headers),
                    "body": b"".join(chunks).decode("latin-1"),
                    "rawTrailers": list(req.raw_trailers),
                    "complete": complete,
                }
            )

        def end() -> None:
            emit(True)
            res.end(b"ok")

        req.on("data", chunks.append)
        req.on("end", end)
        req.on("close", lambda *_: emit(False))

    def _client_error(self, err: BaseException, sock: net.Socket) -> None:
        code = getattr(err, "code", None)
        self.add({"server": sock.local_port, "port": sock.remote_port, "clientError": code})
        sock.destroy()

    def _accepted(self, sock: net.Socket) -> None:
        local, remote = sock.local_port, sock.remote_port
        assert local is not None and remote is not None  # connected
        self._connections.add((local, remote))
        self._arrived.set()

    async def ready(self, server_port: int, client_port: int) -> None:
        """Return once the server has accepted this connection (and finished its TLS
        handshake): from then on each piece sent is read on its own."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while (server_port, client_port) not in self._connections:
            self._arrived.clear()
            await asyncio.wait_for(self._arrived.wait(), max(0.01, deadline - loop.time()))

    async def __aenter__(self) -> NodehttpsRecorder:
        self._counts: dict[tuple[int, int], int] = defaultdict(int)
        self._connections: set[tuple[int, int]] = set()
        self._arrived = asyncio.Event()
        for name, options in self._options.items():
            plain = http.create_server({**options}, self.handler)
            # http's options are https's too, but the checker does not relate the two bags
            tls = cast(https.HttpsServerOptions, {**options})
            secure = https.create_server(
                {**tls, "key": self._key, "cert": self._cert}, self.handler
            )
            codes = http.create_server({**options}, self.handler)
            codes.on("clientError", self._client_error)
            for server in (plain, secure, codes):
                if "maxHeadersCount" in options:  # a property, as in Node
                    server.max_headers_count = options["maxHeadersCount"]
            plain.on("connection", self._accepted)
            codes.on("connection", self._accepted)
            secure.on("secureConnection", self._accepted)
            ports: dict[str, int] = {}
            servers: tuple[tuple[str, http.Server | https.Server], ...] = (
                ("tcp", plain),
                ("tls", secure),
                ("codes", codes),
            )
            for transport, server in servers:
                server.listen(0, "127.0.0.1")
                await https.events.once(server, "listening")
                ports[transport] = int(server.address()["port"])
                self._servers.append(server)
            self.ports[name] = ports
        return self

    async def __aexit__(self, *exc: object) -> None:
        for server in self._servers:
            server.close_all_connections()
            await server.aclose()
