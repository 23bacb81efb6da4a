"""The read-only side of a TLS connection: certificates, cipher, protocol, keys.

Node's ``TLSSocket`` getters (``getPeerCertificate``, ``getCipher``, ...), as a mixin of
:class:`~nodehttps.tls.TLSSocket` over its ``ssl.SSLObject``. Certificate objects are
built on first use and kept: building a detailed chain costs far more than the
handshake's own parsing.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mypy_extensions import mypyc_attr, trait

from .. import errors
from .._options import validate_integer, validate_string
from . import _hooks
from ._session import TLSSession

if TYPE_CHECKING:
    from ._engine import TLSEngine

__all__ = ["TLSInfo"]

_GROUPS = {
    "x25519": ("X25519", 253),
    "x448": ("X448", 448),
    "secp256r1": ("prime256v1", 256),
    "prime256v1": ("prime256v1", 256),
    "p-256": ("prime256v1", 256),
    "secp384r1": ("secp384r1", 384),
    "p-384": ("secp384r1", 384),
    "secp521r1": ("secp521r1", 521),
    "p-521": ("secp521r1", 521),
}


@trait
@mypyc_attr(allow_interpreted_subclasses=True)
class TLSInfo:
    """Node's TLSSocket getters; mixed into :class:`TLSSocket` (which holds the slots)."""

    _obj: ssl.SSLObject | None
    _engine: TLSEngine
    _is_server: bool
    _chain: tuple[bytes, ...] | None
    _peer_cert: dict[Any, Any]
    _session_offer: TLSSession | bytes | None
    _secure_ctx: Any
    _ctx: ssl.SSLContext
    _loop: Any

    def is_session_reused(self) -> bool:
        """Node's ``isSessionReused()``."""
        return bool(self._obj is not None and self._obj.session_reused)

    def _peer_chain(self) -> tuple[bytes, ...]:
        if self._chain is None:
            obj = self._obj
            if obj is None:
                return ()
            chain = _hooks.verified_chain(obj)
            if not chain:
                leaf = obj.getpeercert(True)
                offer = self._session_offer
                if (
                    isinstance(offer, TLSSession)
                    and offer.peer_chain
                    and self.is_session_reused()
                    and (leaf is None or offer.peer_chain[0] == leaf)
                ):
                    chain = offer.peer_chain
                elif leaf is not None:
                    chain = (leaf,)
            self._chain = chain
        return self._chain

    def _wrap_session(self, session: ssl.SSLSession) -> TLSSession:
        return TLSSession(session, self._ctx, self._peer_chain(), self._secure_ctx)

    def get_session(self) -> TLSSession | None:
        """Node's ``getSession()``: the session to resume with (a :class:`TLSSession`)."""
        if self._obj is None or not self._engine.handshake_finished:
            return None
        session = self._obj.session
        return self._wrap_session(session) if session is not None else None

    def get_peer_certificate(self, detailed: bool = False) -> Any:
        """Node's ``getPeerCertificate([detailed])``: a certificate object, ``{}`` if none.

        ``detailed`` links ``issuer_certificate`` up the chain; on a resumed session the
        chain comes from the session given to ``connect(session=...)``.
        """
        if self._obj is None:
            return None
        detailed = bool(detailed)
        cached = self._peer_cert.get(detailed)
        if cached is not None:
            return cached
        chain = self._peer_chain()
        if not chain:
            return {}
        cert = (
            _hooks.build_chain(list(chain)) if detailed else _hooks.certificate_from_der(chain[0])
        )
        self._peer_cert[detailed] = cert
        return cert

    def get_certificate(self) -> Any:
        """Node's ``getCertificate()``: our own certificate object, ``{}`` if none."""
        if self._obj is None:
            return None
        cached = self._peer_cert.get("own")
        if cached is None:
            der = getattr(self._secure_ctx, "own_der", None)
            cached = self._peer_cert["own"] = _hooks.certificate_from_der(der) if der else {}
        return cached

    # -- connection facts -------------------------------------------------------------------
    def get_protocol(self) -> str | None:
        """Node's ``getProtocol()``: ``'TLSv1.3'``, ``'TLSv1.2'``..."""
        return self._obj.version() if self._obj is not None else None

    def get_cipher(self) -> dict[str, Any] | None:
        """Node's ``getCipher()``: ``{'name', 'standard_name', 'version'}``.

        Node's ``standardName`` key works too (``cipher['standardName']``).
        """
        if self._obj is None or not self._engine.handshake_finished:
            return None
        info = self._obj.cipher()
        if info is None:
            return None
        name, version, _bits = info
        return _Cipher(name=name, standard_name=_hooks.standard_cipher_name(name), version=version)

    def get_finished(self) -> bytes | None:
        """Node's ``getFinished()``: the last Finished message sent (None before one)."""
        return _hooks.finished(self._obj, False) if self._obj is not None else None

    def get_peer_finished(self) -> bytes | None:
        """Node's ``getPeerFinished()``: the last Finished message received."""
        return _hooks.finished(self._obj, True) if self._obj is not None else None

    def get_ephemeral_key_info(self) -> dict[str, Any] | None:
        """Node's ``getEphemeralKeyInfo()``: ``{'type', 'name', 'size'}`` (client only)."""
        if self._is_server:
            return None
        if self._obj is None or not self._engine.handshake_finished:
            return {}
        group = _hooks.negotiated_group(self._obj)
        if not group:
            return {}
        known = _GROUPS.get(group.lower())
        if known is not None:
            return {"type": "ECDH", "name": known[0], "size": known[1]}
        if group.lower().startswith("ffdhe"):
            return {"type": "DH", "size": int(group[5:])}
        return {"type": "ECDH", "name": group}

    def export_keying_material(self, length: Any, label: Any, context: Any = None) -> bytes:
        """Node's ``exportKeyingMaterial(length, label[, context])`` (RFC 5705)."""
        length = validate_integer(length, "length", 1, 2**32 - 1)  # Node's validateUint32
        validate_string(label, "label")
        if context is not None:
            if not isinstance(context, bytes | bytearray | memoryview):
                raise errors.invalid_arg_type(
                    "context", ["Buffer", "TypedArray", "DataView"], context
                )
            context = bytes(context)
        if self._obj is None or not self._engine.handshake_finished:
            raise errors.ERR_TLS_INVALID_STATE()
        return _hooks.export_keying_material(self._obj, length, label, context)

    def disable_renegotiation(self) -> None:
        """Node's ``disableRenegotiation()``: renegotiation is always refused here."""

    def renegotiate(self, options: Any = None, callback: Callable[..., Any] | None = None) -> bool:
        """Node's ``renegotiate()``: refused (SPEC 9): ``ERR_TLS_RENEGOTIATION_DISABLED``."""
        if callable(options):
            callback = options
        if callback is not None:
            self._loop.call_soon(callback, errors.ERR_TLS_RENEGOTIATION_DISABLED())
        return False


@mypyc_attr(native_class=False)
class _Cipher(dict):  # type: ignore[type-arg]
    """``get_cipher()``'s value: snake_case keys, Node's keys by item access too."""

    _NODE = {"standardName": "standard_name"}

    def __getitem__(self, key: str) -> Any:
        return super().__getitem__(self._NODE.get(key, key))

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None
