"""The user's reference (``docs/``): it builds with Sphinx without a warning (skipped
where Sphinx is not installed: ``pip install -e '.[docs]'``), and what it says about
bounding an awaited request in time holds."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from harness import Run
from nodehttps import consumers, events, http
from servers import listening

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_the_reference_builds_without_a_warning(tmp_path: Path) -> None:
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(DOCS), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    api = (tmp_path / "api.html").read_text(encoding="utf-8")
    for needle in ("rejectUnauthorized", "reject_unauthorized", "HttpsServerOptions"):
        assert needle in api
    assert (tmp_path / "differences.html").exists() and (tmp_path / "cli.html").exists()


def test_a_bounded_body_read_destroys_the_response(run: Run) -> None:
    """The head arrives, the body stalls: cancelling the read (``asyncio.timeout``)
    destroys the response and the connection goes away."""

    async def main() -> None:
        arrived = asyncio.get_running_loop().create_future()

        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            res.write_head(200, {"Content-Length": "1000"})
            res.write(b"x" * 10)  # ... and never the rest
            arrived.set_result(req)

        server = http.create_server(handler)
        port = await listening(server)
        res = await http.get({"port": port, "host": "127.0.0.1"})
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await consumers.buffer(res)
        assert res.destroyed
        server_req = await arrived
        if not server_req.socket.destroyed:
            await events.once(server_req.socket, "close")  # the connection went away
        await server.aclose()

    run(main())
