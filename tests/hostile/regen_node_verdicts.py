"""Record Node's verdict on every request vector into ``node_verdicts.json``.

Usage (from the repository root, with ``node`` on the PATH)::

    python tests/hostile/regen_node_verdicts.py          # rewrite the file
    python tests/hostile/regen_node_verdicts.py --check  # exit 1 if Node now differs

Each vector of ``request_vectors.py`` is sent whole on a fresh connection to Node's
recording http server and to its https server (see ``recorder.py``: the handler records
what it saw and answers ``200 ok``). A verdict is the answer bytes with the ``Date``
values masked, their status lines in order, whether Node closed the connection, and what
the handler saw of each request; and, from a third server with a ``'clientError'``
listener, the code of each parse error (``clientErrors``). Each response vector of
``response_vectors.py`` is read by Node's client (``response_peers.py``).
``test_request_vectors.py`` and ``test_response_vectors.py`` hold nodehttps to them.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``hostile`` and ``tls_pki`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hostile.recorder import NODE, NodeRecorder, Recorder
from hostile.request_vectors import VECTORS, Vector
from hostile.response_peers import RawResponder, comparable, job_path, node_fetch_all
from hostile.response_vectors import RESPONSES
from hostile.wire import exchange, mask_date, status_lines
from nodehttps.http import HttpServerOptions
from tls_pki import PKI

VERDICTS = Path(__file__).with_name("node_verdicts.json")
TRANSPORTS = ("tcp", "tls")
#: The server whose 'clientError' listener records each error's code (plain TCP).
CODES = "codes"
#: Silence that means Node has nothing more to say on a kept-alive connection.
QUIET = 0.6


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def client_context(pki: PKI) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cadata=pki.ca)
    return ctx


def verdict(data: bytes, closed: bool, requests: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "statuses": status_lines(data),
        "closed": closed,
        "response": mask_date(data).decode("latin-1"),
        "requests": requests,
    }


async def run_vector(
    rec: Recorder,
    vector: Vector,
    transport: str,
    ctx: ssl.SSLContext,
    gate: asyncio.Semaphore,
    hold: list[asyncio.StreamWriter],
) -> tuple[int, int, bytes, bool]:
    """Send ``vector`` whole: the two ports (to find the handler's records) and the answer."""
    port = rec.ports[vector.server_key][transport]
    async with gate:
        outcome = await exchange(
            port,
            [vector.data],
            context=ctx if transport == "tls" else None,
            half_close=vector.half,
            quiet=QUIET,
            in_process=False,
            hold=hold,
        )
    return port, outcome.client_port, outcome.data, outcome.closed


def judged_by(vector: Vector, transport: str) -> str:
    """Whose verdict a send is held to: Node's over the same transport, or over TCP."""
    return "tcp" if vector.judge_tls_by_tcp else transport


def server_sets() -> dict[str, HttpServerOptions]:
    return {v.server_key: v.server for v in VECTORS}


async def collect(pki: PKI | None = None) -> dict[str, Any]:
    """Node's verdicts, as the JSON document ``node_verdicts.json`` holds."""
    pki = pki or PKI()
    ctx = client_context(pki)
    gate = asyncio.Semaphore(48)
    out: dict[str, Any] = {}
    hold: list[asyncio.StreamWriter] = []
    async with NodeRecorder(server_sets(), pki.leaf.key_pem, pki.leaf.chain_pem) as rec:
        # A vector judged over TLS by Node's TCP verdict has no TLS verdict (it races).
        jobs = [(v, t) for v in VECTORS for t in TRANSPORTS if t == "tcp" or not v.judge_tls_by_tcp]
        jobs += [(v, CODES) for v in VECTORS]
        results = await asyncio.gather(*(run_vector(rec, v, t, ctx, gate, hold) for v, t in jobs))
        for writer in hold:
            writer.transport.abort()
        await rec.settled()  # the 'close' records of requests that never ended
    for (vector, transport), (port, client, data, closed) in zip(jobs, results, strict=True):
        entry = out.setdefault(vector.name, {"sha256": digest(vector.data)})
        if transport == CODES:
            entry["clientErrors"] = rec.client_errors(port, client)
        else:
            entry[transport] = verdict(data, closed, rec.requests(port, client))
    return {"node": node_version(), "vectors": out, "responses": await collect_client()}


async def collect_client() -> dict[str, Any]:
    """Node's client on every response vector, sent whole."""
    async with RawResponder(in_process=False) as responder:
        jobs = [
            {
                "id": v.name,
                "port": responder.port,
                "path": job_path(v.name, "whole", 0),
                "method": v.method,
            }
            for v in RESPONSES
        ]
        seen = await node_fetch_all(jobs)
    return {v.name: {"sha256": digest(v.data), **seen[v.name]} for v in RESPONSES}


def changed_verdicts(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Which verdicts differ between two documents (for the client: in what is held to
    Node's, messages included, see ``response_peers.comparable``)."""
    changed = [
        f"vectors:{v.name}"
        for v in VECTORS
        if old["vectors"].get(v.name) != new["vectors"].get(v.name)
    ]
    for vector in RESPONSES:
        before, after = (doc["responses"].get(vector.name) for doc in (old, new))
        if (
            before is None
            or after is None
            or (
                comparable(vector, before, messages=True)
                != comparable(vector, after, messages=True)
            )
        ):
            changed.append(f"responses:{vector.name}")
    return changed


def node_version() -> str:
    assert NODE is not None
    return subprocess.run([NODE, "--version"], capture_output=True, text=True).stdout.strip()


def load() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VERDICTS.read_text())
    return data


def dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=True) + "\n"


def main(argv: list[str]) -> int:
    if NODE is None:
        print("node is not installed", file=sys.stderr)
        return 2
    doc = asyncio.run(collect())
    if "--check" in argv:
        changed = changed_verdicts(load(), doc)
        print(f"Node's verdicts differ: {changed}" if changed else "Node's verdicts are unchanged")
        return 1 if changed else 0
    VERDICTS.write_text(dump(doc))
    counts = f"{len(doc['vectors'])} request and {len(doc['responses'])} response verdicts"
    print(f"wrote {counts} from node {doc['node']} to {VERDICTS.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
