"""What the TLS engine asks of its neighbours, in one place.

The engine (``_socket.py``) needs secure contexts (``_context``), certificate objects
(``_certobj``), the identity check (``_identity``), Node's verify errors
(``_proto.verify_codes``) and what the stdlib ``ssl`` lacks (``_libssl``: the verify
result under ``CERT_NONE``, per-line keylog, the new-session callback, the negotiated
group, exported keying material). This module binds those calls and keeps the one
piece of state they need: which live connections want keylog lines or session events.

OpenSSL calls the keylog and new-session callbacks from inside ``do_handshake()`` or
``read()``, with the ``SSL*``'s Python object id. The callbacks only append to the
connection's :class:`Watch`; the engine drains it after the step (``after_step``), so
no listener ever runs inside OpenSSL. Callbacks are installed on a context only once
somebody listens (``want_keylog`` / ``want_sessions``); until then OpenSSL never calls
into Python, and connections nobody watches are not in the table.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import errors
from .._proto.verify_codes import verify_error as _verify_error
from . import _keylogfile
from . import _libssl as _lib
from ._certobj import build_chain, certificate_from_der
from ._context import create_secure_context
from ._identity import check_server_identity

if TYPE_CHECKING:
    from ._socket import TLSSocket

__all__ = [
    "SESSION_CALLBACK",
    "Watch",
    "after_step",
    "build_chain",
    "certificate_from_der",
    "check_server_identity",
    "create_secure_context",
    "default_identity_error",
    "export_keying_material",
    "finished",
    "free_session",
    "negotiated_group",
    "node_session_cache",
    "offer_session_der",
    "parse_session",
    "serve_offered_sessions",
    "session_to_der",
    "standard_cipher_name",
    "take_server_sessions",
    "unwatch",
    "use_alpn_callback",
    "verify_error",
    "verify_result",
    "want_callbacks",
    "want_keylog",
    "want_server_sessions",
    "want_sessions",
    "watch",
]

_AVAILABLE = bool(_lib.available())
#: True when OpenSSL tells us of each new client session (else the engine polls).
SESSION_CALLBACK = _AVAILABLE


# The default identity check is a pure function of (hostname, leaf certificate): a client
# that reconnects to the same server (an Agent's pool, a retry) skips re-parsing the leaf.
# Only successes are kept, so a failure is always computed afresh with its own objects.
_GOOD_IDENTITIES: dict[tuple[str, bytes], None] = {}
_GOOD_IDENTITIES_MAX = 256


def default_identity_error(
    host: str, leaf: bytes, cert: Callable[[bool], Any]
) -> errors.NodeError | None:
    """Node's default ``checkServerIdentity`` for ``host`` and the peer's ``leaf`` (DER).

    ``cert(detailed)`` gives the certificate object; on failure the error carries the
    detailed one, as Node's does.
    """
    key = (host, leaf)
    if key in _GOOD_IDENTITIES:
        return None
    err = check_server_identity(host, cert(False))
    if err is not None:
        return check_server_identity(host, cert(True))
    if len(_GOOD_IDENTITIES) >= _GOOD_IDENTITIES_MAX:
        del _GOOD_IDENTITIES[next(iter(_GOOD_IDENTITIES))]
    _GOOD_IDENTITIES[key] = None
    return None


def verify_error(code: int, chain_len: int | None) -> errors.NodeError | None:
    """Node's error for an X509 verify code (``None`` for ``X509_V_OK``)."""
    return _verify_error(code, chain_len)


def exact_verify() -> bool:
    """True when the verify result can be read after a ``CERT_NONE`` handshake. Without
    libssl a rejecting client handshakes with ``CERT_REQUIRED`` instead (same codes)."""
    return _AVAILABLE


def verify_result(obj: ssl.SSLObject) -> int:
    """OpenSSL's verify result for the peer chain, also under ``CERT_NONE``."""
    if _AVAILABLE:
        return int(_lib.get_verify_result(obj))
    # Without libssl: a verifying context has verified during the handshake (a failure
    # ended it); a CERT_NONE one cannot tell, and says so: X509_V_ERR_UNSPECIFIED.
    return 0 if obj.context.verify_mode != ssl.CERT_NONE else 1


def accept_any_peer_certificate(ctx: ssl.SSLContext) -> bool:
    """Let handshakes finish whatever the peer's chain (Node's always-OK verify callback),
    so a server with ``request_cert`` and ``reject_unauthorized=False`` can report the
    result. False when libssl offers no such hook: a bad client certificate then fails
    the handshake (``'tlsClientError'``) instead."""
    if not _AVAILABLE:
        return False
    if not getattr(ctx, "_nodehttps_permissive", False):
        _lib.set_permissive_verify(ctx)
        ctx._nodehttps_permissive = True  # type: ignore[attr-defined]
    return True


# -- keylog and new-session callbacks ------------------------------------------------------
class Watch:
    """What OpenSSL reported for one connection during the current step."""

    __slots__ = (
        "key",
        "keylog",
        "lines",
        "new_sessions",
        "server_sessions",
        "sessions",
        "sock",
        "store",
    )

    def __init__(self, sock: TLSSocket) -> None:
        self.sock = sock
        self.key = 0
        self.keylog = False
        self.sessions = False
        self.store = False  # a server socket whose server listens to 'newSession'
        self.lines: list[bytes] = []
        self.new_sessions = 0
        self.server_sessions: list[tuple[bytes, bytes]] = []


_by_ssl: dict[int, Watch] = {}


def _on_keylog(ssl_id: int, line: bytes) -> None:
    w = _by_ssl.get(ssl_id)
    if w is not None and w.keylog:
        w.lines.append(line)


def _on_new_session(ssl_id: int) -> None:
    w = _by_ssl.get(ssl_id)
    if w is not None and w.sessions:
        w.new_sessions += 1


def _on_server_session(ssl_id: int, session_id: bytes, der: bytes) -> None:
    w = _by_ssl.get(ssl_id)
    if w is not None and w.store:
        w.server_sessions.append((session_id, der))


def _on_alpn(ssl_id: int, offered: bytes) -> int | None:
    w = _by_ssl.get(ssl_id)
    return -1 if w is None else w.sock._select_alpn(offered)


def use_alpn_callback(ctx: ssl.SSLContext) -> None:
    """Servers with Node's ``ALPNCallback``: OpenSSL asks the connection's socket."""
    if not getattr(ctx, "_nodehttps_alpn", False):
        _lib.set_alpn_select_callback(ctx, _on_alpn)
        ctx._nodehttps_alpn = True  # type: ignore[attr-defined]


def want_callbacks(sock: TLSSocket) -> None:
    """Make ``sock`` findable from OpenSSL's callbacks once it has an engine."""
    _ensure(sock)


def finished(obj: ssl.SSLObject, peer: bool) -> bytes | None:
    """Node's ``getFinished()`` / ``getPeerFinished()``."""
    if not _AVAILABLE:
        raise errors.ERR_FEATURE_UNAVAILABLE_ON_PLATFORM(
            "getFinished is not available: libssl could not be reached"
        )
    return _lib.get_finished(obj, peer)


def _install(ctx: ssl.SSLContext, w: Watch) -> None:
    if not _AVAILABLE:
        if w.keylog:
            _keylogfile.install(ctx)
        return
    if w.keylog and not getattr(ctx, "_nodehttps_keylog", False):
        _lib.set_keylog_callback(ctx, _on_keylog)
        ctx._nodehttps_keylog = True  # type: ignore[attr-defined]
    if w.sessions and SESSION_CALLBACK and not getattr(ctx, "_nodehttps_sessions", False):
        _lib.set_new_session_callback(ctx, _on_new_session)
        ctx._nodehttps_sessions = True  # type: ignore[attr-defined]
    if w.store and not getattr(ctx, "_nodehttps_store", False):
        _lib.set_server_session_cache(ctx, _on_server_session)
        ctx._nodehttps_store = True  # type: ignore[attr-defined]


def _ensure(sock: TLSSocket) -> Watch:
    w: Watch | None = sock._watch
    if w is None:
        w = Watch(sock)
        sock._watch = w
    return w


def want_keylog(sock: TLSSocket) -> None:
    """``sock`` has a ``'keylog'`` listener (or its server has)."""
    _ensure(sock).keylog = True
    watch(sock)


def want_sessions(sock: TLSSocket) -> None:
    """A client ``sock`` has a ``'session'`` listener."""
    if SESSION_CALLBACK:
        _ensure(sock).sessions = True
        watch(sock)


def want_server_sessions(sock: TLSSocket) -> bool:
    """A server ``sock`` whose server listens to ``'newSession'``; False without libssl."""
    if not _AVAILABLE:
        return False
    _ensure(sock).store = True
    return True


def take_server_sessions(sock: TLSSocket) -> list[tuple[bytes, bytes]] | None:
    """The new server sessions of the last step, for ``sock`` to report itself."""
    w = sock._watch
    if w is None or not w.server_sessions:
        return None
    stored, w.server_sessions = w.server_sessions, []
    return stored


def node_session_cache(ctx: ssl.SSLContext) -> None:
    """A server context keeps no session ids of its own, as Node's (see ``_libssl``)."""
    if _AVAILABLE and not getattr(ctx, "_nodehttps_store", False):
        _lib.set_server_session_cache(ctx, None)


def session_to_der(session: ssl.SSLSession) -> bytes:
    """Node's session Buffer for a client session."""
    return _lib.session_to_der(session)


def offer_session_der(obj: ssl.SSLObject, der: bytes) -> None:
    """Offer a serialized client session (ignored when it does not parse, as in Node)."""
    if _AVAILABLE:
        _lib.offer_session(obj, der)


def parse_session(der: bytes) -> int:
    """A ``'resumeSession'`` answer as an OpenSSL session (0: none, or no libssl)."""
    return _lib.parse_session(der) if _AVAILABLE else 0


def free_session(session: int) -> None:
    """Drop a parsed session the handshake never asked for."""
    _lib.free_session(session)


def _on_get_session(ssl_id: int) -> int:
    w = _by_ssl.get(ssl_id)
    return 0 if w is None else w.sock._take_offered_session()


def serve_offered_sessions(ctx: ssl.SSLContext) -> None:
    """OpenSSL asks the connection itself for a session id it does not know (Node's
    ``GetSessionCallback``): each connection resumes only what its listener found."""
    if not getattr(ctx, "_nodehttps_get_session", False):
        _lib.set_get_session_callback(ctx, _on_get_session)
        ctx._nodehttps_get_session = True  # type: ignore[attr-defined]


def watch(sock: TLSSocket, ctx: ssl.SSLContext | None = None) -> None:
    """Route OpenSSL's reports for ``sock``'s engine (once it has one) to it."""
    w = sock._watch
    obj = sock._obj
    if obj is None:
        return
    if w is None:
        if _AVAILABLE or not _keylogfile.has_file(ctx or obj.context):
            return
        w = _ensure(sock)  # drains the context's key-log file after its steps
    if not w.key:
        w.key = id(obj._sslobj)  # type: ignore[attr-defined]
        _by_ssl[w.key] = w
    _install(ctx or obj.context, w)


def unwatch(sock: TLSSocket) -> None:
    """``sock`` is closing."""
    w = sock._watch
    if w is not None and w.key:
        _by_ssl.pop(w.key, None)
        w.key = 0


def after_step(sock: TLSSocket) -> None:
    """Dispatch what OpenSSL reported during the last engine step."""
    w = sock._watch
    if w is None:
        return
    if not _AVAILABLE and sock._obj is not None and _keylogfile.has_file(sock._obj.context):
        lines = _keylogfile.drain(sock._obj.context)
        if w.keylog:
            w.lines.extend(lines)
    if w.lines:
        lines, w.lines = w.lines, []
        for line in lines:
            sock._emit_keylog(line)
    if w.new_sessions:
        count, w.new_sessions = w.new_sessions, 0
        sock._emit_new_sessions(count)
    stored = take_server_sessions(sock)
    if stored:
        sock._emit_server_sessions(stored)


# -- connection facts -------------------------------------------------------------------------
def negotiated_group(obj: ssl.SSLObject) -> str | None:
    """The key-exchange group's name (``'x25519'``), ``None`` when unknown."""
    return _lib.get_negotiated_group(obj) if _AVAILABLE else None


def export_keying_material(
    obj: ssl.SSLObject, length: int, label: str, context: bytes | None
) -> bytes:
    """RFC 5705 keying material (Node's ``exportKeyingMaterial``)."""
    if not _AVAILABLE:
        raise errors.ERR_FEATURE_UNAVAILABLE_ON_PLATFORM(
            "exportKeyingMaterial is not available: libssl could not be reached"
        )
    return _lib.export_keying_material(obj, length, label.encode(), context)


def standard_cipher_name(name: str) -> str:
    """IANA's name of an OpenSSL cipher name (Node's ``standardName``)."""
    if name.startswith("TLS_"):
        return name
    parts = name.split("-")
    kx = "RSA"
    if len(parts) > 2 and parts[0] in ("ECDHE", "DHE") and parts[1] in ("RSA", "ECDSA"):
        kx = f"{parts[0]}_{parts[1]}"
        parts = parts[2:]
    cipher, rest = parts[0], parts[1:]
    if cipher.startswith("AES") and rest:
        bits = cipher[3:]
        if rest[0] in ("GCM", "CCM") and len(rest) > 1:
            return f"TLS_{kx}_WITH_AES_{bits}_{rest[0]}_{rest[1]}"
        return f"TLS_{kx}_WITH_AES_{bits}_CBC_{rest[0]}"
    if cipher == "CHACHA20":
        return f"TLS_{kx}_WITH_CHACHA20_POLY1305_SHA256"
    return name


def get_ticket_keys(ctx: ssl.SSLContext) -> bytes:
    """The context's session ticket keys (Node's 48-byte form)."""
    if not _AVAILABLE:
        raise errors.ERR_FEATURE_UNAVAILABLE_ON_PLATFORM(
            "getTicketKeys is not available: libssl could not be reached"
        )
    return _lib.get_ticket_keys(ctx)


def set_ticket_keys(ctx: ssl.SSLContext, keys: bytes) -> None:
    """Set the context's session ticket keys from Node's 48 bytes."""
    if not _AVAILABLE:
        raise errors.ERR_FEATURE_UNAVAILABLE_ON_PLATFORM(
            "setTicketKeys is not available: libssl could not be reached"
        )
    _lib.set_ticket_keys(ctx, keys)
