"""HTTP header tables and rules (Node: ``lib/_http_common.js``, ``_http_incoming.js``).

Node's status texts and methods, outgoing header validation with Node's codes, Node's
rules for joining duplicate incoming headers, the cached ``Date`` value and chunk framing.
"""

from __future__ import annotations

import re
import time
from typing import Any

from .. import errors

__all__ = [
    "CHUNKED",
    "CONNECTION_CLOSE",
    "METHODS",
    "STATUS_CODES",
    "date_header_line",
    "headers_distinct_from_raw",
    "headers_from_raw",
    "validate_header_name",
    "validate_header_value",
]

STATUS_CODES: dict[int, str] = {
    100: "Continue",
    101: "Switching Protocols",
    102: "Processing",
    103: "Early Hints",
    200: "OK",
    201: "Created",
    202: "Accepted",
    203: "Non-Authoritative Information",
    204: "No Content",
    205: "Reset Content",
    206: "Partial Content",
    207: "Multi-Status",
    208: "Already Reported",
    226: "IM Used",
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    304: "Not Modified",
    305: "Use Proxy",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    411: "Length Required",
    412: "Precondition Failed",
    413: "Payload Too Large",
    414: "URI Too Long",
    415: "Unsupported Media Type",
    416: "Range Not Satisfiable",
    417: "Expectation Failed",
    418: "I'm a Teapot",
    421: "Misdirected Request",
    422: "Unprocessable Entity",
    423: "Locked",
    424: "Failed Dependency",
    425: "Too Early",
    426: "Upgrade Required",
    428: "Precondition Required",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    451: "Unavailable For Legal Reasons",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
    506: "Variant Also Negotiates",
    507: "Insufficient Storage",
    508: "Loop Detected",
    509: "Bandwidth Limit Exceeded",
    510: "Not Extended",
    511: "Network Authentication Required",
}

METHODS: list[str] = [
    "ACL",
    "BIND",
    "CHECKOUT",
    "CONNECT",
    "COPY",
    "DELETE",
    "GET",
    "HEAD",
    "LINK",
    "LOCK",
    "M-SEARCH",
    "MERGE",
    "MKACTIVITY",
    "MKCALENDAR",
    "MKCOL",
    "MOVE",
    "NOTIFY",
    "OPTIONS",
    "PATCH",
    "POST",
    "PROPFIND",
    "PROPPATCH",
    "PURGE",
    "PUT",
    "QUERY",
    "REBIND",
    "REPORT",
    "SEARCH",
    "SOURCE",
    "SUBSCRIBE",
    "TRACE",
    "UNBIND",
    "UNLINK",
    "UNLOCK",
    "UNSUBSCRIBE",
]

#: Node's ``RE_CONN_CLOSE`` and ``chunkExpression``: the word, not a part of one
#: (``Connection: closed`` keeps the connection, as in Node).
CONNECTION_CLOSE = re.compile(r"(?:^|\W)close(?:$|\W)", re.IGNORECASE)
CHUNKED = re.compile(r"(?:^|\W)chunked(?:$|\W)", re.IGNORECASE)

_TOKEN = re.compile(r"^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$")
_INVALID_VALUE_CHAR = re.compile(r"[^\t\x20-\x7e\x80-\xff]")


def validate_header_name(name: Any, label: str = "Header name") -> None:
    """Node's ``http.validateHeaderName``: ``ERR_INVALID_HTTP_TOKEN``."""
    if not isinstance(name, str) or not name or not _TOKEN.match(name):
        raise errors.ERR_INVALID_HTTP_TOKEN(f'{label} must be a valid HTTP token ["{name}"]')


def validate_header_value(name: str, value: Any, what: str = "header content") -> None:
    """Node's ``http.validateHeaderValue``: ``ERR_HTTP_INVALID_HEADER_VALUE``/``ERR_INVALID_CHAR``
    (``what`` names the field in the message, as Node's ``'trailer content'``)."""
    if value is None:
        raise errors.ERR_HTTP_INVALID_HEADER_VALUE(f'Invalid value "None" for header "{name}"')
    values = value if isinstance(value, list | tuple) else (value,)
    for item in values:
        if _INVALID_VALUE_CHAR.search(str(item)):
            raise errors.ERR_INVALID_CHAR(f'Invalid character in {what} ["{name}"]')


# Node's matchKnownFields: duplicates of these are dropped (the first one wins).
_DISCARD_DUPLICATES = frozenset(
    (
        "age",
        "authorization",
        "content-length",
        "content-type",
        "etag",
        "expires",
        "from",
        "host",
        "if-modified-since",
        "if-unmodified-since",
        "last-modified",
        "location",
        "max-forwards",
        "proxy-authorization",
        "referer",
        "retry-after",
        "server",
        "user-agent",
    )
)


def _pairs(raw: list[str], pairs: int | None) -> int:
    """How many lines of ``raw`` make the dict: Node's ``n`` (all when None)."""
    whole = len(raw) // 2
    return whole if pairs is None else min(whole, pairs)


def headers_from_raw(raw: list[str], pairs: int | None = None) -> dict[str, Any]:
    """Node's ``message.headers`` from ``rawHeaders``: lower-cased, duplicates joined
    (the first ``pairs`` lines: the rest were over ``maxHeadersCount``)."""
    out: dict[str, Any] = {}
    for i in range(_pairs(raw, pairs)):
        name = raw[2 * i].lower()
        value = raw[2 * i + 1]
        prev = out.get(name)
        if prev is None:
            out[name] = [value] if name == "set-cookie" else value
        elif name == "set-cookie":
            prev.append(value)
        elif name in _DISCARD_DUPLICATES:
            continue
        elif name == "cookie":
            out[name] = f"{prev}; {value}"
        else:
            out[name] = f"{prev}, {value}"
    return out


def headers_distinct_from_raw(raw: list[str], pairs: int | None = None) -> dict[str, list[str]]:
    """Node's ``message.headersDistinct``: every value kept, in a list."""
    out: dict[str, list[str]] = {}
    for i in range(_pairs(raw, pairs)):
        out.setdefault(raw[2 * i].lower(), []).append(raw[2 * i + 1])
    return out


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class _DateCache:
    """The ``Date`` header line for one second (typed fields: the compiled build reads
    them without boxing)."""

    second = -1
    line = ""

    def refresh(self) -> None:
        now = int(time.time())
        if now != self.second:
            t = time.gmtime(now)
            self.second = now
            self.line = (
                f"Date: {_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} "
                f"{t.tm_year} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT\r\n"
            )


_date = _DateCache()


def date_header_line() -> str:
    """``Date: <value>\\r\\n`` (RFC 7231), rebuilt at most once a second."""
    _date.refresh()
    return _date.line
