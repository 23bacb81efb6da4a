"""The option table (``_option_table``): the generated TypedDicts are up to date, the
spellings normalise, and its checks give Node's errors: compared with node itself
(differential, skipped without node), with the run time where the run time makes the
check today, and its defaults with the objects made without options."""

from __future__ import annotations

import asyncio
import json
import math
import re
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import nodehttps as https
from conftest import NODE, needs_node
from harness import Run
from nodehttps import _option_gen, _options, http
from nodehttps._option_checks import (
    Boolean,
    Check,
    Duration,
    Elsewhere,
    Function,
    Integer,
    Material,
    Number,
    OneOf,
    String,
    Types,
)
from nodehttps._option_table import BAGS, NO_DEFAULT, Bag, Described, Option
from nodehttps.errors import NodeError


def bad_values(check: Check) -> list[Any]:
    """Values each kind of check must refuse (and that Node refuses)."""
    if isinstance(check, Integer):
        extra = [2**31] if check.maximum < 2**53 - 1 else []
        return ["x", -1, 1.5, True, *extra]
    if isinstance(check, Number):
        return ["x", True] + ([0] if check.minimum == 1 else [])
    if isinstance(check, Duration):
        return ["x", -1, True, math.inf]
    if isinstance(check, Boolean):
        return [0, "x", 1.5]
    if isinstance(check, String | Function):
        return [1, True]
    if isinstance(check, OneOf):
        return ["filo", 1]
    if isinstance(check, Types):
        return [1, True, {"x": 1}]
    if isinstance(check, Material):
        objects = [[{check.objects: 1}]] if check.objects else []
        return [True, 1, [True], {"x": 1}, *objects]
    raise AssertionError(f"no samples for {check!r}")


def checked_rows() -> Iterator[tuple[Bag, Option, Any]]:
    for bag in BAGS.values():
        for option in bag.options:
            if option.check is not None and not isinstance(option.check, Elsewhere):
                for value in bad_values(option.check):
                    yield bag, option, value
            if not option.none_ok:
                yield bag, option, None


def table_error(option: Option, value: Any) -> tuple[str, str] | None:
    assert option.check is not None
    if value is None and option.none_ok:
        return None
    try:
        option.check(value, option.error_name)
    except (TypeError, ValueError) as err:
        assert isinstance(err, NodeError)
        return err.code, str(err)
    return None


# -- the generated module ------------------------------------------------------------------
def test_the_generated_typed_dicts_are_up_to_date() -> None:
    assert _option_gen.main(["--check"]) == 0, "run: python -m nodehttps._option_gen"
    assert _option_gen.TARGET.read_text(encoding="utf-8") == _option_gen.render()


def test_every_typed_dict_has_both_spellings_of_every_option() -> None:
    from nodehttps import _option_types

    for bag in BAGS.values():
        keys = getattr(_option_types, bag.name).__annotations__
        expected = {key for option in bag.options for key in option.spellings}
        assert set(keys) == expected
        assert "rejectUnauthorised" not in keys


# -- spellings -----------------------------------------------------------------------------
def test_both_spellings_of_every_option_normalise_to_its_snake_name() -> None:
    for bag in BAGS.values():
        for option in bag.options:
            assert _options.snake_name(option.node) == option.snake, option
            assert _options.snake_name(option.snake) == option.snake, option
            both = _options.normalize({option.node: 1}, {option.snake: 2})
            assert both == {option.snake: 2}  # keyword arguments win, one key


def test_normalise_keeps_unknown_keys_and_never_mutates() -> None:
    given = {"rejectUnauthorized": False, "someFutureOption": 1}
    out = _options.normalize(given, bag=BAGS["HttpsRequestOptions"])
    assert out == {"reject_unauthorized": False, "some_future_option": 1}
    assert given == {"rejectUnauthorized": False, "someFutureOption": 1}


# -- validation ----------------------------------------------------------------------------
def test_validate_checks_in_nodes_order_and_skips_none() -> None:
    bag = BAGS["HttpServerOptions"]
    _options.normalize({"requestTimeout": None, "maxHeaderSize": None}, bag=bag)
    with pytest.raises(ValueError) as info:  # requestTimeout comes before maxHeaderSize
        _options.normalize({"maxHeaderSize": -1, "requestTimeout": -2}, bag=bag)
    assert str(info.value).startswith('The value of "requestTimeout" is out of range.')
    with pytest.raises(TypeError) as info2:  # Node refuses a null timeout on a request
        _options.normalize({"timeout": None}, bag=BAGS["HttpRequestOptions"])
    assert str(info2.value) == 'The "timeout" argument must be of type number. Received None'


def test_every_check_has_bad_samples_that_it_refuses() -> None:
    seen = 0
    for _bag, option, value in checked_rows():
        assert table_error(option, value) is not None, (option.node, value)
        seen += 1
    assert seen > 60


def _js_value(value: Any) -> Any:
    if value == math.inf:
        return {"$": "Infinity"}
    return value


def _separated(match: re.Match[str]) -> str:
    """Node's ``addNumericalSeparator`` for integers beyond 2**32 (Python's ``_``)."""
    number = int(match.group(1))
    return f"Received {number:_}" if number > 2**32 else match.group(0)


_JS_RECEIVED: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"type number \((-?\d+)\)"), r"type int (\1)"),
    (re.compile(r"type number \((-?[\d.]+|Infinity)\)"), r"type float (\1)"),
    (re.compile(r"type boolean \(true\)"), "type bool (True)"),
    (re.compile(r"type boolean \(false\)"), "type bool (False)"),
    (re.compile(r"type string \("), "type str ("),
    (re.compile(r"an instance of Object$"), "an instance of dict"),
    (re.compile(r"an instance of Array$"), "an instance of list"),
    (re.compile(r"Received true$"), "Received True"),
    (re.compile(r"Received null$"), "Received None"),
    (re.compile(r"Received Infinity$"), "Received inf"),
    (re.compile(r"Received (\d{10,})$"), _separated),
]


def _as_python_message(message: str) -> str:
    """Node's message with JavaScript's type names and values as Python's (SPEC 6b)."""
    message = message.replace("Infinity)", "inf)")
    for pattern, repl in _JS_RECEIVED:
        message = pattern.sub(repl, message)
    return message


_NODE_SCRIPT = r"""
const http = require('http'), https = require('https');
const make = {
  HttpRequestOptions: o => http.request({host: '127.0.0.1', port: 9, ...o}),
  HttpsRequestOptions: o => https.request({host: '127.0.0.1', port: 9, ...o}),
  HttpAgentOptions: o => new http.Agent(o),
  HttpsAgentOptions: o => new https.Agent(o),
  HttpServerOptions: o => http.createServer(o),
  HttpsServerOptions: o => https.createServer(o),
};
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = cases.map(([bag, key, value]) => {
  if (value && value.$ === 'Infinity') value = Infinity;
  try {
    const made = make[bag]({[key]: value});
    if (made && made.destroy) { made.on('error', () => {}); made.destroy(); }
    return null;
  } catch (e) { return [e.code, e.message]; }
});
process.stdout.write(JSON.stringify(out));
process.exit(0);
"""


@needs_node
def test_the_tables_checks_give_nodes_errors() -> None:
    """Each bad sample, given to Node's own constructor, gets the error the table's check
    gives: the same code and message (with Python's type names in 'Received ...')."""
    cases = list(checked_rows())
    payload = json.dumps([[bag.name, option.node, _js_value(v)] for bag, option, v in cases])
    assert NODE is not None
    proc = subprocess.run(
        [NODE, "-e", _NODE_SCRIPT], input=payload, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    version = subprocess.run([NODE, "--version"], capture_output=True, text=True).stdout
    old = int(version.lstrip("v").split(".")[0]) < 21
    mismatches = []
    for (bag, option, value), node in zip(cases, got, strict=True):
        if old and (bag.name, option.node) in NODE_20_LACKS and node is None:
            continue
        ours = table_error(option, value)
        theirs = None if node is None else (node[0], _as_python_message(node[1]))
        if ours != theirs:
            mismatches.append((bag.name, option.node, value, ours, theirs))
    assert mismatches == []


# -- the run time --------------------------------------------------------------------------
def _runtime_factories() -> dict[str, Callable[[Any], object]]:
    """What makes each bag's object at run time; the bags are built from the table, values
    of any type on purpose (the checks are under test), so the factories take ``Any``."""

    def request(module: Any) -> Callable[[dict[str, Any]], Any]:
        def make(opts: dict[str, Any]) -> Any:
            req = module.request({"host": "127.0.0.1", "port": 9, **opts})
            req.on("error", lambda *_: None)
            req.destroy()
            return req

        return make

    return {
        "HttpRequestOptions": request(http),
        "HttpsRequestOptions": request(https),
        "HttpAgentOptions": http.Agent,
        "HttpsAgentOptions": https.Agent,
        "HttpServerOptions": http.create_server,
        "HttpsServerOptions": https.create_server,
    }


# Where the run time's check differs from Node's today (the table is Node's). Each
# entry is a defect of the module named, listed so that it is fixed there, not hidden.
KNOWN_RUNTIME_DIFFERENCES = {
    # http/_server.py validates a number, Node an integer (1.5 is refused by Node).
    ("HttpServerOptions", "keepAliveTimeout"),
    ("HttpsServerOptions", "keepAliveTimeout"),
    # http/_client.py: Node's getTimerDuration ("a non-negative finite number").
    ("HttpRequestOptions", "timeout"),
    ("HttpsRequestOptions", "timeout"),
    # A request's TLS material is checked when the agent makes the connection
    # (http/_agent.py create_socket): the error reaches 'error', Node's call throws.
    ("HttpsRequestOptions", "ca"),
    ("HttpsRequestOptions", "cert"),
    ("HttpsRequestOptions", "key"),
    ("HttpsRequestOptions", "crl"),
}
# Checks that Node v23 makes and the v20 on some machines does not.
NODE_20_LACKS = {("HttpsServerOptions", "ALPNCallback")}


def test_the_run_time_makes_the_tables_checks_where_it_says(run: Run) -> None:
    factories = _runtime_factories()

    async def main() -> list[tuple[Any, ...]]:
        mismatches = []
        for bag, option, value in checked_rows():
            if not option.runtime or (bag.name, option.node) in KNOWN_RUNTIME_DIFFERENCES:
                continue
            try:
                factories[bag.name]({option.snake: value})
                ours = None
            except (TypeError, ValueError) as err:
                ours = (getattr(err, "code", None), str(err))
            if ours != table_error(option, value):
                mismatches.append((bag.name, option.node, value, ours))
        await asyncio.sleep(0)  # kept: a loop turn for the destroyed requests' callbacks
        return mismatches

    assert run(main()) == []


def test_the_known_runtime_differences_are_still_there(run: Run) -> None:
    """When one is fixed, drop it from KNOWN_RUNTIME_DIFFERENCES."""
    factories = _runtime_factories()

    async def main() -> set[tuple[str, str]]:
        still = set()
        for bag, option, value in checked_rows():
            if (bag.name, option.node) not in KNOWN_RUNTIME_DIFFERENCES:
                continue
            try:
                factories[bag.name]({option.snake: value})
                ours = None
            except (TypeError, ValueError) as err:
                ours = (getattr(err, "code", None), str(err))
            if ours != table_error(option, value):
                still.add((bag.name, option.node))
        return still

    assert run(main()) == KNOWN_RUNTIME_DIFFERENCES


def test_the_defaults_in_the_table_are_the_run_times(run: Run) -> None:
    factories = _runtime_factories()

    async def main() -> list[tuple[str, str, Any, Any]]:
        wrong = []
        for bag in BAGS.values():
            if "Request" in bag.name:
                continue
            made = factories[bag.name]({})
            for option in bag.options:
                if option.attr is None or isinstance(option.default, Described):
                    continue
                assert option.default is not NO_DEFAULT, option
                actual = getattr(made, option.attr)
                if actual != option.default:
                    wrong.append((bag.name, option.node, option.default, actual))
        return wrong

    assert run(main()) == []
