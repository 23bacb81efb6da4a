"""The Agent's pool decisions as a pure object (Node: ``lib/_http_agent.js``).

Theory of operation
-------------------
The pool knows names (the agent's keys), opaque sockets and opaque requests, and
decides; the Agent carries the decisions out. Per name a socket is *busy* (``sockets``,
serving a request), *free* (``free_sockets``, idle keep-alive) or *pending* (decided,
being created). Requests that cannot be served wait in ``requests``. Empty lists are
deleted, as Node deletes them.

Every slot counts from the decision that takes it until ``socket_closed`` (or
``creation_failed``) returns it, so these hold after every step (property-tested):
per name busy + free + pending <= ``max_sockets``; all of them together <=
``max_total_sockets``; free per name <= ``max_free_sockets``; no socket in two places;
and no request waits while it could be served: a free socket of its name is reused, or
a slot is created. As in Node, a request that only ``max_total_sockets`` stops waits
for a slot to come back, even while idle sockets of other names hold the slots (until
their idle timeout closes them).
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

__all__ = ["Assign", "Create", "Destroy", "Pool", "Pooled", "Queue", "Reuse"]


@dataclass(frozen=True, slots=True)
class Reuse:
    """Serve the request with this free socket."""

    socket: Any


@dataclass(frozen=True, slots=True)
class Create:
    """Create a socket under ``name`` for ``request``; then ``socket_created``."""

    name: str
    request: Any


@dataclass(frozen=True, slots=True)
class Queue:
    """The request waits for a socket."""


@dataclass(frozen=True, slots=True)
class Assign:
    """Hand the socket that just finished to this queued request."""

    request: Any


@dataclass(frozen=True, slots=True)
class Pooled:
    """Keep the socket as a free keep-alive socket."""


@dataclass(frozen=True, slots=True)
class Destroy:
    """Destroy the socket; then ``socket_closed``."""


def _remove(table: dict[str, list[Any]], name: str, item: Any) -> bool:
    items = table.get(name)
    if not items:
        return False
    for i, x in enumerate(items):
        if x is item:
            del items[i]
            if not items:
                del table[name]
            return True
    return False


class Pool:
    """Node's Agent bookkeeping: ``sockets``, ``free_sockets``, ``requests``."""

    def __init__(
        self,
        max_sockets: float = math.inf,
        max_free_sockets: float = 256,
        max_total_sockets: float = math.inf,
        scheduling: str = "lifo",
    ) -> None:
        self.max_sockets = max_sockets
        self.max_free_sockets = max_free_sockets
        self.max_total_sockets = max_total_sockets
        self.scheduling = scheduling
        self.sockets: dict[str, list[Hashable]] = {}
        self.free_sockets: dict[str, list[Hashable]] = {}
        self.requests: dict[str, list[Any]] = {}
        self.pending: dict[str, int] = {}

    @property
    def total_socket_count(self) -> int:
        """Node's ``agent.totalSocketCount``: every slot taken, under any name."""
        return (
            sum(map(len, self.sockets.values()))
            + sum(map(len, self.free_sockets.values()))
            + sum(self.pending.values())
        )

    def count(self, name: str) -> int:
        """Slots taken under ``name``."""
        return (
            len(self.sockets.get(name, ()))
            + len(self.free_sockets.get(name, ()))
            + self.pending.get(name, 0)
        )

    def _can_create(self, name: str) -> bool:
        return self.count(name) < self.max_sockets and (
            self.max_total_sockets == math.inf or self.total_socket_count < self.max_total_sockets
        )

    def _create(self, name: str, request: Any) -> Create:
        self.pending[name] = self.pending.get(name, 0) + 1
        return Create(name, request)

    # -- requests -----------------------------------------------------------------------
    def add_request(self, name: str, request: Any) -> Reuse | Create | Queue:
        """A request wants a socket: reuse a free one, create one, or queue it."""
        free = self.free_sockets.get(name)
        if free:
            sock = free.pop(0) if self.scheduling == "fifo" else free.pop()
            if not free:
                del self.free_sockets[name]
            self.sockets.setdefault(name, []).append(sock)
            return Reuse(sock)
        if self._can_create(name):
            return self._create(name, request)
        self.requests.setdefault(name, []).append(request)
        return Queue()

    def remove_request(self, name: str, request: Any) -> None:
        """A queued request went away (aborted)."""
        _remove(self.requests, name, request)

    # -- sockets ------------------------------------------------------------------------
    def socket_created(self, name: str, sock: Hashable) -> None:
        """The socket of a ``Create`` exists: it is busy."""
        self.pending[name] -= 1
        if not self.pending[name]:
            del self.pending[name]
        self.sockets.setdefault(name, []).append(sock)

    def creation_failed(self, name: str) -> list[Create]:
        """The socket of a ``Create`` could not be made: its slot is free again."""
        self.pending[name] -= 1
        if not self.pending[name]:
            del self.pending[name]
        return self._fill(name)

    def socket_free(self, name: str, sock: Hashable, keep_alive: bool) -> Assign | Pooled | Destroy:
        """A busy socket finished its request (Node's ``'free'`` handler)."""
        queued = self.requests.get(name)
        if queued:
            request = queued.pop(0)
            if not queued:
                del self.requests[name]
            return Assign(request)
        if not keep_alive or sock not in self.sockets.get(name, ()):
            return Destroy()
        if len(self.free_sockets.get(name, ())) >= self.max_free_sockets:
            return Destroy()
        _remove(self.sockets, name, sock)
        self.free_sockets.setdefault(name, []).append(sock)
        return Pooled()

    def socket_closed(self, name: str, sock: Hashable) -> list[Create]:
        """A socket is gone: forget it; the freed slot may serve queued requests."""
        _remove(self.sockets, name, sock) or _remove(self.free_sockets, name, sock)
        return self._fill(name)

    def _fill(self, first: str) -> list[Create]:
        actions: list[Create] = []
        for name in [first, *[n for n in self.requests if n != first]]:
            queued = self.requests.get(name)
            while queued and self._can_create(name):
                actions.append(self._create(name, queued.pop(0)))
            if name in self.requests and not self.requests[name]:
                del self.requests[name]
        return actions
