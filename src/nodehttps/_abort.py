"""Node's ``AbortController`` / ``AbortSignal``, for the ``signal`` option of requests."""

from __future__ import annotations

from typing import Any

from .errors import ABORT_ERR
from .events import EventEmitter

__all__ = ["AbortController", "AbortSignal"]


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
