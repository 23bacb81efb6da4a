"""Self-signed certificates for ``serve`` and ``cert``."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

__all__ = ["cache_dir", "load_or_make_localhost", "make_self_signed", "write_pfx", "write_private"]


def make_self_signed(cn: str = "localhost", days: int = 365) -> tuple[bytes, bytes]:
    """A self-signed P-256 certificate for ``cn`` (plus 127.0.0.1 and ::1): (key PEM, cert PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = dt.datetime.now(dt.UTC)
    sans: list[x509.GeneralName] = [x509.DNSName(cn)]
    if cn == "localhost":
        sans += [
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1")),
        ]
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


def write_pfx(key_pem: bytes, cert_pem: bytes, path: Path, passphrase: str) -> None:
    """Write a PKCS#12 bundle, as ``openssl pkcs12 -export`` does."""
    key = serialization.load_pem_private_key(key_pem, None)
    cert = x509.load_pem_x509_certificate(cert_pem)
    enc = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    data = pkcs12.serialize_key_and_certificates(b"nodehttps", key, cert, None, enc)  # type: ignore[arg-type]
    write_private(path, data)


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` readable by its owner only (a private key)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


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
        write_private(key_path, key_pem)
        cert_path.write_bytes(cert_pem)
    except OSError:
        pass  # a read-only home: use the pair for this run only
    return key_pem, cert_pem
