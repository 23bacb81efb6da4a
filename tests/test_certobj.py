"""Node certificate objects: every field against node's own ``toLegacyObject()``."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import json
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conftest import NODE, needs_node
from nodehttps.tls._certobj import build_chain, certificate_from_der, pin_sha256

FIELDS = [
    "subject",
    "issuer",
    "subjectaltname",
    "infoAccess",
    "ca",
    "modulus",
    "bits",
    "exponent",
    "pubkey",
    "asn1Curve",
    "nistCurve",
    "valid_from",
    "valid_to",
    "fingerprint",
    "fingerprint256",
    "fingerprint512",
    "ext_key_usage",
    "serialNumber",
    "raw",
]

NODE_SCRIPT = r"""
const { X509Certificate } = require('crypto');
const pems = JSON.parse(require('fs').readFileSync(0, 'utf8'));
console.log(JSON.stringify(pems.map(pem => {
  const o = new X509Certificate(pem).toLegacyObject();
  const out = {};
  for (const [k, v] of Object.entries(o)) out[k] = Buffer.isBuffer(v) ? v.toString('hex') : v;
  return out;
})));
"""


def _make(
    key: CertificateIssuerPrivateKeyTypes,
    issuer_key: CertificateIssuerPrivateKeyTypes,
    subject: x509.Name,
    issuer: x509.Name,
    ca: bool,
    sans: list[x509.GeneralName] | None = None,
    extra: bool = False,
    serial: int = 0x0161422A7FD,
) -> x509.Certificate:
    start = dt.datetime(2026, 1, 5, 3, 4, 5, tzinfo=dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=400))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if extra:
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        x509.oid.AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier("http://ocsp.example/"),
                    ),
                    x509.AccessDescription(
                        x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier("http://ca.example/ca.der"),
                    ),
                ]
            ),
            critical=False,
        )
        builder = builder.add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def chain() -> list[x509.Certificate]:
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "a"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "b"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Root"),
            x509.NameAttribute(NameOID.EMAIL_ADDRESS, "ca@example.com"),
        ]
    )
    root = _make(root_key, root_key, root_name, root_name, True, serial=1)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    sans: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.DNSName("alt.example"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
        x509.UniformResourceIdentifier("http://u/"),
        x509.RFC822Name("me@example.com"),
    ]
    leaf = _make(leaf_key, root_key, leaf_name, root_name, False, sans, extra=True)
    return [leaf, root]


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


@needs_node
def test_every_field_as_node_formats_it(chain: list[x509.Certificate]) -> None:
    pems = [c.public_bytes(serialization.Encoding.PEM).decode() for c in chain]
    out = subprocess.run(
        [str(NODE), "-e", NODE_SCRIPT],
        input=json.dumps(pems),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    for cert, theirs in zip(chain, json.loads(out.stdout), strict=True):
        ours = certificate_from_der(_der(cert))
        for field in FIELDS:
            if field not in theirs:
                assert ours.get(field) is None, field
                continue
            value = ours[field]
            if isinstance(value, bytes):
                value = value.hex()
            assert value == theirs[field], (field, value, theirs[field])


def test_chain_links_to_a_self_referencing_root(chain: list[x509.Certificate]) -> None:
    leaf = build_chain([_der(c) for c in chain])
    assert leaf is not None
    root = leaf.issuer_certificate
    assert root is not None and root.subject["CN"] == "Root"
    assert root.issuer_certificate is root
    assert leaf["issuerCertificate"] is root
    assert root.ca is True and leaf.ca is False
    assert root.subject["OU"] == ["a", "b"]


def test_access_by_node_keys_and_pins(chain: list[x509.Certificate]) -> None:
    leaf = certificate_from_der(_der(chain[0]))
    assert leaf["fingerprint256"] == leaf.fingerprint256
    assert leaf["serialNumber"] == leaf.serial_number == "161422A7FD"  # BN_bn2hex
    assert "modulus" not in leaf and "asn1Curve" in leaf
    spki = (
        chain[0]
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    assert pin_sha256(leaf) == base64.b64encode(hashlib.sha256(spki).digest()).decode()
    assert leaf.pubkey is not None and leaf.pubkey[0] == 4 and len(leaf.pubkey) == 65
    with pytest.raises(KeyError):
        leaf["nope"]


@needs_node
def test_key_fields_only_for_rsa_and_ec_keys_as_node() -> None:
    """Node's object has ``bits``/``pubkey``/curves only for RSA and EC keys: an
    Ed25519 certificate has none of them, and the keys come in Node's order."""
    key = ed25519.Ed25519PrivateKey.generate()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ed")])
    start = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=3))
        .sign(key, None)
    )
    out = subprocess.run(
        [str(NODE), "-e", NODE_SCRIPT],
        input=json.dumps([cert.public_bytes(serialization.Encoding.PEM).decode()]),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    theirs = json.loads(out.stdout)[0]
    ours = certificate_from_der(_der(cert))
    assert ours.keys() == list(theirs)
    assert ours.bits is None and "bits" not in ours and ours.get("pubkey") is None


@needs_node
def test_keys_in_node_order(chain: list[x509.Certificate]) -> None:
    pems = [c.public_bytes(serialization.Encoding.PEM).decode() for c in chain]
    out = subprocess.run(
        [str(NODE), "-e", NODE_SCRIPT],
        input=json.dumps(pems),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    for cert, theirs in zip(chain, json.loads(out.stdout), strict=True):
        assert certificate_from_der(_der(cert)).keys() == list(theirs)
