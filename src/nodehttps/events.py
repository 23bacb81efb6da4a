"""Node's ``events`` module: :class:`EventEmitter` and :func:`once`.

Listeners are kept per event name in a tuple, replaced (never mutated) on change, so
``emit`` iterates a snapshot without copying: a listener added or removed during an
``emit`` takes effect from the next one, as in Node.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

from mypy_extensions import mypyc_attr

from .errors import ERR_UNHANDLED_ERROR, invalid_arg_type, out_of_range

__all__ = ["EventEmitter", "MaxListenersExceededWarning", "error_monitor", "once"]

Listener = Callable[..., Any]

#: Node's ``events.errorMonitor``: listeners see ``'error'`` before the regular ones,
#: and do not count as handling it.
error_monitor = "events.errorMonitor"

default_max_listeners = 10


@mypyc_attr(native_class=False)
class MaxListenersExceededWarning(RuntimeWarning):
    """Node's ``MaxListenersExceededWarning``."""


class _Once:
    """The wrapper ``once()`` installs; ``listener`` is what ``listeners()`` shows."""

    __slots__ = ("emitter", "event", "fired", "listener")

    def __init__(self, emitter: EventEmitter, event: str, listener: Listener) -> None:
        self.emitter = emitter
        self.event = event
        self.listener = listener
        self.fired = False

    def __call__(self, *args: Any) -> Any:
        if self.fired:
            return None
        self.fired = True
        self.emitter.remove_listener(self.event, self)
        return self.listener(*args)


@mypyc_attr(allow_interpreted_subclasses=True)
class EventEmitter:
    """Node's ``EventEmitter`` (``on``, ``once``, ``off``, ``emit``, ``prepend_listener``...)."""

    # ``_events`` is made lazily so subclasses need not call ``__init__`` first.
    _events: dict[str, tuple[Listener, ...]]
    _max_listeners: float | None = None
    _warned_events: set[str] | None = None  # events already warned about (MaxListeners)

    def __init__(self) -> None:
        self._events = {}

    def _listeners_map(self) -> dict[str, tuple[Listener, ...]]:
        try:
            return self._events
        except AttributeError:
            self._events = {}
            return self._events

    # -- adding ------------------------------------------------------------------
    def _add(self, event: str, listener: Listener, prepend: bool) -> None:
        if not callable(listener):
            raise invalid_arg_type("listener", "Function", listener)
        events = self._listeners_map()
        if "newListener" in events:
            self.emit("newListener", event, getattr(listener, "listener", listener))
        current = events.get(event, ())
        events[event] = (listener, *current) if prepend else (*current, listener)
        limit = self.get_max_listeners()
        if limit > 0 and len(current) + 1 > limit:
            warned = self._warned_events
            if warned is None:
                warned = self._warned_events = set()
            if event not in warned:
                warned.add(event)
                warnings.warn(
                    f"Possible EventEmitter memory leak detected. {len(current) + 1} {event} "
                    f"listeners added to [{type(self).__name__}]. MaxListeners is {limit}. "
                    "Use emitter.set_max_listeners() to increase limit",
                    MaxListenersExceededWarning,
                    stacklevel=3,
                )

    def on(self, event: str, listener: Listener) -> EventEmitter:
        """Node's ``emitter.on(event, listener)``; returns the emitter."""
        self._add(event, listener, False)
        return self

    def add_listener(self, event: str, listener: Listener) -> EventEmitter:
        """Node's ``emitter.addListener()``: ``on``."""
        self._add(event, listener, False)
        return self

    def prepend_listener(self, event: str, listener: Listener) -> EventEmitter:
        """Node's ``emitter.prependListener()``."""
        self._add(event, listener, True)
        return self

    def once(self, event: str, listener: Listener) -> EventEmitter:
        """Node's ``emitter.once()``: the listener runs at most once."""
        if not callable(listener):
            raise invalid_arg_type("listener", "Function", listener)
        self._add(event, _Once(self, event, listener), False)
        return self

    def prepend_once_listener(self, event: str, listener: Listener) -> EventEmitter:
        """Node's ``emitter.prependOnceListener()``."""
        if not callable(listener):
            raise invalid_arg_type("listener", "Function", listener)
        self._add(event, _Once(self, event, listener), True)
        return self

    # -- removing ----------------------------------------------------------------
    def remove_listener(self, event: str, listener: Listener) -> EventEmitter:
        """Node's ``emitter.removeListener()``: removes the most recently added match."""
        events = self._listeners_map()
        current = events.get(event)
        if not current:
            return self
        for i in range(len(current) - 1, -1, -1):
            item = current[i]
            # ``==`` too: a bound method is a new object at each access, but equal.
            if (
                item is listener
                or item == listener
                or (isinstance(item, _Once) and item.listener == listener)
            ):
                rest = current[:i] + current[i + 1 :]
                if rest:
                    events[event] = rest
                else:
                    del events[event]
                if "removeListener" in events:
                    self.emit("removeListener", event, getattr(item, "listener", item))
                break
        return self

    def off(self, event: str, listener: Listener) -> EventEmitter:
        """Node's ``emitter.off()``: ``remove_listener``."""
        return self.remove_listener(event, listener)

    def remove_all_listeners(self, event: str | None = None) -> EventEmitter:
        """Node's ``emitter.removeAllListeners([event])``."""
        events = self._listeners_map()
        if "removeListener" not in events:
            if event is None:
                events.clear()
            else:
                events.pop(event, None)
            return self
        names = [event] if event is not None else [n for n in events if n != "removeListener"]
        for name in names:
            for item in reversed(events.get(name, ())):
                self.remove_listener(name, item)
        if event is None:
            for item in reversed(events.get("removeListener", ())):
                self.remove_listener("removeListener", item)
        return self

    # -- emitting ----------------------------------------------------------------
    def emit(self, event: str, *args: Any) -> bool:
        """Node's ``emitter.emit()``: calls each listener in order; True if any.

        An ``'error'`` with no listener raises the error (Node's rule).
        """
        try:
            handlers = self._events.get(event)
        except AttributeError:
            handlers = self._listeners_map().get(event)
        if event == "error":
            monitors = self._events.get(error_monitor)
            if monitors:
                for fn in monitors:
                    fn(*args)
            if not handlers:
                err = args[0] if args else None
                if isinstance(err, BaseException):
                    raise err
                raise ERR_UNHANDLED_ERROR(f"Unhandled error. ({err!r})", context=err)
        if not handlers:
            return False
        if len(handlers) == 1:
            handlers[0](*args)
        else:
            for fn in handlers:
                fn(*args)
        return True

    # -- introspection -----------------------------------------------------------
    def listeners(self, event: str) -> list[Listener]:
        """Node's ``emitter.listeners()``: the listeners, ``once`` ones unwrapped."""
        return [
            fn.listener if isinstance(fn, _Once) else fn
            for fn in self._listeners_map().get(event, ())
        ]

    def raw_listeners(self, event: str) -> list[Listener]:
        """Node's ``emitter.rawListeners()``."""
        return list(self._listeners_map().get(event, ()))

    def listener_count(self, event: str, listener: Listener | None = None) -> int:
        """Node's ``emitter.listenerCount(event[, listener])``."""
        current = self._listeners_map().get(event, ())
        if listener is None:
            return len(current)
        return sum(
            1
            for fn in current
            if fn is listener
            or fn == listener
            or (isinstance(fn, _Once) and fn.listener == listener)
        )

    def event_names(self) -> list[str]:
        """Node's ``emitter.eventNames()``."""
        return list(self._listeners_map())

    def set_max_listeners(self, n: object) -> EventEmitter:
        """Node's ``emitter.setMaxListeners(n)``; 0 or ``math.inf`` means unlimited."""
        if isinstance(n, bool) or not isinstance(n, int | float):
            raise invalid_arg_type("n", "number", n)
        if n < 0 or n != n:
            raise out_of_range("n", "a non-negative number", n)
        self._max_listeners = float(n)
        return self

    def get_max_listeners(self) -> float:
        """Node's ``emitter.getMaxListeners()``."""
        n = self._max_listeners
        return default_max_listeners if n is None else n


def once(emitter: EventEmitter, event: str) -> Coroutine[Any, Any, list[Any]]:
    """Node's ``events.once(emitter, name)``: await it for ``event``'s arguments as a list.

    As Node's promise, it listens from the call on: an event emitted before the await
    still counts. An ``'error'`` emitted first is raised (unless ``event`` is
    ``'error'``). Awaitable on any loop; cancelling the await removes the listeners.
    """
    outcome: list[Any] = []  # [args] or [args, error] once settled
    waiter: list[asyncio.Future[None]] = []

    def cleanup() -> None:
        emitter.remove_listener(event, on_event)
        if event != "error":
            emitter.remove_listener("error", on_error)

    def settle(args: list[Any], error: BaseException | None = None) -> None:
        cleanup()
        if not outcome:
            outcome.extend((args, error))
            if waiter and not waiter[0].done():
                waiter[0].set_result(None)

    def on_event(*args: Any) -> None:
        settle(list(args))

    def on_error(err: Any = None) -> None:
        settle(
            [],
            err
            if isinstance(err, BaseException)
            else ERR_UNHANDLED_ERROR(f"Unhandled error. ({err!r})", context=err),
        )

    emitter.once(event, on_event)
    if event != "error":
        emitter.once("error", on_error)

    async def wait() -> list[Any]:
        try:
            if not outcome:
                waiter.append(asyncio.get_running_loop().create_future())
                await waiter[0]
        finally:
            cleanup()
        args, error = outcome
        if error is not None:
            raise error
        return list(args)

    return wait()
