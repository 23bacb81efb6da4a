"""What OpenSSL reports from inside a handshake or read step, routed to its connection.

Theory of operation
-------------------
OpenSSL calls back from inside ``do_handshake()`` or ``read()``: a key-log line, a new
session (a client's ticket, a server's session for its store), a session id to look
up, the client's ALPN list. The libssl bridge hands every such call to the process's
:class:`~nodehttps.tls._libssl.Handlers` (this module's functions) with the
connection's id. A connection that wants reports has a :class:`Watch`, registered
under that id while its engine lives (:meth:`Watch.attach` / :meth:`Watch.detach`):

* key-log lines and new sessions are only *queued* on the watch; the socket takes them
  after the step (``take_*``) and emits its events then, so no listener ever runs
  inside OpenSSL;
* the session lookup and the ALPN choice need an answer inside the callback: the watch
  holds the answers (a session a ``'resumeSession'`` listener found, the server's
  ALPN chooser), given by the socket beforehand.

Callbacks are installed on a context only once somebody wants them (:func:`install`);
until then OpenSSL never calls into Python, and connections nobody watches are not in
the table. Which callbacks a context has is its ``_ctxstate`` entry.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable

from . import _keylogfile
from . import _libssl as _lib
from ._ctxstate import peek, state_of

__all__ = ["AVAILABLE", "SESSION_CALLBACK", "Watch", "install", "serve_offered_sessions"]

AVAILABLE = bool(_lib.available())
#: True when OpenSSL tells us of each new client session (else the engine polls).
SESSION_CALLBACK = AVAILABLE

#: ``alpn(offered)``: the offset of the chosen entry, None to refuse, -1 for none
AlpnChooser = Callable[[bytes], "int | None"]


class Watch:
    """One connection's subscription to OpenSSL's reports, owned by its socket."""

    __slots__ = (
        "choose_alpn",
        "key",
        "keylog",
        "lines",
        "new_sessions",
        "offered_session",
        "server_sessions",
        "sessions",
        "store",
    )

    def __init__(self) -> None:
        self.key = 0  #: the connection id it is registered under (0: not registered)
        self.keylog = False  #: wants key-log lines
        self.sessions = False  #: a client that wants each new session
        self.store = False  #: a server whose server listens to 'newSession'
        self.lines: list[bytes] = []
        self.new_sessions = 0
        self.server_sessions: list[tuple[bytes, bytes]] = []
        self.choose_alpn: AlpnChooser | None = None  #: a server with an ALPNCallback
        self.offered_session = 0  #: the SSL_SESSION* a 'resumeSession' listener found

    def attach(self, obj: ssl.SSLObject) -> None:
        """Receive the reports of ``obj``'s connection from now on."""
        if not self.key:
            self.key = _lib.connection_id(obj)
            if self.key:
                _watches[self.key] = self

    def detach(self) -> None:
        """No more reports (the connection is closing)."""
        if self.key:
            _watches.pop(self.key, None)
            self.key = 0

    def take_lines(self) -> list[bytes]:
        """The key-log lines of the last step."""
        lines, self.lines = self.lines, []
        return lines

    def take_new_sessions(self) -> int:
        """How many client sessions arrived in the last step."""
        count, self.new_sessions = self.new_sessions, 0
        return count

    def take_server_sessions(self) -> list[tuple[bytes, bytes]]:
        """The server's new sessions of the last step: ``(id, DER)``."""
        stored, self.server_sessions = self.server_sessions, []
        return stored

    def take_offered_session(self) -> int:
        """The session a ``'resumeSession'`` listener found, for OpenSSL (at most once)."""
        offered, self.offered_session = self.offered_session, 0
        return offered


_watches: dict[int, Watch] = {}


def install(ctx: ssl.SSLContext, w: Watch) -> None:
    """Make ``ctx`` report what ``w`` wants (each callback installed once per context)."""
    if not AVAILABLE:
        if w.keylog:
            _keylogfile.install(ctx)
        return
    state = state_of(ctx)
    if w.keylog and not state.keylog:
        _lib.set_keylog_callback(ctx)
        state.keylog = True
    if w.sessions and SESSION_CALLBACK and not state.new_sessions:
        _lib.set_new_session_callback(ctx)
        state.new_sessions = True
    if w.store and not state.session_store:
        _lib.set_server_session_cache(ctx, report=True)
        state.session_store = state.server_cache = True


def serve_offered_sessions(ctx: ssl.SSLContext) -> None:
    """OpenSSL asks the connection itself for a session id it does not know (Node's
    ``GetSessionCallback``): each connection resumes only what its listener found."""
    state = state_of(ctx)
    if not state.get_session:
        _lib.set_get_session_callback(ctx)
        state.get_session = True


# -- the process's handlers ---------------------------------------------------------------------
def _on_keylog(conn: int, line: bytes) -> None:
    w = _watches.get(conn)
    if w is not None and w.keylog:
        w.lines.append(line)


def _on_new_session(conn: int) -> None:
    w = _watches.get(conn)
    if w is not None and w.sessions:
        w.new_sessions += 1


def _on_server_session(conn: int, session_id: bytes, der: bytes) -> None:
    w = _watches.get(conn)
    if w is not None and w.store:
        w.server_sessions.append((session_id, der))


def _on_get_session(conn: int) -> int:
    w = _watches.get(conn)
    return 0 if w is None else w.take_offered_session()


def _on_select_alpn(conn: int, context: ssl.SSLContext, offered: bytes) -> int | None:
    """A server's ALPN choice: its ``ALPNCallback`` (per connection, through its watch),
    else Node's rule on the context's protocols: the first of the server's the client
    offered; none in common is a fatal ``no_application_protocol`` alert."""
    w = _watches.get(conn)
    if w is not None and w.choose_alpn is not None:
        return w.choose_alpn(offered)
    state = peek(context)
    protocols = state.alpn_protocols if state is not None else None
    if not protocols:
        return -1
    return select_alpn(protocols, offered)


def select_alpn(server: bytes, offered: bytes) -> int | None:
    """OpenSSL's ``SSL_select_next_proto`` with the server's list first (as Node calls
    it): the offset in ``offered`` (wire format) of the first protocol of ``server``
    the client offered, None when there is none."""
    entries: dict[bytes, int] = {}
    pos = 0
    while pos < len(offered):
        size = offered[pos]
        entries.setdefault(offered[pos + 1 : pos + 1 + size], pos)
        pos += 1 + size
    pos = 0
    while pos < len(server):
        size = server[pos]
        found = entries.get(server[pos + 1 : pos + 1 + size])
        if found is not None:
            return found
        pos += 1 + size
    return None


def _handlers() -> _lib.Handlers:
    handlers = _lib.Handlers()
    handlers.keylog = _on_keylog
    handlers.new_session = _on_new_session
    handlers.server_session = _on_server_session
    handlers.get_session = _on_get_session
    handlers.select_alpn = _on_select_alpn
    return handlers


_lib.set_handlers(_handlers())
