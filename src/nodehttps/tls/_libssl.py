"""The libssl bridge: what Python's ``ssl`` lacks, from the same libssl, through ctypes.

Theory of operation
-------------------
This is the only module that imports ctypes. It opens the shared object of ``_ssl``
(so symbols resolve to the very libssl Python uses) and finds the ``SSL_CTX*`` behind
an ``ssl.SSLContext`` and the ``SSL*`` behind an ``ssl.SSLObject``: CPython keeps each
pointer as the first field after the object header. Before trusting that layout, it
validates it once: it flips an option bit through Python and reads it back through
``SSL_CTX_get_options`` on the pointer found, and checks that OpenSSL's app-data of an
``SSL*`` points back at its Python object. If anything does not check out (a static
build, another interpreter, another layout) :func:`available` is False and every
function raises ``ERR_FEATURE_UNAVAILABLE_ON_PLATFORM``; callers fall back or say so.

Callbacks (keylog lines, new sessions) run inside OpenSSL on the loop's thread; they
only hand their bytes to a Python function that must queue them, never re-enter TLS.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import ssl
from collections.abc import Callable
from typing import Any

from .. import _loop, errors

__all__ = [
    "available",
    "export_keying_material",
    "free_session",
    "get_finished",
    "get_negotiated_group",
    "get_ticket_keys",
    "get_verify_result",
    "offer_session",
    "parse_session",
    "session_to_der",
    "set_alpn_select_callback",
    "set_ciphersuites",
    "set_get_session_callback",
    "set_groups",
    "set_keylog_callback",
    "set_new_session_callback",
    "set_permissive_verify",
    "set_server_session_cache",
    "set_session_id_context",
    "set_session_timeout",
    "set_sigalgs",
    "set_ticket_keys",
]

_KEYLOG_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p)
_NEW_SESSION_CB = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
_VERIFY_CB = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_void_p)
_P = ctypes.c_void_p
# SSL_SESSION *(*)(SSL *, const unsigned char *id, int len, int *copy)
_GET_SESSION_CB = ctypes.CFUNCTYPE(_P, _P, _P, ctypes.c_int, ctypes.POINTER(ctypes.c_int))
# int (*)(SSL *, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
#         unsigned int inlen, void *arg)
_ALPN_SELECT_CB = ctypes.CFUNCTYPE(
    ctypes.c_int, _P, ctypes.POINTER(_P), ctypes.POINTER(ctypes.c_ubyte), _P, ctypes.c_uint, _P
)
_SIGNATURES: dict[str, tuple[Any, list[Any]]] = {
    "SSL_CTX_set_keylog_callback": (None, [_P, _KEYLOG_CB]),
    "SSL_CTX_sess_set_new_cb": (None, [_P, _NEW_SESSION_CB]),
    "SSL_CTX_ctrl": (ctypes.c_long, [_P, ctypes.c_int, ctypes.c_long, _P]),
    "SSL_CTX_get_options": (ctypes.c_uint64, [_P]),
    "SSL_CTX_set_verify": (None, [_P, ctypes.c_int, _VERIFY_CB]),
    "SSL_CTX_get_verify_mode": (ctypes.c_int, [_P]),
    "SSL_CTX_set_ciphersuites": (ctypes.c_int, [_P, ctypes.c_char_p]),
    "SSL_CTX_set_session_id_context": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_uint]),
    "SSL_CTX_set_timeout": (ctypes.c_long, [_P, ctypes.c_long]),
    "SSL_get_ex_data": (_P, [_P, ctypes.c_int]),
    "SSL_get_verify_result": (ctypes.c_long, [_P]),
    "SSL_ctrl": (ctypes.c_long, [_P, ctypes.c_int, ctypes.c_long, _P]),
    "SSL_export_keying_material": (
        ctypes.c_int,
        [
            _P,
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_int,
        ],
    ),
    "OBJ_nid2sn": (ctypes.c_char_p, [ctypes.c_int]),
    "SSL_SESSION_get_id": (_P, [_P, ctypes.POINTER(ctypes.c_uint)]),
    "i2d_SSL_SESSION": (ctypes.c_int, [_P, ctypes.POINTER(_P)]),
    "d2i_SSL_SESSION": (_P, [_P, ctypes.POINTER(_P), ctypes.c_long]),
    "SSL_CTX_sess_set_get_cb": (None, [_P, _GET_SESSION_CB]),
    "SSL_set_session": (ctypes.c_int, [_P, _P]),
    "SSL_SESSION_free": (None, [_P]),
    "ERR_clear_error": (None, []),
    "SSL_CTX_set_alpn_select_cb": (None, [_P, _ALPN_SELECT_CB, _P]),
    "SSL_get_finished": (ctypes.c_size_t, [_P, _P, ctypes.c_size_t]),
    "SSL_get_peer_finished": (ctypes.c_size_t, [_P, _P, ctypes.c_size_t]),
}
# SSL_CTX_ctrl / SSL_ctrl commands (openssl/ssl.h)
_SET_SESS_CACHE_MODE, _GET_SESS_CACHE_MODE = 44, 45
_SET_TLSEXT_TICKET_KEYS, _GET_TLSEXT_TICKET_KEYS = 59, 58
_SET_GROUPS_LIST, _SET_SIGALGS_LIST = 92, 98
_GET_NEGOTIATED_GROUP = 134
_SESS_CACHE_CLIENT, _SESS_CACHE_SERVER = 0x1, 0x2
_SESS_CACHE_NO_INTERNAL_STORE = 0x200
_TLSEXT_ERR_OK, _TLSEXT_ERR_ALERT_FATAL, _TLSEXT_ERR_NOACK = 0, 2, 3
_MAX_FINISHED = 64  # EVP_MAX_MD_SIZE
_TICKET_KEY_LENGTH = 80  # OpenSSL 3: 16 name + 32 HMAC + 32 AES


class _Unloaded:
    """``_lib`` until the bridge has loaded: loads it on first use, else raises
    ``ERR_FEATURE_UNAVAILABLE_ON_PLATFORM`` (``_lib.f(_ctx(c))`` looks ``f`` up first)."""

    def __getattr__(self, name: str) -> Any:
        _need()
        return getattr(_lib, name)


_lib: Any = _Unloaded()
_ok: bool | None = None
_keep: dict[int, list[Any]] = {}  # id(SSLContext) -> CFUNCTYPE objects kept alive


def _load() -> bool:
    global _lib, _ok
    if _ok is not None:
        return _ok
    try:
        import _ssl

        lib = ctypes.CDLL(_ssl.__file__)
        for name, (restype, argtypes) in _SIGNATURES.items():
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = restype, argtypes
        _lib = lib
        _ok = _validate()
    except (OSError, AttributeError, ImportError, ValueError):
        _ok = False
    return _ok


def _ctx_ptr_unchecked(ctx: ssl.SSLContext) -> int:
    return ctypes.c_void_p.from_address(id(ctx) + object.__basicsize__).value or 0


def _ssl_ptr_unchecked(obj: Any) -> int:
    raw = getattr(obj, "_sslobj", obj)
    # PySSLSocket: PyObject_HEAD, PyObject *Socket (weakref), SSL *ssl
    return (
        ctypes.c_void_p.from_address(id(raw) + object.__basicsize__ + ctypes.sizeof(_P)).value or 0
    )


def _validate() -> bool:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ptr = _ctx_ptr_unchecked(ctx)
    if not ptr:
        return False
    bit = ssl.OP_NO_TICKET
    ctx.options |= bit
    if not int(_lib.SSL_CTX_get_options(ptr)) & bit:
        return False
    ctx.options &= ~bit
    if int(_lib.SSL_CTX_get_options(ptr)) & bit:
        return False
    obj = ctx.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO())
    sptr = _ssl_ptr_unchecked(obj)
    return bool(sptr) and _lib.SSL_get_ex_data(sptr, 0) == id(getattr(obj, "_sslobj", None))


def available() -> bool:
    """True when the bridge validated against this Python's ``_ssl``."""
    return _load()


def _need() -> None:
    if not _load():
        raise errors.make(
            "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM",
            "This feature needs the libssl bridge, which is not supported on this Python build",
        )


def _ctx(ctx: ssl.SSLContext) -> int:
    _need()
    return _ctx_ptr_unchecked(ctx)


def _ssl(obj: Any) -> int:
    _need()
    return _ssl_ptr_unchecked(obj)


def _keep_alive(ctx: ssl.SSLContext, cb: Any) -> None:
    _keep.setdefault(id(ctx), []).append(cb)


def _failed(what: str) -> errors.NodeError:
    return errors.make(
        "ERR_SSL_PASSED_INVALID_ARGUMENT",
        f"error:0A080106:SSL routines::passed invalid argument ({what})",
    )


# -- context settings ----------------------------------------------------------------------
def set_ciphersuites(ctx: ssl.SSLContext, suites: str) -> None:
    """TLS 1.3 cipher suites (``SSL_CTX_set_ciphersuites``)."""
    ptr = _ctx(ctx)
    if not _lib.SSL_CTX_set_ciphersuites(ptr, suites.encode()):
        raise errors.make("ERR_SSL_NO_CIPHER_MATCH", "error:0A0000B9:SSL routines::no cipher match")


def set_groups(ctx: ssl.SSLContext, groups: str) -> None:
    """Key-exchange groups, e.g. ``'P-256:X25519'`` (Node's ``ecdhCurve``)."""
    if _lib.SSL_CTX_ctrl(_ctx(ctx), _SET_GROUPS_LIST, 0, ctypes.c_char_p(groups.encode())) != 1:
        raise errors.make("ERR_CRYPTO_OPERATION_FAILED", "Failed to set ECDH curve")


def set_sigalgs(ctx: ssl.SSLContext, sigalgs: str) -> None:
    """Signature algorithms (Node's ``sigalgs``)."""
    if _lib.SSL_CTX_ctrl(_ctx(ctx), _SET_SIGALGS_LIST, 0, ctypes.c_char_p(sigalgs.encode())) != 1:
        raise errors.make("ERR_OSSL_UNKNOWN", "error:00000000:lib(0)::reason(0)")


def set_session_timeout(ctx: ssl.SSLContext, seconds: int) -> None:
    """Session lifetime (Node's ``sessionTimeout``)."""
    _lib.SSL_CTX_set_timeout(_ctx(ctx), int(seconds))


def set_session_id_context(ctx: ssl.SSLContext, sid: bytes) -> None:
    """Session id context (Node's ``sessionIdContext``), at most 32 bytes as OpenSSL wants."""
    data = hashlib.sha1(sid).hexdigest()[:32].encode() if len(sid) > 32 else sid
    if _lib.SSL_CTX_set_session_id_context(_ctx(ctx), data, len(data)) != 1:
        raise _failed("sessionIdContext")


def _expand_ticket_keys(keys: bytes) -> bytes:
    """Node's 48 bytes (16 name, 16 HMAC, 16 AES) -> OpenSSL 3's 80, deterministically."""
    name = keys[:16]
    hmac_key = hashlib.sha256(b"nodehttps ticket hmac" + keys).digest()
    aes_key = hashlib.sha256(b"nodehttps ticket aes" + keys).digest()
    return name + hmac_key + aes_key


def set_ticket_keys(ctx: ssl.SSLContext, keys: bytes) -> None:
    """Node's ``setTicketKeys(48 bytes)``: tickets from servers sharing keys resume."""
    if len(keys) != 48:
        raise errors.invalid_arg_value("keys", keys, "must be exactly 48 bytes")
    buf = ctypes.create_string_buffer(_expand_ticket_keys(bytes(keys)), _TICKET_KEY_LENGTH)
    if _lib.SSL_CTX_ctrl(_ctx(ctx), _SET_TLSEXT_TICKET_KEYS, _TICKET_KEY_LENGTH, buf) != 1:
        raise _failed("ticketKeys")
    ctx._nodehttps_ticket_keys = bytes(keys)  # type: ignore[attr-defined]


def get_ticket_keys(ctx: ssl.SSLContext) -> bytes:
    """Node's ``getTicketKeys()``: the 48 bytes in use (made at random on first ask)."""
    keys: bytes | None = getattr(ctx, "_nodehttps_ticket_keys", None)
    if keys is None:
        keys = os.urandom(48)
        set_ticket_keys(ctx, keys)
    return keys


# -- callbacks -----------------------------------------------------------------------------
def _guarded(fallback: Any, body: Callable[..., Any]) -> Callable[..., Any]:
    """A callback body that never raises into OpenSSL: an exception (a bug of ours: the
    bodies catch the user's) is reported as uncaught, and OpenSSL gets ``fallback``."""

    def call(*args: Any) -> Any:
        try:
            return body(*args)
        except Exception as exc:
            _loop.report_uncaught(exc)
            return fallback

    return call


def set_keylog_callback(ctx: ssl.SSLContext, fn: Callable[[int, bytes], None]) -> None:
    """Each NSS key-log line, as produced: ``fn(id of the _ssl object, line + b'\\n')``."""

    def callback(ssl_ptr: int, line: bytes) -> None:
        fn(_lib.SSL_get_ex_data(ssl_ptr, 0), line + b"\n")

    cb = _KEYLOG_CB(_guarded(None, callback))
    _keep_alive(ctx, cb)
    _lib.SSL_CTX_set_keylog_callback(_ctx(ctx), cb)


def set_new_session_callback(ctx: ssl.SSLContext, fn: Callable[[int], None]) -> None:
    """Client side: ``fn(id of the _ssl object)`` for each new session (each TLS 1.3 ticket)."""

    def callback(ssl_ptr: int, _session: int) -> int:
        fn(_lib.SSL_get_ex_data(ssl_ptr, 0))
        return 0  # OpenSSL keeps ownership; Python reads the session through .session

    cb = _NEW_SESSION_CB(_guarded(0, callback))
    _keep_alive(ctx, cb)
    ptr = _ctx(ctx)
    mode = _lib.SSL_CTX_ctrl(ptr, _GET_SESS_CACHE_MODE, 0, None)
    _lib.SSL_CTX_ctrl(
        ptr, _SET_SESS_CACHE_MODE, mode | _SESS_CACHE_CLIENT | _SESS_CACHE_NO_INTERNAL_STORE, None
    )
    _lib.SSL_CTX_sess_set_new_cb(ptr, cb)


def _session_bytes(session: int) -> tuple[bytes, bytes]:
    """An ``SSL_SESSION*``'s id and its DER serialization (Node's ``sessionData``)."""
    length = ctypes.c_uint(0)
    id_ptr = _lib.SSL_SESSION_get_id(session, ctypes.byref(length))
    session_id = ctypes.string_at(id_ptr, length.value) if id_ptr else b""
    size = int(_lib.i2d_SSL_SESSION(session, None))
    if size <= 0:
        return session_id, b""
    buf = ctypes.create_string_buffer(size)
    cursor = _P(ctypes.addressof(buf))
    _lib.i2d_SSL_SESSION(session, ctypes.byref(cursor))
    return session_id, buf.raw


def set_server_session_cache(
    ctx: ssl.SSLContext, fn: Callable[[int, bytes, bytes], None] | None
) -> None:
    """Node's server session cache: OpenSSL stores no session on its own (so a session
    id resumes only through ``'resumeSession'``, as in Node), and with ``fn``, each new
    session is reported as ``fn(id of the _ssl object, session id, DER)``."""
    ptr = _ctx(ctx)
    _lib.SSL_CTX_ctrl(
        ptr, _SET_SESS_CACHE_MODE, _SESS_CACHE_SERVER | _SESS_CACHE_NO_INTERNAL_STORE, None
    )
    if fn is None:
        return

    def callback(ssl_ptr: int, session: int) -> int:
        session_id, der = _session_bytes(session)
        fn(_lib.SSL_get_ex_data(ssl_ptr, 0), session_id, der)
        return 0  # not kept: OpenSSL frees the session when it is done with it

    cb = _NEW_SESSION_CB(_guarded(0, callback))
    _keep_alive(ctx, cb)
    _lib.SSL_CTX_sess_set_new_cb(ptr, cb)


def parse_session(der: bytes) -> int:
    """A serialized session (Node's ``sessionData``) as a new ``SSL_SESSION*``; 0 when it
    does not parse. The caller owns the reference: hand it to OpenSSL through the
    get-session callback, or :func:`free_session` it."""
    _need()
    buf = ctypes.create_string_buffer(der, len(der))
    cursor = _P(ctypes.addressof(buf))
    session = _lib.d2i_SSL_SESSION(None, ctypes.byref(cursor), len(der))
    if not session:
        _lib.ERR_clear_error()  # leave nothing for the handshake's error report
        return 0
    return int(session)


def session_to_der(session: ssl.SSLSession) -> bytes:
    """An ``ssl.SSLSession`` serialized as Node's session Buffer (i2d_SSL_SESSION).

    CPython keeps the ``SSL_SESSION*`` as the first field of the object; the id read
    back through it must be the session's own, else the layout is not the one known."""
    _need()
    ptr = ctypes.c_void_p.from_address(id(session) + object.__basicsize__).value or 0
    session_id, der = _session_bytes(ptr) if ptr else (b"", b"")
    if session_id != session.id or not der:
        raise errors.make(
            "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM",
            "Serializing a TLS session is not supported on this Python build",
        )
    return der


def offer_session(obj: Any, der: bytes) -> bool:
    """Client side: offer a serialized session in the coming handshake (Node's
    ``setSession(buffer)``); False when it does not parse (a full handshake, as Node)."""
    session = parse_session(der)
    if not session:
        return False
    ok = int(_lib.SSL_set_session(_ssl(obj), session)) == 1  # takes its own reference
    _lib.SSL_SESSION_free(session)
    return ok


def free_session(session: int) -> None:
    """Drop a reference from :func:`parse_session` that OpenSSL never took."""
    _lib.SSL_SESSION_free(session)


def set_get_session_callback(ctx: ssl.SSLContext, fn: Callable[[int], int]) -> None:
    """Server side (Node's ``GetSessionCallback``): for a session id the context's own
    cache lacks, OpenSSL asks ``fn(id of the _ssl object)``, which returns a reference
    from :func:`parse_session` for OpenSSL to keep, or 0."""

    def callback(ssl_ptr: int, _session_id: int, _length: int, copy: Any) -> int | None:
        copy[0] = 0  # the reference is OpenSSL's now
        return fn(_lib.SSL_get_ex_data(ssl_ptr, 0)) or None

    cb = _GET_SESSION_CB(_guarded(None, callback))
    _keep_alive(ctx, cb)
    _lib.SSL_CTX_sess_set_get_cb(_ctx(ctx), cb)


def set_alpn_select_callback(ctx: ssl.SSLContext, fn: Callable[[int, bytes], int | None]) -> None:
    """Node's ``ALPNCallback``: ``fn(id of the _ssl object, the client's protocol list in
    wire format)`` returns the offset of the chosen entry's length byte in that list,
    ``None`` to refuse with a fatal ``no_application_protocol`` alert, or -1 to choose
    nothing (no ALPN for this connection). Replaces the callback of
    ``SSLContext.set_alpn_protocols``."""

    def callback(
        ssl_ptr: int, out: Any, outlen: Any, offered_ptr: int, length: int, _arg: int
    ) -> int:
        offered = ctypes.string_at(offered_ptr, length)
        offset = fn(_lib.SSL_get_ex_data(ssl_ptr, 0), offered)
        if offset == -1:
            return _TLSEXT_ERR_NOACK
        if offset is None or not 0 <= offset < length or offset + 1 + offered[offset] > length:
            return _TLSEXT_ERR_ALERT_FATAL
        out[0] = offered_ptr + offset + 1
        outlen[0] = offered[offset]
        return _TLSEXT_ERR_OK

    cb = _ALPN_SELECT_CB(_guarded(_TLSEXT_ERR_ALERT_FATAL, callback))
    _keep_alive(ctx, cb)
    _lib.SSL_CTX_set_alpn_select_cb(_ctx(ctx), cb, None)


def _accept_all(_preverify_ok: int, _store: int) -> int:
    return 1


_ACCEPT_ALL = _VERIFY_CB(_accept_all)


def set_permissive_verify(ctx: ssl.SSLContext) -> None:
    """Node's VerifyCallback: the handshake goes on whatever the chain; the result is kept.

    The peer's certificate is still requested and verified (``get_verify_result`` tells
    how it went), but a failure no longer aborts the handshake, so ``authorized`` and
    ``authorization_error`` can be reported as Node reports them. Setting
    ``verify_mode`` from Python afterwards removes the callback again.
    """
    ptr = _ctx(ctx)
    _lib.SSL_CTX_set_verify(ptr, int(_lib.SSL_CTX_get_verify_mode(ptr)), _ACCEPT_ALL)


# -- per connection --------------------------------------------------------------------------
def get_verify_result(obj: Any) -> int:
    """OpenSSL's verify result for the connection, also under ``CERT_NONE``."""
    return int(_lib.SSL_get_verify_result(_ssl(obj)))


def get_negotiated_group(obj: Any) -> str | None:
    """The key-exchange group of the handshake (``'x25519'``, ``'prime256v1'``...)."""
    nid = int(_lib.SSL_ctrl(_ssl(obj), _GET_NEGOTIATED_GROUP, 0, None))
    if nid <= 0:
        return None
    name = _lib.OBJ_nid2sn(nid & 0xFFFF)
    return name.decode() if name else None


def get_finished(obj: Any, peer: bool) -> bytes | None:
    """The latest Finished message sent (or, with ``peer``, received); None before one."""
    fn = _lib.SSL_get_peer_finished if peer else _lib.SSL_get_finished
    buf = ctypes.create_string_buffer(_MAX_FINISHED)
    size = int(fn(_ssl(obj), buf, _MAX_FINISHED))
    return buf.raw[: min(size, _MAX_FINISHED)] if size else None


def export_keying_material(obj: Any, length: int, label: bytes, context: bytes | None) -> bytes:
    """RFC 5705 keying material (Node's ``exportKeyingMaterial``)."""
    out = ctypes.create_string_buffer(length)
    ctx_bytes = context or b""
    ok = _lib.SSL_export_keying_material(
        _ssl(obj),
        out,
        length,
        label,
        len(label),
        ctx_bytes,
        len(ctx_bytes),
        1 if context is not None else 0,
    )
    if ok != 1:
        raise errors.make(
            "ERR_TLS_INVALID_STATE", "TLS socket connection must be securely established"
        )
    return out.raw
