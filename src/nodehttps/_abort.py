"""Node's ``AbortController`` / ``AbortSignal``, for the ``signal`` option of requests."""

from __future__ import annotations

from typing import Any

from . import _loop
from .errors import ABORT_ERR, invalid_arg_type
from .events import EventEmitter

__all__ = ["AbortController", "AbortSignal", "destroy_on_abort"]


class AbortSignal(EventEmitter):
    """Node's ``AbortSignal``: ``aborted``, ``reason``, and an ``'abort'`` event."""

    def __init__(self) -> None:
        super().__init__()
        self.aborted = False
        self.reason: Any = None

    @classmethod
    def abort(cls, reason: Any = None) -> AbortSignal:
        """Node's ``AbortSignal.abort([reason])``: a signal that is already aborted."""
        signal = cls()
        signal._fire(reason)
        return signal

    def throw_if_aborted(self) -> None:
        """Node's ``signal.throwIfAborted()``."""
        if self.aborted:
            raise self.reason

    def _fire(self, reason: Any) -> None:
        if self.aborted:
            return
        self.aborted = True
        self.reason = reason if reason is not None else ABORT_ERR()
        self.emit("abort")


class AbortController:
    """Node's ``AbortController``: ``controller.abort()`` aborts ``controller.signal``."""

    def __init__(self) -> None:
        self.signal = AbortSignal()

    def abort(self, reason: Any = None) -> None:
        """Abort the signal; requests given it end with ``ABORT_ERR``."""
        self.signal._fire(reason)


def destroy_on_abort(signal: Any, stream: Any, *, at_once: bool = False) -> None:
    """Node's ``signal`` option (``addAbortSignal``): when ``signal`` aborts, ``stream`` is
    destroyed with an ``AbortError`` whose ``cause`` is the signal's reason. An aborted
    signal does it on the next turn (a socket), or ``at_once`` (a request, as Node's
    streams). The listener goes with the stream's ``'close'``."""
    if not isinstance(signal, AbortSignal):
        raise invalid_arg_type("options.signal", "AbortSignal", signal)

    def on_abort() -> None:
        if stream.destroyed:
            return
        err = ABORT_ERR(cause=signal.reason)
        err.__cause__ = signal.reason if isinstance(signal.reason, BaseException) else None
        stream.destroy(err)

    if signal.aborted:
        if at_once:
            on_abort()
        else:
            _loop.get_loop().call_soon(on_abort)
        return
    signal.once("abort", on_abort)
    stream.once("close", lambda *_: signal.remove_listener("abort", on_abort))
