"""Every request vector, sent to nodehttps whole, byte by byte and at random split points,
over TCP and over TLS, against Node's recorded verdict (``node_verdicts.json``).

Send modes: ``whole`` (one write, once the server has accepted the connection and
finished its TLS handshake), ``eager`` (one write at once, as real clients do: over TLS
the request rides with the client's last handshake flight), ``bytes`` (one byte a
write, one TLS record each) and ``split`` (three sends, each cut at seeded random
points). Between two pieces the server reads what came.

For each vector, transport and send mode the test checks what the handler saw of every
request (method, whole URL, version, every raw header, the joined headers, body,
trailers) and the answer: Node's exact bytes (``Date`` masked) and whether the
connection was closed. Where SPEC §9 makes nodehttps differ on purpose, the vector's
``spec9`` expectation replaces Node's answer: the status lines in order, the close, and
which of Node's handler views must be seen. When a request's answer closes the
connection, requests behind it in the same packet may or may not reach the handler
once the packet is cut (that depends on when the close lands), so piecewise sends only
need a prefix of Node's views there. A third server per option set has a
``'clientError'`` listener: the code of each parse error must be Node's too.

All sends run at once against one set of in-process servers (a module fixture), so the
waits for "nothing more is coming" overlap; each parameter then only compares.
"""

from __future__ import annotations

import asyncio
import ssl
import zlib
from typing import Any

import pytest

from conftest import needs_node
from harness import Run
from hostile.known_failures import code_failure, vector_failure
from hostile.recorder import NodehttpsRecorder
from hostile.regen_node_verdicts import (
    CODES,
    TRANSPORTS,
    changed_verdicts,
    collect,
    digest,
    judged_by,
    server_sets,
)
from hostile.request_vectors import SPEC9_SECTION, VECTORS, Vector, by_name
from hostile.wire import Outcome, exchange, mask_date, parse_responses, pieces_for, status_lines
from tls_pki import PKI

#: One shared run in a module fixture: its setup counts against the first test.
pytestmark = pytest.mark.timeout(240)

MODES = ("whole", "eager", "bytes", "split")
PIECEWISE = ("bytes", "split")
#: "split" sends each vector this many times, each cut at its own seeded random points.
SPLIT_SEEDS = 3
CONCURRENCY = 64

Views = list[dict[str, Any]]
Key = tuple[str, str, str]
#: One send: what came back, what the handler saw, the codes of 'clientError' events.
Sent = tuple[Outcome, Views, list[str | None]]
CODE_MODES = ("whole", "bytes", "split")


def _seeds(vector: Vector, mode: str) -> list[int]:
    base = zlib.crc32(vector.name.encode())
    return [base + i for i in range(SPLIT_SEEDS)] if mode == "split" else [base]


async def _run_all(
    pki: PKI, ctx: ssl.SSLContext, verdicts: dict[str, Any]
) -> dict[Key, list[Sent]]:
    gate = asyncio.Semaphore(CONCURRENCY)
    hold: list[asyncio.StreamWriter] = []
    jobs = [(v, t, m, s) for v in VECTORS for t in TRANSPORTS for m in MODES for s in _seeds(v, m)]
    jobs += [(v, CODES, m, s) for v in VECTORS for m in CODE_MODES for s in _seeds(v, m)]
    async with NodehttpsRecorder(server_sets(), pki.leaf.key_pem, pki.leaf.chain_pem) as rec:

        async def one(vector: Vector, transport: str, mode: str, seed: int) -> tuple[int, Outcome]:
            port = rec.ports[vector.server_key][transport]
            expect_len = None  # the codes server drops the connection at its first error
            if transport != CODES:
                answer = verdicts[vector.name][judged_by(vector, transport)]["response"]
                expect_len = len(answer.encode("latin-1"))
            async with gate:
                outcome = await exchange(
                    port,
                    pieces_for(vector.data, "whole" if mode == "eager" else mode, seed),
                    context=ctx if transport == "tls" else None,
                    half_close=vector.half,
                    expect_len=expect_len,
                    quiet=0.6,
                    hold=hold,
                    ready=None if mode == "eager" else lambda client: rec.ready(port, client),
                )
            return port, outcome

        done = await asyncio.gather(*(one(*job) for job in jobs))
        for writer in hold:
            writer.transport.abort()
        await rec.settled()  # 'close' records of requests that never ended
        results: dict[Key, list[Sent]] = {}
        for (vector, transport, mode, _), (port, outcome) in zip(jobs, done, strict=True):
            views = rec.requests(port, outcome.client_port)
            codes = rec.client_errors(port, outcome.client_port)
            results.setdefault((vector.name, transport, mode), []).append((outcome, views, codes))
    return results


@pytest.fixture(scope="module")
def results(
    module_loop: asyncio.AbstractEventLoop,
    pki: PKI,
    client_tls: ssl.SSLContext,
    node_verdicts: dict[str, Any],
) -> dict[Key, list[Sent]]:
    return module_loop.run_until_complete(
        asyncio.wait_for(_run_all(pki, client_tls, node_verdicts), 240)
    )


def test_verdicts_cover_the_corpus(node_verdicts: dict[str, Any]) -> None:
    """Every vector has Node's verdict, recorded from these very bytes, and no stale one."""
    vectors = by_name()
    assert sorted(node_verdicts) == sorted(vectors)
    for name, vector in vectors.items():
        assert node_verdicts[name]["sha256"] == digest(vector.data), (
            f"{name} changed: rerun tests/hostile/regen_node_verdicts.py"
        )


def _params() -> list[Any]:
    out = []
    for vector in VECTORS:
        for mode in MODES:
            for transport in TRANSPORTS:
                reason = vector_failure(vector.name, mode, transport)
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                out.append(
                    pytest.param(
                        vector.name,
                        mode,
                        transport,
                        marks=marks,
                        id=f"{vector.name}-{mode}-{transport}",
                    )
                )
    return out


@pytest.mark.parametrize(("name", "mode", "transport"), _params())
def test_vector(
    name: str,
    mode: str,
    transport: str,
    results: dict[Key, list[Sent]],
    node_verdicts: dict[str, Any],
) -> None:
    vector = by_name()[name]
    node = node_verdicts[name][judged_by(vector, transport)]
    certain = _views_certain(node) if mode in PIECEWISE else len(node["requests"])
    for outcome, views, _ in results[name, transport, mode]:
        if vector.spec9 is not None:
            rule = vector.spec9
            got = (status_lines(outcome.data), outcome.closed, views)
            want = (list(rule.statuses), rule.closed, node["requests"][: rule.handled])
            assert got == want, f"{SPEC9_SECTION}: {rule.rule}"
            continue
        assert certain <= len(views) <= len(node["requests"]), "not the requests Node handled"
        assert views == node["requests"][: len(views)], "the handler saw other things than Node's"
        assert mask_date(outcome.data).decode("latin-1") == node["response"]
        assert outcome.closed == node["closed"], (
            "Node closed" if node["closed"] else "Node kept it open"
        )


def _code_params() -> list[Any]:
    out = []
    for vector in VECTORS:
        if vector.spec9 is not None and not vector.spec9.same_client_error:
            continue  # SPEC §9 answers it otherwise than Node: no code to compare
        for mode in CODE_MODES:
            reason = code_failure(vector.name, mode)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            out.append(pytest.param(vector.name, mode, marks=marks, id=f"{vector.name}-{mode}"))
    return out


@pytest.mark.parametrize(("name", "mode"), _code_params())
def test_client_error_code(
    name: str, mode: str, results: dict[Key, list[Sent]], node_verdicts: dict[str, Any]
) -> None:
    """The ``'clientError'`` events a listener gets, and each error's ``code``, are
    Node's: llhttp's own error names (whole, byte by byte, split; plain TCP)."""
    for _, _, codes in results[name, CODES, mode]:
        assert codes == node_verdicts[name]["clientErrors"]


def _views_certain(node: dict[str, Any]) -> int:
    """How many of Node's handler views a piecewise send must see: all, or those up to
    the first answer that closed the connection (later ones may come after the close)."""
    answers = parse_responses(node["response"].encode("latin-1"))
    finals = [r for r in answers if not r.status_line.split(" ")[1].startswith("1")]
    for i, response in enumerate(finals):
        if b"\r\nconnection: close\r\n" in response.head.lower():
            return min(i + 1, len(node["requests"]))
    return len(node["requests"])


@needs_node
def test_node_verdicts_are_current(run: Run, pki: PKI, node_verdicts_doc: dict[str, Any]) -> None:
    """The installed node, asked again, gives the committed verdicts, server and client
    side (else: regenerate with ``tests/hostile/regen_node_verdicts.py``, review the diff).
    A difference must show twice in a row: one run on a loaded machine can lose a race
    that Node itself has (see ``judge_tls_by_tcp``), which is not a change of Node's."""
    changed = changed_verdicts(node_verdicts_doc, run(collect(pki), timeout=90))
    if changed:
        again = changed_verdicts(node_verdicts_doc, run(collect(pki), timeout=90))
        changed = [name for name in changed if name in again]
    assert not changed, f"Node now answers these differently: {changed}"
