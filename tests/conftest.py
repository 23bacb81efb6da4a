"""Shared fixtures: a fresh event loop per test, run with ``run(coro)``; the test PKI
(``pki``, made once per session: the certificates are only read)."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from harness import Run
from tls_pki import PKI

T = TypeVar("T")

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")


def _new_loop() -> asyncio.AbstractEventLoop:
    if os.environ.get("NODEHTTPS_TEST_LOOP") == "asyncio":
        return asyncio.new_event_loop()
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


async def _turns(n: int) -> None:
    """``n`` turns of the loop, no fixed time: transports closed by the test (and tasks
    just cancelled) run their last callbacks before the loop closes."""
    for _ in range(n):
        await asyncio.sleep(0)


@pytest.fixture(scope="session")
def pki() -> PKI:
    return PKI()


@pytest.fixture
def run() -> Iterator[Run]:
    """``run(coro, timeout=10)``: run a coroutine on a fresh loop, bounded in time."""
    loop = _new_loop()
    errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _l, ctx: errors.append(ctx))

    def runner(coro: Awaitable[T], timeout: float = 10) -> T:
        return loop.run_until_complete(asyncio.wait_for(coro, timeout))

    try:
        yield runner
    finally:
        try:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(_turns(3))
        finally:
            loop.close()
    uncaught = [ctx for ctx in errors if "exception" in ctx]
    assert not uncaught, f"uncaught exceptions in the loop: {uncaught}"
