"""The nodehttps client against odd and malicious responses, as Node's client saw them.

Each response vector is served by a raw server whole, byte by byte and at seeded random
split points; the nodehttps ``http`` client's events in order (``'information'``,
``'response'``, ``'aborted'``, ``'error'`` with its code, ``'end'``, ``'close'``), the
status text, version, raw headers, body and trailers must equal what Node's client
recorded (``node_verdicts.json``, ``responses``). Error messages are recorded there too
but only the codes are compared.
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

import pytest

from hostile.known_failures import response_failure
from hostile.regen_node_verdicts import digest
from hostile.response_peers import RawResponder, comparable, job_path, nodehttps_fetch
from hostile.response_vectors import RESPONSES, responses_by_name

#: One shared run in a module fixture: its setup counts against the first test.
pytestmark = pytest.mark.timeout(120)

MODES = ("whole", "bytes", "split")
SPLIT_SEEDS = 3

Key = tuple[str, str]


async def _run_all() -> dict[Key, list[dict[str, Any]]]:
    gate = asyncio.Semaphore(48)
    async with RawResponder(in_process=True) as responder:

        async def one(name: str, method: str, mode: str, seed: int) -> dict[str, Any]:
            async with gate:
                return await nodehttps_fetch(responder.port, job_path(name, mode, seed), method)

        jobs = [
            (v.name, v.method, mode, seed)
            for v in RESPONSES
            for mode in MODES
            for seed in _seeds(v.name, mode)
        ]
        seen = await asyncio.gather(*(one(*job) for job in jobs))
    results: dict[Key, list[dict[str, Any]]] = {}
    for (name, _, mode, _), record in zip(jobs, seen, strict=True):
        results.setdefault((name, mode), []).append(record)
    return results


def _seeds(name: str, mode: str) -> list[int]:
    base = zlib.crc32(name.encode())
    return [base + i for i in range(SPLIT_SEEDS)] if mode == "split" else [base]


@pytest.fixture(scope="module")
def client_results(module_loop: asyncio.AbstractEventLoop) -> dict[Key, list[dict[str, Any]]]:
    return module_loop.run_until_complete(asyncio.wait_for(_run_all(), 120))


def test_response_verdicts_cover_the_corpus(node_verdicts_doc: dict[str, Any]) -> None:
    responses = node_verdicts_doc["responses"]
    vectors = responses_by_name()
    assert sorted(responses) == sorted(vectors)
    for name, vector in vectors.items():
        assert responses[name]["sha256"] == digest(vector.data), f"{name} changed: regenerate"


def _params() -> list[Any]:
    out = []
    for vector in RESPONSES:
        for mode in MODES:
            reason = response_failure(vector.name, mode)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            out.append(pytest.param(vector.name, mode, marks=marks, id=f"{vector.name}-{mode}"))
    return out


@pytest.mark.parametrize(("name", "mode"), _params())
def test_response_vector(
    name: str,
    mode: str,
    client_results: dict[Key, list[dict[str, Any]]],
    node_verdicts_doc: dict[str, Any],
) -> None:
    vector = responses_by_name()[name]
    node = comparable(vector, node_verdicts_doc["responses"][name])
    for record in client_results[name, mode]:
        seen = comparable(vector, record)
        assert seen["log"] == node["log"], "events (and error codes) differ from Node's"
        assert seen["response"] == node["response"]
        assert seen["body"] == node["body"]
