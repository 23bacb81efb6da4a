"""``nodehttps cert`` (no silent overwrite, private keys 0600), ``nodehttps pin`` (Node's
pinning example's lines, checked against Node itself), and the help texts."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

import nodehttps as https
from harness import Run
from nodehttps.cli import main
from servers import https_server
from test_cli_helpers import ServeProcess, cli, in_process, one_error_line
from tls_pki import PKI

NODE = shutil.which("node")
FILES = ["private-key.pem", "certificate.pem", "test_cert.pfx"]


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _fingerprint(der: bytes) -> str:
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


# ---- cert -------------------------------------------------------------------------------


def test_cert_writes_keys_private_and_prints_the_pin(tmp_path: Path) -> None:
    out = tmp_path / "new" / "certs"
    done = cli(tmp_path, "cert", "--out", str(out), "--pfx", "--passphrase", "sample")
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)  # no temporaries left
    assert _mode(out / "private-key.pem") == 0o600
    assert _mode(out / "test_cert.pfx") == 0o600
    assert _mode(out / "certificate.pem") == 0o666 & ~_umask()
    cert = x509.load_pem_x509_certificate((out / "certificate.pem").read_bytes())
    der = cert.public_bytes(serialization.Encoding.DER)
    lines = done.stdout.decode().splitlines()
    assert lines[0] == "wrote " + ", ".join(str(out / name) for name in FILES)
    assert lines[1:] == [
        f"certificate SHA-256 fingerprint: {_fingerprint(der)}",
        f"pin-sha256: {https.tls.pin_sha256(der)}",
    ]
    key, bundled, _ = pkcs12.load_key_and_certificates(
        (out / "test_cert.pfx").read_bytes(), b"sample"
    )
    assert bundled == cert and key is not None
    # the pair serves: create_server accepts both forms
    https.create_server({"pfx": (out / "test_cert.pfx").read_bytes(), "passphrase": "sample"})
    https.create_server(
        {
            "key": (out / "private-key.pem").read_bytes(),
            "cert": (out / "certificate.pem").read_bytes(),
        }
    )


def test_cert_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    assert cli(tmp_path, "cert", "--out", str(tmp_path)).returncode == 0
    before = {name: (tmp_path / name).read_bytes() for name in FILES[:2]}
    again = cli(tmp_path, "cert", "--out", str(tmp_path))
    assert again.returncode == 3
    assert again.stdout == b""
    line = one_error_line(again.stderr, "cert", "EEXIST: file already exists")
    assert "--force" in line
    assert {name: (tmp_path / name).read_bytes() for name in FILES[:2]} == before


def test_cert_force_makes_a_world_readable_key_private(tmp_path: Path) -> None:
    key = tmp_path / "private-key.pem"
    key.write_text("old key")
    key.chmod(0o644)
    done = cli(tmp_path, "cert", "--out", str(tmp_path), "--force")
    assert done.returncode == 0, done.stderr
    assert _mode(key) == 0o600
    assert key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")


def test_cert_refusals(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    cases = [
        (["--passphrase", "x"], 2, "--passphrase is for the PKCS#12 file: add --pfx"),
        (["--out", str(tmp_path / "file" / "sub")], 3, "ENOTDIR"),
    ]
    for argv, status, start in cases:
        out = cli(tmp_path, "cert", *argv)
        assert out.returncode == status
        one_error_line(out.stderr, "cert", start)


def test_cert_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "private-key.pem"
    key.write_text("old")
    key.chmod(0o644)
    assert main(["cert", "--out", str(tmp_path)]) == 3
    one_error_line(capsys.readouterr().err, "cert", "EEXIST")
    assert key.read_text() == "old"
    assert (
        main(["cert", "--out", str(tmp_path), "--force", "--cn", "127.0.0.1", "--days", "2"]) == 0
    )
    assert _mode(key) == 0o600
    cert = x509.load_pem_x509_certificate((tmp_path / "certificate.pem").read_bytes())
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert cert.not_valid_after_utc - cert.not_valid_before_utc < dt.timedelta(days=3)
    assert main(["cert", "--out", str(tmp_path), "--passphrase", "x"]) == 2
    (tmp_path / "file").write_text("")
    assert main(["cert", "--out", str(tmp_path / "file" / "x")]) == 3
    assert main(["cert", "--out", str(tmp_path / "p"), "--pfx"]) == 0
    assert _mode(tmp_path / "p" / "test_cert.pfx") == 0o600
    pkcs12.load_key_and_certificates((tmp_path / "p" / "test_cert.pfx").read_bytes(), None)


# ---- pin --------------------------------------------------------------------------------


def _expected_lines(chain: list[x509.Certificate]) -> list[str]:
    lines = []
    for cert in chain:
        der = cert.public_bytes(serialization.Encoding.DER)
        cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        assert isinstance(cn, str)
        lines += [
            f"Subject Common Name: {cn}",
            f"  Certificate SHA256 fingerprint: {_fingerprint(der)}",
            f"  Public key ping-sha256: {https.tls.pin_sha256(der)}",
        ]
    return lines


def test_pin_prints_each_certificate_of_the_chain(
    run: Run, capsys: pytest.CaptureFixture[str], pki: PKI, tmp_path: Path
) -> None:
    ca_file = str(tmp_path / "ca.pem")
    Path(ca_file).write_text(pki.ca)

    async def scenario() -> None:
        server, port = await https_server(pki.chain_leaf, lambda req, res: res.end())
        url = f"https://localhost:{port}/"
        try:
            status, out, err = await in_process(capsys, "pin", "--cacert", ca_file, url)
            assert (status, err) == (0, "")
            chain = [pki.chain_leaf.cert, pki.inter.cert, pki.root.cert]
            assert out.splitlines() == _expected_lines(chain)
            status, out, err = await in_process(capsys, "pin", url)
            assert (status, out) == (5, "")
            one_error_line(err, "pin", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY")
            status, out, _ = await in_process(capsys, "pin", "-k", url)
            assert status == 0
            assert out.splitlines() == _expected_lines([pki.chain_leaf.cert, pki.inter.cert])
            status, _, err = await in_process(
                capsys, "pin", "--cacert", ca_file, "--servername", "other.test", url
            )
            assert status == 5
            one_error_line(err, "pin", "ERR_TLS_CERT_ALTNAME_INVALID")
        finally:
            server.close()

    run(scenario())


PIN_ERRORS = [
    (["pin", "http://127.0.0.1/"], 2, 'ERR_INVALID_PROTOCOL: Protocol "http:" not supported.'),
    (["pin", "notaurl"], 2, "ERR_INVALID_URL"),
    (["pin", "https://127.0.0.1:1/"], 4, "ECONNREFUSED"),
    (["pin", "--cacert", "/no/such.pem", "https://127.0.0.1:1/"], 3, "ENOENT"),
]


def test_pin_failures(tmp_path: Path, run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    for argv, status, start in PIN_ERRORS:
        out = cli(tmp_path, *argv)
        assert (out.returncode, out.stdout) == (status, b"")
        one_error_line(out.stderr, "pin", start)

    async def scenario() -> None:
        for argv, status, start in PIN_ERRORS:
            got, out, err = await in_process(capsys, *argv)
            assert (got, out) == (status, "")
            one_error_line(err, "pin", start)

    run(scenario())


def _rsa_self_signed(folder: Path) -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / "rsa-key.pem", folder / "rsa-cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(key_path), str(cert_path)


NODE_EXAMPLE = r"""
const https = require('node:https'), tls = require('node:tls');
const crypto = require('node:crypto'), fs = require('node:fs');
function sha256(s) { return crypto.createHash('sha256').update(s).digest('base64'); }
const [port, ca] = process.argv.slice(2);
const req = https.request({
  hostname: 'localhost', port, path: '/', method: 'GET', ca: fs.readFileSync(ca), agent: false,
  checkServerIdentity(host, cert) {
    const err = tls.checkServerIdentity(host, cert);
    if (err) return err;
    let lastprint256;
    do {
      console.log('Subject Common Name:', cert.subject.CN);
      console.log('  Certificate SHA256 fingerprint:', cert.fingerprint256);
      console.log('  Public key ping-sha256:', sha256(cert.pubkey));
      lastprint256 = cert.fingerprint256;
      cert = cert.issuerCertificate;
    } while (cert.fingerprint256 !== lastprint256);
  },
}, (res) => res.resume());
req.end();
"""


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_pin_prints_what_nodes_pinning_example_prints(tmp_path: Path) -> None:
    """For an RSA key Node's ``sha256(cert.pubkey)`` is the RFC 7469 pin: same lines."""
    key, cert = _rsa_self_signed(tmp_path)
    script = tmp_path / "pinning.js"
    script.write_text(NODE_EXAMPLE)
    args = ("--cert", cert, "--key", key, "--port", "0", "--quiet")
    with ServeProcess(tmp_path, str(tmp_path), "--host", "localhost", *args) as served:
        ours = cli(tmp_path, "pin", "--cacert", cert, served.url)
        assert NODE is not None
        theirs = subprocess.run(
            [NODE, str(script), str(served.port), cert], capture_output=True, timeout=30
        )
    assert theirs.returncode == 0, theirs.stderr
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == theirs.stdout
    assert re.match(rb"Subject Common Name: localhost\n  Certificate SHA256 finger", ours.stdout)


# ---- help -------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["serve", "get", "cert", "pin"])
def test_every_option_has_help_and_its_default(tmp_path: Path, command: str) -> None:
    out = cli(tmp_path, command, "--help")
    assert out.returncode == 0
    text = out.stdout.decode()
    options = text.split("options:", 1)[1]
    entries = re.split(r"\n  (?=-)", options)[1:]  # one entry per option
    assert entries
    for entry in entries:
        if entry.startswith("-h, --help"):
            continue
        assert re.search(r"\(default:\s+[^)]+\)", " ".join(entry.split())), entry
    if "positional arguments:" in text:  # serve's DIR, get's and pin's URL
        positionals = text.split("positional arguments:", 1)[1].split("options:", 1)[0]
        assert all(len(line.split(None, 1)) == 2 for line in positionals.strip().splitlines())


def test_help_and_usage_in_process(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from nodehttps.cli import amain, run_main

    for command in ("serve", "get", "cert", "pin"):
        assert main([command, "--help"]) == 0
        assert "(default: " in capsys.readouterr().out
    assert main(["serve", "--port", "http"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "nodehttps serve: error: argument --port: not a port number (0-65535): 'http'"
        " (see --help)\n"
    )
    import asyncio

    assert asyncio.run(amain(["pin"])) == 2
    assert "the following arguments are required: url" in capsys.readouterr().err
    monkeypatch.setattr("sys.argv", ["nodehttps", "cert", "--passphrase", "x"])
    with pytest.raises(SystemExit) as exited:
        run_main()
    assert exited.value.code == 2
