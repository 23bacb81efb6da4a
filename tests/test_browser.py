"""A page served by ``nodehttps serve`` loads in headless Chromium.

Chromium trusts the self-signed certificate only through
``--ignore-certificate-errors-spki-list=<pin>``, given exactly the ``pin-sha256`` that
``serve`` printed: the page loading proves the pin is the RFC 7469 one browsers use;
a different pin gets Chromium's certificate error page. Skips where Chromium is not
installed (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from test_cli_helpers import ServeProcess

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>nodehttps</title>
<script src="app.js" defer></script></head><body><h1>served over https</h1></body></html>
"""
SCRIPT = 'document.body.insertAdjacentHTML("beforeend", "<p id=\\"js\\">script ran</p>");\n'


def _dump_dom(url: str, pin: str, profile: Path) -> str:
    """Chromium's DOM of ``url`` once loaded (scripts run), trusting the key ``pin``."""
    assert CHROMIUM is not None
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",  # needed as root; harmless otherwise
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--ignore-certificate-errors-spki-list={pin}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_served_page_loads_in_chromium_trusted_by_serves_pin(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(PAGE)
    (site / "app.js").write_text(SCRIPT)
    with ServeProcess(tmp_path / "cache", str(site), "--port", "0", "--host", "127.0.0.1") as srv:
        url = f"https://localhost:{srv.port}/"
        dom = _dump_dom(url, srv.pin, tmp_path / "profile")
        refused = _dump_dom(url, "A" * 43 + "=", tmp_path / "profile2")
        _, log = srv.stop()
    assert "<h1>served over https</h1>" in dom
    assert '<p id="js">script ran</p>' in dom  # app.js came from serve too
    assert "served over https" not in refused
    assert "<title>Privacy error</title>" in refused
    requests = log.decode().splitlines()
    assert requests.count("GET / 200") == 1  # the refused load never reached the server
    assert "GET /app.js 200" in requests
