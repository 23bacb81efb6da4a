"""The head of an outgoing HTTP/1 message, as Node's ``OutgoingMessage._storeHeader``.

:func:`build_head` renders a request or response head from the user's headers and
decides, in the same pass and nowhere else, how the message is framed and whether the
connection lives on after it: the user's headers in the order given, then ``Date``,
``Connection`` (and Node's ``Keep-Alive`` hint), then ``Content-Length`` when the whole
body is known or ``Transfer-Encoding: chunked``. The result is a :class:`HeadPlan`
that the message and its connection read; they do not recompute it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .headers import CHUNKED, CONNECTION_CLOSE, date_header_line

__all__ = ["LAST_CHUNK", "HeadPlan", "MessageShape", "build_head", "chunk_frame"]

LAST_CHUNK = b"0\r\n"


def chunk_frame(data: bytes) -> bytes:
    """One chunk of chunked transfer coding: size in hex, CRLF, data, CRLF."""
    return b"%x\r\n%b\r\n" % (len(data), data)


class MessageShape:
    """What :func:`build_head` needs to know about the message besides its headers."""

    __slots__ = (
        "chunked_by_default",
        "content_length",
        "has_agent",
        "has_body",
        "has_trailer",
        "keep_alive",
        "removed",
        "send_date",
    )

    def __init__(self) -> None:
        self.send_date = False  # add Date (responses)
        self.has_body = True  # False for HEAD responses, 204, 304, 1xx
        self.chunked_by_default = True  # Node's useChunkedEncodingByDefault
        self.has_agent = False  # a client request through an agent keeps alive unframed
        self.content_length: int | None = None  # the whole body's length, if known
        self.has_trailer = False  # addTrailers() was called: chunked, never a length
        self.removed: frozenset[str] = frozenset()  # names the user removed (lower case)
        self.keep_alive = True  # the connection may live on (request and server agree)


class HeadPlan:
    """A rendered head and the decisions taken with it."""

    __slots__ = ("chunked", "data", "keep_alive", "last")

    def __init__(self, data: bytes, chunked: bool, keep_alive: bool, last: bool) -> None:
        self.data = data
        self.chunked = chunked  # the body goes in chunks
        self.keep_alive = keep_alive  # the head says the connection lives on
        self.last = last  # the connection ends with this message


def _header_line(name: str, value: Any) -> str:
    if isinstance(value, list | tuple):
        return "".join(f"{name}: {v}\r\n" for v in value)
    return f"{name}: {value}\r\n"


def header_lines(pairs: Iterable[tuple[str, Any]]) -> str:
    """``Name: value`` lines (a list value gives one line per item, as Node)."""
    return "".join(_header_line(name, value) for name, value in pairs)


class _Seen:
    """What the user's headers said, for the decisions :func:`build_head` takes."""

    __slots__ = ("chunked", "close", "conn", "date", "default_hint", "keep_alive", "length", "te")

    def __init__(self, keep_alive: bool) -> None:
        self.date = self.conn = self.length = self.te = self.close = self.chunked = False
        self.default_hint = True  # False once the user set a Keep-Alive header of their own
        self.keep_alive = keep_alive


def _scan(lines: list[str], pairs: Iterable[tuple[str, Any]], seen: _Seen) -> None:
    for name, value in pairs:
        lines.append(_header_line(name, value))
        key = name.lower()
        if key == "date":
            seen.date = True
        elif key == "connection":
            seen.conn = True
            if CONNECTION_CLOSE.search(str(value)):
                seen.close = True
            else:
                seen.keep_alive = True
        elif key == "content-length":
            seen.length = True
        elif key == "transfer-encoding":
            seen.te = True
            seen.chunked = CHUNKED.search(str(value)) is not None
        elif key == "keep-alive":
            seen.default_hint = False  # the user's own hint replaces Node's


def build_head(
    first_line: str,
    pairs: Iterable[tuple[str, Any]],
    shape: MessageShape,
    keep_alive_lines: Callable[[bool], str],
) -> HeadPlan:
    """Render the head (Node's ``_storeHeader``). ``keep_alive_lines(default_hint)``
    gives the ``Connection`` lines of a message that keeps its connection;
    ``default_hint`` is False when the user set a ``Keep-Alive`` header of their own."""
    lines = [first_line]
    seen = _Seen(shape.keep_alive)
    _scan(lines, pairs, seen)
    if shape.send_date and not seen.date:
        lines.append(date_header_line())
    keep_alive = seen.keep_alive and not seen.close
    last = seen.close
    chunked = seen.chunked
    removed = shape.removed
    if "connection" in removed:
        last = not keep_alive
    elif not seen.conn:
        if keep_alive and (seen.length or shape.chunked_by_default or shape.has_agent):
            lines.append(keep_alive_lines(seen.default_hint))
        else:
            last, keep_alive = True, False
            lines.append("Connection: close\r\n")
    if not seen.length and not seen.te:
        if not shape.has_body:
            chunked = False
        elif not shape.chunked_by_default:
            last = True  # Node: no length, no chunks; the body ends the message
        elif (
            shape.content_length is not None
            and "content-length" not in removed
            and not shape.has_trailer
        ):
            lines.append(f"Content-Length: {shape.content_length}\r\n")
        elif "transfer-encoding" not in removed:
            lines.append("Transfer-Encoding: chunked\r\n")
            chunked = True
        else:
            last = True
    lines.append("\r\n")
    return HeadPlan("".join(lines).encode("latin-1"), chunked, keep_alive, last)
