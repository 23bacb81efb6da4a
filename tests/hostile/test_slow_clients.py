"""Slow clients against short timeouts, on nodehttps and on Node side by side.

Both servers run with ``headersTimeout`` 1 s, ``requestTimeout`` 2 s,
``connectionsCheckingInterval`` 250 ms and ``keepAliveTimeout`` 1 s, over TCP and TLS:

* slowloris: header lines trickle in (one every 200 ms) and never end; and a client
  that connects and sends nothing, or one byte: Node's exact ``408`` bytes, then
  close, between the headers timeout and one check interval later;
* a stalled body, and a body that trickles one byte every 200 ms: the same ``408`` at
  the request timeout;
* an idle keep-alive connection: closed with no bytes about a second after
  ``keepAliveTimeout`` (Node's grace);
* a control: headers that trickle but finish in time are served.

Timing is asserted with wide margins (the checks run on a timer, and CI machines are
shared): a lower bound just under the timeout, an upper bound seconds above it. All
cases run at once, so the module takes about as long as the slowest case.
"""

from __future__ import annotations

import asyncio
import ssl

import pytest

from conftest import NODE
from hostile.recorder import NodehttpsRecorder, NodeRecorder, Recorder
from hostile.wire import Outcome, Pause, exchange, mask_date
from nodehttps.http import HttpServerOptions
from tls_pki import PKI

#: One shared run in a module fixture: its setup counts against the first test.
pytestmark = pytest.mark.timeout(120)

HEADERS_TIMEOUT = 1.0
REQUEST_TIMEOUT = 2.0
INTERVAL = 0.25
KEEP_ALIVE = 1.0
OPTIONS: HttpServerOptions = {
    "headersTimeout": int(HEADERS_TIMEOUT * 1000),
    "requestTimeout": int(REQUEST_TIMEOUT * 1000),
    "connectionsCheckingInterval": int(INTERVAL * 1000),
    "keepAliveTimeout": int(KEEP_ALIVE * 1000),
}
TIMEOUT_408 = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n"
#: How late after its nominal time a close may come on a busy machine.
SLACK = 3.0

HEAD = b"GET / HTTP/1.1\r\nHost: x\r\n"
POST = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"

SCENARIOS: dict[str, list[bytes | Pause]] = {
    "slowloris": [HEAD, *[p for i in range(40) for p in (Pause(0.2), b"X-%d: y\r\n" % i)]],
    "silent": [Pause(HEADERS_TIMEOUT + SLACK + 2)],
    "one_byte": [b"G", Pause(HEADERS_TIMEOUT + SLACK + 2)],
    "stalled_body": [POST + b"123", Pause(REQUEST_TIMEOUT + SLACK + 2)],
    "trickled_body": [POST, *[p for _ in range(60) for p in (Pause(0.2), b"z")]],
    "idle_keep_alive": [HEAD + b"\r\n", Pause(KEEP_ALIVE + 1 + SLACK + 2)],
    "slow_but_in_time": [HEAD, Pause(0.2), b"X-1: y\r\n", Pause(0.2), b"X-2: y\r\n\r\n"],
}
SERVERS = ("nodehttps", "node")
TRANSPORTS = ("tcp", "tls")

Key = tuple[str, str, str]


async def _run(server: str, pki: PKI, ctx: ssl.SSLContext) -> dict[Key, Outcome]:
    make = NodehttpsRecorder if server == "nodehttps" else NodeRecorder
    rec: Recorder
    async with make({"slow": OPTIONS}, pki.leaf.key_pem, pki.leaf.chain_pem) as rec:
        jobs = [(name, t) for name in SCENARIOS for t in TRANSPORTS]
        outcomes = await asyncio.gather(
            *(
                exchange(
                    rec.ports["slow"][t],
                    SCENARIOS[name],
                    context=ctx if t == "tls" else None,
                    quiet=KEEP_ALIVE + SLACK + 2,
                    in_process=server == "nodehttps",
                    limit=REQUEST_TIMEOUT + SLACK + 4,
                )
                for name, t in jobs
            )
        )
    return {(server, name, t): o for (name, t), o in zip(jobs, outcomes, strict=True)}


@pytest.fixture(scope="module")
def slow_results(
    module_loop: asyncio.AbstractEventLoop, pki: PKI, client_tls: ssl.SSLContext
) -> dict[Key, Outcome]:
    servers = [s for s in SERVERS if s == "nodehttps" or NODE is not None]

    async def both() -> dict[Key, Outcome]:
        parts = await asyncio.gather(*(_run(s, pki, client_tls) for s in servers))
        return {k: v for part in parts for k, v in part.items()}

    return module_loop.run_until_complete(asyncio.wait_for(both(), 60))


def _outcome(results: dict[Key, Outcome], key: Key) -> Outcome:
    if key not in results:
        pytest.skip("node is not installed")
    return results[key]


def _closed_within(outcome: Outcome, low: float, high: float) -> None:
    assert outcome.closed, "the server never closed the connection"
    assert outcome.closed_after is not None
    assert low <= outcome.closed_after <= high, f"closed after {outcome.closed_after:.2f} s"


@pytest.mark.parametrize("scenario", ["slowloris", "silent", "one_byte"])
@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("server", SERVERS)
def test_slow_headers_get_408_at_headers_timeout(
    server: str, transport: str, scenario: str, slow_results: dict[Key, Outcome]
) -> None:
    outcome = _outcome(slow_results, (server, scenario, transport))
    assert outcome.data == TIMEOUT_408
    _closed_within(outcome, HEADERS_TIMEOUT - 0.1, HEADERS_TIMEOUT + INTERVAL + SLACK)


@pytest.mark.parametrize("scenario", ["stalled_body", "trickled_body"])
@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("server", SERVERS)
def test_slow_body_gets_408_at_request_timeout(
    server: str, transport: str, scenario: str, slow_results: dict[Key, Outcome]
) -> None:
    outcome = _outcome(slow_results, (server, scenario, transport))
    assert outcome.data == TIMEOUT_408
    _closed_within(outcome, REQUEST_TIMEOUT - 0.1, REQUEST_TIMEOUT + INTERVAL + SLACK)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("server", SERVERS)
def test_idle_keep_alive_closed_a_second_after_keep_alive_timeout(
    server: str, transport: str, slow_results: dict[Key, Outcome]
) -> None:
    outcome = _outcome(slow_results, (server, "idle_keep_alive", transport))
    assert outcome.data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nKeep-Alive: timeout=1\r\n" in outcome.data
    assert outcome.data.endswith(b"\r\n\r\nok"), "nothing may follow the answer"
    _closed_within(outcome, KEEP_ALIVE + 1 - 0.3, KEEP_ALIVE + 1 + SLACK)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("server", SERVERS)
def test_slow_headers_that_finish_in_time_are_served(
    server: str, transport: str, slow_results: dict[Key, Outcome]
) -> None:
    outcome = _outcome(slow_results, (server, "slow_but_in_time", transport))
    assert outcome.data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert outcome.data.endswith(b"\r\n\r\nok")


def test_both_servers_answer_alike(slow_results: dict[Key, Outcome]) -> None:
    """Where node ran, nodehttps's bytes for each case equal Node's (Date masked)."""
    answers: dict[str, dict[tuple[str, str], bytes]] = {"node": {}, "nodehttps": {}}
    for (server, name, transport), outcome in slow_results.items():
        answers[server][name, transport] = mask_date(outcome.data)
    if not answers["node"]:
        pytest.skip("node is not installed")
    assert answers["nodehttps"] == answers["node"]
