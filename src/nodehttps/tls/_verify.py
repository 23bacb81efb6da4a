"""Node's checks of a finished handshake, and the translation of a failed one.

After the handshake Node checks, in order: the peer chain's verify result (``verifyError``,
read from OpenSSL also under ``CERT_NONE``), then, on a client, ``checkServerIdentity``
unless the session was resumed (Node's checker first sees the leaf alone; the chain is
built only if it fails). A handshake that failed (or a connection that ended before it
was done) becomes Node's error here, an ``ssl.SSLError`` kept as its ``__cause__``.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import Any

from .. import errors
from . import _hooks
from ._sslerrors import from_ssl_error

__all__ = ["chain_error", "disconnected", "handshake_error", "identity_error"]

_DISCONNECTED = "Client network socket disconnected before secure TLS connection was established"


def chain_error(obj: ssl.SSLObject) -> BaseException | None:
    """Node's ``verifyError()``: the peer chain's verify result, as Node's error."""
    if obj.getpeercert(True) is None:
        return _hooks.verify_error(2, 0)  # Node: UNABLE_TO_GET_ISSUER_CERT, no cert
    code = _hooks.verify_result(obj)
    if not code:
        return None
    return _hooks.verify_error(code, len(_hooks.sent_chain(obj)) if code == 20 else None)


def identity_error(
    host: str,
    obj: ssl.SSLObject,
    check: Callable[..., Any] | None,
    peer_certificate: Callable[[bool], Any],
) -> BaseException | None:
    """Node's ``checkServerIdentity(host, cert)`` (or the user's ``check``) on the peer
    certificate: its error, or None. Call it only with a peer certificate present."""
    if check is None:
        leaf = obj.getpeercert(True) or b""
        return _hooks.default_identity_error(host, leaf, peer_certificate)
    result = check(host, peer_certificate(True))
    return result if result else None


def handshake_error(exc: ssl.SSLError, obj: ssl.SSLObject | None, as_write: bool) -> BaseException:
    """Node's error for a failed handshake: a verify code as Node's verify error, else
    OpenSSL's error (``EPROTO`` when a write was waiting, ``as_write``)."""
    if isinstance(exc, ssl.SSLCertVerificationError) and obj is not None:
        sent = len(_hooks.sent_chain(obj)) if exc.verify_code == 20 else None
        err = _hooks.verify_error(exc.verify_code, sent)
        if err is not None:
            err.__cause__ = exc
            return err
    return from_ssl_error(exc, as_write=as_write)


def disconnected(opts: dict[str, Any]) -> errors.NodeError:
    """Node's error for a client whose connection ended before its handshake did."""
    return errors.conn_reset(
        _DISCONNECTED,
        path=opts.get("path"),
        host=opts.get("host"),
        port=opts.get("port"),
        local_address=opts.get("local_address"),
    )
