"""The libssl bridge: what Python's ``ssl`` lacks, from the same libssl, through ctypes.

Theory of operation
-------------------
This is the only module that imports ctypes, and the only one that reads CPython's
private ``SSLObject._sslobj``. It opens the shared object of ``_ssl`` (so symbols
resolve to the very libssl Python uses) and finds the ``SSL_CTX*`` behind an
``ssl.SSLContext`` and the ``SSL*`` behind an ``ssl.SSLObject``: CPython keeps each
pointer as the first field after the object header. Before trusting that layout, it
validates it once: it flips an option bit through Python and reads it back through
``SSL_CTX_get_options`` on the pointer found, and checks that OpenSSL's app-data of an
``SSL*`` points back at its Python object. If anything does not check out (a static
build, another interpreter, another layout) :func:`available` is False and every
function raises ``ERR_FEATURE_UNAVAILABLE_ON_PLATFORM``; callers fall back or say so.
``_sslobj`` itself is checked at import (:func:`connection_id`, the chain readers):
without it they fall back to the public API of newer Pythons, or to nothing.

Callbacks (keylog lines, new sessions, the session lookup, ALPN selection) run inside
OpenSSL on the loop's thread and are handed to the process's :class:`Handlers`, which
must queue what they learn, never re-enter TLS. They are process-wide: one ctypes
thunk per kind, made once and never freed (an extra reference is taken), installed on
as many contexts as need it. So no context owns a callback, nothing is kept per
context, and OpenSSL can never call freed memory, however long an ``SSL_CTX`` outlives
its Python object (it lives as long as the last ``SSL`` made from it, and an SNI switch
keeps the first one as the connection's session context).
"""

from __future__ import annotations

import _ssl
import ctypes
import hashlib
import ssl
from collections.abc import Callable
from typing import Any

from .. import _loop, errors

__all__ = [
    "Handlers",
    "available",
    "callback_count",
    "connection_id",
    "export_keying_material",
    "free_session",
    "get_finished",
    "get_negotiated_group",
    "get_verify_result",
    "offer_session",
    "parse_session",
    "record_layer",
    "session_to_der",
    "set_alpn_select_callback",
    "set_ciphersuites",
    "set_get_session_callback",
    "set_groups",
    "set_handlers",
    "set_keylog_callback",
    "set_new_session_callback",
    "set_permissive_verify",
    "set_server_session_cache",
    "set_session_id_context",
    "set_session_timeout",
    "set_sigalgs",
    "set_ticket_keys",
    "unverified_chain",
    "verified_chain",
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
    "SSL_SESSION_dup": (_P, [_P]),
    "SSL_SESSION_is_resumable": (ctypes.c_int, [_P]),
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


def _has_sslobj() -> bool:
    """Whether ``SSLObject._sslobj`` is CPython's ``_ssl._SSLSocket`` (checked once)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    raw = getattr(ctx.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO()), "_sslobj", None)
    return type(raw).__name__ == "_SSLSocket" and all(
        hasattr(raw, name) for name in ("get_verified_chain", "get_unverified_chain")
    )


_SSLOBJ = _has_sslobj()


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


def connection_id(obj: ssl.SSLObject) -> int:
    """The key OpenSSL's callbacks name a connection by (the id of the ``_ssl`` object
    its ``SSL*`` app-data points at); 0 when the layout is not the one known."""
    return id(obj._sslobj) if _SSLOBJ else 0  # type: ignore[attr-defined]


def record_layer(obj: ssl.SSLObject) -> Any:
    """What reads and writes ``obj``'s records: CPython's ``_ssl._SSLSocket`` behind it
    (the same methods and errors, without ``ssl.py``'s Python frame around each call),
    or ``obj`` itself where the layout is not the known one."""
    return obj._sslobj if _SSLOBJ else obj  # type: ignore[attr-defined]


def verified_chain(obj: ssl.SSLObject) -> tuple[bytes, ...]:
    """The peer chain OpenSSL built (DER), also filled under CERT_NONE; () on resumption."""
    public = getattr(obj, "get_verified_chain", None)  # Python 3.13+
    if public is not None:
        return tuple(public() or ())
    if not _SSLOBJ:
        return ()
    certs = obj._sslobj.get_verified_chain()  # type: ignore[attr-defined]
    return tuple(c.public_bytes(_ssl.ENCODING_DER) for c in certs or ())


def unverified_chain(obj: ssl.SSLObject) -> tuple[Any, ...]:
    """The chain the peer sent (for Node's leaf-only rule in verify codes)."""
    public = getattr(obj, "get_unverified_chain", None)
    if public is not None:
        return tuple(public() or ())
    if not _SSLOBJ:
        return ()
    return tuple(obj._sslobj.get_unverified_chain() or ())  # type: ignore[attr-defined]


def _ctx_ptr_unchecked(ctx: ssl.SSLContext) -> int:
    return ctypes.c_void_p.from_address(id(ctx) + object.__basicsize__).value or 0


def _ssl_ptr_unchecked(obj: Any) -> int:
    raw = obj._sslobj
    # PySSLSocket: PyObject_HEAD, PyObject *Socket (weakref), SSL *ssl
    return (
        ctypes.c_void_p.from_address(id(raw) + object.__basicsize__ + ctypes.sizeof(_P)).value or 0
    )


def _validate() -> bool:
    if not _SSLOBJ:
        return False
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
    return bool(sptr) and _lib.SSL_get_ex_data(sptr, 0) == id(obj._sslobj)  # type: ignore[attr-defined]


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


def _ssl_ptr(obj: Any) -> int:
    _need()
    return _ssl_ptr_unchecked(obj)


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
        _lib.ERR_clear_error()
        raise errors.make("ERR_SSL_NO_CIPHER_MATCH", "error:0A0000B9:SSL routines::no cipher match")


def set_groups(ctx: ssl.SSLContext, groups: str) -> None:
    """Key-exchange groups, e.g. ``'P-256:X25519'`` (Node's ``ecdhCurve``), through
    ``SSL_CTX_set1_groups_list`` as Node does."""
    if _lib.SSL_CTX_ctrl(_ctx(ctx), _SET_GROUPS_LIST, 0, ctypes.c_char_p(groups.encode())) != 1:
        _lib.ERR_clear_error()  # leave nothing for the next handshake's error report
        raise errors.make("ERR_CRYPTO_OPERATION_FAILED", "Failed to set ECDH curve")


def set_sigalgs(ctx: ssl.SSLContext, sigalgs: str) -> None:
    """Signature algorithms (Node's ``sigalgs``)."""
    if _lib.SSL_CTX_ctrl(_ctx(ctx), _SET_SIGALGS_LIST, 0, ctypes.c_char_p(sigalgs.encode())) != 1:
        _lib.ERR_clear_error()
        raise errors.make("ERR_OSSL_UNKNOWN", "error:00000000:lib(0)::reason(0)")


def set_session_timeout(ctx: ssl.SSLContext, seconds: int) -> None:
    """Session lifetime (Node's ``sessionTimeout``)."""
    _lib.SSL_CTX_set_timeout(_ctx(ctx), int(seconds))


def set_session_id_context(ctx: ssl.SSLContext, sid: bytes) -> None:
    """Session id context (Node's ``sessionIdContext``), at most 32 bytes as OpenSSL wants."""
    data = hashlib.sha1(sid).hexdigest()[:32].encode() if len(sid) > 32 else sid
    if _lib.SSL_CTX_set_session_id_context(_ctx(ctx), data, len(data)) != 1:
        _lib.ERR_clear_error()
        raise _failed("sessionIdContext")


def _expand_ticket_keys(keys: bytes) -> bytes:
    """Node's 48 bytes (16 name, 16 HMAC, 16 AES) -> OpenSSL 3's 80, deterministically."""
    name = keys[:16]
    hmac_key = hashlib.sha256(b"nodehttps ticket hmac" + keys).digest()
    aes_key = hashlib.sha256(b"nodehttps ticket aes" + keys).digest()
    return name + hmac_key + aes_key


def set_ticket_keys(ctx: ssl.SSLContext, keys: bytes) -> None:
    """Node's ``setTicketKeys(48 bytes)``: tickets from servers sharing keys resume.

    OpenSSL 3 wants 80 bytes; they are derived from the 48 deterministically, so every
    process given the same 48 bytes encrypts and decrypts tickets alike."""
    if len(keys) != 48:
        raise errors.invalid_arg_value("keys", keys, "must be exactly 48 bytes")
    buf = ctypes.create_string_buffer(_expand_ticket_keys(bytes(keys)), _TICKET_KEY_LENGTH)
    if _lib.SSL_CTX_ctrl(_ctx(ctx), _SET_TLSEXT_TICKET_KEYS, _TICKET_KEY_LENGTH, buf) != 1:
        _lib.ERR_clear_error()
        raise _failed("ticketKeys")


# -- callbacks -----------------------------------------------------------------------------
def _ignore(*_args: Any) -> Any:
    return None


class Handlers:
    """Where OpenSSL's callbacks go, for the whole process (:func:`set_handlers`).

    Each is called with the connection's :func:`connection_id`:

    * ``keylog(conn, line)``: an NSS key-log line, ending in ``b'\\n'``;
    * ``new_session(conn)``: client side, a new session (each TLS 1.3 ticket);
    * ``server_session(conn, session_id, der)``: server side, a new session;
    * ``get_session(conn)``: server side, a session id the cache lacks: a reference
      from :func:`parse_session` for OpenSSL to keep, or 0;
    * ``select_alpn(conn, context, offered)``: the client's protocols (wire format) on
      a server whose context has the ALPN callback: the offset of the chosen entry's
      length byte, ``None`` to refuse (a fatal ``no_application_protocol`` alert), or
      -1 to choose nothing (no ALPN).
    """

    __slots__ = ("get_session", "keylog", "new_session", "select_alpn", "server_session")

    def __init__(self) -> None:
        self.keylog: Callable[[int, bytes], None] = _ignore
        self.new_session: Callable[[int], None] = _ignore
        self.server_session: Callable[[int, bytes, bytes], None] = _ignore
        self.get_session: Callable[[int], int] = lambda _conn: 0
        self.select_alpn: Callable[[int, ssl.SSLContext, bytes], int | None] = lambda *_: -1


_handlers = Handlers()


def set_handlers(handlers: Handlers) -> None:
    """Route every OpenSSL callback of the process to ``handlers`` (once, at import)."""
    global _handlers
    _handlers = handlers


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


def _conn(ssl_ptr: int) -> int:
    return int(_lib.SSL_get_ex_data(ssl_ptr, 0) or 0)


def _on_keylog(ssl_ptr: int, line: bytes) -> None:
    _handlers.keylog(_conn(ssl_ptr), line + b"\n")


def _on_new_session(ssl_ptr: int, _session: int) -> int:
    _handlers.new_session(_conn(ssl_ptr))
    return 0  # OpenSSL keeps ownership; Python reads the session through .session


def _on_server_session(ssl_ptr: int, session: int) -> int:
    session_id, der = _session_bytes(session)
    _handlers.server_session(_conn(ssl_ptr), session_id, der)
    return 0  # not kept: OpenSSL frees the session when it is done with it


def _on_get_session(ssl_ptr: int, _session_id: int, _length: int, copy: Any) -> int | None:
    copy[0] = 0  # the reference is OpenSSL's now
    return _handlers.get_session(_conn(ssl_ptr)) or None


def _on_select_alpn(
    ssl_ptr: int, out: Any, outlen: Any, offered_ptr: int, length: int, _arg: int
) -> int:
    conn = _conn(ssl_ptr)
    # The app-data is the live _ssl object whose handshake is running: its context is
    # the one the connection uses now (after an SNI switch too).
    context = ctypes.cast(_P(conn), ctypes.py_object).value.context
    offered = ctypes.string_at(offered_ptr, length)
    offset = _handlers.select_alpn(conn, context, offered)
    if offset == -1:
        return _TLSEXT_ERR_NOACK
    if offset is None or not 0 <= offset < length or offset + 1 + offered[offset] > length:
        return _TLSEXT_ERR_ALERT_FATAL
    out[0] = offered_ptr + offset + 1
    outlen[0] = offered[offset]
    return _TLSEXT_ERR_OK


def _immortal(thunk: Any) -> Any:
    """``thunk``, with a reference that is never dropped: an ``SSL_CTX`` holding it may
    outlive every Python object, and even this module's teardown at exit."""
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(thunk))
    return thunk


# One thunk per kind for the whole process (what :func:`callback_count` counts).
_THUNKS = (
    _immortal(_KEYLOG_CB(_guarded(None, _on_keylog))),
    _immortal(_NEW_SESSION_CB(_guarded(0, _on_new_session))),
    _immortal(_NEW_SESSION_CB(_guarded(0, _on_server_session))),
    _immortal(_GET_SESSION_CB(_guarded(None, _on_get_session))),
    _immortal(_ALPN_SELECT_CB(_guarded(_TLSEXT_ERR_ALERT_FATAL, _on_select_alpn))),
)
_KEYLOG, _NEW_SESSION, _SERVER_SESSION, _GET_SESSION, _SELECT_ALPN = _THUNKS


def callback_count() -> int:
    """How many ctypes callbacks the bridge holds: a constant, whatever the contexts."""
    return len(_THUNKS) + 1  # and the verify callback


def set_keylog_callback(ctx: ssl.SSLContext) -> None:
    """Each NSS key-log line, as produced, to ``Handlers.keylog``."""
    _lib.SSL_CTX_set_keylog_callback(_ctx(ctx), _KEYLOG)


def set_new_session_callback(ctx: ssl.SSLContext) -> None:
    """Client side: each new session (each TLS 1.3 ticket) to ``Handlers.new_session``."""
    ptr = _ctx(ctx)
    mode = _lib.SSL_CTX_ctrl(ptr, _GET_SESS_CACHE_MODE, 0, None)
    _lib.SSL_CTX_ctrl(
        ptr, _SET_SESS_CACHE_MODE, mode | _SESS_CACHE_CLIENT | _SESS_CACHE_NO_INTERNAL_STORE, None
    )
    _lib.SSL_CTX_sess_set_new_cb(ptr, _NEW_SESSION)


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


def set_server_session_cache(ctx: ssl.SSLContext, report: bool) -> None:
    """Node's server session cache: OpenSSL stores no session on its own (so a session
    id resumes only through ``'resumeSession'``, as in Node); with ``report``, each new
    session goes to ``Handlers.server_session``."""
    ptr = _ctx(ctx)
    _lib.SSL_CTX_ctrl(
        ptr, _SET_SESS_CACHE_MODE, _SESS_CACHE_SERVER | _SESS_CACHE_NO_INTERNAL_STORE, None
    )
    if report:
        _lib.SSL_CTX_sess_set_new_cb(ptr, _SERVER_SESSION)


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
    ptr = _session_ptr(session)
    der = _session_bytes(ptr)[1] if ptr else b""
    if not der:
        raise errors.make(
            "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM",
            "Serializing a TLS session is not supported on this Python build",
        )
    return der


def _session_ptr(session: ssl.SSLSession) -> int:
    """The ``SSL_SESSION*`` of an ``ssl.SSLSession``, or 0 when the layout is not the
    known one: CPython keeps it as the first field of the object, and the id read back
    through it must be the session's own."""
    _need()
    ptr = ctypes.c_void_p.from_address(id(session) + object.__basicsize__).value or 0
    if not ptr:
        return 0
    length = ctypes.c_uint(0)
    id_ptr = _lib.SSL_SESSION_get_id(ptr, ctypes.byref(length))
    own_id = ctypes.string_at(id_ptr, length.value) if id_ptr else b""
    return ptr if own_id == session.id else 0


def share_session(obj: Any, session: ssl.SSLSession) -> bool:
    """Client side: offer a copy of ``session`` in the coming handshake, made by
    ``SSL_SESSION_dup``. ``wrap_bio(session=...)`` copies through i2d/d2i instead (a
    workaround for OpenSSL 1.1.0, which Python 3.11 no longer supports): decoding the
    peer's certificate again costs about 0.3 ms a connection. False, offering nothing,
    for a session OpenSSL would not resume as it is (a TLS 1.3 session already used):
    the caller then offers it as before, through its bytes, which Node resumes too."""
    ptr = _session_ptr(session)
    if not ptr or _lib.SSL_SESSION_is_resumable(ptr) != 1:
        return False
    copy = _lib.SSL_SESSION_dup(ptr)
    if not copy:
        _lib.ERR_clear_error()
        return False
    ok = int(_lib.SSL_set_session(_ssl_ptr(obj), copy)) == 1  # takes its own reference
    _lib.SSL_SESSION_free(copy)
    return ok


def offer_session(obj: Any, der: bytes) -> bool:
    """Client side: offer a serialized session in the coming handshake (Node's
    ``setSession(buffer)``); False when it does not parse (a full handshake, as Node)."""
    session = parse_session(der)
    if not session:
        return False
    ok = int(_lib.SSL_set_session(_ssl_ptr(obj), session)) == 1  # takes its own reference
    _lib.SSL_SESSION_free(session)
    return ok


def free_session(session: int) -> None:
    """Drop a reference from :func:`parse_session` that OpenSSL never took."""
    _lib.SSL_SESSION_free(session)


def set_get_session_callback(ctx: ssl.SSLContext) -> None:
    """Server side (Node's ``GetSessionCallback``): a session id the context's own cache
    lacks goes to ``Handlers.get_session``."""
    _lib.SSL_CTX_sess_set_get_cb(_ctx(ctx), _GET_SESSION)


def set_alpn_select_callback(ctx: ssl.SSLContext) -> None:
    """The server's ALPN choice goes to ``Handlers.select_alpn`` (replaces the callback
    of ``SSLContext.set_alpn_protocols``)."""
    _lib.SSL_CTX_set_alpn_select_cb(_ctx(ctx), _SELECT_ALPN, None)


def _accept_all(_preverify_ok: int, _store: int) -> int:
    return 1


_ACCEPT_ALL = _immortal(_VERIFY_CB(_accept_all))


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
    return int(_lib.SSL_get_verify_result(_ssl_ptr(obj)))


def get_negotiated_group(obj: Any) -> str | None:
    """The key-exchange group of the handshake (``'x25519'``, ``'prime256v1'``...)."""
    nid = int(_lib.SSL_ctrl(_ssl_ptr(obj), _GET_NEGOTIATED_GROUP, 0, None))
    if nid <= 0:
        return None
    name = _lib.OBJ_nid2sn(nid & 0xFFFF)
    return name.decode() if name else None


def get_finished(obj: Any, peer: bool) -> bytes | None:
    """The latest Finished message sent (or, with ``peer``, received); None before one."""
    fn = _lib.SSL_get_peer_finished if peer else _lib.SSL_get_finished
    buf = ctypes.create_string_buffer(_MAX_FINISHED)
    size = int(fn(_ssl_ptr(obj), buf, _MAX_FINISHED))
    return buf.raw[: min(size, _MAX_FINISHED)] if size else None


def export_keying_material(obj: Any, length: int, label: bytes, context: bytes | None) -> bytes:
    """RFC 5705 keying material (Node's ``exportKeyingMaterial``)."""
    out = ctypes.create_string_buffer(length)
    ctx_bytes = context or b""
    ok = _lib.SSL_export_keying_material(
        _ssl_ptr(obj),
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
