"""What the TLS engine asks of its neighbours, in one place.

The socket (``_socket.py``) needs secure contexts (``_context``), certificate objects
(``_certobj``), the identity check (``_identity``), Node's verify errors
(``_proto.verify_codes``) and what the stdlib ``ssl`` lacks (``_libssl``: the verify
result under ``CERT_NONE``, the negotiated group, exported keying material, ticket
keys, serialized sessions). This module binds those calls, with the fallback each has
when the libssl bridge is unavailable. What OpenSSL reports from inside a step
(keylog lines, sessions) is ``_reports.py``; per-context state is ``_ctxstate.py``.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable
from typing import Any

from .. import errors
from .._proto.verify_codes import verify_error as _verify_error
from . import _libssl as _lib
from . import _reports
from ._certobj import build_chain, certificate_from_der
from ._context import create_secure_context
from ._ctxstate import state_of
from ._identity import check_server_identity
from ._libssl import unverified_chain as sent_chain
from ._libssl import verified_chain

__all__ = [
    "accept_any_peer_certificate",
    "build_chain",
    "certificate_from_der",
    "check_server_identity",
    "create_secure_context",
    "default_identity_error",
    "exact_verify",
    "export_keying_material",
    "finished",
    "free_session",
    "get_ticket_keys",
    "negotiated_group",
    "node_session_cache",
    "offer_session_der",
    "parse_session",
    "sent_chain",
    "session_to_der",
    "set_ticket_keys",
    "share_session",
    "standard_cipher_name",
    "use_alpn_callback",
    "use_alpn_protocols",
    "verified_chain",
    "verify_error",
    "verify_result",
]


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
    return _reports.AVAILABLE


def verify_result(obj: ssl.SSLObject) -> int:
    """OpenSSL's verify result for the peer chain, also under ``CERT_NONE``."""
    if _reports.AVAILABLE:
        return int(_lib.get_verify_result(obj))
    # Without libssl: a verifying context has verified during the handshake (a failure
    # ended it); a CERT_NONE one cannot tell, and says so: X509_V_ERR_UNSPECIFIED.
    return 0 if obj.context.verify_mode != ssl.CERT_NONE else 1


def accept_any_peer_certificate(ctx: ssl.SSLContext) -> bool:
    """Let handshakes finish whatever the peer's chain (Node's always-OK verify callback),
    so a server with ``request_cert`` and ``reject_unauthorized=False`` can report the
    result. False when libssl offers no such hook: a bad client certificate then fails
    the handshake (``'tlsClientError'``) instead."""
    if not _reports.AVAILABLE:
        return False
    state = state_of(ctx)
    if not state.permissive_verify:
        _lib.set_permissive_verify(ctx)
        state.permissive_verify = True
    return True


# -- ALPN ------------------------------------------------------------------------------------
def use_alpn_callback(ctx: ssl.SSLContext) -> None:
    """A server with Node's ``ALPNCallback``: OpenSSL asks each connection's chooser."""
    _use_alpn_selector(ctx, None)


def use_alpn_protocols(ctx: ssl.SSLContext, protocols: list[str]) -> None:
    """A server's ``ALPNProtocols``, chosen as Node does: the first of the server's the
    client offered, and a client offering ALPN but none of them fails the handshake
    with a ``no_application_protocol`` alert. Without the libssl bridge, Python's own
    choice (``set_alpn_protocols``: no ALPN on a mismatch)."""
    if not _reports.AVAILABLE:
        ctx.set_alpn_protocols(protocols)
        return
    wire = b"".join(bytes([len(p.encode())]) + p.encode() for p in protocols)
    _use_alpn_selector(ctx, wire)


def _use_alpn_selector(ctx: ssl.SSLContext, protocols: bytes | None) -> None:
    # Installed every time: SSLContext.set_alpn_protocols (a context built with
    # ALPNProtocols) replaces the selection callback with CPython's own.
    state_of(ctx).alpn_protocols = protocols
    _lib.set_alpn_select_callback(ctx)


def finished(obj: ssl.SSLObject, peer: bool) -> bytes | None:
    """Node's ``getFinished()`` / ``getPeerFinished()``."""
    if not _reports.AVAILABLE:
        raise errors.ERR_FEATURE_UNAVAILABLE_ON_PLATFORM(
            "getFinished is not available: libssl could not be reached"
        )
    return _lib.get_finished(obj, peer)


def node_session_cache(ctx: ssl.SSLContext) -> None:
    """A server context keeps no session ids of its own, as Node's (see ``_libssl``)."""
    if _reports.AVAILABLE:
        state = state_of(ctx)
        if not state.server_cache:
            _lib.set_server_session_cache(ctx, report=False)
            state.server_cache = True


def session_to_der(session: ssl.SSLSession) -> bytes:
    """Node's session Buffer for a client session."""
    return _lib.session_to_der(session)


def offer_session_der(obj: ssl.SSLObject, der: bytes) -> None:
    """Offer a serialized client session (ignored when it does not parse, as in Node)."""
    if _reports.AVAILABLE:
        _lib.offer_session(obj, der)


def share_session(obj: ssl.SSLObject, session: ssl.SSLSession) -> bool:
    """Offer a resumable session, copied cheaply; False when the bridge cannot (the
    caller then lets ``wrap_bio`` copy it through its bytes)."""
    return _reports.AVAILABLE and _lib.share_session(obj, session)


def parse_session(der: bytes) -> int:
    """A ``'resumeSession'`` answer as an OpenSSL session (0: none, or no libssl)."""
    return _lib.parse_session(der) if _reports.AVAILABLE else 0


def free_session(session: int) -> None:
    """Drop a parsed session the handshake never asked for."""
    _lib.free_session(session)


# -- connection facts -------------------------------------------------------------------------
def negotiated_group(obj: ssl.SSLObject) -> str | None:
    """The key-exchange group's name (``'x25519'``), ``None`` when unknown."""
    return _lib.get_negotiated_group(obj) if _reports.AVAILABLE else None


def export_keying_material(
    obj: ssl.SSLObject, length: int, label: str, context: bytes | None
) -> bytes:
    """RFC 5705 keying material (Node's ``exportKeyingMaterial``)."""
    if not _reports.AVAILABLE:
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
    """Node's ``getTicketKeys()``: the context's 48 bytes (made at random on first ask)."""
    _need_bridge("getTicketKeys")
    keys = state_of(ctx).ticket_keys
    if keys is None:
        keys = os.urandom(48)
        set_ticket_keys(ctx, keys)
    return keys


def set_ticket_keys(ctx: ssl.SSLContext, keys: bytes) -> None:
    """Node's ``setTicketKeys(keys)``: the context's session ticket keys (48 bytes)."""
    _need_bridge("setTicketKeys")
    _lib.set_ticket_keys(ctx, keys)
    state_of(ctx).ticket_keys = bytes(keys)


def _need_bridge(what: str) -> None:
    if not _reports.AVAILABLE:
        raise errors.ERR_FEATURE_UNAVAILABLE_ON_PLATFORM(
            f"{what} is not available: libssl could not be reached"
        )
