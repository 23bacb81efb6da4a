"""A raw response server, and the clients that read from it: Node's and nodehttps's.

Theory of operation
-------------------
:class:`RawResponder` listens on 127.0.0.1. Each client asks for
``/<vector>/<mode>/<seed>``; the responder reads the request head, sends the vector's
bytes cut as the mode says (``wire.pieces_for``), then closes, resets or keeps the
connection as the vector says.

Both clients make one ``GET`` (or the vector's method) with ``agent: false`` and log
what they see, in order: ``information <status>``, ``response <status>``, ``data``
(consecutive chunks as one entry), ``res aborted``, ``res error <code>``, ``res end``,
``res close``, ``req error <code>``, ``req close``; a run of equal entries becomes one
``<entry> x<count>``. With the log go what the response carried (status text, version,
raw headers, body, raw trailers) and the error messages. The log ends at the
request's ``'close'`` plus a short grace for late events, or at a time limit.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
from collections.abc import Awaitable, Callable
from typing import Any

from hostile.recorder import NODE
from hostile.response_vectors import ResponseVector, responses_by_name
from hostile.wire import pieces_for
from nodehttps import http

__all__ = [
    "NODE_CLIENT_JS",
    "RawResponder",
    "collapse",
    "comparable",
    "node_fetch_all",
    "nodehttps_fetch",
]

#: After the request's 'close', how long late events are still logged (ms).
GRACE_MS = 100
#: A client that saw no 'close' by then logs ``timeout`` (ms).
LIMIT_MS = 5000

NODE_CLIENT_JS = r"""
const http = require('http');
const readline = require('readline');
const GRACE = __GRACE__, LIMIT = __LIMIT__;

function collapse(log) {
  const out = [];
  let last = null, n = 0;
  const flush = () => { if (last !== null) out.push(n > 1 ? `${last} x${n}` : last); };
  for (const e of log) {
    if (e === last) { n += 1; continue; }
    flush(); last = e; n = 1;
  }
  flush();
  return out;
}

function fetch(job) {
  return new Promise((resolve) => {
    const log = [], messages = [], body = [];
    let seen = null, finished = false;
    const finish = (extra) => {
      if (finished) return;
      finished = true;
      if (extra) log.push(extra);
      resolve({id: job.id, log: collapse(log), messages, response: seen,
               body: Buffer.concat(body).toString('latin1')});
    };
    const req = http.request({host: '127.0.0.1', port: job.port, path: job.path,
                              method: job.method, agent: false});
    req.on('information', (i) => log.push(`information ${i.statusCode}`));
    req.on('response', (res) => {
      log.push(`response ${res.statusCode}`);
      seen = {statusMessage: res.statusMessage, httpVersion: res.httpVersion,
              rawHeaders: res.rawHeaders, rawTrailers: []};
      res.on('data', (c) => { body.push(c); if (log[log.length - 1] !== 'data') log.push('data'); });
      res.on('aborted', () => log.push('res aborted'));
      res.on('error', (e) => { log.push(`res error ${e.code}`); messages.push(e.message); });
      res.on('end', () => { log.push('res end'); seen.rawTrailers = res.rawTrailers; });
      res.on('close', () => log.push('res close'));
    });
    req.on('error', (e) => { log.push(`req error ${e.code}`); messages.push(e.message); });
    req.on('close', () => { log.push('req close'); setTimeout(finish, GRACE); });
    setTimeout(() => finish('timeout'), LIMIT);
    req.end();
  });
}

const rl = readline.createInterface({input: process.stdin});
const jobs = [];
rl.on('line', (line) => jobs.push(JSON.parse(line)));
rl.on('close', async () => {
  const results = await Promise.all(jobs.map(fetch));
  for (const r of results) process.stdout.write(JSON.stringify(r) + '\n');
});
""".replace("__GRACE__", str(GRACE_MS)).replace("__LIMIT__", str(LIMIT_MS))


def comparable(
    vector: ResponseVector, record: dict[str, Any], messages: bool = False
) -> dict[str, Any]:
    """What of a client's record is held to Node's: the event log (codes included), the
    response head and the body; with ``messages``, the error messages too. After a
    reset, Node reads it sometimes as an error (``read ECONNRESET`` on the request,
    before ``'aborted'``), sometimes as an end (measured: 1 run in 12), so there the
    request's ECONNRESET and the messages are left out."""
    log = list(record["log"])
    out = {"response": record["response"], "body": record["body"]}
    if vector.end == "reset":
        log = [entry for entry in log if entry != "req error ECONNRESET"]
    elif messages:
        out["messages"] = record["messages"]
    return {"log": log, **out}


def collapse(log: list[str]) -> list[str]:
    """A run of equal entries as one ``<entry> x<count>`` (as the Node script does)."""
    out: list[str] = []
    last, count = None, 0
    for entry in [*log, None]:
        if entry == last:
            count += 1
            continue
        if last is not None:
            out.append(f"{last} x{count}" if count > 1 else last)
        last, count = entry, 1
    return out


class RawResponder:
    """A raw TCP server that answers each request with a response vector's bytes."""

    def __init__(self, in_process: bool) -> None:
        self.in_process = in_process
        self.vectors = responses_by_name()
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def __aenter__(self) -> RawResponder:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.transport.abort()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            _, name, mode, seed = head.split(b" ", 2)[1].decode().split("/")
            vector = self.vectors[name]
            for i, piece in enumerate(pieces_for(vector.data, mode, int(seed))):
                if i:
                    await _pause(self.in_process)
                writer.write(piece)
                await writer.drain()
            await self._end(vector, reader, writer)
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError):
            writer.transport.abort()

    async def _end(
        self, vector: ResponseVector, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if vector.end == "reset":
            raw: socket.socket = writer.get_extra_info("socket")
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
        elif vector.end == "close":
            writer.close()
        else:  # keep: until the client closes
            await asyncio.wait_for(reader.read(), 10)
            writer.close()


async def _pause(in_process: bool) -> None:
    """Between two pieces (kept: the pause is the test, each piece a read of its own):
    a few loop turns for a client in this process, 3 ms for one in another."""
    if in_process:
        for _ in range(4):
            await asyncio.sleep(0)
    else:
        await asyncio.sleep(0.003)


def job_path(name: str, mode: str, seed: int) -> str:
    return f"/{name}/{mode}/{seed}"


async def nodehttps_fetch(port: int, path: str, method: str) -> dict[str, Any]:
    """The nodehttps client's view of one response (the same record as Node's)."""
    loop = asyncio.get_running_loop()
    log: list[str] = []
    messages: list[str] = []
    body: list[bytes] = []
    seen: dict[str, Any] | None = None
    done = loop.create_future()

    def on_response(res: http.IncomingMessage) -> None:
        nonlocal seen
        log.append(f"response {res.status_code}")
        seen = {
            "statusMessage": res.status_message,
            "httpVersion": res.http_version,
            "rawHeaders": list(res.raw_headers),
            "rawTrailers": [],
        }

        def on_data(chunk: bytes) -> None:
            body.append(chunk)
            if not log or log[-1] != "data":
                log.append("data")

        def on_end() -> None:
            log.append("res end")
            assert seen is not None
            seen["rawTrailers"] = list(res.raw_trailers)

        res.on("data", on_data)
        res.on("aborted", lambda: log.append("res aborted"))
        res.on("error", _error("res", log, messages))
        res.on("end", on_end)
        res.on("close", lambda *_: log.append("res close"))

    def finish() -> None:
        if not done.done():
            done.set_result(None)

    def on_close(*_: object) -> None:
        log.append("req close")
        loop.call_later(GRACE_MS / 1000, finish)

    req = http.request(
        {"host": "127.0.0.1", "port": port, "path": path, "method": method, "agent": False}
    )
    req.on("information", lambda info: log.append(f"information {info.status_code}"))
    req.on("response", on_response)
    req.on("error", _error("req", log, messages))
    req.on("close", on_close)
    req.end()
    try:
        await asyncio.wait_for(done, LIMIT_MS / 1000)
    except TimeoutError:
        log.append("timeout")
        req.destroy()
    return {
        "log": collapse(log),
        "messages": messages,
        "response": seen,
        "body": b"".join(body).decode("latin-1"),
    }


def _error(who: str, log: list[str], messages: list[str]) -> Callable[[BaseException], None]:
    def on_error(err: BaseException) -> None:
        log.append(f"{who} error {getattr(err, 'code', type(err).__name__)}")
        messages.append(str(err))

    return on_error


async def node_fetch_all(jobs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Node's client on every job (``id``, ``port``, ``path``, ``method``) at once."""
    assert NODE is not None
    proc = await asyncio.create_subprocess_exec(
        NODE,
        "-e",
        NODE_CLIENT_JS,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=1 << 24,
    )
    feed = "".join(json.dumps(job) + "\n" for job in jobs).encode()
    out, _ = await asyncio.wait_for(proc.communicate(feed), 60)
    results = [json.loads(line) for line in out.splitlines()]
    return {r.pop("id"): r for r in results}


Fetch = Callable[[int, str, str], Awaitable[dict[str, Any]]]
