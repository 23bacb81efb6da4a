"""What a server-side :class:`~nodehttps.tls.TLSSocket` needs from its ``tls.Server``.

Theory of operation
-------------------
A server's socket never calls its server. It holds a :class:`ServerPolicy`, made by
the server, and asks it: how long a handshake may take, whether the ClientHello must
be held for the user (an asynchronous ``SNICallback``, a ``'resumeSession'`` store),
which context a server name gets, which ALPN protocol to pick, and where the server's
events go (``'secureConnection'``, ``'tlsClientError'``, ``'newSession'``, ``'keylog'``).
Answers that wait for the user come back through a callback the socket passes in
(:meth:`ServerPolicy.answer_hello`), never through the socket's own methods.

The server name a client sends is seen by the stdlib's ``sni_callback`` on each
server context (:func:`sni_dispatch`), with the connection's ``SSLObject``; a socket
in its handshake registers a listener for its object (:func:`listen_servername`) and
removes it when the handshake is over.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import _loop, errors
from .._options import normalize
from . import _hooks
from ._hello import ClientHello

if TYPE_CHECKING:
    from ._server import Server

__all__ = [
    "HelloAnswer",
    "ServerPolicy",
    "forget_servername",
    "listen_servername",
    "policy_for",
    "sni_dispatch",
]


class HelloAnswer(NamedTuple):
    """The server's answer to a held ClientHello."""

    secure_context: Any  #: the ``SNICallback``'s context; None: the configured one
    session: bytes | None  #: what a ``'resumeSession'`` listener found; None: nothing


#: ``answered(error, answer)``: only the first call counts (``answer`` None with an error)
HelloAnswered = Callable[[BaseException | None, HelloAnswer | None], None]


class ServerPolicy:
    """One ``tls.Server``'s rules and events, as its sockets need them; ``configure``
    readies a context the server did not build itself (an SNI callback's choice)."""

    __slots__ = ("_configure", "_server", "_sni_contexts")

    def __init__(self, server: Server, configure: Callable[[ssl.SSLContext], None]) -> None:
        self._server = server
        self._configure = configure
        self._sni_contexts: list[tuple[re.Pattern[str], Any]] = []

    @property
    def handshake_timeout(self) -> float:
        """Node's ``handshakeTimeout`` (ms; 0 or less: none)."""
        return self._server.handshake_timeout

    # -- the ClientHello ---------------------------------------------------------------------
    def holds_hello(self) -> bool:
        """The ClientHello waits for the user: an async ``SNICallback``, or a session store
        (``'resumeSession'`` listeners)."""
        server = self._server
        return server.sni_callback is not None or bool(server.listener_count("resumeSession"))

    def resumes_by_id(self) -> bool:
        """``'resumeSession'`` has listeners: sessions resume by id from the user's store."""
        return bool(self._server.listener_count("resumeSession"))

    def answer_hello(
        self, hello: ClientHello, answered: HelloAnswered, waiting: Callable[[], bool]
    ) -> None:
        """Node's order: ``'resumeSession'`` (when the hello offers a session id and no
        ticket), then the async ``SNICallback``; then ``answered``. Each user callback
        counts once, and only while ``waiting()`` (the connection is still there)."""
        server = self._server
        if hello.session_id and not hello.has_ticket and server.listener_count("resumeSession"):

            def resumed(err: BaseException | None, data: Any) -> None:
                if err is not None:
                    answered(err, None)
                else:
                    session = bytes(data) if data else None
                    self._choose_context(hello.servername, session, answered, waiting)

            server.emit("resumeSession", hello.session_id, _node_callback(resumed, waiting))
        else:
            self._choose_context(hello.servername, None, answered, waiting)

    def _choose_context(
        self,
        name: str,
        session: bytes | None,
        answered: HelloAnswered,
        waiting: Callable[[], bool],
    ) -> None:
        """Node's async ``SNICallback(servername, cb)``; no callback or no name: as is."""
        callback = self._server.sni_callback
        if not name or callback is None:
            answered(None, HelloAnswer(None, session))
            return

        def chosen(err: BaseException | None, context: Any) -> None:
            if err is not None:
                answered(err, None)
                return
            if context is not None and not hasattr(context, "context"):
                context = _hooks.create_secure_context(normalize(context), is_server=True)
            if context is not None:
                self._configure(context.context)
            answered(None, HelloAnswer(context, session))

        callback(name, _node_callback(chosen, waiting))

    def add_sni_context(self, servername: str, context: Any) -> None:
        """Node's ``addContext``: ``context`` for names matching ``servername`` (``*`` is
        one label part; the last matching entry wins)."""
        escaped = re.sub(r"([.^$+?\-\\\[\]{}])", r"\\\1", servername)
        pattern = re.compile("^" + escaped.replace("*", "[^.]*") + "$")
        self._sni_contexts.append((pattern, context))

    def context_for(self, servername: str) -> Any:
        """The ``add_context`` context for a server name OpenSSL saw (only without an
        async ``SNICallback``, which chose before OpenSSL saw the hello); None: keep."""
        if self._server.sni_callback is not None:
            return None
        chosen = None
        for pattern, context in self._sni_contexts:
            if pattern.match(servername):
                chosen = context
        return chosen

    # -- ALPN ------------------------------------------------------------------------------
    def has_alpn_callback(self) -> bool:
        """Node's ``ALPNCallback`` is set."""
        return self._server.alpn_callback is not None

    def choose_alpn(self, servername: str | bool, offered: bytes) -> int | None:
        """Node's ``ALPNCallback`` on the client's protocols (``offered``, wire format):
        the offset of the chosen entry, or None (refused). What the callback raises, or
        a choice the client did not offer (``ERR_TLS_ALPN_CALLBACK_INVALID_RESULT``), is
        raised for the handshake to report."""
        choose = self._server.alpn_callback
        if choose is None:
            return -1
        protocols: list[str] = []
        offsets: list[int] = []
        pos = 0
        while pos < len(offered):
            offsets.append(pos)
            protocols.append(offered[pos + 1 : pos + 1 + offered[pos]].decode("latin-1"))
            pos += 1 + offered[pos]
        chosen = choose({"servername": servername, "protocols": protocols})
        if chosen is None:
            return None
        if chosen not in protocols:
            raise errors.ERR_TLS_ALPN_CALLBACK_INVALID_RESULT(
                f"ALPN callback returned a value ({chosen}) that did not match any of the "
                f"client's offered protocols ({', '.join(protocols)})"
            )
        return offsets[protocols.index(chosen)]

    # -- events ----------------------------------------------------------------------------
    def stores_sessions(self) -> bool:
        """``'newSession'`` has listeners."""
        return bool(self._server.listener_count("newSession"))

    def new_session(self, session_id: bytes, der: bytes, done: Callable[[], None]) -> bool:
        """Node's ``'newSession'`` (id, data, callback); False when nobody listened."""
        return self._server.emit("newSession", session_id, der, done)

    def relays_keylog(self) -> bool:
        """``'keylog'`` has listeners on the server."""
        return bool(self._server.listener_count("keylog"))

    def keylog(self, line: bytes, sock: Any) -> None:
        """Node's server ``'keylog'`` (line, socket)."""
        self._server.emit("keylog", line, sock)

    def client_error(self, err: BaseException, sock: Any) -> None:
        """Node's ``'tlsClientError'`` (err, socket): the handshake failed."""
        self._server.emit("tlsClientError", err, sock)

    def client_errors_heard(self) -> bool:
        """``'tlsClientError'`` has listeners (else a handshake timeout destroys)."""
        return bool(self._server.listener_count("tlsClientError"))

    def secure_connection(self, sock: Any) -> None:
        """Node's ``'secureConnection'``: the handshake is done and verified."""
        self._server.emit("secureConnection", sock)


def _node_callback(
    then: Callable[[BaseException | None, Any], None], waiting: Callable[[], bool]
) -> Callable[..., None]:
    """A Node-style ``cb(err, value)`` for the user: only its first call counts, and
    only while ``waiting()``."""
    called = False

    def callback(err: BaseException | None = None, value: Any = None) -> None:
        nonlocal called
        if called or not waiting():
            return
        called = True
        then(err, value)

    return callback


def policy_for(opts: dict[str, Any]) -> ServerPolicy | None:
    """A server socket's policy: its ``tls.Server``'s (``opts['policy']``), or one for
    Node's ``server`` option of ``new TLSSocket``."""
    policy = opts.get("policy")
    if policy is not None:
        return policy  # type: ignore[no-any-return]
    server = opts.get("server")
    found = getattr(server, "_policy", None)  # a tls.Server's own
    return found if isinstance(found, ServerPolicy) else None


# -- server names ------------------------------------------------------------------------------
ServernameListener = Callable[[str], None]
_listening: dict[int, ServernameListener] = {}


def listen_servername(obj: ssl.SSLObject, listener: ServernameListener) -> None:
    """Tell ``listener`` the server name ``obj``'s client sends (during its handshake)."""
    _listening[id(obj)] = listener


def forget_servername(obj: ssl.SSLObject) -> None:
    """The handshake of ``obj`` is over (or failed)."""
    _listening.pop(id(obj), None)


def sni_dispatch(obj: Any, name: str | None, _ctx: ssl.SSLContext) -> None:
    """The stdlib's ``sni_callback`` of every server context: to ``obj``'s listener."""
    if name is None:
        return
    listener = _listening.get(id(obj))
    if listener is None:
        return
    try:
        listener(name)
    except Exception as exc:
        _loop.report_uncaught(exc)
