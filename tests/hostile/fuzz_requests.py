"""Hypothesis strategies for the fuzz tests: valid HTTP/1.1 requests and pipelines (with
what a handler must see of each), and byte mutations of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

__all__ = ["Request", "answer_length", "mutated", "pipelines", "split_points"]

_TOKEN = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PATH = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%!$&'()*+,;=:@/"
_VALUE = "".join(chr(c) for c in range(0x20, 0x7F))
#: Headers the generator leaves to itself (framing, connection state, Host).
_RESERVED = {
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "expect",
    "upgrade",
    "keep-alive",
    "te",
    "trailer",
}
_BODY_METHODS = ("POST", "PUT", "PATCH")
_EMPTY_METHODS = ("GET", "DELETE", "OPTIONS", "HEAD")


@dataclass
class Request:
    """One request: its bytes and the handler view it must produce."""

    method: str
    url: str
    raw_headers: list[str]
    body: bytes = b""
    raw_trailers: list[str] = field(default_factory=list)
    data: bytes = b""

    def view(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "url": self.url,
            "httpVersion": "1.1",
            "rawHeaders": self.raw_headers,
            "body": self.body.decode("latin-1"),
            "rawTrailers": self.raw_trailers,
            "complete": True,
        }


def _value() -> st.SearchStrategy[str]:
    # No whitespace at either end: Node trims it (a known difference of its own).
    inner = st.text(_VALUE, max_size=30)
    return inner.map(lambda v: v.strip(" \t"))


def _fields(reserved: set[str], max_size: int) -> st.SearchStrategy[list[tuple[str, str]]]:
    name = st.text(_TOKEN, min_size=1, max_size=12).filter(lambda n: n.lower() not in reserved)
    return st.lists(st.tuples(name, _value()), max_size=max_size)


@st.composite
def _request(draw: st.DrawFn) -> Request:
    method = draw(st.sampled_from(_BODY_METHODS + _EMPTY_METHODS))
    path = "/" + draw(st.text(_PATH, max_size=40))
    if draw(st.booleans()):
        path += "?" + draw(st.text(_PATH + "?", max_size=30))
    fields = [("Host", "x"), *draw(_fields(_RESERVED, 5))]
    body = b""
    trailers: list[tuple[str, str]] = []
    framed = b""
    if method in _BODY_METHODS:
        body = draw(st.binary(max_size=200))
        if draw(st.booleans()):
            fields.append(("Content-Length", str(len(body))))
            framed = body
        else:
            fields.append(("Transfer-Encoding", "chunked"))
            cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=4)))
            pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
            framed = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces if p)
            trailers = draw(_fields(_RESERVED, 2))
            framed += b"0\r\n" + b"".join(f"{k}: {v}\r\n".encode() for k, v in trailers) + b"\r\n"
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields) + "\r\n"
    flat = [x for kv in fields for x in kv]
    return Request(
        method, path, flat, body, [x for kv in trailers for x in kv], head.encode() + framed
    )


def pipelines(max_size: int = 4) -> st.SearchStrategy[list[Request]]:
    """One to ``max_size`` valid requests sent back to back on one connection."""
    return st.lists(_request(), min_size=1, max_size=max_size)


#: Node's answer to one request from the recording handler: 200, "ok" (to HEAD: no
#: Content-Length, no body).
_ANSWER = (
    "HTTP/1.1 200 OK\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nConnection: keep-alive\r\n"
    "Keep-Alive: timeout=5\r\n"
)
_OK = "Content-Length: 2\r\n\r\nok"


def answer_length(requests: list[Request]) -> int:
    """How many bytes the recording handler's answers to ``requests`` take."""
    return sum(len(_ANSWER) + (2 if r.method == "HEAD" else len(_OK)) for r in requests)


def split_points(size: int) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(1, max(1, size - 1)), max_size=8).map(sorted)


_INTERESTING = [b"\x00", b"\r", b"\n", b" ", b":", b"\t", b"\x7f", b"\xff", b";", b"0", b"a"]
_INTERESTING += [b"-", b"+", b",", b"\r\n", b"\r\n\r\n", b"9" * 12, b"chunked", b"\x80"]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid pipeline with 1 to 6 random byte edits (replace, insert, delete, repeat,
    truncate)."""
    data = b"".join(r.data for r in draw(pipelines(2)))
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        op = draw(st.sampled_from(("replace", "insert", "delete", "repeat", "truncate")))
        at = draw(st.integers(0, len(data) - 1))
        blob = draw(st.sampled_from(_INTERESTING) | st.binary(min_size=1, max_size=3))
        if op == "replace":
            data = data[:at] + blob + data[at + 1 :]
        elif op == "insert":
            data = data[:at] + blob + data[at:]
        elif op == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 8)) :]
        elif op == "repeat":
            end = min(len(data), at + draw(st.integers(1, 40)))
            data = data[:end] + data[at:end] * draw(st.integers(1, 3)) + data[end:]
        else:
            data = data[:at]
    return data
