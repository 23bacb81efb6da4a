"""Python calls per round trip through ``net`` and ``tls``: a count, not a time.

    python bench/bench_calls.py [N=2000]

A client writes 1 KiB, the server's ``'data'`` listener answers one byte, the client
waits for it: N times over TCP, then over TLS, on uvloop, client and server in this
process on 127.0.0.1. Printed per round trip: the Python function calls in nodehttps
and in ``ssl.py``, and the hottest functions. Unlike timings on a shared machine the
count is exact, so a change to the per-chunk path shows as it is.
"""

from __future__ import annotations

import asyncio
import collections
import sys
from typing import Any

import trustme
import uvloop

from nodehttps import net, tls


def _once(emitter: Any, event: str) -> asyncio.Future[Any]:
    fut = asyncio.get_running_loop().create_future()

    def settle(*args: Any) -> None:
        if not fut.done():
            fut.set_result(args)

    emitter.once(event, settle)
    return fut


async def _round_trips(kind: str, n: int) -> collections.Counter[tuple[str, str]]:
    def echo(sock: Any) -> None:
        sock.on("data", lambda data: sock.write(b"k"))

    if kind == "tls":
        ca = trustme.CA()
        leaf = ca.issue_cert("localhost")
        options = {"key": leaf.private_key_pem.bytes(), "cert": leaf.cert_chain_pems[0].bytes()}
        server: Any = tls.create_server(options, echo)
    else:
        server = net.create_server(echo)
    server.listen(0, "127.0.0.1")
    port = server.address()["port"]
    if kind == "tls":
        client: Any = tls.connect({"port": port, "host": "localhost", "ca": ca.cert_pem.bytes()})
        await _once(client, "secureConnect")
    else:
        client = net.connect(port, "127.0.0.1")
        await _once(client, "connect")
    replies: asyncio.Queue[bytes] = asyncio.Queue()
    client.on("data", replies.put_nowait)
    chunk = b"x" * 1024
    for _ in range(50):  # warm up
        client.write(chunk)
        await replies.get()
    counts: collections.Counter[tuple[str, str]] = collections.Counter()

    def profile(frame: Any, event: str, _arg: Any) -> None:
        if event == "call":
            path = frame.f_code.co_filename
            if "nodehttps" in path or path.endswith("ssl.py"):
                counts[
                    (path.rsplit("/", 2)[-2] + "/" + path.rsplit("/", 1)[-1], frame.f_code.co_name)
                ] += 1

    sys.setprofile(profile)
    for _ in range(n):
        client.write(chunk)
        await replies.get()
    sys.setprofile(None)
    client.destroy()
    server.close()
    return counts


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    for kind in ("net", "tls"):
        counts = uvloop.run(_round_trips(kind, n))
        print(f"{kind}: {sum(counts.values()) / n:.1f} calls per round trip")
        for (where, name), count in counts.most_common(12):
            print(f"    {count / n:5.2f}  {where}:{name}")


if __name__ == "__main__":
    main()
