"""Node's ``tls`` module: ``connect``, ``create_server``, ``TLSSocket``, secure contexts.

TLS runs in our own engine (``ssl.MemoryBIO`` + ``SSLContext.wrap_bio``) over a
``net.Socket``, as Node's TLSWrap runs over its TCP handle: see ``_socket.py``.
"""

from __future__ import annotations

import ssl
from typing import Any

from ._certobj import pin_sha256
from ._connect import NodeDeprecationWarning, connect
from ._hooks import check_server_identity, create_secure_context
from ._server import Server, convert_alpn_protocols, create_server
from ._session import TLSSession
from ._socket import TLSSocket

try:  # pragma: no cover - the SecureContext class lives with create_secure_context
    from ._context import SecureContext
except ImportError:  # pragma: no cover
    from ._standin import SecureContext

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
DEFAULT_CIPHERS = (
    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA256:"
    "DHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384:DHE-RSA-AES256-SHA384:"
    "ECDHE-RSA-AES256-SHA256:DHE-RSA-AES256-SHA256:HIGH:!aNULL:!eNULL:!EXPORT:!DES:!RC4:"
    "!MD5:!PSK:!SRP:!CAMELLIA")
CLIENT_RENEG_LIMIT = 3
CLIENT_RENEG_WINDOW = 600

_roots: tuple[str, ...] | None = None


def _root_certificates() -> tuple[str, ...]:
    global _roots
    if _roots is None:
        import certifi

        text = certifi.contents()
        end = "-----END CERTIFICATE-----"
        _roots = tuple(part.strip()[part.strip().find("-----BEGIN"):] + "\n" + end
                       for part in text.split(end) if "-----BEGIN CERTIFICATE-----" in part)
        _roots = tuple(pem.rstrip("\n") for pem in _roots)
    return _roots


def get_ciphers() -> list[str]:
    """Node's ``tls.getCiphers()``: the names of the supported ciphers, lower case."""
    names = {c["name"].lower() for c in ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).get_ciphers()}
    return sorted(names)


def __getattr__(name: str) -> Any:
    if name == "root_certificates":
        return _root_certificates()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
