"""OpenSSL errors as Node reports them (Node: ``src/crypto/crypto_util.cc``, ``_tls_wrap.js``).

Python's :class:`ssl.SSLError` carries OpenSSL's library and reason names
(``'SSL'``, ``'WRONG_VERSION_NUMBER'``) and the reason text; Node builds from the same
OpenSSL error an ``Error`` whose code is ``ERR_SSL_<REASON>`` and whose message is
OpenSSL's error line::

    error:0A00010B:SSL routines::wrong version number

(Node's line also has OpenSSL's thread id, function, file and line, which Python does
not expose; the packed code, the library and the reason are exact, so Node's tests'
patterns such as ``/SSL routines:[^:]*:wrong version number/`` match.) An alert from the
peer ends with ``:SSL alert number N`` as in Node.

When the handshake fails while plaintext was waiting to be written (an ``https``
request's headers, a ``write()`` before ``'secureConnect'``), Node reports the failure
as the write's: ``EPROTO`` with the message ``write EPROTO error:...``.
"""

from __future__ import annotations

import _ssl
import errno as _errno
import re
import ssl

from .. import errors

__all__ = ["TLSError", "from_ssl_error", "openssl_message"]

_LIB_NAMES = {
    "SSL": "SSL routines",
    "X509": "x509 certificate routines",
    "PEM": "PEM routines",
    "EVP": "digital envelope routines",
    "PROV": "Provider routines",
    "ASN1": "asn1 encoding routines",
    "BIO": "BIO routines",
    "SYS": "system library",
    "X509V3": "X509 V3 routines",
    "PKCS12": "PKCS12 routines",
    "RSA": "rsa routines",
    "EC": "elliptic curve routines",
    "OSSL_DECODER": "DECODER routines",
}
_LIB_NUMBERS = {name: num for num, name in getattr(_ssl, "lib_codes_to_names", {}).items()}
_NAMES_TO_CODES: dict[str, tuple[int, int]] = getattr(_ssl, "err_names_to_codes", {})
_TEXT = re.compile(r"^\[[^\]]*\]\s*(.*?)(?:\s*\(_ssl\.c:\d+\))?$", re.S)
_OPENSSL3 = ssl.OPENSSL_VERSION_INFO >= (3, 0)
_ALERT_OFFSET = 1000  # OpenSSL's SSL_AD_REASON_OFFSET: alert reasons are 1000 + alert
# OpenSSL reasons that Python's own table (``_ssl.err_names_to_codes``) lacks: the text
# OpenSSL prints -> (reason name, number), so Node's code and packed number still come out.
_MISSING_REASONS = {
    "tlsv1 alert no application protocol": ("TLSV1_ALERT_NO_APPLICATION_PROTOCOL", 1120),
    "tlsv1 unsupported extension": ("TLSV1_UNSUPPORTED_EXTENSION", 1110),
    "tlsv1 certificate unobtainable": ("TLSV1_CERTIFICATE_UNOBTAINABLE", 1111),
    "tlsv1 unrecognized name": ("TLSV1_UNRECOGNIZED_NAME", 1112),
    "tlsv1 bad certificate status response": ("TLSV1_BAD_CERTIFICATE_STATUS_RESPONSE", 1113),
    "tlsv1 bad certificate hash value": ("TLSV1_BAD_CERTIFICATE_HASH_VALUE", 1114),
}
_SSL_LIB = 20  # ERR_LIB_SSL


class TLSError(errors.NodeError, ConnectionError):
    """Base of the ``ERR_SSL_*`` errors made at run time (a :class:`ConnectionError`)."""


def _reason_text(exc: ssl.SSLError) -> str:
    raw = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], str) else str(exc)
    m = _TEXT.match(raw)
    return (m.group(1) if m else raw).strip()


def _reason(exc: ssl.SSLError, text: str) -> tuple[str, tuple[int, int] | None]:
    """OpenSSL's reason name (``WRONG_VERSION_NUMBER``) and (library, reason) numbers,
    also for the reasons Python's table lacks (then ``exc.reason`` is ``None``; the text
    still names it); ``("", None)`` when unknown."""
    name = getattr(exc, "reason", None)
    if name:
        return str(name), _NAMES_TO_CODES.get(str(name))
    missing = _MISSING_REASONS.get(text)
    return ("", None) if missing is None else (missing[0], (_SSL_LIB, missing[1]))


def openssl_message(exc: ssl.SSLError) -> tuple[str, str, str, str]:
    """``(message, library, reason, reason name)`` of an SSLError, the message in
    OpenSSL's ``error:...`` form; the reason name is ``""`` when unknown."""
    text = _reason_text(exc)
    reason_name, packed = _reason(exc, text)
    lib_name = getattr(exc, "library", None) or "SSL"
    library = _LIB_NAMES.get(lib_name, f"{lib_name} routines")
    if packed is None:
        return f"error:00000000:{library}::{text}", library, text, reason_name
    lib_num, reason_num = packed
    lib_num = _LIB_NUMBERS.get(lib_name, lib_num)
    code = (lib_num << 23) | reason_num if _OPENSSL3 else (lib_num << 24) | reason_num
    message = f"error:{code:08X}:{library}::{text}"
    if lib_name == "SSL" and reason_num > _ALERT_OFFSET:  # every received alert, as OpenSSL
        message += f":SSL alert number {reason_num - _ALERT_OFFSET}"
    return message, library, text, reason_name


def from_ssl_error(exc: BaseException, *, as_write: bool = False) -> errors.NodeError:
    """Node's error for an ``ssl.SSLError`` (never a certificate-verify error: see
    ``_verify``), with ``exc`` as its ``__cause__``. ``as_write``: the failure ends a
    pending write (``EPROTO``)."""
    if isinstance(exc, errors.NodeError):
        return exc
    err = _translate(exc, as_write)
    if err is not exc:
        err.__cause__ = exc
    return err


def _translate(exc: BaseException, as_write: bool) -> errors.NodeError:
    if not isinstance(exc, ssl.SSLError):
        return (
            errors.from_oserror(exc, "read")
            if isinstance(exc, OSError)
            else errors.make("EPROTO", f"read EPROTO {exc}", errno=_errno.EPROTO, syscall="read")
        )
    message, library, reason, reason_name = openssl_message(exc)
    if as_write or not reason_name:
        syscall = "write" if as_write else "read"
        return errors.EPROTO(f"{syscall} EPROTO {message}", errno=_errno.EPROTO, syscall=syscall)
    return errors.make(f"ERR_SSL_{reason_name}", message, TLSError, library=library, reason=reason)
