"""What the tests run on: the ``run`` fixture's type, and bounded waits.

Tests wait on events with a bounded timeout, never a fixed sleep: ``once`` (Node's
``events.once`` under a deadline), ``closed`` (``'close'``, whatever came before it), a
future that a listener settles with ``resolve``. ``until`` is for the few states that
no event announces (a pool's table, a counter): it polls in small steps and fails with
a message once its deadline passes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from types import ModuleType
from typing import Any, Protocol, TypeVar

from nodehttps import events, http

T = TypeVar("T")


class Run(Protocol):
    """The ``run`` fixture: ``run(coro, timeout=10)`` runs ``coro`` on the test's loop."""

    def __call__(self, coro: Awaitable[T], timeout: float = 10) -> T: ...


def resolve(fut: asyncio.Future[T], value: T) -> None:
    """Settle ``fut`` with ``value`` unless it is settled already (for listeners)."""
    if not fut.done():
        fut.set_result(value)


def reject(fut: asyncio.Future[Any], error: BaseException) -> None:
    """Fail ``fut`` with ``error`` unless it is settled already (for listeners)."""
    if not fut.done():
        fut.set_exception(error)


def once(
    emitter: events.EventEmitter, event: str, timeout: float = 5
) -> Coroutine[Any, Any, list[Any]]:
    """``events.once(emitter, event)`` within ``timeout`` seconds; as ``events.once``,
    it listens from the call on (an ``'error'`` first is raised)."""
    return asyncio.wait_for(events.once(emitter, event), timeout)


def closed(emitter: events.EventEmitter, timeout: float = 5) -> Coroutine[Any, Any, None]:
    """``'close'`` within ``timeout`` seconds, listening from the call on (done at once
    for a socket whose ``closed`` says it was emitted); unlike ``events.once``, an
    ``'error'`` before it is left to the emitter's own listeners."""
    fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    if getattr(emitter, "closed", False) is True:
        fut.set_result(None)
    emitter.once("close", lambda *_: resolve(fut, None))
    return asyncio.wait_for(fut, timeout)


def emitted(
    emitter: events.EventEmitter, event: str, count: int, timeout: float = 5
) -> Coroutine[Any, Any, None]:
    """``event`` emitted ``count`` times within ``timeout`` seconds, counting from the
    call on (the listener is removed once the count is reached)."""
    fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    seen = [0]

    def listener(*_: object) -> None:
        seen[0] += 1
        if seen[0] == count:
            emitter.remove_listener(event, listener)
            resolve(fut, None)

    emitter.on(event, listener)
    return asyncio.wait_for(fut, timeout)


class DataCount:
    """The bytes ``emitter``'s ``'data'`` events delivered so far (a second listener
    beside its owner's: a server connection's parser has run when this one hears)."""

    def __init__(self, emitter: events.EventEmitter) -> None:
        self.total = 0
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        emitter.on("data", self._on_data)

    def _on_data(self, chunk: bytes) -> None:
        self.total += len(chunk)
        for n, fut in self._waiters:
            if self.total >= n:
                resolve(fut, None)

    async def reach(self, n: int, timeout: float = 5) -> None:
        """Return once ``n`` bytes in all have arrived; fail after ``timeout`` seconds."""
        if self.total >= n:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((n, fut))
        try:
            await asyncio.wait_for(fut, timeout)
        finally:
            self._waiters.remove((n, fut))


def next_connection(
    server: events.EventEmitter, event: str = "connection"
) -> asyncio.Future[DataCount]:
    """The server's next connection, as a ``DataCount`` of what it received (listening
    from now: create it before the client connects). An https server's HTTP reads the
    ``'secureConnection'`` socket: pass that ``event`` to count its plain bytes."""
    fut: asyncio.Future[DataCount] = asyncio.get_running_loop().create_future()
    server.once(event, lambda sock: resolve(fut, DataCount(sock)))
    return fut


async def until(condition: Callable[[], object], timeout: float = 5, what: str = "") -> None:
    """Return once ``condition()`` is true; fail after ``timeout`` seconds (polls each ms)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"not true within {timeout} s: {what or condition}")
        await asyncio.sleep(0.001)


def global_agent(module: ModuleType) -> http.Agent:
    """``module.global_agent`` (``nodehttps`` or ``nodehttps.http``): a module property,
    which the package does not declare to type checkers; read through ``ModuleType``."""
    agent = module.global_agent
    assert isinstance(agent, http.Agent)
    return agent
