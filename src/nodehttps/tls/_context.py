"""Node's ``tls.createSecureContext(options)``: one ``ssl.SSLContext`` per option set.

Every option OpenSSL can serve through Python is applied here, in Node's way: Node's
defaults (TLS 1.2-1.3, Node's cipher list, cipher order *not* the server's, Mozilla's
roots from ``certifi`` plus ``NODE_EXTRA_CA_CERTS``), argument errors with Node's codes
and messages, credentials from memory (``_material``). Hostname checks are never
OpenSSL's (``check_hostname`` is off); the TLS layer runs Node's own after the handshake.

Contexts are cached per set of the options that shape them (``_OPTIONS``; the key
includes the bytes of all material), so the same options give the very same context:
building one costs ~50 ms (certifi's roots, PKCS#12 parsing), and a TLS session can only
be resumed with the context that made it. The other keys of a connection's options
(``hostname``, ``href``, ``timeout``...) are left out of the key, so they never cost a
new context.
"""

from __future__ import annotations

import json
import os
import ssl
import warnings
from collections import OrderedDict
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding

from .. import errors
from .._options import normalize, validate_string
from . import _libssl, _material
from ._ctxstate import state_of

__all__ = ["DEFAULT_CIPHERS", "SecureContext", "create_secure_context"]

DEFAULT_CIPHERS = (
    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA256:"
    "DHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384:DHE-RSA-AES256-SHA384:"
    "ECDHE-RSA-AES256-SHA256:DHE-RSA-AES256-SHA256:HIGH:!aNULL:!eNULL:!EXPORT:!DES:!RC4:"
    "!MD5:!PSK:!SRP:!CAMELLIA"
)

_VERSIONS = {
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1": ssl.TLSVersion.TLSv1,
}
_METHODS: dict[str, tuple[str | None, str | None]] = {
    "TLS_method": (None, None),
    "SSLv23_method": (None, None),
    "TLS_client_method": (None, None),
    "TLS_server_method": (None, None),
    "SSLv23_client_method": (None, None),
    "SSLv23_server_method": (None, None),
    "TLSv1_method": ("TLSv1", "TLSv1"),
    "TLSv1_client_method": ("TLSv1", "TLSv1"),
    "TLSv1_server_method": ("TLSv1", "TLSv1"),
    "TLSv1_1_method": ("TLSv1.1", "TLSv1.1"),
    "TLSv1_1_client_method": ("TLSv1.1", "TLSv1.1"),
    "TLSv1_1_server_method": ("TLSv1.1", "TLSv1.1"),
    "TLSv1_2_method": ("TLSv1.2", "TLSv1.2"),
    "TLSv1_2_client_method": ("TLSv1.2", "TLSv1.2"),
    "TLSv1_2_server_method": ("TLSv1.2", "TLSv1.2"),
}
_MATERIAL_TYPES = ["string", "Buffer", "TypedArray", "DataView"]
# Every option ``_build`` reads: the only ones it is given, and so the whole cache key.
_OPTIONS = (
    "secure_protocol",
    "min_version",
    "max_version",
    "ciphers",
    "honor_cipher_order",
    "ca",
    "crl",
    "cert",
    "key",
    "passphrase",
    "pfx",
    "alpn_protocols",
    "ecdh_curve",
    "dhparam",
    "secure_options",
    "session_id_context",
    "session_timeout",
    "ticket_keys",
    "sigalgs",
)
_CACHE_SIZE = 64
_cache: OrderedDict[tuple[Any, ...], SecureContext] = OrderedDict()


class SecureContext:
    """Node's ``tls.SecureContext``: ``.context`` is the ``ssl.SSLContext``."""

    __slots__ = ("context", "is_server", "options", "own_der")

    def __init__(self, context: ssl.SSLContext, is_server: bool, options: dict[str, Any]) -> None:
        self.context = context
        self.is_server = is_server
        self.options = options  # the context's own options (``_OPTIONS``)
        # The first certificate loaded (DER), what ``getCertificate()`` reports: with
        # several (RSA and ECDSA) OpenSSL's pick is not visible from Python.
        self.own_der: bytes | None = None


def _is_material(value: Any) -> bool:
    return isinstance(value, str | bytes | bytearray | memoryview)


def _materials(value: Any, name: str, allow_objects: bool = False) -> list[Any]:
    """Node's ``options.key``/``cert``/``ca`` type rules: a value or a list of them.

    As Node's ``configSecureContext``, a ``{pem}`` object (``key`` only, and only inside
    a list) is judged by its ``pem`` value, and that value is the one the message shows.
    """
    if value is None or value is False:
        return []
    listed = isinstance(value, list | tuple)
    items = value if listed else [value]
    for item in items:
        objects = allow_objects and listed and isinstance(item, dict) and "pem" in item
        shown = item["pem"] if objects else item
        if not _is_material(shown):
            raise errors.invalid_arg_type(f"options.{name}", _MATERIAL_TYPES, shown)
    return list(items)


def _freeze(v: Any) -> Any:
    if isinstance(v, dict):
        return tuple(sorted((k, _freeze(x)) for k, x in v.items()))
    if isinstance(v, list | tuple):
        return tuple(_freeze(x) for x in v)
    if isinstance(v, bytearray | memoryview):
        return bytes(v)
    return v


def create_secure_context(
    options: dict[str, Any] | None = None,
    *,
    is_server: bool = False,
    verify: bool = False,
    **kwargs: Any,
) -> SecureContext:
    """Node's ``tls.createSecureContext([options])`` (``is_server`` picks the side)."""
    given = normalize(options, kwargs)
    opts = {k: given[k] for k in _OPTIONS if given.get(k) is not None}
    key = (
        is_server,
        verify,
        os.environ.get("NODE_EXTRA_CA_CERTS"),
        tuple((k, _freeze(v)) for k, v in opts.items()),
    )
    try:
        cached = _cache.get(key)
    except TypeError:  # an unhashable value: ``_build`` reports it as Node does
        return _build(opts, is_server, verify)
    if cached is not None:
        _cache.move_to_end(key)
        return cached
    secure = _build(opts, is_server, verify)
    _cache[key] = secure
    while len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return secure


def _build(opts: dict[str, Any], is_server: bool, verify: bool) -> SecureContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if is_server else ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_REQUIRED if verify else ssl.CERT_NONE
    ctx.options |= getattr(ssl, "OP_NO_RENEGOTIATION", 0)
    secure = SecureContext(ctx, is_server, opts)
    _versions(ctx, opts)  # Node's order (ciphers first), so the first bad option is reported
    _ciphers(ctx, opts)
    _trust(secure, opts)
    _credentials(secure, opts)
    _extras(ctx, opts)
    return secure


def _versions(ctx: ssl.SSLContext, opts: dict[str, Any]) -> None:
    method = opts.get("secure_protocol")
    low, high = opts.get("min_version"), opts.get("max_version")
    for value, word in ((low, "minimum"), (high, "maximum")):
        if value is not None and value not in _VERSIONS:
            raise errors.ERR_TLS_INVALID_PROTOCOL_VERSION(
                f'"{value}" is not a valid {word} TLS protocol version'
            )
    if method is not None:
        if method not in _METHODS:
            raise errors.ERR_TLS_INVALID_PROTOCOL_METHOD(f"Unknown method: {method}")
        if low is not None or high is not None:
            # Node: 'TLS protocol version %j conflicts with secureProtocol %j' (JSON-quoted).
            raise errors.ERR_TLS_PROTOCOL_VERSION_CONFLICT(
                f"TLS protocol version {json.dumps(low or high)} conflicts with "
                f"secureProtocol {json.dumps(method)}"
            )
        low, high = _METHODS[method]
    low = low or "TLSv1.2"
    high = high or "TLSv1.3"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = _VERSIONS[low]
        ctx.maximum_version = _VERSIONS[high]


def _ciphers(ctx: ssl.SSLContext, opts: dict[str, Any]) -> None:
    ciphers = opts.get("ciphers") or DEFAULT_CIPHERS
    names = [c for c in str(ciphers).split(":") if c]
    tls13 = ":".join(n for n in names if n.startswith("TLS_"))
    rest = ":".join(n for n in names if not n.startswith("TLS_"))
    if opts.get("min_version") in ("TLSv1", "TLSv1.1") or str(
        opts.get("secure_protocol", "")
    ).startswith(("TLSv1_method", "TLSv1_1")):
        rest += ":@SECLEVEL=0"
    try:
        if rest:
            ctx.set_ciphers(rest)
    except ssl.SSLError as exc:
        raise errors.make(
            "ERR_SSL_NO_CIPHER_MATCH", "error:0A0000B9:SSL routines::no cipher match"
        ) from exc
    if (
        tls13
        and tls13 != "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"
    ):
        _libssl.set_ciphersuites(ctx, tls13)
    if not opts.get("honor_cipher_order"):
        ctx.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE  # Python sets it; Node does not


def _trust(secure: SecureContext, opts: dict[str, Any]) -> None:
    ctx = secure.context
    cas = _materials(opts.get("ca"), "ca")
    if cas:
        for ca in cas:
            data = _material.as_bytes(ca)
            if b"-----BEGIN" in data:
                ctx.load_verify_locations(cadata=data.decode("latin-1"))
            else:
                ctx.load_verify_locations(cadata=data)
    else:
        import certifi

        ctx.load_verify_locations(cafile=certifi.where())
        extra = os.environ.get("NODE_EXTRA_CA_CERTS")
        if extra:
            try:
                ctx.load_verify_locations(cafile=extra)
            except (OSError, ssl.SSLError) as exc:
                warnings.warn(
                    f"Ignoring extra certs from `{extra}`, load failed: {exc}",
                    RuntimeWarning,
                    stacklevel=4,
                )
    crls = _materials(opts.get("crl"), "crl")
    for crl in crls:
        _material.load_crl(ctx, _material.as_bytes(crl))
    if crls:
        ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_CHAIN


def _credentials(secure: SecureContext, opts: dict[str, Any]) -> None:
    ctx = secure.context
    # Node's configSecureContext order: ca (done), then cert, then key, later pfx.
    cert_items = _materials(opts.get("cert"), "cert")
    key_items = _materials(opts.get("key"), "key", allow_objects=True)
    passphrase = opts.get("passphrase")
    chains = [_material.parse_certs(_material.as_bytes(c)) for c in cert_items]
    keys = [  # Node: ``val.passphrase || passphrase``
        _material.parse_key(_material.as_bytes(k["pem"]), k.get("passphrase") or passphrase)
        if isinstance(k, dict)
        else _material.parse_key(_material.as_bytes(k), passphrase)
        for k in key_items
    ]
    for chain in chains:
        match = next((k for k in keys if _material.same_key(k, chain[0])), None)
        if match is None:
            if keys:
                raise errors.make(
                    "ERR_OSSL_X509_KEY_VALUES_MISMATCH",
                    "error:05800074:x509 certificate routines::key values mismatch",
                )
            continue  # a cert without a key: Node ignores it until a key comes
        _material.load_chain(ctx, chain, match)
        _loaded(secure, chain)
    pfx = opts.get("pfx")
    if pfx:
        for item in pfx if isinstance(pfx, list | tuple) else [pfx]:
            buf, pw = (
                (item.get("buf"), item.get("passphrase") or passphrase)
                if isinstance(item, dict)
                else (item, passphrase)
            )
            key, chain, bag = _material.load_pfx(_material.as_bytes(buf), pw)
            _material.load_chain(ctx, chain, key)
            _loaded(secure, chain)
            for ca in bag:
                ctx.load_verify_locations(cadata=ca.public_bytes(Encoding.DER))


def _loaded(secure: SecureContext, chain: list[Any]) -> None:
    if secure.own_der is None:
        secure.own_der = chain[0].public_bytes(Encoding.DER)


def _alpn_list(value: Any) -> list[str]:
    """Node's ``ALPNProtocols``: a list of names, or the wire format (length-prefixed)."""
    if isinstance(value, bytes | bytearray | memoryview):
        data, out = bytes(value), []
        while data:
            out.append(data[1 : 1 + data[0]].decode())
            data = data[1 + data[0] :]
        return out
    return [v.decode() if isinstance(v, bytes | bytearray) else str(v) for v in value]


# OpenSSL's short names of the NIST curves, for the stdlib's one-curve setter
_NIST_CURVES = {"P-256": "prime256v1", "P-384": "secp384r1", "P-521": "secp521r1"}


def _ecdh_curve(ctx: ssl.SSLContext, curve: Any) -> None:
    """Node's ``ecdhCurve``: ``'auto'`` (OpenSSL's default groups), or one curve or a
    colon list in any name OpenSSL knows (``'P-256'``, ``'prime256v1'``,
    ``'X25519:P-256'``), set as Node sets it (``SSL_CTX_set1_groups_list``); anything
    else is Node's ``ERR_CRYPTO_OPERATION_FAILED`` "Failed to set ECDH curve". Without
    the libssl bridge one curve goes through ``SSLContext.set_ecdh_curve``."""
    validate_string(curve, "options.ecdhCurve")
    if curve == "auto":
        return
    if _libssl.available():
        _libssl.set_groups(ctx, curve)
        return
    if ":" in curve:
        _libssl.set_groups(ctx, curve)  # ERR_FEATURE_UNAVAILABLE_ON_PLATFORM
    try:
        ctx.set_ecdh_curve(_NIST_CURVES.get(curve, curve))
    except (ValueError, ssl.SSLError) as exc:
        raise errors.make("ERR_CRYPTO_OPERATION_FAILED", "Failed to set ECDH curve") from exc


def _extras(ctx: ssl.SSLContext, opts: dict[str, Any]) -> None:
    alpn = opts.get("alpn_protocols")
    if alpn:
        ctx.set_alpn_protocols(_alpn_list(alpn))
    curve = opts.get("ecdh_curve")
    if curve is not None:
        _ecdh_curve(ctx, curve)
    dhparam = opts.get("dhparam")
    if dhparam:
        _material.load_dhparam(ctx, _material.as_bytes(dhparam))
    secure_options = opts.get("secure_options")
    if secure_options:
        ctx.options |= int(secure_options)
    sid = opts.get("session_id_context")
    if sid:
        _libssl.set_session_id_context(ctx, _material.as_bytes(sid))
    timeout = opts.get("session_timeout")
    if timeout is not None:
        _libssl.set_session_timeout(ctx, int(timeout))
    ticket_keys = opts.get("ticket_keys")
    if ticket_keys is not None:
        keys = _material.as_bytes(ticket_keys)
        _libssl.set_ticket_keys(ctx, keys)
        state_of(ctx).ticket_keys = keys
    sigalgs = opts.get("sigalgs")
    if sigalgs:
        _libssl.set_sigalgs(ctx, str(sigalgs))
