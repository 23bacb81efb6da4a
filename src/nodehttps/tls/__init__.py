"""Node's ``tls`` module: ``connect``, ``create_server``, ``TLSSocket``, secure contexts.

TLS runs in our own engine (``ssl.MemoryBIO`` + ``SSLContext.wrap_bio``) over a
``net.Socket``, as Node's TLSWrap runs over its TCP handle: see ``_socket.py``.
"""

from __future__ import annotations

import ssl
from typing import Any

from ._certobj import pin_sha256
from ._connect import NodeDeprecationWarning, connect
from ._context import DEFAULT_CIPHERS, SecureContext, create_secure_context
from ._identity import check_server_identity
from ._server import Server, convert_alpn_protocols, create_server
from ._session import TLSSession
from ._socket import TLSSocket

__all__ = [
    "CLIENT_RENEG_LIMIT",
    "CLIENT_RENEG_WINDOW",
    "DEFAULT_CIPHERS",
    "DEFAULT_ECDH_CURVE",
    "DEFAULT_MAX_VERSION",
    "DEFAULT_MIN_VERSION",
    "NodeDeprecationWarning",
    "SecureContext",
    "Server",
    "TLSSession",
    "TLSSocket",
    "check_server_identity",
    "connect",
    "convert_alpn_protocols",
    "create_secure_context",
    "create_server",
    "get_ciphers",
    "pin_sha256",
    "root_certificates",
]

DEFAULT_MIN_VERSION = "TLSv1.2"
DEFAULT_MAX_VERSION = "TLSv1.3"
DEFAULT_ECDH_CURVE = "auto"
CLIENT_RENEG_LIMIT = 3  # Node's constants; renegotiation is always refused here (SPEC 9)
CLIENT_RENEG_WINDOW = 600

_roots: tuple[str, ...] | None = None


def _root_certificates() -> tuple[str, ...]:
    """Node's ``tls.rootCertificates``: Mozilla's roots (``certifi``), PEM, made once."""
    global _roots
    if _roots is None:
        import certifi

        begin, end = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
        _roots = tuple(
            part[part.index(begin) :] + end
            for part in certifi.contents().split(end)
            if begin in part
        )
    return _roots


def get_ciphers() -> list[str]:
    """Node's ``tls.getCiphers()``: the names of the supported ciphers, lower case."""
    names = {c["name"].lower() for c in ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).get_ciphers()}
    return sorted(names)


def __getattr__(name: str) -> Any:
    if name == "root_certificates":
        return _root_certificates()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
