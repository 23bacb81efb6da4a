"""What nodehttps keeps per ``ssl.SSLContext``: one typed side table, nothing on the context.

A context may be built here (``_context``), chosen by an SNI callback, shared by two
servers through the context cache, or given by the user. What the TLS layer has done
to it (which OpenSSL callbacks are installed, its ticket keys, its key-log file) lives
in one :class:`ContextState` per context, in a table that holds contexts weakly: an
entry goes when its context is collected, and its key-log file is closed then.

The OpenSSL callbacks themselves are not per context: they are process-wide (see
``_libssl``), so a context's death frees nothing OpenSSL could still call.
"""

from __future__ import annotations

import os
import ssl
import weakref

__all__ = ["ContextState", "close_file_with", "count", "peek", "state_of"]


class ContextState:
    """One context's installed callbacks and settings (flags: set once, never unset)."""

    __slots__ = (
        "alpn_protocols",
        "get_session",
        "keylog",
        "keylog_file",
        "new_sessions",
        "permissive_verify",
        "server_cache",
        "session_store",
        "ticket_keys",
    )

    def __init__(self) -> None:
        self.keylog = False  #: the keylog callback is installed
        self.new_sessions = False  #: the client new-session callback is installed
        self.session_store = False  #: the server new-session callback is installed
        self.server_cache = False  #: OpenSSL keeps no server sessions (Node's cache mode)
        self.get_session = False  #: the get-session callback ('resumeSession') is installed
        #: a server's ALPN protocols, wire format, for the bridge's ALPN selection
        #: callback (None: each connection asks its server's ALPNCallback)
        self.alpn_protocols: bytes | None = None
        self.permissive_verify = False  #: handshakes finish whatever the peer's chain
        self.ticket_keys: bytes | None = None  #: Node's 48 bytes, once set or asked for
        #: without the libssl bridge: the key-log file's descriptor and read offset
        self.keylog_file: list[int] | None = None


_states: weakref.WeakKeyDictionary[ssl.SSLContext, ContextState] = weakref.WeakKeyDictionary()


def state_of(ctx: ssl.SSLContext) -> ContextState:
    """The state of ``ctx`` (made empty on first use)."""
    state = _states.get(ctx)
    if state is None:
        state = _states[ctx] = ContextState()
    return state


def peek(ctx: ssl.SSLContext) -> ContextState | None:
    """The state of ``ctx`` if it has one (no entry is made)."""
    return _states.get(ctx)


def close_file_with(ctx: ssl.SSLContext, fd: int) -> None:
    """Close ``fd`` when ``ctx`` is collected (a key-log file only it uses)."""
    weakref.finalize(ctx, _close_quietly, fd)


def _close_quietly(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:  # pragma: no cover - already closed
        pass


def count() -> int:
    """How many contexts have state (for tests of the table's bounds)."""
    return len(_states)
