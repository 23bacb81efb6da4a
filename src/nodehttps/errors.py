"""Node's errors, with Node's codes and messages (Node: ``lib/internal/errors.js``).

Every error raised or emitted by nodehttps is a :class:`NodeError` carrying ``.code``
(Node's string) and Node's message as ``str(err)``. Each class is also the matching
Python exception, so plain ``except`` clauses work:

* Node's ``TypeError`` codes are :class:`TypeError`, its ``RangeError`` codes
  :class:`ValueError`;
* system errors (``ECONNRESET``, ``ECONNREFUSED``, ...) are the matching :class:`OSError`
  subclass (``ConnectionResetError``, ``ConnectionRefusedError``, ...), with ``errno``
  (Python's positive number), ``syscall``, ``address`` and ``port`` as Node has them.

The classes below are the table: one line a code. :func:`make` builds an error for a
code known only at run time (OpenSSL's ``ERR_SSL_*``, X.509 verify codes).
"""

from __future__ import annotations

import errno as _errno
from collections.abc import Iterable
from typing import Any, ClassVar

__all__ = ["NodeError", "invalid_arg_type", "invalid_arg_value", "make", "out_of_range"]


class NodeError(Exception):
    """Base of every nodehttps error: ``.code`` and Node's message."""

    code: ClassVar[str] = "ERR_UNKNOWN"
    default_message: ClassVar[str] = ""

    def __init__(self, message: str | None = None, **fields: Any) -> None:
        msg = self.default_message if message is None else message
        Exception.__init__(self, msg)
        self.message = msg
        for key, value in fields.items():
            setattr(self, key, value)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class _NodeTypeError(NodeError, TypeError):
    """A Node ``TypeError``."""


class _NodeRangeError(NodeError, ValueError):
    """A Node ``RangeError``."""


class NodeSystemError(NodeError, OSError):
    """A system error (Node's ``SystemError``/``ErrnoException``/``ExceptionWithHostPort``)."""

    errno: int | None
    syscall: str | None
    address: str | None
    port: int | None

    def __init__(self, message: str | None = None, **fields: Any) -> None:
        fields.setdefault("errno", getattr(_errno, type(self).code, None))
        fields.setdefault("syscall", None)
        NodeError.__init__(self, message, **fields)


# ---- argument errors (TypeError / RangeError) ----
class ERR_INVALID_ARG_TYPE(_NodeTypeError):
    code = "ERR_INVALID_ARG_TYPE"


class ERR_INVALID_ARG_VALUE(_NodeTypeError):
    code = "ERR_INVALID_ARG_VALUE"


class ERR_OUT_OF_RANGE(_NodeRangeError):
    code = "ERR_OUT_OF_RANGE"


class ERR_MISSING_ARGS(_NodeTypeError):
    code = "ERR_MISSING_ARGS"


class ERR_INVALID_URL(_NodeTypeError):
    code = "ERR_INVALID_URL"
    default_message = "Invalid URL"


class ERR_INVALID_PROTOCOL(_NodeTypeError):
    code = "ERR_INVALID_PROTOCOL"


class ERR_INVALID_HTTP_TOKEN(_NodeTypeError):
    code = "ERR_INVALID_HTTP_TOKEN"


class ERR_INVALID_CHAR(_NodeTypeError):
    code = "ERR_INVALID_CHAR"


class ERR_HTTP_INVALID_HEADER_VALUE(_NodeTypeError):
    code = "ERR_HTTP_INVALID_HEADER_VALUE"


class ERR_UNESCAPED_CHARACTERS(_NodeTypeError):
    code = "ERR_UNESCAPED_CHARACTERS"


class ERR_INVALID_RETURN_VALUE(_NodeTypeError):
    code = "ERR_INVALID_RETURN_VALUE"


class ERR_TLS_INVALID_PROTOCOL_METHOD(_NodeTypeError):
    code = "ERR_TLS_INVALID_PROTOCOL_METHOD"


class ERR_TLS_INVALID_PROTOCOL_VERSION(_NodeTypeError):
    code = "ERR_TLS_INVALID_PROTOCOL_VERSION"


class ERR_TLS_PROTOCOL_VERSION_CONFLICT(_NodeTypeError):
    code = "ERR_TLS_PROTOCOL_VERSION_CONFLICT"


class ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS(_NodeTypeError):
    code = "ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS"
    default_message = "The ALPNCallback and ALPNProtocols TLS options are mutually exclusive"


class ERR_TLS_ALPN_CALLBACK_INVALID_RESULT(_NodeTypeError):
    code = "ERR_TLS_ALPN_CALLBACK_INVALID_RESULT"


class ERR_SOCKET_BAD_PORT(_NodeRangeError):
    code = "ERR_SOCKET_BAD_PORT"


class ERR_HTTP_INVALID_STATUS_CODE(_NodeRangeError):
    code = "ERR_HTTP_INVALID_STATUS_CODE"


class ERR_INVALID_STATE(NodeError, RuntimeError):
    code = "ERR_INVALID_STATE"


class ERR_INVALID_THIS(_NodeTypeError):
    code = "ERR_INVALID_THIS"


# ---- HTTP state errors ----
class ERR_HTTP_HEADERS_SENT(NodeError, RuntimeError):
    code = "ERR_HTTP_HEADERS_SENT"


class ERR_STREAM_WRITE_AFTER_END(NodeError, RuntimeError):
    code = "ERR_STREAM_WRITE_AFTER_END"
    default_message = "write after end"


class ERR_STREAM_DESTROYED(NodeError, RuntimeError):
    code = "ERR_STREAM_DESTROYED"


class ERR_STREAM_PREMATURE_CLOSE(NodeError, RuntimeError):
    code = "ERR_STREAM_PREMATURE_CLOSE"
    default_message = "Premature close"


class ERR_STREAM_ALREADY_FINISHED(NodeError, RuntimeError):
    code = "ERR_STREAM_ALREADY_FINISHED"


class ERR_METHOD_NOT_IMPLEMENTED(NodeError, NotImplementedError):
    code = "ERR_METHOD_NOT_IMPLEMENTED"


class ERR_HTTP_TRAILER_INVALID(NodeError, RuntimeError):
    code = "ERR_HTTP_TRAILER_INVALID"
    default_message = "Trailers are invalid with this transfer encoding"


class ERR_HTTP_CONTENT_LENGTH_MISMATCH(NodeError, RuntimeError):
    code = "ERR_HTTP_CONTENT_LENGTH_MISMATCH"


class ERR_HTTP_REQUEST_TIMEOUT(NodeError, TimeoutError):
    code = "ERR_HTTP_REQUEST_TIMEOUT"
    default_message = "Request timeout"


class ERR_HTTP_SOCKET_ASSIGNED(NodeError, RuntimeError):
    code = "ERR_HTTP_SOCKET_ASSIGNED"
    default_message = "ServerResponse has an already assigned socket"


class ERR_SERVER_ALREADY_LISTEN(NodeError, RuntimeError):
    code = "ERR_SERVER_ALREADY_LISTEN"
    default_message = "Listen method has been called more than once without closing."


class ERR_SERVER_NOT_RUNNING(NodeError, RuntimeError):
    code = "ERR_SERVER_NOT_RUNNING"
    default_message = "Server is not running."


class ERR_SOCKET_CLOSED(NodeError, RuntimeError):
    code = "ERR_SOCKET_CLOSED"
    default_message = "Socket is closed"


class ERR_SOCKET_CLOSED_BEFORE_CONNECTION(NodeError, RuntimeError):
    code = "ERR_SOCKET_CLOSED_BEFORE_CONNECTION"
    default_message = "Socket closed before the connection was established"


class ERR_UNHANDLED_ERROR(NodeError, RuntimeError):
    code = "ERR_UNHANDLED_ERROR"


class ABORT_ERR(NodeError, RuntimeError):
    code = "ABORT_ERR"
    default_message = "The operation was aborted"
    name = "AbortError"


# ---- TLS ----
class VerifyError(NodeError, ConnectionError):
    """A certificate verification failure (``CERT_HAS_EXPIRED``, ...): OpenSSL's verify code."""


class ERR_TLS_CERT_ALTNAME_INVALID(NodeError, ConnectionError):
    code = "ERR_TLS_CERT_ALTNAME_INVALID"


class ERR_TLS_HANDSHAKE_TIMEOUT(NodeError, TimeoutError):
    code = "ERR_TLS_HANDSHAKE_TIMEOUT"
    default_message = "TLS handshake timeout"


class ERR_TLS_RENEGOTIATION_DISABLED(NodeError, ConnectionError):
    code = "ERR_TLS_RENEGOTIATION_DISABLED"
    default_message = "TLS session renegotiation disabled for this socket"


class ERR_TLS_SNI_FROM_SERVER(NodeError, RuntimeError):
    code = "ERR_TLS_SNI_FROM_SERVER"
    default_message = "Cannot issue SNI from a TLS server-side socket"


class ERR_TLS_INVALID_STATE(NodeError, RuntimeError):
    code = "ERR_TLS_INVALID_STATE"
    default_message = "TLS socket connection must be securely established"


class ERR_FEATURE_UNAVAILABLE_ON_PLATFORM(NodeError, NotImplementedError):
    code = "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM"


# ---- system errors ----
class ECONNRESET(NodeSystemError, ConnectionResetError):
    code = "ECONNRESET"


class ECONNREFUSED(NodeSystemError, ConnectionRefusedError):
    code = "ECONNREFUSED"


class ECONNABORTED(NodeSystemError, ConnectionAbortedError):
    code = "ECONNABORTED"


class EPIPE(NodeSystemError, BrokenPipeError):
    code = "EPIPE"


class ETIMEDOUT(NodeSystemError, TimeoutError):
    code = "ETIMEDOUT"


class EADDRINUSE(NodeSystemError):
    code = "EADDRINUSE"


class EADDRNOTAVAIL(NodeSystemError):
    code = "EADDRNOTAVAIL"


class EACCES(NodeSystemError, PermissionError):
    code = "EACCES"


class ENOTFOUND(NodeSystemError):
    code = "ENOTFOUND"


class EAI_AGAIN(NodeSystemError):
    code = "EAI_AGAIN"


class EHOSTUNREACH(NodeSystemError):
    code = "EHOSTUNREACH"


class ENETUNREACH(NodeSystemError):
    code = "ENETUNREACH"


class ENOENT(NodeSystemError, FileNotFoundError):
    code = "ENOENT"


class EPROTO(NodeSystemError, ConnectionError):
    code = "EPROTO"


_CLASSES: dict[str, type[NodeError]] = {
    cls.code: cls
    for cls in list(globals().values())
    if isinstance(cls, type) and issubclass(cls, NodeError) and cls.code != "ERR_UNKNOWN"
}


def make(
    code: str, message: str | None = None, base: type[NodeError] | None = None, **fields: Any
) -> NodeError:
    """An error for ``code``: its class from the table, else a class made on first use.

    Codes met only at run time (``ERR_SSL_WRONG_VERSION_NUMBER``, X.509 verify codes such
    as ``CERT_HAS_EXPIRED``, ``HPE_INVALID_METHOD``) get a class of their own, made once
    and kept, so ``type(a) is type(b)`` for two errors of one code.
    """
    cls = _CLASSES.get(code)
    if cls is None:
        parent: type[NodeError] = base or (
            NodeSystemError
            if code.startswith("E") and code.isupper() and "_" not in code
            else NodeError
        )
        cls = type(code, (parent,), {"code": code, "__module__": __name__})
        _CLASSES[code] = cls
    return cls(message, **fields)


def error_class(code: str) -> type[NodeError]:
    """The class for ``code`` (made if needed), for ``except`` clauses and tests."""
    if code not in _CLASSES:
        make(code)
    return _CLASSES[code]


# ---- Node's message builders ----

_JS_TYPES = (
    "string",
    "function",
    "number",
    "object",
    "Function",
    "Object",
    "boolean",
    "bigint",
    "symbol",
)


def _join_or(items: list[str], lead: str) -> str:
    if len(items) > 2:
        return f"{lead}{', '.join(items[:-1])}, or {items[-1]}"
    if len(items) == 2:
        return f"{lead}{items[0]} or {items[1]}"
    return f"{lead}{items[0]}"


def describe_received(value: object) -> str:
    """Node's ``determineSpecificType``, naming Python's types and values."""
    if value is None:
        return "None"
    name = getattr(value, "__name__", None)
    if callable(value) and not isinstance(value, type) and name:
        return f"function {name}"
    if isinstance(value, bool | int | float | str):
        shown = repr(value)
        if len(shown) > 28:
            shown = shown[:25] + "..."
        return f"type {type(value).__name__} ({shown})"
    return f"an instance of {type(value).__name__}"


def invalid_arg_type(
    name: str, expected: str | Iterable[str], actual: object
) -> ERR_INVALID_ARG_TYPE:
    """``ERR_INVALID_ARG_TYPE`` with Node's message.

    ``expected`` uses Node's words: ``'string'``, ``['string', 'Buffer']``,
    ``['Agent-like Object', 'undefined', 'false']``.
    """
    wanted = [expected] if isinstance(expected, str) else list(expected)
    if name.endswith(" argument"):
        msg = f"The {name} must be "
    else:
        kind = "property" if "." in name else "argument"
        msg = f'The "{name}" {kind} must be '
    types = [t for t in wanted if t in _JS_TYPES]
    types = ["object" if t == "Object" else "function" if t == "Function" else t for t in types]
    instances = [t for t in wanted if t not in _JS_TYPES and t.isidentifier() and t[:1].isupper()]
    other = [t for t in wanted if t not in _JS_TYPES and t not in instances]
    parts = []
    if types:
        parts.append(_join_or(types, "of type " if len(types) == 1 else "one of type "))
    if instances:
        if len(instances) > 2:
            parts.append(f"an instance of {', '.join(instances[:-1])}, or {instances[-1]}")
        else:
            parts.append("an instance of " + " or ".join(instances))
    if other:
        if len(other) == 1:
            parts.append(("an " if other[0].lower() != other[0] else "") + other[0])
        else:
            parts.append(_join_or(other, "one of "))
    msg += " or ".join(parts)
    return ERR_INVALID_ARG_TYPE(f"{msg}. Received {describe_received(actual)}")


def invalid_arg_value(
    name: str, value: object, reason: str = "is invalid"
) -> ERR_INVALID_ARG_VALUE:
    """``ERR_INVALID_ARG_VALUE``: ``The argument 'x' is invalid. Received ...``."""
    kind = "property" if "." in name else "argument"
    shown = repr(value)
    if len(shown) > 128:
        shown = shown[:128] + "..."
    return ERR_INVALID_ARG_VALUE(f"The {kind} '{name}' {reason}. Received {shown}")


def out_of_range(name: str, rng: str, received: object) -> ERR_OUT_OF_RANGE:
    """``ERR_OUT_OF_RANGE``: ``The value of "x" is out of range. It must be ... Received ...``."""
    if isinstance(received, bool):
        shown = repr(received)
    elif isinstance(received, int) and abs(received) > 2**32:
        shown = f"{received:_}"
    elif isinstance(received, str):
        shown = repr(received)
    else:
        shown = str(received)
    return ERR_OUT_OF_RANGE(
        f'The value of "{name}" is out of range. It must be {rng}. Received {shown}'
    )


def conn_reset(message: str = "socket hang up", **fields: Any) -> ECONNRESET:
    """Node's ``connResetException``: ``ECONNRESET`` with a plain message."""
    return ECONNRESET(message, **fields)


_ERRNO_CODES = {getattr(_errno, name): name for name in dir(_errno) if name.startswith("E")}


def from_oserror(
    exc: BaseException, syscall: str, address: str | None = None, port: int | None = None
) -> NodeError:
    """Translate an ``OSError`` from the OS into Node's system error.

    Node's message: ``connect ECONNREFUSED 127.0.0.1:8443``; ``getaddrinfo ENOTFOUND host``.
    """
    if isinstance(exc, NodeError):
        return exc
    import socket as _socket

    if isinstance(exc, _socket.gaierror):
        eai = getattr(exc, "errno", None)
        code = "EAI_AGAIN" if eai == _socket.EAI_AGAIN else "ENOTFOUND"
        return make(
            code,
            f"getaddrinfo {code} {address}",
            errno=eai,
            syscall="getaddrinfo",
            hostname=address,
        )
    num = getattr(exc, "errno", None)
    if isinstance(exc, TimeoutError) and num is None:
        num = _errno.ETIMEDOUT
    code = _ERRNO_CODES.get(num, "EIO") if num is not None else "ECONNRESET"
    where = ""
    if address is not None:
        where = f" {address}:{port}" if port is not None else f" {address}"
    fields: dict[str, Any] = {"errno": num, "syscall": syscall}
    if address is not None:
        fields["address"] = address
    if port is not None:
        fields["port"] = port
    # Not chained to ``exc``: the traceback shows Node's error alone, as Node prints it.
    return make(code, f"{syscall} {code}{where}", **fields)
