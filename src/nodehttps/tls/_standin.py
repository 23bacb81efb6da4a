"""TEMPORARY stand-ins for sibling modules not written yet (removed once they land)."""

from __future__ import annotations

import os
import ssl
import tempfile
from typing import Any

from .. import errors


class SecureContext:
    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context


def _pem(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "".join(_pem(v) for v in value)
    return value.decode() if isinstance(value, bytes | bytearray) else str(value)


_cache: dict[Any, SecureContext] = {}


def create_secure_context(options: dict[str, Any] | None = None, *, is_server: bool = False,
                          **_: Any) -> SecureContext:
    opts = dict(options or {})
    key = (is_server, *(repr(opts.get(k)) for k in ("key", "cert", "ca", "min_version",
                                                      "max_version", "alpn_protocols",
                                                      "ciphers")))
    if key in _cache:
        return _cache[key]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if is_server else ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.options |= ssl.OP_NO_RENEGOTIATION
    versions = {"TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}
    if opts.get("min_version"):
        ctx.minimum_version = versions[opts["min_version"]]
    if opts.get("max_version"):
        ctx.maximum_version = versions[opts["max_version"]]
    if opts.get("ca"):
        ctx.load_verify_locations(cadata=_pem(opts["ca"]))
    else:
        import certifi
        ctx.load_verify_locations(cafile=certifi.where())
    if opts.get("cert") and opts.get("key"):
        fd, path = tempfile.mkstemp()
        try:
            os.write(fd, (_pem(opts["cert"]) + _pem(opts["key"])).encode())
            os.close(fd)
            ctx.load_cert_chain(path)
        finally:
            os.unlink(path)
    if opts.get("alpn_protocols"):
        ctx.set_alpn_protocols(list(opts["alpn_protocols"]))
    sc = SecureContext(ctx)
    _cache[key] = sc
    return sc


_VERIFY = {18: ("DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate"),
           20: ("UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "unable to get local issuer certificate"),
           21: ("UNABLE_TO_VERIFY_LEAF_SIGNATURE", "unable to verify the first certificate"),
           10: ("CERT_HAS_EXPIRED", "certificate has expired"),
           9: ("CERT_NOT_YET_VALID", "certificate is not yet valid"),
           23: ("CERT_REVOKED", "certificate revoked"),
           19: ("SELF_SIGNED_CERT_IN_CHAIN", "self-signed certificate in certificate chain")}


def verify_error(code: int, chain_len: int | None = None) -> errors.NodeError | None:
    if code == 0:
        return None
    if code == 20 and chain_len == 1:
        code = 21
    name, msg = _VERIFY.get(code, (f"UNKNOWN_{code}", f"verify error {code}"))
    return errors.make(name, msg)


class _Cert(dict):  # type: ignore[type-arg]
    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def certificate_from_der(der: bytes) -> Any:
    from cryptography import x509
    c = x509.load_der_x509_certificate(der)
    subj = {a.oid._name if False else a.rfc4514_attribute_name: a.value for a in c.subject}
    iss = {a.rfc4514_attribute_name: a.value for a in c.issuer}
    try:
        san = c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        parts = [f"DNS:{n}" for n in san.get_values_for_type(x509.DNSName)]
        parts += [f"IP Address:{n}" for n in san.get_values_for_type(x509.IPAddress)]
        alt = ", ".join(parts)
    except x509.ExtensionNotFound:
        alt = None
    return _Cert(subject=subj, issuer=iss, subjectaltname=alt, raw=der,
                 serial_number=format(c.serial_number, "X"))


def build_chain(ders: list[bytes]) -> Any:
    objs = [certificate_from_der(d) for d in ders]
    for a, b in zip(objs, objs[1:], strict=False):
        a["issuer_certificate"] = b
    if objs:
        objs[-1]["issuer_certificate"] = objs[-1]
    return objs[0] if objs else None


def check_server_identity(host: str, cert: Any) -> Any:
    import ipaddress
    alt = cert.get("subjectaltname") or ""
    names = [p.strip()[4:] for p in alt.split(",") if p.strip().startswith("DNS:")]
    ips = [p.strip()[11:] for p in alt.split(",") if p.strip().startswith("IP Address:")]
    try:
        ipaddress.ip_address(host)
        if host in ips:
            return None
        reason = f"IP: {host} is not in the cert's list: {', '.join(ips)}"
    except ValueError:
        if host in names or (not names and cert.get("subject", {}).get("CN") == host):
            return None
        reason = f"Host: {host}. is not in the cert's altnames: {alt}"
    return errors.ERR_TLS_CERT_ALTNAME_INVALID(
        f"Hostname/IP does not match certificate's altnames: {reason}", reason=reason,
        host=host, cert=cert)


# ---- libssl stand-in (ctypes), TEMPORARY ----
import _ssl  # noqa: E402
import ctypes  # noqa: E402

_KEYLOG_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p)
_NEWSESS_CB = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
_lib = ctypes.CDLL(_ssl.__file__)
for _n, _r, _a in (("SSL_CTX_set_keylog_callback", None, [ctypes.c_void_p, _KEYLOG_CB]),
                   ("SSL_CTX_sess_set_new_cb", None, [ctypes.c_void_p, _NEWSESS_CB]),
                   ("SSL_CTX_ctrl", ctypes.c_long, [ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]),
                   ("SSL_get_ex_data", ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_int]),
                   ("SSL_get_verify_result", ctypes.c_long, [ctypes.c_void_p])):
    _f = getattr(_lib, _n)
    _f.restype, _f.argtypes = _r, _a
_P = ctypes.sizeof(ctypes.c_void_p)


def available() -> bool:
    return True


def _ctx_ptr(ctx: ssl.SSLContext) -> int:
    return ctypes.c_void_p.from_address(id(ctx) + object.__basicsize__).value or 0


def _ssl_ptr(obj: Any) -> int:
    raw = getattr(obj, "_sslobj", obj)
    return ctypes.c_void_p.from_address(id(raw) + object.__basicsize__ + _P).value or 0


_refs: list[Any] = []


def set_keylog_callback(ctx: ssl.SSLContext, fn: Any) -> None:
    def cb(s: int, line: bytes) -> None:
        fn(_lib.SSL_get_ex_data(s, 0), line + b"\n")
    c = _KEYLOG_CB(cb)
    _refs.append(c)
    _lib.SSL_CTX_set_keylog_callback(_ctx_ptr(ctx), c)


def set_new_session_callback(ctx: ssl.SSLContext, fn: Any) -> None:
    def cb(s: int, sess: int) -> int:
        fn(_lib.SSL_get_ex_data(s, 0))
        return 0
    c = _NEWSESS_CB(cb)
    _refs.append(c)
    p = _ctx_ptr(ctx)
    mode = _lib.SSL_CTX_ctrl(p, 45, 0, None)
    _lib.SSL_CTX_ctrl(p, 44, mode | 0x1 | 0x200, None)
    _lib.SSL_CTX_sess_set_new_cb(p, c)


def get_verify_result(obj: Any) -> int:
    return int(_lib.SSL_get_verify_result(_ssl_ptr(obj)))
