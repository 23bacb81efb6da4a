"""A TLS session as ``get_session()`` and ``'session'`` give it (Node: the session Buffer).

Node hands out the DER-encoded session and takes it back in ``tls.connect({session})``.
Python's ``ssl.SSLSession`` only resumes through the very ``SSLContext`` that made it
(``ValueError: Session refers to a different SSLContext``) and has no bytes form. So
:class:`TLSSession` keeps the ``SSLSession`` together with that context, and
``tls.connect(session=...)`` reuses the context when the connection's options would
build the same one; elsewhere (and across processes) its bytes, Node's Buffer, serve
through the libssl bridge: ``bytes(session)``, ``tls.connect(session=b"...")``. It keeps the peer's certificate chain (DER): on a resumed
connection OpenSSL has no chain at all, and ``get_peer_certificate(True)`` answers from
this copy, as Node answers from its CA store.
"""

from __future__ import annotations

import ssl
from typing import Any

from .. import errors
from . import _hooks

__all__ = ["TLSSession"]


class TLSSession:
    """A resumable TLS session (Node's ``tlsSocket.getSession()`` value).

    Compare two with ``==`` (same session id); pass one to ``tls.connect(session=...)``
    / an Agent; ``bytes(session)`` is Node's session Buffer (DER), which
    ``tls.connect(session=...)`` takes too, also in another process.
    """

    __slots__ = ("context", "peer_chain", "secure_context", "session")

    def __init__(
        self,
        session: ssl.SSLSession,
        context: ssl.SSLContext,
        peer_chain: tuple[bytes, ...] = (),
        secure_context: Any = None,
    ) -> None:
        self.session = session
        self.context = context
        self.peer_chain = peer_chain
        self.secure_context = secure_context

    @property
    def id(self) -> bytes:
        """The session id (OpenSSL's, also for TLS 1.3 tickets)."""
        return self.session.id

    @property
    def has_ticket(self) -> bool:
        """True when the server gave a ticket (what TLS 1.3 resumes with)."""
        return self.session.has_ticket

    @property
    def timeout(self) -> int:
        """Seconds the session stays valid after :attr:`time`."""
        return self.session.timeout

    @property
    def time(self) -> int:
        """When the session was made (seconds since the epoch)."""
        return self.session.time

    @property
    def ticket_lifetime_hint(self) -> int:
        """The server's ticket lifetime hint (seconds)."""
        return self.session.ticket_lifetime_hint

    @property
    def der(self) -> bytes | None:
        """Node's session Buffer (DER); None without the libssl bridge."""
        try:
            return _hooks.session_to_der(self.session)
        except errors.NodeError:
            return None

    def __bytes__(self) -> bytes:
        """Node's session Buffer (DER); ``ERR_FEATURE_UNAVAILABLE_ON_PLATFORM`` without
        the libssl bridge."""
        return _hooks.session_to_der(self.session)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TLSSession):
            return self.session == other.session
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.session.id)

    def __repr__(self) -> str:
        return f"<TLSSession id={self.session.id.hex()[:16]}... ticket={self.has_ticket}>"
