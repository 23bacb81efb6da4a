"""The Agent's pool decisions: Node's scenarios, and invariants over generated sequences."""

from __future__ import annotations

import math
from collections.abc import Hashable

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from nodehttps._proto.pool import Assign, Create, Destroy, Pool, Pooled, Queue, Reuse


class Sock:
    """An opaque socket handle."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __repr__(self) -> str:
        return f"S{self.n}"


def _as_sock(handle: Hashable) -> Sock:
    r"""The pool holds handles as ``Hashable``; these tests only give it ``Sock``\ s."""
    assert isinstance(handle, Sock)
    return handle


def _make(pool: Pool, name: str, req: str, counter: list[int]) -> Sock:
    decision = pool.add_request(name, req)
    assert isinstance(decision, Create)
    counter[0] += 1
    sock = Sock(counter[0])
    pool.socket_created(name, sock)
    return sock


def test_keep_alive_reuse_lifo_and_fifo() -> None:
    for scheduling, expect in (("lifo", 1), ("fifo", 0)):
        pool = Pool(scheduling=scheduling)
        counter = [0]
        socks = [_make(pool, "a", f"r{i}", counter) for i in range(2)]
        for sock in socks:
            assert pool.socket_free("a", sock, keep_alive=True) == Pooled()
        assert pool.free_sockets == {"a": socks}
        assert pool.sockets == {}
        decision = pool.add_request("a", "r3")
        assert decision == Reuse(socks[expect])
        assert pool.sockets == {"a": [socks[expect]]}


def test_max_sockets_queues_and_hands_over() -> None:
    pool = Pool(max_sockets=2, max_free_sockets=2)
    counter = [0]
    s1 = _make(pool, "a", "r1", counter)
    _make(pool, "a", "r2", counter)
    assert pool.add_request("a", "r3") == Queue()
    assert pool.requests == {"a": ["r3"]}
    assert pool.socket_free("a", s1, keep_alive=True) == Assign("r3")
    assert pool.requests == {}
    assert pool.sockets["a"][0] is s1


def test_not_keep_alive_destroys_and_closed_socket_serves_the_queue() -> None:
    pool = Pool(max_sockets=1)
    counter = [0]
    s1 = _make(pool, "a", "r1", counter)
    assert pool.add_request("a", "r2") == Queue()
    pool.remove_request("a", "r2")
    assert pool.requests == {}
    assert pool.add_request("a", "r3") == Queue()
    assert pool.socket_closed("a", s1) == [Create("a", "r3")]
    assert pool.total_socket_count == 1  # the slot is reserved for r3's socket


def test_max_free_sockets() -> None:
    pool = Pool(max_free_sockets=1)
    counter = [0]
    s1 = _make(pool, "a", "r1", counter)
    s2 = _make(pool, "a", "r2", counter)
    assert pool.socket_free("a", s1, True) == Pooled()
    assert pool.socket_free("a", s2, True) == Destroy()


def test_max_total_sockets_across_origins_waits_for_a_slot_as_node() -> None:
    pool = Pool(max_total_sockets=1)
    counter = [0]
    s1 = _make(pool, "a", "r1", counter)
    assert pool.socket_free("a", s1, True) == Pooled()
    assert pool.add_request("b", "r2") == Queue()  # s1 idles in the pool, as in Node
    assert pool.socket_closed("a", s1) == [Create("b", "r2")]  # its idle timeout ended it


def test_max_total_sockets_with_max_sockets_opens_no_more_than_node() -> None:
    """Node v20 measured: maxTotalSockets 3, maxSockets 2, four requests to each of two
    origins: three sockets in all; origin b's requests take turns on its one socket."""
    pool = Pool(max_sockets=2, max_total_sockets=3)
    counter = [0]
    created = [_make(pool, "a", "a1", counter), _make(pool, "a", "a2", counter)]
    created.append(_make(pool, "b", "b1", counter))
    assert [pool.add_request(n, r) for n, r in [("a", "a3"), ("b", "b2")]] == [Queue(), Queue()]
    assert pool.socket_free("a", created[0], True) == Assign("a3")
    assert pool.socket_free("a", created[0], True) == Pooled()
    assert pool.socket_free("a", created[1], True) == Pooled()
    assert pool.socket_free("b", created[2], True) == Assign("b2")
    assert pool.total_socket_count == 3 and counter == [3]


def test_creation_failure_frees_the_slot() -> None:
    pool = Pool(max_sockets=1)
    assert pool.add_request("a", "r1") == Create("a", "r1")
    assert pool.add_request("a", "r2") == Queue()
    assert pool.creation_failed("a") == [Create("a", "r2")]


class PoolMachine(RuleBasedStateMachine):
    """Random operations; Node's guarantees must hold after each."""

    def __init__(self) -> None:
        super().__init__()
        self.pool: Pool | None = None
        self.counter = 0
        self.req_counter = 0
        self.pending: list[tuple[str, str]] = []  # Create decisions not yet carried out
        self.closing: list[tuple[str, Sock]] = []  # destroyed, 'close' not yet seen
        self.served: dict[str, int] = {}
        self.queued: set[str] = set()

    @rule(
        max_sockets=st.sampled_from([1, 2, 3, math.inf]),
        max_free=st.sampled_from([0, 1, 2, 256]),
        max_total=st.sampled_from([1, 2, 4, math.inf]),
        scheduling=st.sampled_from(["lifo", "fifo"]),
    )
    @precondition(lambda self: self.pool is None)
    def setup(self, max_sockets: float, max_free: int, max_total: float, scheduling: str) -> None:
        self.pool = Pool(max_sockets, max_free, max_total, scheduling)

    def _serve(self, req: str) -> None:
        self.served[req] = self.served.get(req, 0) + 1
        self.queued.discard(req)

    def _carry(self, actions: list[Create]) -> None:
        for action in actions:
            self.pending.append((action.name, action.request))

    @rule(name=st.sampled_from(["a", "b", "c"]))
    @precondition(lambda self: self.pool is not None)
    def add_request(self, name: str) -> None:
        assert self.pool is not None
        self.req_counter += 1
        req = f"q{self.req_counter}"
        decision = self.pool.add_request(name, req)
        if isinstance(decision, Reuse):
            self._serve(req)
        elif isinstance(decision, Create):
            self.pending.append((name, req))
        else:
            self.queued.add(req)

    @rule(data=st.data())
    @precondition(lambda self: self.pending)
    def create_socket(self, data: st.DataObject) -> None:
        assert self.pool is not None
        name, req = self.pending.pop(data.draw(st.integers(0, len(self.pending) - 1)))
        if data.draw(st.booleans()):
            self.counter += 1
            self.pool.socket_created(name, Sock(self.counter))
            self._serve(req)
        else:
            self.queued.discard(req)
            self.served[req] = self.served.get(req, 0) + 1  # it got its error
            self._carry(self.pool.creation_failed(name))

    def _busy(self) -> list[tuple[str, Sock]]:
        assert self.pool is not None
        return [(n, _as_sock(s)) for n, socks in self.pool.sockets.items() for s in socks]

    @rule(data=st.data(), keep=st.booleans())
    @precondition(lambda self: self.pool is not None and self.pool.sockets)
    def socket_free(self, data: st.DataObject, keep: bool) -> None:
        assert self.pool is not None
        name, sock = data.draw(st.sampled_from(self._busy()))
        outcome = self.pool.socket_free(name, sock, keep)
        if isinstance(outcome, Assign):
            self._serve(outcome.request)
        elif isinstance(outcome, Destroy):
            self.closing.append((name, sock))

    @rule(data=st.data())
    @precondition(
        lambda self: (
            self.pool is not None and (self.closing or self.pool.sockets or self.pool.free_sockets)
        )
    )
    def socket_closed(self, data: st.DataObject) -> None:
        assert self.pool is not None
        candidates = (
            self.closing
            + self._busy()
            + [(n, _as_sock(s)) for n, socks in self.pool.free_sockets.items() for s in socks]
        )
        name, sock = data.draw(st.sampled_from(candidates))
        if (name, sock) in self.closing:
            self.closing.remove((name, sock))
        self._carry(self.pool.socket_closed(name, sock))

    @invariant()
    def limits_hold(self) -> None:
        pool = self.pool
        if pool is None:
            return
        for name in {*pool.sockets, *pool.free_sockets, *pool.requests, *pool.pending}:
            assert pool.count(name) <= pool.max_sockets
            assert len(pool.free_sockets.get(name, ())) <= pool.max_free_sockets
        assert pool.total_socket_count <= pool.max_total_sockets
        assert not any(
            v == []
            for v in (*pool.sockets.values(), *pool.free_sockets.values(), *pool.requests.values())
        )

    @invariant()
    def no_socket_twice(self) -> None:
        pool = self.pool
        if pool is None:
            return
        seen = [
            id(s) for socks in (*pool.sockets.values(), *pool.free_sockets.values()) for s in socks
        ]
        assert len(seen) == len(set(seen))

    @invariant()
    def served_once_and_nobody_starves(self) -> None:
        pool = self.pool
        if pool is None:
            return
        assert all(count == 1 for count in self.served.values())
        for name, reqs in pool.requests.items():
            if not reqs:
                continue
            assert not pool.free_sockets.get(name), "a request waits beside a free socket"
            can_create = (
                pool.count(name) < pool.max_sockets
                and pool.total_socket_count < pool.max_total_sockets
            )
            assert not can_create, "a request waits although a socket could be created"


TestPoolMachine = PoolMachine.TestCase
TestPoolMachine.settings = settings(max_examples=200, stateful_step_count=40, deadline=None)
