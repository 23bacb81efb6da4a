"""The scenarios: what each one measures (as data) and the small function that measures it.

Every scenario runs the same program on both systems: the scripts in ``peers/`` come in
pairs (``server.py``/``server.js``, ``client.py``/``client.js``) with the same handler,
options and loop. Server scenarios start a fresh server under test per measurement on
the server core and load it from the load core; client scenarios keep one node server
(the fixture) for the whole scenario and run the client under test against it.

To add a scenario, add one :class:`Scenario` to ``SCENARIOS``; a new kind of measurement
is one more function of the shape ``measure(bench, system, fixture) -> Sample``.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import loads
from processes import ALL_CORES, LOAD_CORES, SERVER_CORES, BenchError, Peer, run_tool, started

__all__ = ["QUICK", "SCENARIOS", "SYSTEMS", "Bench", "Figure", "Load", "Sample", "Scenario"]

SYSTEMS = ("nodehttps", "node")  # measured in this order in every round: A B A B ...
PEERS = Path(__file__).resolve().parent / "peers"
HELLO = b"hello world\n"
BIG_BODY = 64 << 20
IDLE_PARALLEL = 50  # idle connections being set up at once
RUNTIMES = {"nodehttps": (sys.executable, ".py"), "node": ("node", ".js")}


@dataclass(frozen=True)
class Load:
    """How much work each measurement does; ``--quick`` uses :data:`QUICK`."""

    seconds: int = 5  # wrk's measured run
    warmup_seconds: int = 1  # wrk on the fresh server first
    handshakes: int = 10_000  # ab -n
    downloads: int = 3  # 64 MiB downloads per measurement (their median)
    sequential: int = 5_000
    new_connections: int = 1_000
    concurrent: int = 5_000
    workers: int = 50
    idle_connections: int = 1_000


QUICK = Load(
    seconds=1,
    handshakes=1_000,
    downloads=1,
    sequential=500,
    new_connections=200,
    concurrent=1_000,
    idle_connections=200,
)


@dataclass(frozen=True)
class Sample:
    """One measurement of one system: the headline value and what explains it."""

    value: float
    figures: dict[str, float] = field(default_factory=dict)  # medians are reported
    counts: dict[str, int] = field(default_factory=dict)  # every round's are reported
    others: float = 0.0  # cores other processes used meanwhile (set by the runner)


class Figure(NamedTuple):
    """A secondary figure of a scenario, shown in the notes: key, label, format."""

    key: str
    label: str
    fmt: str


@dataclass(frozen=True)
class Server:
    peer: Peer
    port: int
    url: str


@dataclass(frozen=True)
class Bench:
    """What every measurement needs: the load and the throw-away certificate."""

    load: Load
    key_file: str
    cert_file: str

    @contextmanager
    def server(
        self,
        system: str,
        mode: str = "tls",
        body: str = "hello",
        keep_alive_timeout: int = 0,
        workers: int = 1,
    ) -> Iterator[Server]:
        """A server under test (``peers/server.*``) on the server core, stopped on exit.

        With ``workers`` > 1 its processes may use every core (the load's included)."""
        args = [mode, body, self.key_file, self.cert_file, str(keep_alive_timeout)]
        cores = SERVER_CORES
        if workers > 1:
            args.append(str(workers))
            cores = ALL_CORES
        with started(peer_command(system, "server", *args), cores) as peer:
            port = int(peer.read_line(timeout=30))
            scheme = "https" if mode == "tls" else "http"
            yield Server(peer, port, f"{scheme}://127.0.0.1:{port}/")


def peer_command(system: str, script: str, *args: str) -> list[str]:
    executable, suffix = RUNTIMES[system]
    return [executable, str(PEERS / (script + suffix)), *args]


Measure = Callable[[Bench, str, Any], Sample]


def no_fixture(_bench: Bench) -> AbstractContextManager[Any]:
    return nullcontext()


@dataclass(frozen=True)
class Scenario:
    """One row of the report: how to measure one system once, and how to show it."""

    key: str
    title: str  # formatted with the Load's fields: "wrk -d{seconds}s"
    unit: str
    target: str  # issue 11's target for the ratio nodehttps/node
    measure: Measure
    tools: tuple[str, ...] = ()
    higher_is_better: bool = True
    figures: tuple[Figure, ...] = ()
    counts_label: str = ""  # how to read Sample.counts, shown in the notes
    fixture: Callable[[Bench], AbstractContextManager[Any]] = no_fixture

    def describe(self, load: Load) -> str:
        return self.title.format(**asdict(load))


# -- servers under test ------------------------------------------------------------------


def server_keepalive(
    bench: Bench, system: str, _fixture: None, *, mode: str, workers: int = 1
) -> Sample:
    """wrk's keep-alive load on a fresh server, after a warm-up run; server CPU from /proc."""
    with bench.server(system, mode, workers=workers) as server:
        loads.wrk(server.url, bench.load.warmup_seconds)
        cpu_before = server.peer.cpu_seconds()
        result = loads.wrk(server.url, bench.load.seconds)
        cpu = server.peer.cpu_seconds() - cpu_before
    return Sample(
        result.per_second,
        {
            "cpu_us": cpu / result.requests * 1e6,
            "server_cpu": cpu / result.seconds * 100,
            "load_cpu": result.cpu_seconds / result.seconds * 100,
        },
        {"errors": result.errors},
    )


def full_handshakes(bench: Bench, system: str, _fixture: None) -> Sample:
    """ab without keep-alive: completed requests per second of server CPU time."""
    with bench.server(system, "tls") as server:
        loads.ab(server.url, 200)  # warm-up
        before, cpu_before = server.peer.ask("stats"), server.peer.cpu_seconds()
        result = loads.ab(server.url, bench.load.handshakes)
        cpu = server.peer.cpu_seconds() - cpu_before
        after = server.peer.ask("stats")
    return Sample(
        result.complete / cpu,
        {
            "per_second": result.complete / result.seconds,
            "server_cpu": cpu / result.seconds * 100,
            "load_cpu": result.cpu_seconds / result.seconds * 100,
        },
        {
            "failed": result.failed,
            "connections": after["tls_connections"] - before["tls_connections"],
            "resumed": after["resumed"] - before["resumed"],
        },
    )


def big_body(bench: Bench, system: str, _fixture: None) -> Sample:
    """curl downloads one 64 MiB body over a new connection; the median time of a few."""
    with bench.server(system, "tls", body="big") as server:
        loads.curl_download(server.url, bench.cert_file, BIG_BODY)  # warm-up
        downloads = [
            loads.curl_download(server.url, bench.cert_file, BIG_BODY)
            for _ in range(bench.load.downloads)
        ]
    seconds = statistics.median(d.seconds for d in downloads)
    first_byte = statistics.median(d.first_byte for d in downloads)
    return Sample(BIG_BODY / 2**20 / seconds, {"ms": seconds * 1000, "ttfb": first_byte * 1000})


def idle_memory(bench: Bench, system: str, _fixture: None) -> Sample:
    """Server RSS growth over N idle keep-alive TLS connections, each after one GET."""
    count = bench.load.idle_connections
    with bench.server(system, "tls", keep_alive_timeout=120_000) as server:
        loads.curl_download(server.url, bench.cert_file, len(HELLO))  # first-use costs
        time.sleep(0.5)
        rss_before = server.peer.rss_bytes()
        args = [str(server.port), bench.cert_file, str(count), str(IDLE_PARALLEL)]
        with started(["node", str(PEERS / "idle.js"), *args], LOAD_CORES) as client:
            client.read_json(timeout=120)  # {"ready": count}
            time.sleep(1.0)
            rss_after = server.peer.rss_bytes()
            still_open = int(client.ask("count")["open"])
    if still_open != count:
        raise BenchError(f"only {still_open} of {count} idle connections were still open")
    return Sample(
        (rss_after - rss_before) / count / 1024,
        {"rss_before": rss_before / 2**20, "rss_after": rss_after / 2**20},
        {"open": still_open},
    )


# -- clients under test ------------------------------------------------------------------


@contextmanager
def node_target(bench: Bench) -> Iterator[Server]:
    """The one server every client scenario talks to: node's, on the server core."""
    with bench.server("node", "tls") as server:
        yield server


def client_run(bench: Bench, system: str, target: Server, *, mode: str, style: str) -> Sample:
    """``peers/client.*`` on the load core against the node target; its own timing."""
    requests = {
        "seq": bench.load.sequential,
        "newconn": bench.load.new_connections,
        "conc": bench.load.concurrent,
    }[mode]
    args = [mode, style, target.url, bench.cert_file, str(requests), str(bench.load.workers)]
    before = target.peer.ask("stats")
    out = run_tool(peer_command(system, "client", *args), LOAD_CORES, 300).stdout
    after = target.peer.ask("stats")
    result = json.loads(out.strip().splitlines()[-1])
    if result["bytes"] != requests * len(HELLO):
        raise BenchError(f"client read {result['bytes']} bytes for {requests} responses")
    seconds, cpu = result["seconds"], result["cpu_seconds"]
    return Sample(
        requests / seconds,
        {"cpu_us": cpu / requests * 1e6, "client_cpu": cpu / seconds * 100},
        {
            "connections": after["tls_connections"] - before["tls_connections"],
            "resumed": after["resumed"] - before["resumed"],
        },
    )


# -- the table ---------------------------------------------------------------------------

SERVER_FIGURES = (
    Figure("cpu_us", "server CPU per request", "{:.1f} us"),
    Figure("server_cpu", "server CPU", "{:.0f}%"),
    Figure("load_cpu", "wrk CPU", "{:.0f}%"),
)
CLIENT_FIGURES = (
    Figure("cpu_us", "client CPU per request", "{:.1f} us"),
    Figure("client_cpu", "client CPU", "{:.0f}%"),
)
CLIENT_COUNTS = "TLS connections/resumed seen by the server per run"


def client_scenario(key: str, title: str, target: str, mode: str, style: str = "cb") -> Scenario:
    return Scenario(
        key,
        title,
        "req/s",
        target,
        partial(client_run, mode=mode, style=style),
        figures=CLIENT_FIGURES,
        counts_label=CLIENT_COUNTS,
        fixture=node_target,
    )


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "server-tls",
        "server keep-alive over TLS: hello world, wrk -t1 -c50 -d{seconds}s",
        "req/s",
        ">= 0.8",
        partial(server_keepalive, mode="tls"),
        ("wrk",),
        figures=SERVER_FIGURES,
        counts_label="wrk errors",
    ),
    Scenario(
        "server-tls-2w",
        "the same with 2 worker processes on one port (node: cluster), free to use both"
        " cores, wrk's too",
        "req/s",
        "-",
        partial(server_keepalive, mode="tls", workers=2),
        ("wrk",),
        figures=SERVER_FIGURES,
        counts_label="wrk errors",
    ),
    Scenario(
        "server-plain",
        "server keep-alive over plain HTTP: hello world, wrk -t1 -c50 -d{seconds}s",
        "req/s",
        ">= 1.0",
        partial(server_keepalive, mode="plain"),
        ("wrk",),
        figures=SERVER_FIGURES,
        counts_label="wrk errors",
    ),
    Scenario(
        "handshakes",
        "full TLS 1.3 handshakes: ab -f TLS1.3 -n {handshakes} -c50, no keep-alive",
        "req per server-core-s",
        ">= 1.0",
        full_handshakes,
        ("ab",),
        figures=(
            Figure("per_second", "wall-clock", "{:,.0f} req/s"),
            Figure("server_cpu", "server CPU", "{:.0f}%"),
            Figure("load_cpu", "ab CPU", "{:.0f}%"),
        ),
        counts_label="failed/TLS connections/resumed per run",
    ),
    Scenario(
        "big-body",
        "one 64 MiB response over one TLS connection: curl, median of {downloads}",
        "MiB/s",
        ">= 2.0",
        big_body,
        ("curl",),
        figures=(
            Figure("ms", "download", "{:.0f} ms"),
            Figure("ttfb", "first byte after", "{:.0f} ms"),
        ),
    ),
    client_scenario(
        "client-seq",
        "client: {sequential} sequential keep-alive GETs after one warm-up (callback form)",
        ">= 1.0",
        "seq",
    ),
    client_scenario(
        "client-seq-await",
        "client: {sequential} sequential keep-alive GETs after one warm-up (await form)",
        "-",
        "seq",
        style="await",
    ),
    client_scenario(
        "client-newconn",
        "client: {new_connections} GETs, a new connection each, TLS session cache on",
        ">= 1.5",
        "newconn",
    ),
    client_scenario(
        "client-conc",
        "client: {workers} concurrent workers on one keep-alive Agent, {concurrent} GETs",
        ">= 1.5",
        "conc",
    ),
    Scenario(
        "idle-memory",
        "memory per idle keep-alive TLS connection: server RSS growth over {idle_connections}",
        "KiB/conn",
        "<= 1.0",
        idle_memory,
        ("curl",),
        higher_is_better=False,
        figures=(
            Figure("rss_before", "RSS before", "{:.1f} MiB"),
            Figure("rss_after", "after", "{:.1f} MiB"),
        ),
        counts_label="connections still open at the reading",
    ),
)
