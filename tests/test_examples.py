"""Each example of Node's https documentation runs as a plain script (SPEC §8)."""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("certs")
    subprocess.run(
        [sys.executable, str(EXAMPLES / "make_certs.py"), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return out


def _env(certs: Path, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(EXAMPLES)])
    env["EXAMPLE_CERTS"] = str(certs)
    env["EXAMPLE_PORT"] = str(port)
    env["NODE_EXTRA_CA_CERTS"] = str(certs / "ca.pem")
    return env


def _run(script: str, certs: Path, port: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        env=_env(certs, port),
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.fixture(scope="module", params=["server_pem.py", "server_pfx.py"])
def server(request: pytest.FixtureRequest, certs: Path) -> Iterator[int]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, str(EXAMPLES / request.param)],
        env=_env(certs, port),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    line = proc.stdout.readline()
    assert line.strip() == f"listening on https://localhost:{port}/", proc.stderr.read()
    yield port
    proc.terminate()
    assert proc.wait(timeout=10) == 128 + 15  # SIGTERM ends the script loop, as Node


def test_get(server: int, certs: Path) -> None:
    out = _run("get.py", certs, server)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("statusCode: 200\nheaders: {")
    assert out.stdout.endswith("hello world\n")


def test_request(server: int, certs: Path) -> None:
    out = _run("request.py", certs, server)
    assert out.returncode == 0, out.stderr
    assert "statusCode: 200" in out.stdout and out.stdout.endswith("hello world\n")


def test_request_with_tls_options_and_agent(server: int, certs: Path) -> None:
    out = _run("request_tls_options.py", certs, server)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "statusCode: 200\nhello world\n"


def test_request_agent_false(server: int, certs: Path) -> None:
    out = _run("request_agent_false.py", certs, server)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "statusCode: 200\nconnection: close\nhello world\n"


def test_request_url(server: int, certs: Path) -> None:
    out = _run("request_url.py", certs, server)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "statusCode: 200\nhello world\n"


def test_keylog(server: int, certs: Path, tmp_path: Path) -> None:
    log = tmp_path / "ssl-keys.log"
    out = _run("keylog.py", certs, server, str(log))
    assert out.returncode == 0, out.stderr
    assert out.stdout == "statusCode: 200\n"
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    lines = log.read_bytes().splitlines()
    labels = {line.split(b" ")[0] for line in lines}
    assert labels == {
        b"CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        b"SERVER_HANDSHAKE_TRAFFIC_SECRET",
        b"CLIENT_TRAFFIC_SECRET_0",
        b"SERVER_TRAFFIC_SECRET_0",
        b"EXPORTER_SECRET",
    }
    assert all(re.fullmatch(rb"[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]+", line) for line in lines)


def test_pinning(server: int, certs: Path) -> None:
    pins = subprocess.run(
        [sys.executable, "-m", "nodehttps", "pin", f"https://localhost:{server}/"],
        env=_env(certs, server),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert pins.returncode == 0, pins.stderr
    leaf_fp = re.search(r"Certificate SHA256 fingerprint: (\S+)", pins.stdout)
    leaf_pin = re.search(r"Public key ping-sha256: (\S+)", pins.stdout)
    assert leaf_fp and leaf_pin
    ok = _run(
        "pinning.py", certs, server, "--pubkey", leaf_pin.group(1), "--cert", leaf_fp.group(1)
    )
    assert ok.returncode == 0, ok.stderr
    assert "Subject Common Name: localhost" in ok.stdout
    assert "Subject Common Name: nodehttps example CA" in ok.stdout
    assert "All OK. Server matched our pinned cert or public key\nstatusCode: 200" in ok.stdout
    bad = _run("pinning.py", certs, server, "--pubkey", "AAAA", "--cert", leaf_fp.group(1))
    assert "All OK" not in bad.stdout
    assert "does not match our pinned fingerprint" in bad.stderr
