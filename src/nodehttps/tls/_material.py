"""Key material from memory into an ``ssl.SSLContext``, never on disk in the clear.

``ssl`` loads certificates, keys, CRLs and DH parameters only from paths. On Linux a
memfd (``/proc/self/fd/N``) is such a path with no file behind it. Elsewhere a private
temporary file is used, removed right after loading, and a private key goes there only
re-encrypted under a one-time random password. PKCS#12 bundles are opened with
``cryptography``; keys are checked against certificates here, so a mismatch is Node's
``ERR_OSSL_X509_KEY_VALUES_MISMATCH`` rather than an ``ssl.SSLError``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import ssl
import tempfile
from collections.abc import Iterator
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from .. import errors

__all__ = [
    "as_bytes",
    "load_chain",
    "load_crl",
    "load_dhparam",
    "load_pfx",
    "memory_path",
    "parse_certs",
    "parse_key",
    "same_key",
]

_PEM = serialization.Encoding.PEM


def as_bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode()
    return bytes(value)


@contextlib.contextmanager
def memory_path(data: bytes) -> Iterator[str]:
    """A path whose content is ``data``: a memfd on Linux, else a private temp file."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("nodehttps", os.MFD_CLOEXEC)
        try:
            os.write(fd, data)
            yield f"/proc/self/fd/{fd}"
        finally:
            os.close(fd)
        return
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "material.pem")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        yield path
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        with contextlib.suppress(OSError):
            os.rmdir(folder)


def _bad_decrypt() -> errors.NodeError:
    return errors.make("ERR_OSSL_BAD_DECRYPT", "error:1C800064:Provider routines::bad decrypt")


def parse_key(pem: bytes, passphrase: Any) -> Any:
    """A private key from PEM (encrypted or not); Node's errors on failure."""
    password = as_bytes(passphrase) if passphrase is not None else None
    try:
        return serialization.load_pem_private_key(
            pem, password, unsafe_skip_rsa_key_validation=True
        )
    except TypeError:
        if password is not None:  # a passphrase for a key that has none: Node ignores it
            return parse_key(pem, None)
        raise _bad_decrypt() from None
    except ValueError as exc:
        text = str(exc).lower()
        if "password" in text or "decrypt" in text:
            raise _bad_decrypt() from None
        raise errors.make(
            "ERR_OSSL_UNSUPPORTED", "error:1E08010C:DECODER routines::unsupported"
        ) from None


def parse_certs(pem: bytes) -> list[x509.Certificate]:
    try:
        certs = x509.load_pem_x509_certificates(pem)
    except ValueError:
        certs = []
    if not certs:
        raise errors.make(
            "ERR_OSSL_PEM_NO_START_LINE", "error:0480006C:PEM routines::no start line"
        )
    return certs


def same_key(key: Any, cert: x509.Certificate) -> bool:
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    return bool(
        key.public_key().public_bytes(serialization.Encoding.DER, spki)
        == cert.public_key().public_bytes(serialization.Encoding.DER, spki)
    )


def load_chain(ctx: ssl.SSLContext, chain: list[x509.Certificate], key: Any) -> None:
    """``load_cert_chain`` from memory: leaf first, then intermediates, with its key."""
    if not same_key(key, chain[0]):
        raise errors.make(
            "ERR_OSSL_X509_KEY_VALUES_MISMATCH",
            "error:05800074:x509 certificate routines::key values mismatch",
        )
    certs = b"".join(c.public_bytes(_PEM) for c in chain)
    # A memfd is never on disk; a temporary file gets the key under a one-time password.
    password = None if hasattr(os, "memfd_create") else secrets.token_bytes(32)
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    key_pem = key.private_bytes(_PEM, serialization.PrivateFormat.PKCS8, encryption)
    with memory_path(certs + key_pem) as path:
        ctx.load_cert_chain(path, password=password)


def load_pfx(
    data: bytes, passphrase: Any
) -> tuple[Any, list[x509.Certificate], list[x509.Certificate]]:
    """A PKCS#12 bundle: (key, [leaf, chain...], CA-bag certificates to trust)."""
    password = as_bytes(passphrase) if passphrase else None
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, password)
    except ValueError:
        if password is None:
            with contextlib.suppress(ValueError):
                key, cert, extra = pkcs12.load_key_and_certificates(data, b"")
                return _pfx_parts(key, cert, extra)
        raise errors.make("ERR_OSSL_PKCS12_MAC_VERIFY_FAILURE", "mac verify failure") from None
    return _pfx_parts(key, cert, extra)


def _pfx_parts(
    key: Any, cert: Any, extra: list[x509.Certificate]
) -> tuple[Any, list[x509.Certificate], list[x509.Certificate]]:
    if key is None or cert is None:
        raise errors.make("ERR_CRYPTO_OPERATION_FAILED", "Unable to load PFX certificate")
    return key, [cert], list(extra)


def load_crl(ctx: ssl.SSLContext, pem: bytes) -> None:
    """CRLs must go through ``cafile`` (``cadata`` ignores them)."""
    try:
        x509.load_pem_x509_crl(pem.strip() + b"\n" if b"-----BEGIN" in pem else pem)
    except ValueError:
        raise errors.make("ERR_CRYPTO_OPERATION_FAILED", "Failed to parse CRL") from None
    with memory_path(pem) as path:
        ctx.load_verify_locations(cafile=path)


def load_dhparam(ctx: ssl.SSLContext, pem: bytes) -> None:
    """Node's ``dhparam``."""
    with memory_path(pem) as path:
        try:
            ctx.load_dh_params(path)
        except ssl.SSLError as exc:
            raise errors.make(
                "ERR_CRYPTO_OPERATION_FAILED", "Failed to parse DH parameters"
            ) from exc
