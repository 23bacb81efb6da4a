"""``nodehttps serve``: refused arguments, one-line errors, what it prints, and the file
server (validators, 304, ranges, HEAD, symlinks, back-pressure).

The file-server checks run against ``serve`` as a subprocess and against the same
listener in-process (``where`` fixture), from a nodehttps client in the test's loop.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import stat
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

import nodehttps as https
from harness import Run
from nodehttps import events
from nodehttps.cli import amain, parser
from nodehttps.cli._certs import make_self_signed, pfx_bytes
from nodehttps.cli._serve import start_server
from test_cli_helpers import ServeProcess, cli, in_process, one_error_line

TEXT = b"0123456789abcdefghij"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    top = tmp_path_factory.mktemp("top")
    folder = top / "site"
    (folder / "sub").mkdir(parents=True)
    (folder / "withindex").mkdir()
    (folder / "text.txt").write_bytes(TEXT)
    (folder / "empty.bin").write_bytes(b"")
    (folder / "sub" / "a b.html").write_text("<p>a b</p>")
    (folder / "withindex" / "index.html").write_text("<h1>index</h1>")
    with open(folder / "sparse.bin", "wb") as fh:
        fh.truncate(64 * 1024 * 1024)  # 64 MiB of zeros, no disk blocks
    (top / "outside.txt").write_text("secret")
    (folder / "escape.txt").symlink_to(top / "outside.txt")
    (folder / "alias.txt").symlink_to(folder / "text.txt")
    os.mkfifo(folder / "fifo")
    return folder


@pytest.fixture(scope="module")
def served(site: Path, cache: Path) -> Iterator[ServeProcess]:
    with ServeProcess(cache, str(site), "--port", "0", "--host", "127.0.0.1") as proc:
        yield proc


@pytest.fixture(params=["subprocess", "in_process"])
def where(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, cache: Path) -> str:
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return str(request.param)


@asynccontextmanager
async def base_url(where: str, served: ServeProcess | None, site: Path) -> AsyncIterator[str]:
    """The served folder's URL: the subprocess's, or a server on this loop."""
    if where == "subprocess":
        assert served is not None
        yield served.url
        return
    ns = parser().parse_args(["serve", str(site), "--port", "0", "--host", "127.0.0.1", "--quiet"])
    server, lines = await start_server(ns)
    try:
        yield lines[0].split(" at ")[1]
    finally:
        server.close_all_connections()
        server.close()


async def fetch(
    url: str, headers: dict[str, str] | None = None, method: str = "GET", path: str | None = None
) -> tuple[int, dict[str, Any], bytes]:
    """One request, certificate unchecked: status, headers, body."""
    options: https.HttpsRequestOptions = {
        "method": method,
        "headers": headers or {},
        "reject_unauthorized": False,
        "agent": False,
    }
    if path is not None:
        parsed = https.URL(url)
        req = https.request(
            {**options, "host": parsed.hostname, "port": int(parsed.port), "path": path}
        )
    else:
        req = https.request(url, options)
    req.end()
    res = await req
    body = await https.consumers.buffer(res)
    assert res.status_code is not None
    return res.status_code, dict(res.headers), bytes(body)


# ---- arguments and failures: end to end -------------------------------------------------


@pytest.fixture(scope="module")
def key_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("keys")
    key_pem, cert_pem = make_self_signed("localhost")
    (folder / "key.pem").write_bytes(key_pem)
    (folder / "cert.pem").write_bytes(cert_pem)
    (folder / "garbage.pem").write_bytes(b"not a certificate\n")
    (folder / "bundle.pfx").write_bytes(pfx_bytes(key_pem, cert_pem, "sample"))
    return {p.stem: str(p) for p in folder.iterdir()}


def _failures(site: Path, keys: dict[str, str]) -> list[tuple[list[str], int, str]]:
    return [
        (["/no/such/folder"], 3, "ENOENT: no such file or directory, stat '/no/such/folder'"),
        ([str(site / "text.txt")], 3, "ENOTDIR"),
        (["--cert", keys["cert"]], 2, "--cert needs --key"),
        (["--key", keys["key"]], 2, "--key needs --cert"),
        (["--pfx", keys["bundle"], "--cert", keys["cert"]], 2, "--pfx replaces --cert"),
        (["--cert", "/no/such.pem", "--key", keys["key"]], 3, "ENOENT"),
        (["--cert", keys["garbage"], "--key", keys["key"]], 5, "ERR_OSSL_PEM_NO_START_LINE"),
        (["--pfx", keys["bundle"], "--passphrase", "wrong"], 5, "ERR_OSSL_PKCS12_MAC_VERIFY"),
        (["--port", "70000"], 2, "argument --port: not a port number"),
    ]


def test_refused_arguments(cache: Path, site: Path, key_files: dict[str, str]) -> None:
    for argv, status, start in _failures(site, key_files):
        out = cli(cache, "serve", *argv, "--host", "127.0.0.1", "--port", "0")
        assert out.returncode == status, (argv, out.stderr)
        assert out.stdout == b""
        if start.startswith("argument"):
            assert out.stderr.decode().splitlines() == [
                f"nodehttps serve: error: {start} (0-65535): '70000' (see --help)"
            ]
        else:
            one_error_line(out.stderr, "serve", start)


def test_port_in_use_is_eaddrinuse(cache: Path, site: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = cli(cache, "serve", str(site), "--host", "127.0.0.1", "--port", str(port))
    assert out.returncode == 4
    line = one_error_line(out.stderr, "serve", "EADDRINUSE")
    assert line.endswith(f"listen EADDRINUSE: address already in use 127.0.0.1:{port}")


def test_pfx_prints_fingerprint_and_pin(cache: Path, site: Path, key_files: dict[str, str]) -> None:
    args = ("--pfx", key_files["bundle"], "--passphrase", "sample", "--port", "0")
    with ServeProcess(cache, str(site), "--host", "127.0.0.1", *args) as proc:
        assert re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", proc.fingerprint)
        pins = cli(cache, "pin", "-k", proc.url)
        assert f"Certificate SHA256 fingerprint: {proc.fingerprint}\n" in pins.stdout.decode()
        assert f"Public key ping-sha256: {proc.pin}\n" in pins.stdout.decode()
        got = cli(cache, "get", "--pin", f"sha256//{proc.pin}", proc.url + "text.txt")
        assert (got.returncode, got.stdout, got.stderr) == (0, TEXT, b"")
        assert proc.lines[3] == f"try: nodehttps get --pin sha256//{proc.pin} {proc.url}"


def test_builtin_certificate_is_kept_private(served: ServeProcess, cache: Path) -> None:
    key = cache / "nodehttps" / "localhost-key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700


def test_sigterm_ends_with_node_status_and_log(cache: Path, site: Path) -> None:
    with ServeProcess(cache, str(site), "--port", "0", "--host", "127.0.0.1") as proc:
        got = cli(cache, "get", "-k", proc.url + "text.txt")
        assert got.returncode == 0
        status, log = proc.stop()
    assert status == 128 + 15
    assert log.decode() == "GET /text.txt 200\n"


def test_serve_in_process_until_cancelled(
    run: Run,
    capsys: pytest.CaptureFixture[str],
    cache: Path,
    site: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    read_fd, write_fd = os.pipe()
    stdout = os.fdopen(write_fd, "w")

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[str] = loop.create_future()
        seen = b""

        def readable() -> None:
            nonlocal seen
            seen += os.read(read_fd, 4096)
            if b"try: " in seen and not ready.done():
                ready.set_result(seen.decode())

        loop.add_reader(read_fd, readable)
        saved, sys.stdout = sys.stdout, stdout
        try:
            task = asyncio.ensure_future(amain(["serve", str(site), "--port", "0"]))
            printed = await ready
        finally:
            sys.stdout = saved
            loop.remove_reader(read_fd)
        found = re.search(r"at (\S+)", printed)
        assert found is not None, printed
        url = found.group(1)
        assert url.startswith("https://localhost:")
        status, out, err = await in_process(capsys, "get", "-k", url + "text.txt")
        assert (status, out, err) == (0, TEXT.decode(), "GET /text.txt 200\n")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        status, _, err = await in_process(capsys, "get", "-k", url)
        assert status == 4
        one_error_line(err, "get", "ECONNREFUSED")

    try:
        run(scenario())
    finally:
        stdout.close()
        os.close(read_fd)


def test_in_process_refusals(
    run: Run, capsys: pytest.CaptureFixture[str], site: Path, key_files: dict[str, str], cache: Path
) -> None:
    async def scenario() -> None:
        for argv, status, start in _failures(site, key_files)[:-1]:
            got, out, err = await in_process(capsys, "serve", *argv, "--host", "127.0.0.1")
            assert (got, out) == (status, ""), (argv, err)
            one_error_line(err, "serve", start)
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = str(taken.getsockname()[1])
            got, _, err = await in_process(capsys, "serve", str(site), "--port", port)
        assert got == 4
        one_error_line(err, "serve", "EADDRINUSE")

    run(scenario())


def test_in_process_start_lines_for_each_certificate_source(
    run: Run, site: Path, key_files: dict[str, str], monkeypatch: pytest.MonkeyPatch, cache: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))

    async def lines_of(*args: str) -> list[str]:
        ns = parser().parse_args(["serve", str(site), "--port", "0", *args])
        server, lines = await start_server(ns)
        server.close()
        await events.once(server, "close")
        return lines

    async def scenario() -> None:
        pem = await lines_of("--cert", key_files["cert"], "--key", key_files["key"])
        pfx = await lines_of("--pfx", key_files["bundle"], "--passphrase", "sample")
        assert pem[1:3] == pfx[1:3]  # one certificate, one fingerprint, one pin
        assert pem[0].startswith(f"Serving {site} at https://localhost:")
        wildcard = await lines_of("--host", "::1")
        assert re.fullmatch(r"Serving .* at https://localhost:\d+/", wildcard[0])
        anyhost = await lines_of("--host", "0.0.0.0")
        assert re.fullmatch(r"Serving .* at https://0\.0\.0\.0:\d+/", anyhost[0])

    run(scenario())


# ---- the file server ------------------------------------------------------------------


def test_get_and_head_send_validators(
    where: str, served: ServeProcess, site: Path, run: Run
) -> None:
    st = (site / "text.txt").stat()

    async def scenario() -> None:
        async with base_url(where, served, site) as base:
            status, headers, body = await fetch(base + "text.txt")
            assert (status, body) == (200, TEXT)
            assert headers["content-type"] == "text/plain; charset=utf-8"
            assert headers["content-length"] == str(len(TEXT))
            assert headers["accept-ranges"] == "bytes"
            assert headers["etag"] == f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
            assert headers["last-modified"] == formatdate(st.st_mtime, usegmt=True)
            head = await fetch(base + "text.txt", method="HEAD")
            assert head == (200, {**headers, "date": head[1]["date"]}, b"")
            status, headers, body = await fetch(base + "empty.bin")
            assert (status, headers["content-length"], body) == (200, "0", b"")

    run(scenario())


def test_conditional_requests_answer_304(
    where: str, served: ServeProcess, site: Path, run: Run
) -> None:
    async def scenario() -> None:
        async with base_url(where, served, site) as base:
            url = base + "text.txt"
            _, first, _ = await fetch(url)
            etag, modified = first["etag"], first["last-modified"]
            old = "Mon, 01 Jan 1990 00:00:00 GMT"
            cases = [
                ({"If-None-Match": etag}, 304),
                ({"If-None-Match": f'"other", W/{etag}'}, 304),
                ({"If-None-Match": "*"}, 304),
                ({"If-None-Match": '"other"'}, 200),
                ({"If-Modified-Since": modified}, 304),
                ({"If-Modified-Since": old}, 200),
                ({"If-Modified-Since": "not a date"}, 200),
                ({"If-None-Match": '"other"', "If-Modified-Since": modified}, 200),
                ({"If-None-Match": etag, "If-Modified-Since": old}, 304),
            ]
            for headers, want in cases:
                status, got, body = await fetch(url, headers)
                assert status == want, headers
                if want == 304:
                    assert body == b""
                    assert (got["etag"], got["last-modified"]) == (etag, modified)
                else:
                    assert body == TEXT
            assert (await fetch(url, {"If-None-Match": etag}, method="HEAD"))[0] == 304

    run(scenario())


RANGES = [
    ("bytes=0-4", 206, "bytes 0-4/20", TEXT[:5]),
    ("bytes=5-", 206, "bytes 5-19/20", TEXT[5:]),
    ("bytes=-3", 206, "bytes 17-19/20", TEXT[-3:]),
    ("bytes=-100", 206, "bytes 0-19/20", TEXT),
    ("bytes=18-1000", 206, "bytes 18-19/20", TEXT[18:]),
    ("BYTES=1-1", 206, "bytes 1-1/20", TEXT[1:2]),
    ("bytes=20-", 416, "bytes */20", b"Range Not Satisfiable\n"),
    ("bytes=-0", 416, "bytes */20", b"Range Not Satisfiable\n"),
    ("bytes=0-1,4-5", 200, None, TEXT),  # several ranges: the whole file
    ("bytes=5-2", 200, None, TEXT),  # malformed: ignored
    ("bytes=x-y", 200, None, TEXT),
    ("bytes=-", 200, None, TEXT),
    ("items=0-1", 200, None, TEXT),
]


def test_ranges(where: str, served: ServeProcess, site: Path, run: Run) -> None:
    async def scenario() -> None:
        async with base_url(where, served, site) as base:
            for header, want, content_range, body in RANGES:
                status, headers, got = await fetch(base + "text.txt", {"Range": header})
                assert (status, headers.get("content-range"), got) == (
                    want,
                    content_range,
                    body,
                ), header
                assert headers["content-length"] == str(len(body))
            status, headers, _ = await fetch(base + "empty.bin", {"Range": "bytes=0-"})
            assert (status, headers["content-range"]) == (416, "bytes */0")
            status, _, body = await fetch(base + "text.txt", {"Range": "bytes=0-1"}, "HEAD")
            assert (status, body) == (200, b"")  # ranges are for GET

    run(scenario())


def test_if_range_keeps_the_range_only_for_the_same_file(
    where: str, served: ServeProcess, site: Path, run: Run
) -> None:
    async def scenario() -> None:
        async with base_url(where, served, site) as base:
            url = base + "text.txt"
            _, first, _ = await fetch(url)
            for validator, want in [
                (first["etag"], 206),
                (first["last-modified"], 206),
                ('"changed"', 200),
                ("W/" + first["etag"], 200),  # a weak tag never matches If-Range
                ("Mon, 01 Jan 1990 00:00:00 GMT", 200),
            ]:
                status, _, _ = await fetch(url, {"Range": "bytes=0-1", "If-Range": validator})
                assert status == want, validator

    run(scenario())


def test_paths_stay_inside_the_folder(
    where: str, served: ServeProcess, site: Path, run: Run
) -> None:
    async def scenario() -> None:
        async with base_url(where, served, site) as base:
            assert (await fetch(base + "escape.txt"))[0] == 404  # symlink to outside
            assert (await fetch(base + "alias.txt"))[2] == TEXT  # symlink inside
            assert (await fetch(base, path="/../outside.txt"))[0] == 404
            assert (await fetch(base, path="/%2e%2e/outside.txt"))[0] == 404
            assert (await fetch(base, path="/text.txt%00"))[0] == 404
            assert (await fetch(base + "fifo"))[0] == 404  # never opened: it would block
            assert (await fetch(base + "nothing"))[0] == 404

    run(scenario())


def test_folders_methods_and_listing(
    where: str, served: ServeProcess, site: Path, run: Run
) -> None:
    async def scenario() -> None:
        async with base_url(where, served, site) as base:
            status, headers, _ = await fetch(base + "sub?x=1")
            assert (status, headers["location"]) == (301, "/sub/?x=1")
            status, headers, _ = await fetch(base, path="//sub")
            assert (status, headers["location"]) == (301, "/sub/")  # not //sub/: another host
            status, headers, body = await fetch(base + "sub/")
            assert (status, headers["content-type"]) == (200, "text/html; charset=utf-8")
            assert b'<a href="a%20b.html">a b.html</a>' in body
            assert (await fetch(base + "sub/", method="HEAD"))[2] == b""
            assert (await fetch(base + "withindex/"))[2] == b"<h1>index</h1>"
            status, headers, _ = await fetch(base + "text.txt", method="POST")
            assert (status, headers["allow"]) == (405, "GET, HEAD")
            status, _, body = await fetch(base + "sub/a%20b.html")
            assert (status, body) == (200, b"<p>a b</p>")

    run(scenario())


def _open_position(pid: int, path: Path) -> int | None:
    """Where process ``pid`` is reading ``path`` (Linux ``/proc``), None if not open."""
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == str(path):
                info = Path(f"/proc/{pid}/fdinfo/{fd}").read_text()
                found = re.search(r"pos:\s+(\d+)", info)
                if found is not None:
                    return int(found.group(1))
        except OSError:
            continue
    return None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_big_file_streams_with_back_pressure(
    where: str, served: ServeProcess, site: Path, run: Run
) -> None:
    """A paused client stops the server reading: without back-pressure the whole file
    would be read (and closed) before the first byte reached the client."""
    big = site / "sparse.bin"
    size = big.stat().st_size
    pid = served.proc.pid if where == "subprocess" else os.getpid()

    async def scenario() -> None:
        # keep-alive: on one loop, an https body of 64 MiB followed by the connection's
        # close can end short (ECONNRESET), an issue of the library, not of serve
        agent = https.Agent({"keep_alive": True})
        async with base_url(where, served, site) as base:
            req = https.get(base + "sparse.bin", {"reject_unauthorized": False, "agent": agent})
            res = await req
            paused = asyncio.get_running_loop().create_future()
            received = 0

            def on_data(chunk: bytes) -> None:
                nonlocal received
                received += len(chunk)
                if not paused.done():
                    res.pause()
                    paused.set_result(None)

            res.on("data", on_data)
            ended = events.once(res, "end")
            await paused
            position = _open_position(pid, big)
            assert position is not None and position < size // 2, position
            res.resume()
            await ended
            assert received == size
        agent.destroy()

    run(scenario(), timeout=60)


@pytest.mark.skipif(
    os.environ.get("NODEHTTPS_TEST_LOOP") == "asyncio",
    reason="asyncio's selector transport, aborted by res.destroy() while writing, calls "
    "connection_lost twice (AttributeError in the loop); uvloop does not",
)
def test_a_file_that_shrinks_while_sent_ends_the_response_early(
    run: Run, site: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never a body shorter than its Content-Length that looks complete: destroyed."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    shrinking = site / "shrinking.bin"
    with open(shrinking, "wb") as fh:
        fh.truncate(32 * 1024 * 1024)

    async def scenario() -> None:
        agent = https.Agent({"keep_alive": True})
        async with base_url("in_process", None, site) as base:
            res = await https.get(
                base + "shrinking.bin", {"reject_unauthorized": False, "agent": agent}
            )
            paused = asyncio.get_running_loop().create_future()

            def on_data(chunk: bytes) -> None:
                if not paused.done():
                    res.pause()
                    paused.set_result(None)

            res.on("data", on_data)
            failed = events.once(res, "end")
            await paused
            os.truncate(shrinking, 1024 * 1024)
            res.resume()
            with pytest.raises(ConnectionResetError):
                await failed
        agent.destroy()

    try:
        run(scenario(), timeout=60)
    finally:
        shrinking.unlink()


def test_absolute_form_and_encrypted_key(
    run: Run, site: Path, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    key_pem, cert_pem = make_self_signed("localhost")
    key = serialization.load_pem_private_key(key_pem, None)
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"sesame"),
        )
    )
    (tmp_path / "cert.pem").write_bytes(cert_pem)

    async def scenario() -> None:
        keys = ["--cert", str(tmp_path / "cert.pem"), "--key", str(tmp_path / "key.pem")]
        ns = parser().parse_args(["serve", str(site), "--port", "0", *keys, "--quiet"])
        ns.passphrase = "sesame"
        server, lines = await start_server(ns)
        try:
            base = lines[0].split(" at ")[1]
            status, _, body = await fetch(base, path=base + "text.txt")  # absolute form
            assert (status, body) == (200, TEXT)
        finally:
            server.close()

    run(scenario())


def test_builtin_certificate_is_renewed_or_made_per_run(
    run: Run, site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An expiring cached certificate is replaced; a cache that cannot be written is
    no reason to refuse serving."""
    cache = tmp_path / "cache"
    (cache / "nodehttps").mkdir(parents=True)
    old_cert = cache / "nodehttps" / "localhost-cert.pem"
    old_key = cache / "nodehttps" / "localhost-key.pem"
    key_pem, cert_pem = make_self_signed("localhost", days=1)  # expires within a day
    old_cert.write_bytes(cert_pem)
    old_key.write_bytes(key_pem)
    blocked = tmp_path / "file"
    blocked.write_text("")

    async def pin_with(cache_home: Path) -> str:
        monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
        ns = parser().parse_args(["serve", str(site), "--port", "0", "--quiet"])
        server, lines = await start_server(ns)
        server.close()
        return lines[2]

    async def scenario() -> None:
        renewed = await pin_with(cache)
        assert old_cert.read_bytes() != cert_pem
        assert renewed == f"pin-sha256: {https.tls.pin_sha256(_der(old_cert.read_bytes()))}"
        assert await pin_with(cache) == renewed  # kept for the next run
        assert (await pin_with(blocked)).startswith("pin-sha256: ")

    run(scenario())


def _der(pem: bytes) -> bytes:
    from cryptography import x509

    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)


@pytest.mark.skipif(not socket.has_ipv6, reason="no IPv6")
def test_ipv6_wildcard_url_is_bracketed(
    run: Run, site: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))

    async def scenario() -> None:
        ns = parser().parse_args(["serve", str(site), "--port", "0", "--host", "::", "--quiet"])
        try:
            server, lines = await start_server(ns)
        except OSError as exc:  # no IPv6 on this machine after all
            pytest.skip(str(exc))
        server.close()
        assert re.fullmatch(r"Serving .* at https://\[::\]:\d+/", lines[0])

    run(scenario())
