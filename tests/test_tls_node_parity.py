"""TLS behaviour that must be Node's, checked against the installed ``node`` where there is
one (the expected values are also written out, so the tests run without it):

* a server with ``ALPNProtocols`` and a client offering none of them: the handshake
  fails with a ``no_application_protocol`` alert, on both sides with Node's codes;
* ``ecdhCurve`` in all of Node's spellings, and Node's error for a bad one;
* ``check_server_identity`` for an IP the certificate does not list: the message lists
  the certificate's IP addresses only, as Node prints them (an address with a mask,
  which OpenSSL 3 prints as ``<invalid length=8>``, shows as an empty entry).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import subprocess
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import NODE, needs_node
from harness import Run, once, reject, resolve
from nodehttps import errors, tls
from nodehttps.tls._certobj import certificate_from_der
from tls_pki import PKI

_NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def certs() -> PKI:
    return PKI()


def _node(script: str, *args: str, stdin: str = "") -> Any:
    assert NODE is not None
    out = subprocess.run(
        [NODE, "-e", script, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout)


async def _listening(server: tls.Server) -> None:
    listening = once(server, "listening")
    server.listen(0, "127.0.0.1")
    await listening


def _fields(err: BaseException) -> list[object]:
    return [getattr(err, "code", None), getattr(err, "library", None), getattr(err, "reason", None)]


# -- ALPN: no protocol in common -----------------------------------------------------------------
SERVER_ALPN = ["h2", "http/1.1"]
# (what the client offers, what both sides get: the protocol, or the client's and the
# server's (code, library, reason))
ALPN_CASES: list[tuple[list[str] | None, dict[str, object]]] = [
    (
        ["foo", "bar"],
        {
            "client": [
                "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL",
                "SSL routines",
                "tlsv1 alert no application protocol",
            ],
            "server": [
                "ERR_SSL_NO_APPLICATION_PROTOCOL",
                "SSL routines",
                "no application protocol",
            ],
        },
    ),
    (None, {"client": False, "server": False}),  # no ALPN offered: no ALPN, as Node
    (["http/1.1", "h2"], {"client": "h2", "server": "h2"}),  # the server's preference
]

NODE_ALPN = r"""
const tls = require('tls');
const [key, cert, offers, ALPNProtocols] = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const fields = (e) => [e.code, e.library, e.reason];
const server = tls.createServer({key, cert, ALPNProtocols});
server.listen(0, '127.0.0.1', async () => {
  const out = [];
  for (const offer of offers) {
    out.push(await new Promise((resolve) => {
      const got = {};
      const finish = () => { if ('client' in got && 'server' in got) resolve(got); };
      server.once('secureConnection', (s) => { got.server = s.alpnProtocol; finish(); });
      server.once('tlsClientError', (e) => { got.server = fields(e); finish(); });
      const opts = {port: server.address().port, host: '127.0.0.1', rejectUnauthorized: false};
      if (offer) opts.ALPNProtocols = offer;
      const c = tls.connect(opts, () => { got.client = c.alpnProtocol; c.end(); finish(); });
      c.on('error', (e) => { got.client = fields(e); finish(); });
    }));
    server.removeAllListeners('secureConnection');
    server.removeAllListeners('tlsClientError');
  }
  console.log(JSON.stringify(out));
  server.close();
});
"""


async def _alpn_case(certs: PKI, offer: list[str] | None) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    got: dict[str, Any] = {}
    done: asyncio.Future[dict[str, Any]] = loop.create_future()

    def finish() -> None:
        if "client" in got and "server" in got and not done.done():
            done.set_result(got)

    def on_secure(sock: tls.TLSSocket) -> None:
        got["server"] = sock.alpn_protocol
        sock.on("error", lambda err: None)
        finish()

    def on_client_error(err: BaseException, _sock: tls.TLSSocket) -> None:
        got["server"] = _fields(err)
        finish()

    server = tls.create_server(
        {**certs.leaf.server_options(), "ALPNProtocols": SERVER_ALPN}, on_secure
    )
    server.on("tlsClientError", on_client_error)
    await _listening(server)
    options: dict[str, Any] = {
        "port": server.address()["port"],
        "host": "127.0.0.1",
        "ca": certs.ca,
    }
    if offer is not None:
        options["ALPNProtocols"] = offer
    client = tls.connect(options)

    def on_connect() -> None:
        got["client"] = client.alpn_protocol
        client.end()
        finish()

    def on_error(err: BaseException) -> None:
        got["client"] = _fields(err)
        assert isinstance(err.__cause__, Exception), "the ssl error is chained"
        finish()

    client.on("secureConnect", on_connect)
    client.on("error", on_error)
    result = await asyncio.wait_for(done, 5)
    client.destroy()
    server.close()
    return result


@pytest.mark.parametrize(("offer", "expected"), ALPN_CASES)
def test_alpn_without_a_protocol_in_common_fails_the_handshake(
    run: Run, certs: PKI, offer: list[str] | None, expected: dict[str, object]
) -> None:
    assert run(_alpn_case(certs, offer)) == expected


@needs_node
def test_alpn_cases_as_node(run: Run, certs: PKI) -> None:
    offers = [offer for offer, _ in ALPN_CASES]
    theirs = _node(
        NODE_ALPN,
        stdin=json.dumps([certs.leaf.key_pem, certs.leaf.chain_pem, offers, SERVER_ALPN]),
    )
    ours = [run(_alpn_case(certs, offer)) for offer in offers]
    assert ours == theirs


# -- ecdhCurve -----------------------------------------------------------------------------------
CURVES: list[tuple[object, str | list[str]]] = [
    ("P-256", "ok"),
    ("prime256v1", "ok"),
    ("secp384r1", "ok"),
    ("X25519", "ok"),
    ("x25519", "ok"),
    ("X25519:P-256", "ok"),
    ("P-521:P-384:prime256v1", "ok"),
    ("auto", "ok"),
    ("foo", ["ERR_CRYPTO_OPERATION_FAILED", "Failed to set ECDH curve"]),
    ("P-256:foo", ["ERR_CRYPTO_OPERATION_FAILED", "Failed to set ECDH curve"]),
    ("", ["ERR_CRYPTO_OPERATION_FAILED", "Failed to set ECDH curve"]),
    (
        123,  # Node's message says "type number": this project names Python's types
        [
            "ERR_INVALID_ARG_TYPE",
            'The "options.ecdhCurve" property must be of type string. Received type int (123)',
        ],
    ),
]

NODE_CURVES = r"""
const tls = require('tls');
const curves = JSON.parse(require('fs').readFileSync(0, 'utf8'));
console.log(JSON.stringify(curves.map((ecdhCurve) => {
  try { tls.createSecureContext({ecdhCurve}); return 'ok'; }
  catch (e) { return [e.code, e.message]; }
})));
"""


def _our_curve(curve: object) -> str | list[str]:
    try:
        tls.create_secure_context({"ecdhCurve": curve})
    except errors.NodeError as err:
        return [err.code, str(err)]
    return "ok"


@pytest.mark.parametrize(("curve", "expected"), CURVES)
def test_ecdh_curve_in_node_spellings(curve: object, expected: str | list[str]) -> None:
    assert _our_curve(curve) == expected


@needs_node
def test_ecdh_curves_as_node() -> None:
    curves = [curve for curve, _ in CURVES]
    theirs = _node(NODE_CURVES, stdin=json.dumps(curves))
    for curve, ours, node in zip(curves, map(_our_curve, curves), theirs, strict=True):
        if isinstance(curve, str):
            assert ours == node, curve
        else:  # the same code; the message names the type in each language's words
            assert ours[0] == node[0] and node[1].endswith("Received type number (123)")


def test_ecdh_curve_is_the_group_negotiated(run: Run, certs: PKI) -> None:
    """A client's ``ecdhCurve`` is what its handshake offers: ``'P-256'`` (which the
    stdlib's ``set_ecdh_curve`` refuses) gives prime256v1, a list its first group."""

    async def main() -> None:
        server = tls.create_server(certs.leaf.server_options(), lambda sock: sock.end())
        await _listening(server)
        port = server.address()["port"]
        expected = {
            "P-256": {"type": "ECDH", "name": "prime256v1", "size": 256},
            "P-384:X25519": {"type": "ECDH", "name": "secp384r1", "size": 384},
            "X25519:P-256": {"type": "ECDH", "name": "X25519", "size": 253},
        }
        for curve, info in expected.items():
            client = tls.connect(
                {"port": port, "host": "localhost", "ca": certs.ca, "ecdhCurve": curve}
            )
            fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
            client.on(
                "secureConnect", lambda c=client, f=fut: resolve(f, c.get_ephemeral_key_info())
            )
            client.on("error", lambda err, f=fut: reject(f, err))
            assert await asyncio.wait_for(fut, 5) == info, curve
            client.destroy()
        server.close()

    run(main())


# -- check_server_identity: the IPs a certificate lists ------------------------------------------
def _cert_with(names: list[x509.GeneralName]) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "8.8.8.8")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(_NOW - dt.timedelta(days=1))
        .not_valid_after(_NOW + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


def _ip(text: str) -> x509.GeneralName:
    return x509.IPAddress(ipaddress.ip_address(text))


def _net(text: str) -> x509.GeneralName:
    return x509.IPAddress(ipaddress.ip_network(text))


SAN_MIXES: list[tuple[list[x509.GeneralName], str]] = [
    ([_net("8.8.8.0/24")], ""),
    ([_net("8.8.8.0/24"), _ip("1.2.3.4")], ", 1.2.3.4"),
    (
        [x509.DNSName("a.com"), _ip("1.2.3.4"), x509.UniformResourceIdentifier("http://8.8.8.8/")],
        "1.2.3.4",
    ),
    ([_ip("::1"), x509.DNSName("x.com"), _ip("10.0.0.1")], "::1, 10.0.0.1"),
    ([_net("2001:db8::/32"), x509.RFC822Name("a@b.c")], ""),
    ([x509.DNSName("8.8.8.8")], ""),
]

NODE_IDENTITY = r"""
const {X509Certificate} = require('crypto');
const tls = require('tls');
const ders = JSON.parse(require('fs').readFileSync(0, 'utf8'));
console.log(JSON.stringify(ders.map((b64) => {
  const cert = new X509Certificate(Buffer.from(b64, 'base64')).toLegacyObject();
  const err = tls.checkServerIdentity('8.8.8.8', cert);
  return [cert.subjectaltname, err && err.code, err && err.reason, err && err.message];
})));
"""


def _our_identity(der: bytes) -> list[Any]:
    cert = certificate_from_der(der)
    err = tls.check_server_identity("8.8.8.8", cert)
    assert err is not None
    return [cert["subjectaltname"], err.code, getattr(err, "reason", None), str(err)]


@pytest.mark.parametrize(("names", "listed"), SAN_MIXES)
def test_identity_lists_only_the_certificates_ips(
    names: list[x509.GeneralName], listed: str
) -> None:
    _san, code, reason, message = _our_identity(_cert_with(names))
    assert code == "ERR_TLS_CERT_ALTNAME_INVALID"
    assert reason == f"IP: 8.8.8.8 is not in the cert's list: {listed}"
    assert message == f"Hostname/IP does not match certificate's altnames: {reason}"


def test_an_address_with_a_mask_prints_as_openssl_3() -> None:
    der = _cert_with([_net("8.8.8.0/24"), _ip("1.2.3.4"), _net("2001:db8::/32")])
    assert certificate_from_der(der)["subjectaltname"] == (
        "IP Address:<invalid length=8>, IP Address:1.2.3.4, IP Address:<invalid length=32>"
    )


@needs_node
def test_identity_messages_as_node() -> None:
    import base64

    ders = [_cert_with(names) for names, _ in SAN_MIXES]
    theirs = _node(NODE_IDENTITY, stdin=json.dumps([base64.b64encode(d).decode() for d in ders]))
    assert [_our_identity(der) for der in ders] == theirs
