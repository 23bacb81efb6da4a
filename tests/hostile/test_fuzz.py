"""Property tests with a fixed budget (Hypothesis): splits and byte mutations.

* Any valid request or pipeline (methods, paths and queries, header fields,
  Content-Length or chunked bodies with trailers), sent whole and then cut at random
  points, over TCP or TLS: the handler sees exactly what was sent, the same both ways.
* Random byte edits of valid pipelines, sent to a nodehttps server in its own process
  (a third of them over TLS) and followed by a half-close: the server always answers with well-formed responses
  (a status it may use on bad input, or a valid answer) and closes; it never hangs,
  dies, or writes to stderr (no traceback, no logged error).

The examples are derandomized (the same in every CI run); set ``HOSTILE_FUZZ_RANDOM=1``
to explore, and ``HOSTILE_FUZZ_SCALE=N`` for N times as many examples.
"""

from __future__ import annotations

import asyncio
import os
import re
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostile.fuzz_requests import Request, answer_length, mutated, pipelines, split_points
from hostile.recorder import NodehttpsRecorder
from hostile.serve import ServerProcess
from hostile.wire import exchange, parse_responses
from tls_pki import PKI

#: Each property runs its whole budget of examples inside one test.
pytestmark = pytest.mark.timeout(240)

SCALE = int(os.environ.get("HOSTILE_FUZZ_SCALE", "1"))


def fuzz(examples: int) -> settings:
    """The suite's settings: no deadline, no example database, a fixed budget."""
    return settings(
        max_examples=examples * SCALE,
        deadline=None,
        database=None,
        derandomize=os.environ.get("HOSTILE_FUZZ_RANDOM") != "1",
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


#: Statuses nodehttps may answer a mangled request with (Node's set for bad input).
ALLOWED = {"100", "200", "400", "408", "413", "417", "431", "505"}
STATUS_LINE = re.compile(r"HTTP/1\.1 (\d{3}) [^\r\n]*")
COUNTS = {"split": 0, "mutation": 0}


@pytest.fixture(scope="module")
def recorder(module_loop: asyncio.AbstractEventLoop, pki: PKI) -> Iterator[NodehttpsRecorder]:
    rec = NodehttpsRecorder({"default": {}}, pki.leaf.key_pem, pki.leaf.chain_pem)
    module_loop.run_until_complete(rec.__aenter__())
    yield rec
    module_loop.run_until_complete(rec.__aexit__(None, None, None))
    print(f"fuzz: {COUNTS['split']} split examples, {COUNTS['mutation']} mutation examples")


async def _views(
    rec: NodehttpsRecorder,
    transport: str,
    ctx: ssl.SSLContext,
    pieces: list[bytes],
    requests: list[Request],
) -> list[dict[str, Any]]:
    port = rec.ports["default"][transport]
    outcome = await exchange(
        port,
        pieces,
        context=ctx if transport == "tls" else None,
        expect_len=answer_length(requests),
        quiet=1.0,
        linger=0,
        ready=lambda client: rec.ready(port, client),
    )
    await rec.settled()
    return rec.take(port, outcome.client_port)


def _plain(views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in view.items() if k not in ("index", "headers")} for view in views]


@fuzz(150)
@given(requests=pipelines(), data=st.data(), transport=st.sampled_from(["tcp", "tls"]))
def test_split_pipelines_reach_the_handler_as_sent(
    recorder: NodehttpsRecorder,
    module_loop: asyncio.AbstractEventLoop,
    client_tls: ssl.SSLContext,
    requests: list[Request],
    data: st.DataObject,
    transport: str,
) -> None:
    COUNTS["split"] += 1
    raw = b"".join(r.data for r in requests)
    cuts = data.draw(split_points(len(raw)))
    pieces = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True) if b > a]

    async def both() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        whole = await _views(recorder, transport, client_tls, [raw], requests)
        split = await _views(recorder, transport, client_tls, pieces, requests)
        return whole, split

    whole, split = module_loop.run_until_complete(asyncio.wait_for(both(), 20))
    assert _plain(whole) == [r.view() for r in requests]
    assert split == whole


@pytest.fixture(scope="module")
def fuzz_servers(
    module_loop: asyncio.AbstractEventLoop, pki: PKI, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, tuple[ServerProcess, Path]]]:
    """A plain and a TLS nodehttps server, each in its own process, stderr to a file."""
    folder = tmp_path_factory.mktemp("fuzz")
    configs = {"tcp": {}, "tls": ServerProcess.tls_config(pki, folder)}
    servers = {
        t: (
            ServerProcess("nodehttps", c, stderr=folder / f"{t}-stderr.txt"),
            folder / f"{t}-stderr.txt",
        )
        for t, c in configs.items()
    }
    for server, _ in servers.values():
        module_loop.run_until_complete(server.__aenter__())
    yield servers
    for server, _ in servers.values():
        module_loop.run_until_complete(server.__aexit__(None, None, None))


def _check_answers(data: bytes) -> None:
    for response in parse_responses(data):
        match = STATUS_LINE.fullmatch(response.status_line)
        assert match is not None, f"not a status line: {response.status_line!r}"
        assert match.group(1) in ALLOWED, response.status_line
        assert response.complete, f"answer cut short: {data[-200:]!r}"


@fuzz(1500)
@given(
    raw=mutated(),
    cuts=st.lists(st.integers(1, 400), max_size=2),
    transport=st.sampled_from(["tcp", "tcp", "tls"]),
)
def test_mutated_requests_get_a_clear_answer(
    fuzz_servers: dict[str, tuple[ServerProcess, Path]],
    module_loop: asyncio.AbstractEventLoop,
    client_tls: ssl.SSLContext,
    raw: bytes,
    cuts: list[int],
    transport: str,
) -> None:
    COUNTS["mutation"] += 1
    server, stderr = fuzz_servers[transport]
    points = sorted({c for c in cuts if c < len(raw)})
    pieces = [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)], strict=True)]
    pieces = [p for p in pieces if p] or [b""]
    outcome = module_loop.run_until_complete(
        exchange(
            server.port,
            pieces,
            context=client_tls if transport == "tls" else None,
            half_close=True,
            quiet=3.0,
            in_process=False,
            limit=6,
        )
    )
    assert outcome.closed, f"no answer and no close 3 s after the client's EOF: {raw!r}"
    _check_answers(outcome.data)
    assert server.proc is not None and server.proc.returncode is None, "the server died"
    assert stderr.stat().st_size == 0, stderr.read_text(errors="replace")[-2000:]
