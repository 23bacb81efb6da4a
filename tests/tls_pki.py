"""Certificates for the TLS tests, made fresh per session (EC P-256: fast to generate).

Roles (after Node's fixtures, our own keys): ``root`` (trusted CA) with an
``inter``\\ mediate; ``leaf`` (localhost + 127.0.0.1, sent alone); ``chain_leaf`` (sent
with ``inter``); ``self_signed``; ``expired``; ``future`` (not yet valid); ``revoked``
(listed in ``crl``); ``cn_only`` (CN=agent1, no SAN); ``client`` (clientAuth); and
``other_root``, a CA nobody trusts.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from nodehttps import HttpsServerOptions

_NOW = dt.datetime.now(dt.UTC)


@dataclass
class Cert:
    """A certificate and its key as PEM text; ``chain`` is what a server sends."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    issuer: Cert | None = None
    extra: list[Cert] = field(default_factory=list)

    @property
    def cert_pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def key_pem(self) -> str:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    @property
    def chain_pem(self) -> str:
        return self.cert_pem + "".join(c.cert_pem for c in self.extra)

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    def server_options(self) -> dict[str, str]:
        """``key`` and ``cert``, for ``tls.create_server`` (and ``add_context``)."""
        return {"key": self.key_pem, "cert": self.chain_pem}

    def https_options(self) -> HttpsServerOptions:
        """The same, typed for ``https.create_server``."""
        return {"key": self.key_pem, "cert": self.chain_pem}


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "nodehttps tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _make(
    cn: str,
    issuer: Cert | None,
    *,
    ca: bool = False,
    sans: list[str] | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    client: bool = False,
) -> Cert:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(cn)
    signer_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or _NOW - dt.timedelta(days=1))
        .not_valid_after(not_after or _NOW + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    if sans:
        names: list[x509.GeneralName] = []
        for san in sans:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(san)))
            except ValueError:
                names.append(x509.DNSName(san))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    if not ca:
        usage = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    return Cert(builder.sign(signer_key, hashes.SHA256()), key, issuer)


class PKI:
    """The test certificates (see the module docstring)."""

    def __init__(self) -> None:
        local = ["localhost", "127.0.0.1"]
        self.root = _make("Test Root", None, ca=True)
        self.inter = _make("Test Intermediate", self.root, ca=True)
        self.other_root = _make("Untrusted Root", None, ca=True)
        self.leaf = _make("localhost", self.root, sans=local)
        self.chain_leaf = _make("localhost", self.inter, sans=local)
        self.chain_leaf.extra = [self.inter]
        self.untrusted_leaf = _make("localhost", self.other_root, sans=local)
        self.self_signed = _make("localhost", None, sans=local)
        self.expired = _make(
            "localhost",
            self.root,
            sans=local,
            not_before=_NOW - dt.timedelta(days=30),
            not_after=_NOW - dt.timedelta(days=1),
        )
        self.future = _make(
            "localhost",
            self.root,
            sans=local,
            not_before=_NOW + dt.timedelta(days=10),
            not_after=_NOW + dt.timedelta(days=40),
        )
        self.revoked = _make("localhost", self.root, sans=local)
        self.cn_only = _make("agent1", self.root)
        self.client = _make("client", self.root, client=True)
        self.other_client = _make("stranger", self.other_root, client=True)
        revoked = (
            x509.RevokedCertificateBuilder()
            .serial_number(self.revoked.cert.serial_number)
            .revocation_date(_NOW - dt.timedelta(hours=1))
            .build()
        )
        self.crl = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.root.cert.subject)
            .last_update(_NOW - dt.timedelta(hours=1))
            .next_update(_NOW + dt.timedelta(days=30))
            .add_revoked_certificate(revoked)
            .sign(self.root.key, hashes.SHA256())
            .public_bytes(serialization.Encoding.PEM)
            .decode()
        )

    @property
    def ca(self) -> str:
        return self.root.cert_pem
