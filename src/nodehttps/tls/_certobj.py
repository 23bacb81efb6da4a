"""Node's certificate objects (``getPeerCertificate()``), built lazily from DER.

Each field is formatted as Node formats it (Node: ``src/crypto/crypto_x509.cc``,
OpenSSL's printers): ``subject``/``issuer`` with OpenSSL short names (a repeated
attribute becomes a list), ``subjectaltname`` as Node prints it
(``DNS:a, IP Address:127.0.0.1``; IPv6 uncompressed in upper case; a value with a comma,
quote or control character as a JSON string, ``DNS:"a\\u002c DNS:b"``), ``valid_from`` as
``ASN1_TIME_print`` (``Nov  3 21:43:45 2026 GMT``), fingerprints as ``AB:CD:...``,
``serial_number`` as ``BN_bn2hex``, ``pubkey`` as DER SubjectPublicKeyInfo for RSA and
the uncompressed point for EC keys. Parsing happens on first access to a field, so a
connection that never looks at its peer's certificate pays nothing.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
from collections.abc import Iterator
from functools import cached_property
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .._options import snake_name

__all__ = ["PeerCertificate", "build_chain", "certificate_from_der", "pin_sha256"]

_SHORT_NAMES = {
    "2.5.4.3": "CN",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "1.2.840.113549.1.9.1": "emailAddress",
    "2.5.4.5": "serialNumber",
    "2.5.4.9": "street",
    "0.9.2342.19200300.100.1.25": "DC",
    "0.9.2342.19200300.100.1.1": "UID",
    "2.5.4.4": "SN",
    "2.5.4.42": "GN",
    "2.5.4.12": "title",
    "2.5.4.43": "initials",
    "2.5.4.44": "generationQualifier",
    "2.5.4.46": "dnQualifier",
    "2.5.4.65": "pseudonym",
    "2.5.4.17": "postalCode",
    "2.5.4.15": "businessCategory",
    "2.5.4.97": "organizationIdentifier",
    "1.3.6.1.4.1.311.60.2.1.3": "jurisdictionC",
    "1.3.6.1.4.1.311.60.2.1.2": "jurisdictionST",
    "1.3.6.1.4.1.311.60.2.1.1": "jurisdictionL",
    "2.5.4.41": "name",
    "2.5.4.16": "postalAddress",
}
_CURVES = {
    "secp256r1": ("prime256v1", "P-256"),
    "secp384r1": ("secp384r1", "P-384"),
    "secp521r1": ("secp521r1", "P-521"),
    "secp224r1": ("secp224r1", "P-224"),
    "secp256k1": ("secp256k1", None),
}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ACCESS = {"1.3.6.1.5.5.7.48.1": "OCSP", "1.3.6.1.5.5.7.48.2": "CA Issuers"}

# Node's keys, in Node's order (each key type has its own subset: the others are None).
_NODE_KEYS = (
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
    "issuerCertificate",
)


_FIELD_NAMES = frozenset({*(snake_name(k) for k in _NODE_KEYS), "pubkey_spki"})


def _name_dict(name: x509.Name) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for attr in name:
        key = _SHORT_NAMES.get(attr.oid.dotted_string, attr.oid.dotted_string)
        value = attr.value if isinstance(attr.value, str) else attr.value.decode("latin-1")
        if key in out:
            prev = out[key]
            out[key] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            out[key] = value
    return out


def _ip_text(ip: Any) -> str:
    """Node's ``PrintGeneralName`` of an iPAddress: 4 bytes dotted, 16 bytes as eight
    upper-case hex words, anything else (an address with its mask: cryptography's
    networks) ``<invalid length=N>`` as with OpenSSL 3."""
    if isinstance(ip, ipaddress.IPv6Address):
        words = ip.exploded.split(":")
        return ":".join(format(int(w, 16), "X") for w in words)
    if isinstance(ip, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return f"<invalid length={2 * len(ip.network_address.packed)}>"
    return str(ip)


# Node's PrintAltName (``src/crypto/crypto_common.cc``, the CVE-2021-44532 fix): a value
# holding a separator, a quote or a control character is printed as a JSON string, so a
# name such as ``DNS:"a.com, DNS:b.com"`` can never pass for two names.
_UNSAFE_ANY = frozenset(b"\"\\,'")
_HEX = "0123456789abcdef"


def _safe_alt_name(data: bytes, utf8: bool) -> bool:
    for c in data:
        if c in _UNSAFE_ANY:
            return False
        if utf8:
            if c < 0x20 or c == 0x7F:
                return False
        elif c < 0x20 or c > 0x7E:
            return False
    return True


def _print_alt_name(data: bytes, utf8: bool, prefix: str | None = None) -> str:
    """Node's ``PrintAltName``: as it is when safe, else a JSON-quoted string."""
    lead = f"{prefix}:" if prefix is not None else ""
    if _safe_alt_name(data, utf8):
        return lead + data.decode("utf-8" if utf8 else "latin-1", "replace")
    out = bytearray(b'"' + lead.encode())
    for c in data:
        if c == 0x5C:
            out += b"\\\\"
        elif c == 0x22:
            out += b'\\"'
        elif (0x20 <= c <= 0x7E and c != 0x2C) or (utf8 and c & 0x80):
            out.append(c)
        else:
            out += f"\\u00{_HEX[c >> 4]}{_HEX[c & 15]}".encode()
    out += b'"'
    return out.decode("utf-8", "replace")


def _der_value(attr: x509.NameAttribute[Any]) -> bytes:
    """The DER encoding of an attribute's value (OpenSSL dumps unknown fields as it)."""
    value = attr.value
    tag = getattr(getattr(attr, "_type", None), "value", 12)
    if isinstance(value, bytes):
        body = value
    elif tag == 30:  # BMPString
        body = value.encode("utf-16-be")
    elif tag == 28:  # UniversalString
        body = value.encode("utf-32-be")
    elif tag == 12:
        body = value.encode()
    else:
        body = value.encode("latin-1", "replace")
    n = len(body)
    length = (
        bytes([n])
        if n < 0x80
        else bytes([0x80 | ((n.bit_length() + 7) // 8)])
        + n.to_bytes((n.bit_length() + 7) // 8, "big")
    )
    return bytes([tag]) + length + body


_RFC2253_SPECIAL = frozenset(',+"\\<>;')


def _rfc2253_value(text: str) -> str:
    out = []
    last = len(text) - 1
    for i, ch in enumerate(text):
        if ch in _RFC2253_SPECIAL or (i == 0 and ch in "# ") or (i == last and ch == " "):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _rfc2253(name: x509.Name) -> str:
    """``X509_NAME_print_ex`` with Node's ``kX509NameFlagsRFC2253WithinUtf8JSON``: entries
    last to first, ``,`` between RDNs and ``+`` inside one, short names, unknown fields as
    ``#``-hex DER, RFC 2253 escapes; control and non-ASCII characters left as they are."""
    entries = [(i, attr) for i, rdn in enumerate(name.rdns) for attr in rdn]
    parts: list[str] = []
    prev: int | None = None
    for index, attr in reversed(entries):
        if prev is not None:
            parts.append("+" if index == prev else ",")
        prev = index
        oid = attr.oid.dotted_string
        short = _SHORT_NAMES.get(oid)
        if short is None:
            parts.append(f"{oid}=#{_der_value(attr).hex().upper()}")
            continue
        value = attr.value if isinstance(attr.value, str) else attr.value.decode("latin-1")
        parts.append(f"{short}={_rfc2253_value(value)}")
    return "".join(parts)


# OpenSSL 3's known otherName types, as Node prints them: (prefix, UTF8String or IA5String).
_OTHER_NAMES = {
    "1.3.6.1.5.5.7.8.9": ("SmtpUTF8Mailbox", True),
    "1.3.6.1.5.5.7.8.5": ("XmppAddr", True),
    "1.3.6.1.5.5.7.8.7": ("SRVName", False),
    "1.3.6.1.4.1.311.20.2.3": ("UPN", True),
    "1.3.6.1.5.5.7.8.8": ("NAIRealm", True),
}


def _other_name(name: x509.OtherName) -> str:
    known = _OTHER_NAMES.get(name.type_id.dotted_string)
    der = name.value
    if known is None or len(der) < 2:
        return "othername:<unsupported>"
    prefix, utf8 = known
    if der[0] != (0x0C if utf8 else 0x16):
        return "othername:<unsupported>"
    n, pos = der[1], 2
    if n & 0x80:
        size = n & 0x7F
        n, pos = int.from_bytes(der[2 : 2 + size], "big"), 2 + size
    return "othername:" + _print_alt_name(der[pos : pos + n], utf8, prefix)


def _general_name(name: x509.GeneralName) -> str:
    """Node's ``PrintGeneralName``."""
    if isinstance(name, x509.DNSName):
        return "DNS:" + _print_alt_name(name.value.encode(), False)
    if isinstance(name, x509.IPAddress):
        return f"IP Address:{_ip_text(name.value)}"
    if isinstance(name, x509.UniformResourceIdentifier):
        return "URI:" + _print_alt_name(name.value.encode(), False)
    if isinstance(name, x509.RFC822Name):
        return "email:" + _print_alt_name(name.value.encode(), False)
    if isinstance(name, x509.DirectoryName):
        return "DirName:" + _print_alt_name(_rfc2253(name.value).encode(), True)
    if isinstance(name, x509.RegisteredID):
        return f"Registered ID:{name.value.dotted_string}"
    if isinstance(name, x509.OtherName):
        return _other_name(name)
    return "othername:<unsupported>"


def _asn1_time(when: Any) -> str:
    return (
        f"{_MONTHS[when.month - 1]} {when.day:2d} {when.hour:02d}:{when.minute:02d}:"
        f"{when.second:02d} {when.year} GMT"
    )


def _colon_hex(data: bytes) -> str:
    return ":".join(f"{b:02X}" for b in data)


class PeerCertificate:
    """A peer certificate as Node shows it: ``cert.fingerprint256`` or ``cert['fingerprint256']``."""

    def __init__(self, der: bytes) -> None:
        self.raw = der
        self.issuer_certificate: PeerCertificate | None = None

    @cached_property
    def _x509(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.raw)

    def _ext(self, kind: type[Any]) -> Any:
        try:
            return self._x509.extensions.get_extension_for_class(kind).value
        except x509.ExtensionNotFound:
            return None

    @cached_property
    def subject(self) -> dict[str, Any]:
        return _name_dict(self._x509.subject)

    @cached_property
    def issuer(self) -> dict[str, Any]:
        return _name_dict(self._x509.issuer)

    @cached_property
    def subjectaltname(self) -> str | None:
        san = self._ext(x509.SubjectAlternativeName)
        return None if san is None else ", ".join(_general_name(n) for n in san)

    @cached_property
    def info_access(self) -> dict[str, list[str]] | None:
        aia = self._ext(x509.AuthorityInformationAccess)
        if aia is None:
            return None
        out: dict[str, list[str]] = {}
        for desc in aia:  # Node: "<method> - <PrintGeneralName>" lines, split at the ':'
            method = _ACCESS.get(desc.access_method.dotted_string, desc.access_method.dotted_string)
            kind, value = _general_name(desc.access_location).split(":", 1)
            if value.startswith('"'):  # as Node's parser: a quoted value is a JSON string
                value = json.loads(value)
            out.setdefault(f"{method} - {kind}", []).append(value)
        return out

    @cached_property
    def ca(self) -> bool:
        bc = self._ext(x509.BasicConstraints)
        return bool(bc is not None and bc.ca)

    @cached_property
    def _key(self) -> Any:
        return self._x509.public_key()

    @cached_property
    def bits(self) -> int | None:
        """RSA and EC keys only, as Node (none for Ed25519, Ed448 or DSA)."""
        key = self._key
        if isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
            return int(key.key_size)
        return None

    @cached_property
    def modulus(self) -> str | None:
        key = self._key
        if isinstance(key, rsa.RSAPublicKey):
            return format(key.public_numbers().n, "X")
        return None

    @cached_property
    def exponent(self) -> str | None:
        key = self._key
        if isinstance(key, rsa.RSAPublicKey):
            return hex(key.public_numbers().e)
        return None

    @cached_property
    def pubkey_spki(self) -> bytes:
        """The DER SubjectPublicKeyInfo, whatever the key type (for RFC 7469 pins)."""
        return bytes(
            self._key.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    @cached_property
    def pubkey(self) -> bytes | None:
        key = self._key
        if isinstance(key, ec.EllipticCurvePublicKey):
            return bytes(
                key.public_bytes(
                    serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
                )
            )
        if isinstance(key, rsa.RSAPublicKey):
            return self.pubkey_spki
        return None

    @cached_property
    def _curve(self) -> tuple[str | None, str | None]:
        """(``asn1Curve``, ``nistCurve``) of an EC key, else (None, None)."""
        key = self._key
        if isinstance(key, ec.EllipticCurvePublicKey):
            return _CURVES.get(key.curve.name, (key.curve.name, None))
        return None, None

    @property
    def asn1_curve(self) -> str | None:
        return self._curve[0]

    @property
    def nist_curve(self) -> str | None:
        return self._curve[1]

    @cached_property
    def valid_from(self) -> str:
        return _asn1_time(self._x509.not_valid_before_utc)

    @cached_property
    def valid_to(self) -> str:
        return _asn1_time(self._x509.not_valid_after_utc)

    @cached_property
    def fingerprint(self) -> str:
        return _colon_hex(hashlib.sha1(self.raw).digest())

    @cached_property
    def fingerprint256(self) -> str:
        return _colon_hex(hashlib.sha256(self.raw).digest())

    @cached_property
    def fingerprint512(self) -> str:
        return _colon_hex(hashlib.sha512(self.raw).digest())

    @cached_property
    def ext_key_usage(self) -> list[str] | None:
        eku = self._ext(x509.ExtendedKeyUsage)
        return None if eku is None else [oid.dotted_string for oid in eku]

    @cached_property
    def serial_number(self) -> str:
        text = format(self._x509.serial_number, "X")
        return text if len(text) % 2 == 0 else "0" + text

    # -- mapping access by Node's keys -----------------------------------------------------
    def _fields(self) -> list[str]:
        return [k for k in _NODE_KEYS if getattr(self, snake_name(k)) is not None]

    def __getitem__(self, key: str) -> Any:
        name = snake_name(key)
        if name not in _FIELD_NAMES:
            raise KeyError(key)
        value = getattr(self, name)
        if value is None:  # Node leaves the key out (undefined)
            raise KeyError(key)
        return value

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def keys(self) -> list[str]:
        """Node's keys, in Node's order."""
        return self._fields()

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields())

    def to_dict(self) -> dict[str, Any]:
        """A plain dict with Node's keys (``issuerCertificate`` left as the object)."""
        return {key: self[key] for key in self._fields()}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PeerCertificate) and other.raw == self.raw

    def __hash__(self) -> int:
        return hash(self.raw)

    def __repr__(self) -> str:
        return f"<PeerCertificate subject={self.subject!r} fingerprint256={self.fingerprint256}>"


def certificate_from_der(der: bytes) -> PeerCertificate:
    """Node's ``getPeerCertificate()`` object for one DER certificate."""
    return PeerCertificate(bytes(der))


def _issued_by(child: PeerCertificate, parent: PeerCertificate) -> bool:
    if child._x509.issuer != parent._x509.subject:
        return False
    try:
        child._x509.verify_directly_issued_by(parent._x509)
    except Exception:  # not its signature, or a key type that cannot tell
        return False
    return True


def build_chain(
    ders: list[bytes], extra_ca_ders: list[bytes] | None = None
) -> PeerCertificate | None:
    """Node's ``getPeerCertificate(true)``: link ``issuer_certificate`` up the chain.

    ``ders`` is the chain as verified (leaf first); ``extra_ca_ders`` can complete it
    (trusted roots). A self-signed certificate is its own ``issuer_certificate``.
    """
    if not ders:
        return None
    certs = [certificate_from_der(d) for d in ders]
    pool = certs[1:] + [certificate_from_der(d) for d in (extra_ca_ders or ())]
    current = certs[0]
    seen = {current.raw}
    while True:
        if current._x509.issuer == current._x509.subject:
            current.issuer_certificate = current
            break
        parent = next((c for c in pool if c.raw not in seen and _issued_by(current, c)), None)
        if parent is None:
            break
        current.issuer_certificate = parent
        seen.add(parent.raw)
        current = parent
    return certs[0]


def pin_sha256(cert: Any) -> str:
    """RFC 7469 ``pin-sha256``: base64 SHA-256 of the DER SubjectPublicKeyInfo (any key type)."""
    if isinstance(cert, PeerCertificate):
        spki = cert.pubkey_spki
    else:
        raw = cert["raw"] if not isinstance(cert, bytes | bytearray) else bytes(cert)
        spki = certificate_from_der(raw).pubkey_spki
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()
