"""The awaitable form of a client request (SPEC §4): nothing is lost before the await.

Theory of operation
-------------------
In Node, a response that arrives while nobody listens for ``'response'`` is dumped, and
an ``'error'`` nobody listens for is an uncaught exception. In Python code that runs in
an event loop, a request returned to its caller may well be awaited *later* (several
requests started together, then awaited one after another), so until it is awaited it
counts as listened to:

* its response is held: not dumped, not read past the body's high-water mark (the
  stream's own back-pressure stops the socket), and delivered whole to the await;
* its error is kept and raised by the await, and ``'close'`` still follows at once.

A held response must not outlive every chance of being awaited: while it waits, the
socket refers to its request only weakly (:class:`Hold`), so a request its caller
dropped is collected; then its socket is destroyed, which frees the connection. A kept
error that is never awaited is reported when its request is collected, as asyncio
reports a task exception that was never retrieved.

In script mode (no loop running yet, or the loop nodehttps runs itself: the script's
callbacks, ``nodehttps.run``) requests keep Node's rules.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Any

__all__ = ["Hold", "report_unretrieved"]


class Hold:
    """The socket's listeners of a request whose response waits for the await: each
    forwards to the request through a weak reference; when the request is collected
    unawaited, the socket is destroyed."""

    __slots__ = ("_finalizer", "_listeners", "_socket")

    def __init__(self, request: Any, socket: Any, events: tuple[tuple[str, str], ...]) -> None:
        ref = weakref.ref(request)  # TypeError if ``request`` cannot be weakly referenced
        self._finalizer = weakref.finalize(request, socket.destroy)
        self._socket = socket
        self._listeners = tuple((event, _forward(ref, method)) for event, method in events)
        for event, listener in self._listeners:
            socket.on(event, listener)

    def detach_listeners(self) -> None:
        """The response is complete: the socket has nothing more to tell the request."""
        for event, listener in self._listeners:
            self._socket.remove_listener(event, listener)
        self._listeners = ()

    def release(self) -> None:
        """The request is awaited: it owns its socket in full again."""
        self._finalizer.detach()
        self.detach_listeners()


def _forward(ref: weakref.ref[Any], method: str) -> Callable[..., None]:
    def call(*args: Any) -> None:
        target = ref()
        if target is not None:
            getattr(target, method)(*args)

    return call


def report_unretrieved(request: Any, error: BaseException, loop: asyncio.AbstractEventLoop) -> Any:
    """Report ``error`` to ``loop`` if ``request`` is collected before it is awaited;
    returns the finalizer (detach it when the error is retrieved)."""
    return weakref.finalize(request, _unretrieved, error, loop)


def _unretrieved(error: BaseException, loop: asyncio.AbstractEventLoop) -> None:
    if not loop.is_closed():
        loop.call_exception_handler(
            {
                "message": "A request's error was never retrieved (it was not awaited and "
                "had no 'error' listener)",
                "exception": error,
            }
        )
