"""Which event loop, and Node's script mode.

Theory of operation
-------------------
Inside a running asyncio loop (``asyncio.run``, uvloop, Jupyter) every object attaches
to that loop and nothing here is involved beyond :func:`get_loop`.

With no loop running, the first object that needs one calls :func:`get_loop`, which
makes a *script loop* (uvloop's when importable) and registers an ``atexit`` hook. The
script's top level runs to its end as Node's does; then the hook runs the loop on the
main thread until nothing ref'd is left (a listening server, an open socket, a pending
request). An exception escaping the top level leaves ``sys.last_value`` set and no loop
runs, as Node never reaches its loop either.

Handles count themselves with :func:`ref`/:func:`unref` (``server.unref()`` calls
``unref``). When the count reaches zero the loop is stopped after the callbacks already
scheduled have run (a few loop turns, so a ``'close'`` emitted via ``call_soon`` still
fires). An uncaught exception (a listener raising, an ``'error'`` nobody listens to)
goes to :func:`report_uncaught`: in script mode the traceback goes to stderr and the
process exits with status 1; in a user's loop it goes to the loop's exception handler.
Ctrl-C and SIGTERM stop a script loop at once with Node's exit statuses (130, 143).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import signal
import sys
import traceback
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

__all__ = ["get_loop", "guarded", "in_user_loop", "ref", "report_uncaught", "run", "unref"]

T = TypeVar("T")

_IDLE_TURNS = 4  # loop turns the ref count must stay at zero before the loop stops


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


class _ScriptLoop:
    """The loop nodehttps runs itself, in script mode or under :func:`run`."""

    __slots__ = ("exit_code", "idle_check", "loop", "refs", "running")

    def __init__(self) -> None:
        self.loop = _new_loop()
        self.refs = 0
        self.exit_code: int | None = None
        self.idle_check = False
        self.running = False

    def run_until_idle(self) -> int:
        loop = self.loop
        asyncio.set_event_loop(loop)
        self.running = True
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGINT, self.on_signal, signal.SIGINT)
            loop.add_signal_handler(signal.SIGTERM, self.on_signal, signal.SIGTERM)
        try:
            if self.exit_code is None:
                self.schedule_idle_check()
                loop.run_forever()
        finally:
            self.running = False
        return self.exit_code or 0

    def on_signal(self, signum: int) -> None:
        self.exit_code = 128 + signum
        self.loop.stop()

    def schedule_idle_check(self) -> None:
        if not self.idle_check and self.refs <= 0:
            self.idle_check = True
            self.loop.call_soon(self._idle_turn, _IDLE_TURNS)

    def _idle_turn(self, turns: int) -> None:
        if self.refs > 0:
            self.idle_check = False
            return
        if turns > 0:
            self.loop.call_soon(self._idle_turn, turns - 1)
            return
        self.idle_check = False
        # Timers that are due soon still count: a ref'd handle may be closing through one.
        self.loop.stop()


_script: _ScriptLoop | None = None


def get_loop() -> asyncio.AbstractEventLoop:
    """The running loop, else the script loop (made, and run at exit, on first use)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    return _get_script().loop


def in_user_loop() -> bool:
    """Whether the caller runs in a loop of the user's (``asyncio.run``, an application),
    not in script mode (the script loop, or no loop running yet)."""
    running = asyncio.events._get_running_loop()
    return running is not None and (_script is None or running is not _script.loop)


def _get_script() -> _ScriptLoop:
    global _script
    if _script is None:
        _script = _ScriptLoop()
        asyncio.set_event_loop(_script.loop)
        atexit.register(_run_at_exit)
    return _script


def ref(loop: asyncio.AbstractEventLoop | None = None) -> None:
    """A handle that keeps the script loop alive opened (no-op in a user's loop)."""
    s = _script
    if s is not None and (loop is None or loop is s.loop):
        s.refs += 1


def unref(loop: asyncio.AbstractEventLoop | None = None) -> None:
    """A handle stopped keeping the loop alive; the loop may stop when none is left."""
    s = _script
    if s is not None and (loop is None or loop is s.loop):
        s.refs -= 1
        if s.refs <= 0 and s.running:
            s.schedule_idle_check()


def report_uncaught(exc: BaseException, loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Node's uncaught exception: exit 1 in script mode, else the loop's handler."""
    s = _script
    if s is not None and (loop is None or loop is s.loop):
        traceback.print_exception(exc)
        sys.stderr.flush()
        s.exit_code = 1
        s.loop.stop()
        return
    target = loop or get_loop()
    target.call_exception_handler(
        {"message": "Uncaught exception in a nodehttps listener", "exception": exc}
    )


def guarded(
    fn: Callable[..., Any], loop: asyncio.AbstractEventLoop | None = None
) -> Callable[..., None]:
    """Wrap a loop callback so an exception escaping it is reported as uncaught."""

    def call(*args: Any) -> None:
        try:
            fn(*args)
        except Exception as exc:
            report_uncaught(exc, loop)

    return call


def _run_at_exit() -> None:
    s = _script
    if s is None or hasattr(sys, "last_value") or s.loop.is_closed():
        return
    code = s.run_until_idle()
    _close_quietly(s.loop)
    if code:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _close_quietly(loop: asyncio.AbstractEventLoop) -> None:
    with contextlib.suppress(Exception):
        for task in asyncio.all_tasks(loop):
            task.cancel()
        loop.run_until_complete(asyncio.sleep(0))
    with contextlib.suppress(Exception):
        loop.close()


def run(main: Awaitable[T] | None = None) -> T | None:
    """Run the loop until ``main`` is done and nothing ref'd is left (Node's lifetime).

    ``nodehttps.run(coro)`` is the explicit form of script mode; with no argument it
    runs what the script has set up so far.
    """
    s = _get_script()
    result: list[T] = []

    if main is not None:

        async def wrapper() -> None:
            result.append(await main)

        s.refs += 1
        task = s.loop.create_task(wrapper())

        def done(t: asyncio.Task[None]) -> None:
            s.refs -= 1
            exc = None if t.cancelled() else t.exception()
            if exc is not None:
                report_uncaught(exc, s.loop)
            else:
                s.schedule_idle_check()

        task.add_done_callback(done)
    code = s.run_until_idle()
    if code:
        sys.stdout.flush()
        sys.stderr.flush()
        _close_quietly(s.loop)
        raise SystemExit(code)
    return result[0] if result else None
