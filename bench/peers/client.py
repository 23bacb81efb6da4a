"""Client under test, nodehttps's side: the same loops as client.js.

    python client.py seq|newconn|conc cb|await URL CA_FILE REQUESTS [WORKERS]

seq:     one keep-alive Agent, one warm-up GET, then REQUESTS GETs one after another;
newconn: an Agent with keep_alive False (TLS session cache on, by default), one warm-up
         GET, then REQUESTS GETs, each on a new connection;
conc:    one keep-alive Agent with max_sockets WORKERS; a warm-up batch of WORKERS
         concurrent GETs opens the pool, then WORKERS workers share REQUESTS GETs.

Two forms of the same loop: ``cb`` is Node's classic one (``https.get(url, options,
callback)``, ``'data'``/``'end'`` listeners, the next GET issued from ``'end'``);
``await`` is nodehttps's asyncio one (``res = await https.get(...)``, ``await
consumers.buffer(res)``). Both run on nodehttps's script loop (``nodehttps.run``, uvloop)
and read each body whole. Prints one JSON line about the timed part:
``{"requests", "seconds", "cpu_seconds", "bytes"}``.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nodehttps as https
from nodehttps import consumers


class CallbackWorkers:
    """Workers in Node's callback form: each issues its next GET from the last one's 'end'."""

    def __init__(self, url: str, agent: https.Agent, done: asyncio.Future[int]) -> None:
        self.url, self.agent, self.done = url, agent, done
        self.running = 0
        self.bytes = 0

    def start(self, shares: list[int]) -> None:
        self.running = len(shares)
        for count in shares:
            self.next(count)

    def next(self, left: int) -> None:
        if left == 0:
            self.running -= 1
            if self.running == 0:
                self.done.set_result(self.bytes)
            return

        def on_response(res: Any) -> None:
            chunks: list[bytes] = []
            res.on("data", chunks.append)
            res.on("end", lambda: self.on_body(sum(map(len, chunks)), left - 1))

        req = https.get(self.url, {"agent": self.agent}, on_response)
        req.on("error", self.fail)

    def on_body(self, size: int, left: int) -> None:
        self.bytes += size
        self.next(left)

    def fail(self, err: BaseException) -> None:
        if not self.done.done():
            self.done.set_exception(err)


async def run_callbacks(url: str, agent: https.Agent, shares: list[int]) -> int:
    done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    CallbackWorkers(url, agent, done).start(shares)
    return await done


async def run_awaits(url: str, agent: https.Agent, shares: list[int]) -> int:
    async def worker(count: int) -> int:
        size = 0
        for _ in range(count):
            res = await https.get(url, {"agent": agent})
            size += len(await consumers.buffer(res))
        return size

    return sum(await asyncio.gather(*(worker(count) for count in shares)))


def make_agent(mode: str, ca: str, workers: int) -> https.Agent:
    if mode == "newconn":
        return https.Agent({"keep_alive": False, "ca": ca})
    limit = workers if mode == "conc" else math.inf
    return https.Agent({"keep_alive": True, "max_sockets": limit, "ca": ca})


async def main(mode: str, style: str, url: str, ca: str, requests: int, workers: int) -> None:
    run: Callable[..., Any] = run_callbacks if style == "cb" else run_awaits
    agent = make_agent(mode, ca, workers)
    width = workers if mode == "conc" else 1
    await run(url, agent, [1] * width)  # warm-up
    shares = [requests // width + (i < requests % width) for i in range(width)]
    cpu0, t0 = time.process_time(), time.perf_counter()
    size = await run(url, agent, shares)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    agent.destroy()
    result = {"requests": requests, "seconds": seconds, "cpu_seconds": cpu, "bytes": size}
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    mode, style, url, ca_file, count = sys.argv[1:6]
    workers = int(sys.argv[6]) if len(sys.argv) > 6 else 1
    https.run(main(mode, style, url, Path(ca_file).read_text(), int(count), workers))
