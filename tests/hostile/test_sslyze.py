"""An sslyze scan of a nodehttps https server and of Node's, side by side.

sslyze pins its own ``cryptography``, so it lives in its own virtual environment, made
once in the user's cache folder (``$XDG_CACHE_HOME/nodehttps-tests/sslyze-venv``),
never in the project's; without PyPI (or without ``venv``) the tests skip.

Both servers (``serve.py``, in their own processes) are scanned with an EC P-256
certificate and with an RSA-2048 one (so ROBOT and the RSA suites mean something).
For each: no SSLv2, SSLv3, TLS 1.0 or 1.1 suite accepted; no compression, Heartbleed,
CCS injection or ROBOT; no client-renegotiation DoS, and on nodehttps no client
renegotiation at all (SPEC §9: refused outright; Node allows 3). The TLS 1.2 and 1.3
suites accepted, the groups, and TLS_FALLBACK_SCSV must be Node's.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conftest import NODE
from hostile.serve import ServerProcess
from tls_pki import PKI

#: One shared run in a module fixture: its setup counts against the first test.
pytestmark = pytest.mark.timeout(900)

SPEC9_RENEGOTIATION = "SPEC §9: client-initiated TLS renegotiation is refused outright"
OLD_PROTOCOLS = ("ssl_2_0", "ssl_3_0", "tls_1_0", "tls_1_1")
SCANS = ["--sslv2", "--sslv3", "--tlsv1", "--tlsv1_1", "--tlsv1_2", "--tlsv1_3", "--reneg"]
SCANS += ["--compression", "--heartbleed", "--robot", "--fallback", "--openssl_ccs"]
SCANS += ["--elliptic_curves"]
CERTS = ("ec", "rsa")


def _venv_dir() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "nodehttps-tests" / "sslyze-venv"


@pytest.fixture(scope="session")
def sslyze() -> list[str]:
    """The command that runs sslyze from its own venv (made on first use), or skip."""
    venv = _venv_dir()
    python = venv / "bin" / "python"
    probe = [str(python), "-m", "sslyze", "--help"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return [str(python), "-m", "sslyze"]
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", "--clear", str(venv)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        pip = [str(python), "-m", "pip", "install", "-q", "sslyze"]
        subprocess.run(pip, check=True, capture_output=True, timeout=600)
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.skip(f"no venv with sslyze could be made ({exc})")
    if subprocess.run(probe, capture_output=True).returncode != 0:
        pytest.skip("sslyze does not run in its venv")
    return [str(python), "-m", "sslyze"]


def _rsa_leaf(pki: PKI) -> tuple[str, str]:
    """An RSA-2048 leaf for localhost/127.0.0.1 under the test root: (key, chain) PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    sans = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(pki.root.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(pki.root.key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


def _configs(pki: PKI, folder: Path) -> dict[str, dict[str, Any]]:
    ec = ServerProcess.tls_config(pki, folder)
    key, cert = _rsa_leaf(pki)
    (folder / "rsa-key.pem").write_text(key)
    (folder / "rsa-cert.pem").write_text(cert)
    rsa_config = {
        "tls": True,
        "key": str(folder / "rsa-key.pem"),
        "cert": str(folder / "rsa-cert.pem"),
    }
    return {"ec": ec, "rsa": rsa_config}


async def _scan(sslyze: list[str], port: int, out: Path) -> dict[str, Any]:
    target = f"127.0.0.1:{port}"
    argv = [*sslyze, target, "--sni", "localhost", "--quiet", "--json_out", str(out)]
    proc = await asyncio.create_subprocess_exec(
        *argv, "--mozilla_config", "disable", *SCANS, stdout=asyncio.subprocess.DEVNULL
    )
    await asyncio.wait_for(proc.wait(), 180)
    result = json.loads(out.read_text())["server_scan_results"][0]
    assert result["scan_status"] == "COMPLETED", result
    scans: dict[str, Any] = result["scan_result"]
    return scans


async def _still_serves(port: int, ctx: ssl.SSLContext) -> bool:
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=ctx, server_hostname="localhost"
    )
    writer.write(b"GET /size/2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return answer.startswith(b"HTTP/1.1 200 OK\r\n") and answer.endswith(b"yy")


async def _scan_all(
    sslyze: list[str], configs: dict[str, dict[str, Any]], folder: Path, ctx: ssl.SSLContext
) -> dict[tuple[str, str], dict[str, Any]]:
    kinds = ["nodehttps"] + (["node"] if NODE else [])
    servers = {(k, c): ServerProcess(k, configs[c]) for k in kinds for c in CERTS}
    for server in servers.values():
        await server.__aenter__()
    try:
        keys = list(servers)
        found = await asyncio.gather(
            *(_scan(sslyze, servers[k].port, folder / f"{k[0]}-{k[1]}.json") for k in keys)
        )
        results = dict(zip(keys, found, strict=True))
        for key, server in servers.items():
            alive = server.proc is not None and server.proc.returncode is None
            results[key]["_serves_after_scan"] = alive and await _still_serves(server.port, ctx)
        return results
    finally:
        for server in servers.values():
            await server.__aexit__(None, None, None)


@pytest.fixture(scope="module")
def scans(
    sslyze: list[str],
    module_loop: asyncio.AbstractEventLoop,
    pki: PKI,
    client_tls: ssl.SSLContext,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[tuple[str, str], dict[str, Any]]]:
    folder = tmp_path_factory.mktemp("sslyze")
    configs = _configs(pki, folder)
    ctx = ssl.create_default_context(cadata=pki.ca)
    yield module_loop.run_until_complete(
        asyncio.wait_for(_scan_all(sslyze, configs, folder, ctx), 300)
    )


def _result(scans: dict[tuple[str, str], dict[str, Any]], key: tuple[str, str], name: str) -> Any:
    if key not in scans:
        pytest.skip("node is not installed")
    entry = scans[key][name]
    assert entry["status"] == "COMPLETED", entry
    return entry["result"]


def _suites(result: dict[str, Any]) -> list[str]:
    return sorted(c["cipher_suite"]["name"] for c in result["accepted_cipher_suites"])


@pytest.mark.parametrize("cert", CERTS)
@pytest.mark.parametrize("server", ["nodehttps", "node"])
def test_no_old_protocols_and_no_known_attacks(
    server: str, cert: str, scans: dict[tuple[str, str], dict[str, Any]]
) -> None:
    key = (server, cert)
    for protocol in OLD_PROTOCOLS:
        assert _suites(_result(scans, key, f"{protocol}_cipher_suites")) == [], protocol
    assert _result(scans, key, "tls_compression")["supports_compression"] is False
    assert _result(scans, key, "heartbleed")["is_vulnerable_to_heartbleed"] is False
    assert _result(scans, key, "openssl_ccs_injection")["is_vulnerable_to_ccs_injection"] is False
    assert _result(scans, key, "robot")["robot_result"].startswith("NOT_VULNERABLE")
    reneg = _result(scans, key, "session_renegotiation")
    assert reneg["is_vulnerable_to_client_renegotiation_dos"] is False
    assert scans[key]["_serves_after_scan"], "the server does not answer after the scan"


@pytest.mark.parametrize("cert", CERTS)
def test_client_renegotiation_refused(
    cert: str, scans: dict[tuple[str, str], dict[str, Any]]
) -> None:
    reneg = _result(scans, ("nodehttps", cert), "session_renegotiation")
    assert reneg["client_renegotiations_success_count"] == 0, SPEC9_RENEGOTIATION


@pytest.mark.parametrize("cert", CERTS)
def test_accepted_suites_groups_and_fallback_are_nodes(
    cert: str, scans: dict[tuple[str, str], dict[str, Any]]
) -> None:
    ours, node = ("nodehttps", cert), ("node", cert)
    for protocol in ("tls_1_2", "tls_1_3"):
        name = f"{protocol}_cipher_suites"
        assert _suites(_result(scans, ours, name)) == _suites(_result(scans, node, name)), protocol
    curves = [_result(scans, k, "elliptic_curves") for k in (ours, node)]
    names = [sorted(c["name"] for c in r["supported_curves"] or []) for r in curves]
    assert names[0] == names[1]
    fallback = [
        _result(scans, k, "tls_fallback_scsv")["supports_fallback_scsv"] for k in (ours, node)
    ]
    assert fallback[0] == fallback[1]
