"""The public API is typed: ``mypy --strict`` over a user's script finds exactly the
mistakes it should (a str added to ``res.status_code`` after ``await https.get(...)``, a
misspelt option key in a dict or as a keyword) and accepts both spellings of options.
Also: the docstrings list the options, and the top-level names import without cycles."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import nodehttps
from nodehttps import http
from nodehttps._option_table import BAGS

pytest.importorskip("mypy")

USER_SCRIPT = """
import asyncio
import nodehttps as https
from nodehttps import http


def handler(req: https.IncomingMessage, res: https.ServerResponse) -> None:
    res.end("hello")


async def main() -> None:
    res = await https.get("https://localhost:8443/", {"rejectUnauthorized": False})
    reveal_type(res)
    res.status_code + "x"  # MISTAKE: int | None + str
    https.get("https://localhost/", {"rejectUnauthorised": False})  # MISTAKE: misspelt
    https.get("https://localhost/", reject_unauthorised=False)  # MISTAKE: misspelt keyword
    https.request({"host": "localhost", "reject_unauthorized": False, "ALPNProtocols": ["h2"]})
    https.get("https://localhost/", reject_unauthorized=False, maxCachedSessions=1)  # MISTAKE
    agent = https.Agent({"keepAlive": True, "max_cached_sessions": 0, "ca": b"..."})
    https.Agent(keep_alive=True, scheduling="fifo")
    https.Agent(scheduling="filo")  # MISTAKE: not a Literal of Node's
    req = https.request("https://localhost/", {"method": "POST", "agent": agent}, print)
    req.end(b"body")
    server = https.create_server({"key": b"k", "cert": b"c", "requestTimeout": 0}, handler)
    server.listen(8443)
    http.create_server(handler).listen(8080)
    http.get("http://localhost/", {"insecure_http_parser": True, "maxHeaderSize": 1})
    sock: https.TLSSocket | None = None
    print(sock)


asyncio.run(main())
"""


def _mypy(script: Path) -> list[str]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(script.parent / ".mypy_cache"),
            "--config-file",
            "",
            str(script),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=script.parent,
    )
    return [line for line in proc.stdout.splitlines() if re.match(r".*:\d+: ", line)]


def test_mypy_strict_finds_the_users_mistakes_and_only_those(tmp_path: Path) -> None:
    script = tmp_path / "user_script.py"
    script.write_text(textwrap.dedent(USER_SCRIPT))
    lines = script.read_text().splitlines()
    found = _mypy(script)
    by_line: dict[int, list[str]] = {}
    for entry in found:
        number = int(entry.split(":")[1])
        by_line.setdefault(number, []).append(entry)
    mistakes = {i + 1 for i, text in enumerate(lines) if "# MISTAKE" in text}
    reveal = next(i + 1 for i, text in enumerate(lines) if "reveal_type" in text)
    errors = {n for n, entries in by_line.items() if any(": error:" in e for e in entries)}
    assert errors == mistakes, found
    (revealed,) = by_line[reveal]
    assert 'Revealed type is "nodehttps.http._incoming.IncomingMessage"' in revealed
    status_line = next(i + 1 for i, text in enumerate(lines) if "status_code +" in text)
    assert any(
        'Unsupported operand types for + ("int" and "str")' in e for e in by_line[status_line]
    )
    misspelt = next(i + 1 for i, text in enumerate(lines) if "rejectUnauthorised" in text)
    assert any('expected "HttpsRequestOptions |' in e for e in by_line[misspelt])
    keyword = next(i + 1 for i, text in enumerate(lines) if "reject_unauthorised" in text)
    assert any('did you mean "reject_unauthorized"' in e for e in by_line[keyword])


def test_the_public_docstrings_list_every_option_with_both_spellings() -> None:
    documented: list[tuple[Any, str]] = [
        (nodehttps.request, "HttpsRequestOptions"),
        (nodehttps.get, "HttpsRequestOptions"),
        (nodehttps.create_server, "HttpsServerOptions"),
        (nodehttps.Server, "HttpsServerOptions"),
        (nodehttps.Agent, "HttpsAgentOptions"),
        (http.request, "HttpRequestOptions"),
        (http.get, "HttpRequestOptions"),
        (http.create_server, "HttpServerOptions"),
        (http.Server, "HttpServerOptions"),
        (http.Agent, "HttpAgentOptions"),
    ]
    for obj, bag_name in documented:
        doc = obj.__doc__ or ""
        assert doc.startswith("Node's "), obj
        for option in BAGS[bag_name].options:
            for key in option.spellings:
                assert f"``{key}``" in doc, (obj, key)


def test_help_of_request_is_useful() -> None:
    import pydoc

    text = pydoc.plain(pydoc.render_doc(nodehttps.request))
    for needle in (
        "https.request(url[, options][, callback])",
        "reject_unauthorized",
        "rejectUnauthorized",
        "default: ``True``",
        "await req",
        "HttpsRequestOptions",
    ):
        assert needle in text, needle


def test_the_top_level_names_import_in_a_fresh_interpreter() -> None:
    code = (
        "from nodehttps import ClientRequest, IncomingMessage, ServerResponse, TLSSocket\n"
        "from nodehttps import HttpsRequestOptions, HttpsAgentOptions, HttpsServerOptions\n"
        "from nodehttps.http import HttpRequestOptions, HttpAgentOptions, HttpServerOptions\n"
        "import nodehttps._option_types, nodehttps._option_gen\n"
        "print(IncomingMessage.__module__, TLSSocket.__name__)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["nodehttps.http._incoming", "TLSSocket"]
