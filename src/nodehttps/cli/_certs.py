"""Self-signed certificates for ``serve`` and ``cert``, and how they are shown.

``describe()`` is the one place that prints a certificate's SHA-256 fingerprint and
its ``pin-sha256`` (through the library's ``tls.pin_sha256``, RFC 7469), for ``serve``
and ``cert`` alike; ``get --pin`` and ``pin`` use that same library function.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ..tls import pin_sha256
from ._errors import CliError, Exit, file_error
from ._output import write_file

__all__ = [
    "cache_dir",
    "describe",
    "load_or_make_localhost",
    "make_self_signed",
    "pem_leaf_der",
    "pfx_bytes",
    "pfx_leaf_der",
    "run_cert",
]


def _san(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def make_self_signed(cn: str = "localhost", days: int = 365) -> tuple[bytes, bytes]:
    """A self-signed P-256 certificate for ``cn`` (plus 127.0.0.1 and ::1): (key PEM, cert PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = dt.datetime.now(dt.UTC)
    sans = [_san(cn)]
    if cn == "localhost":
        sans += [_san("127.0.0.1"), _san("::1")]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


def pfx_bytes(key_pem: bytes, cert_pem: bytes, passphrase: str) -> bytes:
    """A PKCS#12 bundle of the pair, as ``openssl pkcs12 -export`` makes."""
    key = serialization.load_pem_private_key(key_pem, None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    cert = x509.load_pem_x509_certificate(cert_pem)
    enc = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    return pkcs12.serialize_key_and_certificates(b"nodehttps", key, cert, None, enc)


def pem_leaf_der(pem: bytes) -> bytes:
    """The first certificate of a PEM file (the leaf, as a server sends it), DER."""
    return x509.load_pem_x509_certificates(pem)[0].public_bytes(serialization.Encoding.DER)


def pfx_leaf_der(data: bytes, passphrase: str | None) -> bytes | None:
    """The certificate of a PKCS#12 bundle, DER (None if it holds none)."""
    password = passphrase.encode() if passphrase else None
    cert = pkcs12.load_key_and_certificates(data, password)[1]
    return None if cert is None else cert.public_bytes(serialization.Encoding.DER)


def describe(der: bytes) -> list[str]:
    """The lines ``serve`` and ``cert`` print: SHA-256 fingerprint and ``pin-sha256``."""
    digest = hashlib.sha256(der).hexdigest().upper()
    fingerprint = ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))
    return [f"certificate SHA-256 fingerprint: {fingerprint}", f"pin-sha256: {pin_sha256(der)}"]


def cache_dir() -> Path:
    """The user's cache folder for nodehttps (``$XDG_CACHE_HOME/nodehttps``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nodehttps"


def load_or_make_localhost() -> tuple[bytes, bytes]:
    """The built-in localhost certificate, made once and kept in the cache folder."""
    folder = cache_dir()
    key_path, cert_path = folder / "localhost-key.pem", folder / "localhost-cert.pem"
    try:
        key_pem, cert_pem = key_path.read_bytes(), cert_path.read_bytes()
        cert = x509.load_pem_x509_certificate(cert_pem)
        if cert.not_valid_after_utc > dt.datetime.now(dt.UTC) + dt.timedelta(days=1):
            return key_pem, cert_pem
    except (OSError, ValueError):
        pass
    key_pem, cert_pem = make_self_signed("localhost")
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_file(key_path, key_pem, private=True)
        write_file(cert_path, cert_pem)
    except (OSError, CliError):
        pass  # a read-only home: use the pair for this run only
    return key_pem, cert_pem


def run_cert(args: argparse.Namespace) -> int:
    """``cert``: write ``private-key.pem``, ``certificate.pem`` (and ``test_cert.pfx``)."""
    if args.passphrase is not None and not args.pfx:
        raise CliError(Exit.USAGE, "--passphrase is for the PKCS#12 file: add --pfx")
    out = Path(args.out)
    targets = [out / "private-key.pem", out / "certificate.pem"]
    if args.pfx:
        targets.append(out / "test_cert.pfx")
    if not args.force:
        for path in targets:
            if path.exists() or path.is_symlink():
                raise CliError(
                    Exit.FILE,
                    f"EEXIST: file already exists, open '{path}' (--force overwrites it)",
                    code="EEXIST",
                )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise file_error(exc, out, "mkdir") from None
    key_pem, cert_pem = make_self_signed(args.cn, args.days)
    write_file(targets[0], key_pem, private=True)
    write_file(targets[1], cert_pem)
    if args.pfx:
        write_file(targets[2], pfx_bytes(key_pem, cert_pem, args.passphrase or ""), private=True)
    print("wrote " + ", ".join(str(p) for p in targets))
    print("\n".join(describe(pem_leaf_der(cert_pem))))
    return Exit.OK
