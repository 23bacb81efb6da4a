"""nodehttps.events: Node's EventEmitter semantics, and a differential check against node.

The differential part runs small operation scripts (``on``, ``once``, ``prepend``,
``off``, ``emit``...) through our EventEmitter and through Node's in one ``node -e``
process, each listener logging its name and arguments, and compares the logs.
"""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
import warnings
from collections.abc import Callable
from typing import Any

import pytest

from conftest import NODE, needs_node
from harness import Run
from nodehttps import errors, events
from nodehttps.events import EventEmitter, MaxListenersExceededWarning, error_monitor


def recorder(log: list[object], name: str) -> Callable[..., None]:
    def listener(*args: object) -> None:
        log.append((name, *args))

    return listener


# -- order, duplicates, once, prepend -------------------------------------------------
def test_order_duplicates_and_return_value() -> None:
    e = EventEmitter()
    log: list[object] = []
    a, b = recorder(log, "a"), recorder(log, "b")
    assert e.on("x", a) is e
    e.on("x", b).on("x", a)
    assert e.emit("x", 1, 2) is True
    assert log == [("a", 1, 2), ("b", 1, 2), ("a", 1, 2)]
    assert e.emit("nobody") is False
    assert e.listener_count("x") == 3
    assert e.listener_count("x", a) == 2
    assert e.event_names() == ["x"]


def test_once_and_prepend() -> None:
    e = EventEmitter()
    log: list[object] = []
    a, b, c, d = (recorder(log, n) for n in "abcd")
    e.on("x", a)
    e.once("x", b)
    e.prepend_listener("x", c)
    e.prepend_once_listener("x", d)
    e.emit("x", 1)
    e.emit("x", 2)
    assert log == [("d", 1), ("c", 1), ("a", 1), ("b", 1), ("c", 2), ("a", 2)]
    assert e.listeners("x") == [c, a]


def test_once_listener_emitting_recursively_runs_once() -> None:
    e = EventEmitter()
    calls: list[int] = []

    def again(n: int) -> None:
        calls.append(n)
        e.emit("x", n + 1)

    e.once("x", again)
    e.emit("x", 0)
    assert calls == [0]


def test_off_removes_most_recently_added_duplicate() -> None:
    e = EventEmitter()
    log: list[object] = []
    a, b = recorder(log, "a"), recorder(log, "b")
    e.on("x", a)
    e.on("x", b)
    e.once("x", a)  # the most recent ``a`` is the once wrapper
    e.off("x", a)
    assert e.raw_listeners("x") == [a, b]
    e.on("x", a)
    e.remove_listener("x", a)
    assert e.listeners("x") == [a, b]
    e.off("x", recorder(log, "other"))  # not registered: no-op
    e.off("none", a)
    assert e.listeners("x") == [a, b]


def test_bound_methods_can_be_removed() -> None:
    class Obj:
        def __init__(self) -> None:
            self.n = 0

        def hit(self) -> None:
            self.n += 1

    o = Obj()
    e = EventEmitter()
    e.on("x", o.hit)
    e.off("x", o.hit)
    e.emit("x")
    assert o.n == 0 and e.listener_count("x") == 0


def test_listener_count_of_bound_method() -> None:
    class Obj:
        def hit(self) -> None:
            pass

    o = Obj()
    e = EventEmitter()
    e.on("x", o.hit)
    e.once("x", o.hit)
    assert e.listener_count("x", o.hit) == 2


def test_removal_during_emit_does_not_affect_current_emit() -> None:
    e = EventEmitter()
    log: list[object] = []
    b = recorder(log, "b")
    late = recorder(log, "late")

    def a(*_: object) -> None:
        log.append(("a",))
        e.off("x", b)
        e.on("x", late)

    e.on("x", a)
    e.on("x", b)
    e.emit("x")
    assert log == [("a",), ("b",)]
    log.clear()
    e.emit("x")
    assert log == [("a",), ("late",)]


def test_listeners_vs_raw_listeners() -> None:
    e = EventEmitter()
    log: list[object] = []
    a, b = recorder(log, "a"), recorder(log, "b")
    e.on("x", a)
    e.once("x", b)
    assert e.listeners("x") == [a, b]
    raw = e.raw_listeners("x")
    assert raw[0] is a and raw[1] is not b
    assert getattr(raw[1], "listener", None) is b
    e.listeners("x").clear()  # a copy
    assert e.listener_count("x") == 2
    raw[1]("direct")  # calling the wrapper runs the listener and removes it, as Node
    assert log == [("b", "direct")]
    assert e.listeners("x") == [a]
    assert e.listener_count("x", b) == 0


def test_listener_count_counts_once_wrappers() -> None:
    e = EventEmitter()
    log: list[object] = []
    a = recorder(log, "a")
    e.on("x", a)
    e.once("x", a)
    assert e.listener_count("x", a) == 2
    assert e.listener_count("x") == 2
    assert e.listener_count("y") == 0
    assert e.listener_count("x", recorder(log, "z")) == 0


# -- newListener / removeListener -------------------------------------------------
def test_new_listener_fires_before_adding_with_unwrapped_listener() -> None:
    e = EventEmitter()
    seen: list[object] = []
    log: list[object] = []
    a = recorder(log, "a")

    def on_new(event: str, listener: Callable[..., object]) -> None:
        seen.append((event, listener, e.listener_count(event)))

    e.on("newListener", on_new)
    e.once("x", a)
    e.on("x", a)
    e.prepend_listener("y", a)
    assert seen == [("x", a, 0), ("x", a, 1), ("y", a, 0)]


def test_new_listener_can_prepend_in_front_of_the_one_being_added() -> None:
    # Node's documented example: a listener added from 'newListener' runs first.
    e = EventEmitter()
    log: list[str] = []

    def on_new(event: str, _listener: Callable[..., object]) -> None:
        if event == "event":
            e.on("event", lambda: log.append("B"))

    e.once("newListener", on_new)
    e.on("event", lambda: log.append("A"))
    e.emit("event")
    assert log == ["B", "A"]


def test_remove_listener_event_after_removal() -> None:
    e = EventEmitter()
    seen: list[object] = []
    log: list[object] = []
    a, b = recorder(log, "a"), recorder(log, "b")
    e.on("removeListener", lambda ev, fn: seen.append((ev, fn, e.listener_count(ev))))
    e.on("x", a)
    e.once("x", b)
    e.off("x", a)
    e.emit("x", 1)  # the once listener removes itself before running
    assert seen == [("x", a, 1), ("x", b, 0)]
    assert log == [("b", 1)]


def test_remove_all_listeners() -> None:
    e = EventEmitter()
    log: list[object] = []
    a, b = recorder(log, "a"), recorder(log, "b")
    e.on("x", a).on("x", b).on("y", a)
    assert e.remove_all_listeners("x") is e
    assert e.event_names() == ["y"]
    e.on("x", a)
    e.remove_all_listeners()
    assert e.event_names() == []
    assert e.emit("x") is False


def test_remove_all_listeners_emits_remove_listener_lifo() -> None:
    e = EventEmitter()
    seen: list[object] = []
    log: list[object] = []
    a, b = recorder(log, "a"), recorder(log, "b")
    e.on("removeListener", lambda ev, fn: seen.append((ev, fn)))
    e.on("x", a).on("x", b).on("y", b)
    e.remove_all_listeners("x")
    assert seen == [("x", b), ("x", a)]
    seen.clear()
    e.remove_all_listeners()
    assert seen == [("y", b)]
    assert e.event_names() == []


# -- the 'error' rule --------------------------------------------------------------
def test_error_without_listener_raises_the_error_object() -> None:
    e = EventEmitter()
    err: BaseException = errors.make("ECONNRESET", "read ECONNRESET")
    with pytest.raises(ConnectionResetError) as info:
        e.emit("error", err)
    assert info.value is err


@pytest.mark.parametrize("value", ["boom", None, 42])
def test_error_non_exception_is_unhandled_error(value: object) -> None:
    e = EventEmitter()
    with pytest.raises(errors.ERR_UNHANDLED_ERROR) as info:
        e.emit("error", value)
    assert info.value.code == "ERR_UNHANDLED_ERROR"
    with pytest.raises(errors.ERR_UNHANDLED_ERROR):
        e.emit("error")


def test_unhandled_error_message_as_node() -> None:
    with pytest.raises(errors.ERR_UNHANDLED_ERROR) as info:
        EventEmitter().emit("error", "boom")
    assert str(info.value) == "Unhandled error. ('boom')"


def test_error_with_listener_does_not_raise() -> None:
    e = EventEmitter()
    got: list[object] = []
    e.on("error", got.append)
    err = ValueError("x")
    assert e.emit("error", err) is True
    assert got == [err]


def test_error_monitor_sees_error_first_and_does_not_handle_it() -> None:
    e = EventEmitter()
    order: list[str] = []
    err = RuntimeError("x")
    e.on(error_monitor, lambda x: order.append("monitor"))
    with pytest.raises(RuntimeError) as info:
        e.emit("error", err)
    assert info.value is err and order == ["monitor"]
    e.on("error", lambda x: order.append("handler"))
    order.clear()
    e.emit("error", err)
    assert order == ["monitor", "handler"]


def test_on_rejects_non_callable() -> None:
    e = EventEmitter()
    for method in (e.on, e.once, e.prepend_listener, e.prepend_once_listener):
        with pytest.raises(TypeError) as info:
            method("x", 5)  # type: ignore[arg-type]  # not callable, on purpose
        assert getattr(info.value, "code", None) == "ERR_INVALID_ARG_TYPE"
    assert e.event_names() == []


# -- max listeners --------------------------------------------------------------------
def test_max_listeners_warning_once_per_event() -> None:
    e = EventEmitter()
    assert e.get_max_listeners() == 10
    noop = recorder([], "n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(10):
            e.on("x", noop)
        assert caught == []
        e.on("x", noop)
        e.on("x", noop)
        for _ in range(11):
            e.on("y", noop)
    leaks = [w for w in caught if issubclass(w.category, MaxListenersExceededWarning)]
    assert len(leaks) == 2
    assert "11 x listeners" in str(leaks[0].message)
    assert "11 y listeners" in str(leaks[1].message)


@pytest.mark.parametrize("limit", [0, math.inf, 20])
def test_max_listeners_raised_or_unlimited(limit: float) -> None:
    e = EventEmitter()
    assert e.set_max_listeners(limit) is e
    assert e.get_max_listeners() == limit
    noop = recorder([], "n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(20):
            e.on("x", noop)
    assert caught == []


@pytest.mark.parametrize(
    ("value", "code", "exc"),
    [
        ("a", "ERR_INVALID_ARG_TYPE", TypeError),
        (True, "ERR_INVALID_ARG_TYPE", TypeError),
        (None, "ERR_INVALID_ARG_TYPE", TypeError),
        (-1, "ERR_OUT_OF_RANGE", ValueError),
        (math.nan, "ERR_OUT_OF_RANGE", ValueError),
    ],
)
def test_set_max_listeners_validation(value: object, code: str, exc: type[Exception]) -> None:
    e = EventEmitter()
    with pytest.raises(exc) as info:
        e.set_max_listeners(value)
    assert getattr(info.value, "code", None) == code
    assert e.get_max_listeners() == 10


def test_subclass_without_init_call() -> None:
    class Thing(EventEmitter):
        def __init__(self) -> None:  # does not call super().__init__()
            self.n = 0

    t = Thing()
    assert t.emit("x") is False
    t.on("x", lambda: None)
    assert t.emit("x") is True


# -- events.once() ----------------------------------------------------------------------
def test_events_once_resolves_to_args_list(run: Run) -> None:
    async def main() -> None:
        e = EventEmitter()
        asyncio.get_running_loop().call_soon(e.emit, "x", 1, "two")
        assert await events.once(e, "x") == [1, "two"]
        assert e.listener_count("x") == 0 and e.listener_count("error") == 0
        asyncio.get_running_loop().call_soon(e.emit, "y")
        assert await events.once(e, "y") == []

    run(main())


def test_events_once_listens_from_the_call(run: Run) -> None:
    """As Node's promise: an event emitted before the await still resolves it."""

    async def main() -> None:
        e = EventEmitter()
        pending = events.once(e, "x")
        assert e.listener_count("x") == 1
        e.emit("x", 42)
        assert e.listener_count("x") == 0 and e.listener_count("error") == 0
        assert await pending == [42]

    run(main())


def test_events_once_made_outside_a_loop_is_a_coroutine(run: Run) -> None:
    e = EventEmitter()
    early = events.once(e, "x")  # no loop yet: it already listens
    e.emit("x", 1)
    failing = events.once(e, "y")
    e.emit("error", "not an exception")

    async def main() -> None:
        assert await asyncio.create_task(early) == [1]
        with pytest.raises(errors.NodeError) as info:
            await failing
        assert info.value.code == "ERR_UNHANDLED_ERROR"

    run(main())


def test_events_once_raises_on_error(run: Run) -> None:
    async def main() -> None:
        e = EventEmitter()
        err: BaseException = errors.make("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:1")
        asyncio.get_running_loop().call_soon(e.emit, "error", err)
        with pytest.raises(ConnectionRefusedError) as info:
            await events.once(e, "x")
        assert info.value is err
        assert e.listener_count("x") == 0 and e.listener_count("error") == 0

    run(main())


def test_events_once_for_error_resolves(run: Run) -> None:
    async def main() -> None:
        e = EventEmitter()
        err = ValueError("v")
        asyncio.get_running_loop().call_soon(e.emit, "error", err)
        assert await events.once(e, "error") == [err]

    run(main())


def test_events_once_cancelled_removes_listeners(run: Run) -> None:
    async def main() -> None:
        e = EventEmitter()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(events.once(e, "x"), 0.01)
        assert e.listener_count("x") == 0 and e.listener_count("error") == 0

    run(main())


# -- differential against node -------------------------------------------------------
# Each scenario is a list of [op, event, arg]. Listener names: plain names log their
# arguments; "rm:EV:NAME" also removes NAME from EV when called; "add:EV:NAME" adds it.
SCENARIOS: list[list[list[Any]]] = [
    [
        ["on", "x", "a"],
        ["on", "x", "b"],
        ["on", "x", "a"],
        ["prepend", "x", "c"],
        ["once", "x", "d"],
        ["prepend_once", "x", "e"],
        ["emit", "x", 1],
        ["emit", "x", 2],
        ["listeners", "x", None],
        ["count", "x", "a"],
        ["count", "x", None],
    ],
    [
        ["on", "x", "a"],
        ["once", "x", "a"],
        ["on", "x", "b"],
        ["off", "x", "a"],
        ["emit", "x", 1],
        ["off", "x", "a"],
        ["emit", "x", 2],
        ["listeners", "x", None],
    ],
    [
        ["on", "x", "rm:x:b"],
        ["on", "x", "b"],
        ["on", "x", "add:x:c"],
        ["emit", "x", 1],
        ["emit", "x", 2],
        ["listeners", "x", None],
    ],
    [
        ["on", "newListener", "nl"],
        ["on", "removeListener", "rl"],
        ["once", "x", "a"],
        ["prepend", "x", "b"],
        ["emit", "x", 1],
        ["off", "x", "b"],
        ["on", "y", "c"],
        ["remove_all", "y", None],
        ["emit", "x", 2],
    ],
    [
        ["on", "removeListener", "rl"],
        ["on", "x", "a"],
        ["on", "x", "b"],
        ["on", "y", "c"],
        ["once", "y", "d"],
        ["remove_all", None, None],
        ["emit", "x", 1],
        ["names", None, None],
    ],
    [
        ["on", "removeListener", "rl"],
        ["on", "removeListener", "rl2"],
        ["on", "x", "a"],
        ["remove_all", None, None],
        ["names", None, None],
    ],
    [
        ["on", "error", "h"],
        ["on", "events.errorMonitor", "m"],
        ["emit", "error", "boom"],
        ["off", "error", "h"],
        ["emit", "error", "boom"],
        ["emit", "x", 1],
    ],
    [
        ["once", "x", "rm:x:a"],
        ["on", "x", "a"],
        ["once", "x", "b"],
        ["emit", "x", 1],
        ["emit", "x", 2],
        ["raw_count", "x", None],
    ],
]

NODE_RUNNER = r"""
const E = require('events');
const out = [];
for (const ops of JSON.parse(process.argv[1])) {
  const e = new E(); const log = []; const fns = {};
  const show = v => typeof v === 'function' ? (v._n || (v.listener && v.listener._n) || '?') : v;
  const fn = n => fns[n] || (fns[n] = Object.assign(function (...a) {
    log.push([n, ...a.map(show)]);
    const p = n.split(':');
    if (p[0] === 'rm') e.removeListener(p[1], fn(p[2]));
    if (p[0] === 'add') e.on(p[1], fn(p[2]));
  }, {_n: n}));
  const ev = x => x === 'events.errorMonitor' ? E.errorMonitor : x;
  for (const [op, name, x] of ops) {
    if (op === 'on') e.on(ev(name), fn(x));
    else if (op === 'once') e.once(name, fn(x));
    else if (op === 'prepend') e.prependListener(name, fn(x));
    else if (op === 'prepend_once') e.prependOnceListener(name, fn(x));
    else if (op === 'off') e.off(name, fn(x));
    else if (op === 'emit') {
      try { log.push(['emit', e.emit(name, x)]); } catch (err) { log.push(['throw', err.code]); }
    }
    else if (op === 'listeners') log.push(['listeners', e.listeners(name).map(show)]);
    else if (op === 'raw_count') log.push(['raw', e.rawListeners(name).length]);
    else if (op === 'count') log.push(['count', x === null ? e.listenerCount(name)
                                                         : e.listenerCount(name, fn(x))]);
    else if (op === 'remove_all') { if (name === null) e.removeAllListeners(); else e.removeAllListeners(name); }
    else if (op === 'names') log.push(['names', e.eventNames().map(String)]);
  }
  out.push(log);
}
console.log(JSON.stringify(out));
"""


def run_scenario_py(ops: list[list[Any]]) -> list[object]:
    e = EventEmitter()
    log: list[object] = []
    fns: dict[str, Callable[..., None]] = {}
    names: dict[object, str] = {}  # listener -> its name in the scenario

    def show(v: object) -> object:
        if callable(v):
            return names.get(v) or names.get(getattr(v, "listener", None), "?")
        return v

    def fn(n: str) -> Callable[..., None]:
        if n not in fns:

            def listener(*args: object) -> None:
                log.append([n, *map(show, args)])
                p = n.split(":")
                if p[0] == "rm":
                    e.remove_listener(p[1], fn(p[2]))
                if p[0] == "add":
                    e.on(p[1], fn(p[2]))

            names[listener] = n
            fns[n] = listener
        return fns[n]

    for op, name, x in ops:
        if op == "on":
            e.on(error_monitor if name == "events.errorMonitor" else name, fn(x))
        elif op == "once":
            e.once(name, fn(x))
        elif op == "prepend":
            e.prepend_listener(name, fn(x))
        elif op == "prepend_once":
            e.prepend_once_listener(name, fn(x))
        elif op == "off":
            e.off(name, fn(x))
        elif op == "emit":
            try:
                log.append(["emit", e.emit(name, x)])
            except errors.NodeError as err:
                log.append(["throw", err.code])
        elif op == "listeners":
            log.append(["listeners", [show(f) for f in e.listeners(name)]])
        elif op == "raw_count":
            log.append(["raw", len(e.raw_listeners(name))])
        elif op == "count":
            log.append(
                ["count", e.listener_count(name) if x is None else e.listener_count(name, fn(x))]
            )
        elif op == "remove_all":
            e.remove_all_listeners(name)
        elif op == "names":
            log.append(["names", e.event_names()])
    return log


@pytest.fixture(scope="module")
def node_logs() -> list[Any]:
    assert NODE is not None
    out = subprocess.run(
        [NODE, "-e", NODE_RUNNER, json.dumps(SCENARIOS)],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    )
    result: list[Any] = json.loads(out.stdout)
    return result


# Node's removeAllListeners() removes the 'removeListener' listeners one by one (LIFO),
# so all but the last are told of the removals; events.py pops them silently.
@needs_node
@pytest.mark.parametrize("index", range(len(SCENARIOS)))
def test_same_event_order_as_node(index: int, node_logs: list[Any]) -> None:
    ours = json.loads(json.dumps(run_scenario_py(SCENARIOS[index])))
    assert ours == node_logs[index]
