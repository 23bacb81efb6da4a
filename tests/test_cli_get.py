"""``nodehttps get``: pins, the trust rule, one-line errors and exit statuses, ``-o``.

Each behaviour is checked end to end (``python -m nodehttps`` against a ``serve``
subprocess: exit status, stderr, bytes) and in-process through ``cli.amain`` against
a server on the test's loop (so coverage sees the command line).
"""

from __future__ import annotations

import os
import pty
import select
import stat
import subprocess
import sys
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

import nodehttps as https
from harness import Run
from nodehttps import http
from nodehttps.cli import _serve, parser
from servers import https_server, listening
from test_cli_helpers import ServeProcess, cli, cli_env, in_process, one_error_line
from tls_pki import PKI

WRONG_PIN = "sha256//" + "A" * 43 + "="
BODY = b"hello from serve\n"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("site")
    (folder / "hello.txt").write_bytes(BODY)
    # 1 MiB: within the loopback socket buffers (a much larger body followed by the
    # server's close after a Connection: close response can still be cut short)
    (folder / "big.bin").write_bytes(os.urandom(1024 * 1024 + 7))
    return folder


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def pem_files(tmp_path_factory: pytest.TempPathFactory, pki: PKI) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("pem")
    files = {
        "ca": pki.ca,
        "other_ca": pki.other_root.cert_pem,
        "cert": pki.leaf.chain_pem,
        "key": pki.leaf.key_pem,
    }
    for name, text in files.items():
        (folder / f"{name}.pem").write_text(text)
    return {name: str(folder / f"{name}.pem") for name in files}


@pytest.fixture(scope="module")
def served(site: Path, cache: Path) -> Iterator[ServeProcess]:
    """``serve`` with its built-in self-signed certificate."""
    with ServeProcess(cache, str(site), "--port", "0", "--host", "127.0.0.1") as proc:
        yield proc


@pytest.fixture(scope="module")
def ca_served(site: Path, cache: Path, pem_files: dict[str, str]) -> Iterator[ServeProcess]:
    """``serve --cert --key`` with a leaf of the test CA."""
    args = ("--cert", pem_files["cert"], "--key", pem_files["key"], "--quiet")
    with ServeProcess(cache, str(site), "--port", "0", "--host", "127.0.0.1", *args) as proc:
        yield proc


@pytest.fixture
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


async def start_serve(*args: str) -> tuple[https.Server, str, str]:
    """In-process ``serve ARGS`` on 127.0.0.1: the server, its URL and pin."""
    ns = parser().parse_args(["serve", *args, "--port", "0", "--host", "127.0.0.1"])
    server, lines = await _serve.start_server(ns)
    assert isinstance(server, https.Server)
    url = lines[0].split(" at ")[1]
    return server, url, lines[2].removeprefix("pin-sha256: ")


def stop(server: http.Server | https.Server) -> None:
    server.close_all_connections()
    server.close()


# ---- pins: end to end ------------------------------------------------------------------


def test_pin_alone_trusts_serves_own_certificate(served: ServeProcess, cache: Path) -> None:
    out = cli(cache, "get", "--pin", f"sha256//{served.pin}", served.url + "hello.txt")
    assert (out.returncode, out.stdout, out.stderr) == (0, BODY, b"")


@pytest.mark.parametrize("insecure", [[], ["-k"]], ids=["verify", "insecure"])
def test_wrong_pin_always_fails(served: ServeProcess, cache: Path, insecure: list[str]) -> None:
    out = cli(cache, "get", *insecure, "--pin", WRONG_PIN, served.url + "hello.txt")
    assert out.returncode == 6
    assert out.stdout == b""
    line = one_error_line(out.stderr, "get", "ERR_TLS_PIN_MISMATCH")
    assert f"sha256//{served.pin}" in line


def test_any_of_several_pins_passes(served: ServeProcess, cache: Path) -> None:
    both = cli(cache, "get", "--pin", WRONG_PIN, "--pin", f"sha256//{served.pin}", served.url)
    assert both.returncode == 0, both.stderr
    curl_form = cli(cache, "get", "--pin", f"{WRONG_PIN};sha256//{served.pin}", served.url)
    assert curl_form.returncode == 0, curl_form.stderr
    assert b"hello.txt" in both.stdout == curl_form.stdout  # the listing


def test_without_pin_self_signed_is_refused(served: ServeProcess, cache: Path) -> None:
    out = cli(cache, "get", served.url + "hello.txt")
    assert out.returncode == 5
    assert out.stdout == b""
    one_error_line(out.stderr, "get", "DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate")
    insecure = cli(cache, "get", "-k", served.url + "hello.txt")
    assert (insecure.returncode, insecure.stdout) == (0, BODY)


def test_pin_with_cacert_needs_both(
    ca_served: ServeProcess, cache: Path, pem_files: dict[str, str]
) -> None:
    url, pin = ca_served.url + "hello.txt", f"sha256//{ca_served.pin}"
    ok = cli(cache, "get", "--cacert", pem_files["ca"], "--pin", pin, url)
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, BODY, b"")
    wrong_pin = cli(cache, "get", "--cacert", pem_files["ca"], "--pin", WRONG_PIN, url)
    assert wrong_pin.returncode == 6
    one_error_line(wrong_pin.stderr, "get", "ERR_TLS_PIN_MISMATCH")
    wrong_ca = cli(cache, "get", "--cacert", pem_files["other_ca"], "--pin", pin, url)
    assert wrong_ca.returncode == 5
    one_error_line(wrong_ca.stderr, "get", "UNABLE_TO_VERIFY_LEAF_SIGNATURE")


def test_pin_still_checks_the_host_name_unless_k(served: ServeProcess, cache: Path) -> None:
    pin = f"sha256//{served.pin}"
    named = cli(cache, "get", "--pin", pin, "--servername", "elsewhere.test", served.url)
    assert named.returncode == 5
    one_error_line(named.stderr, "get", "ERR_TLS_CERT_ALTNAME_INVALID")
    insecure = cli(cache, "get", "-k", "--pin", pin, "--servername", "elsewhere.test", served.url)
    assert insecure.returncode == 0, insecure.stderr


# ---- one line and a status for every failure: end to end --------------------------------

ERRORS = [
    (["get", "notaurl"], 2, "ERR_INVALID_URL: Invalid URL"),
    (["get", "ftp://127.0.0.1/"], 2, 'ERR_INVALID_PROTOCOL: Protocol "ftp:" not supported.'),
    (["get", "--pin", "sha256//short", "https://127.0.0.1/"], 2, "--pin takes sha256//BASE64"),
    (["get", "--pin", WRONG_PIN, "http://127.0.0.1/"], 2, "--pin needs an https: URL"),
    (["get", "-H", "no colon", "https://127.0.0.1/"], 2, "-H takes 'Name: value'"),
    (["get", "-X", "BAD METHOD", "https://127.0.0.1:1/"], 2, "ERR_INVALID_HTTP_TOKEN"),
    (["get", "--cacert", "/no/such/ca.pem", "https://127.0.0.1/"], 3, "ENOENT"),
    (["get", "--keylog", "/no/such/dir/k.log", "https://127.0.0.1/"], 3, "ENOENT"),
    (["get", "-o", "/no/such/dir/x", "https://127.0.0.1/"], 3, "ENOENT"),
    (["get", "https://127.0.0.1:1/"], 4, "ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1"),
    (["get", "http://127.0.0.1:1/"], 4, "ECONNREFUSED"),
]


@pytest.mark.parametrize(("argv", "status", "start"), ERRORS, ids=[" ".join(e[0]) for e in ERRORS])
def test_failures_print_one_line(cache: Path, argv: list[str], status: int, start: str) -> None:
    out = cli(cache, *argv)
    assert out.returncode == status
    assert out.stdout == b""
    one_error_line(out.stderr, "get", start)


def test_usage_errors_are_one_line(cache: Path) -> None:
    for argv in (["get"], ["get", "--bogus", "https://x/"], ["nothing"]):
        out = cli(cache, *argv)
        assert out.returncode == 2
        lines = out.stderr.decode().splitlines()
        assert len(lines) == 1 and "error:" in lines[0] and "Traceback" not in lines[0]


def test_o_leaves_no_file_when_the_folder_is_missing(cache: Path, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "x"
    out = cli(cache, "get", "-o", str(target), "https://127.0.0.1:1/")
    assert out.returncode == 3
    assert not target.parent.exists()


# ---- -o and the progress bar: end to end ------------------------------------------------


def test_o_replaces_the_file_only_on_success(
    served: ServeProcess, cache: Path, tmp_path: Path, site: Path
) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"precious")
    refused = cli(cache, "get", "-o", str(target), served.url + "big.bin")  # no pin: TLS error
    assert refused.returncode == 5
    assert target.read_bytes() == b"precious"
    ok = cli(cache, "get", "-k", "-o", str(target), served.url + "big.bin")
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, b"", b"")  # stderr is no terminal
    assert target.read_bytes() == (site / "big.bin").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]  # no temporary left
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_o_into_a_folder_is_refused(served: ServeProcess, cache: Path, tmp_path: Path) -> None:
    out = cli(cache, "get", "-k", "-o", str(tmp_path), served.url + "hello.txt")
    assert out.returncode == 3
    one_error_line(out.stderr, "get", "EISDIR")


def test_progress_bar_only_on_a_terminal(served: ServeProcess, cache: Path, tmp_path: Path) -> None:
    master, slave = pty.openpty()
    try:
        argv = ["get", "-k", "-o", str(tmp_path / "b"), served.url + "big.bin"]
        proc = subprocess.run(
            [sys.executable, "-m", "nodehttps", *argv],
            env=cli_env(cache),
            stdout=subprocess.PIPE,
            stderr=slave,
            timeout=30,
        )
        os.close(slave)
        slave = -1
        drawn = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other end is closed and drained
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(master)
        if slave >= 0:
            os.close(slave)
    assert proc.returncode == 0
    assert drawn.endswith(b"\x1b[K\r\n")  # the final "\n", as the terminal shows it
    frames = drawn.removesuffix(b"\r\n").split(b"\r")[1:]
    assert frames[-1].startswith(b"[" + b"#" * 30 + b"] 100% 1.0 MiB of 1.0 MiB")
    assert 2 <= len(frames) <= 101  # redrawn when the percentage changes, not per chunk


def test_stdout_closed_early_is_epipe(served: ServeProcess, cache: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "nodehttps", "get", "-k", served.url + "big.bin"],
        env=cli_env(cache),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        err = proc.stderr.read()
        assert proc.wait(timeout=30) == 3
    one_error_line(err, "get", "EPIPE")


# ---- in-process: the same rules, counted by coverage -----------------------------------


def test_in_process_pins(run: Run, capsys: pytest.CaptureFixture[str], own_cache: Path) -> None:
    async def scenario() -> None:
        server, url, pin = await start_serve(str(own_cache.parent))
        try:
            status, out, err = await in_process(capsys, "get", "--pin", f"sha256//{pin}", url)
            assert (status, err) == (0, "GET / 200\n")
            assert "cache/" in out  # the listing of the served folder
            for extra in ([], ["-k"]):
                status, out, err = await in_process(capsys, "get", *extra, "--pin", WRONG_PIN, url)
                assert (status, out) == (6, "")
                one_error_line(err, "get", "ERR_TLS_PIN_MISMATCH")  # and no request was logged
            status, _, err = await in_process(capsys, "get", url)
            assert status == 5
            one_error_line(err, "get", "DEPTH_ZERO_SELF_SIGNED_CERT")
            status, _, err = await in_process(
                capsys, "get", "--pin", f"sha256//{pin}", "--servername", "x.test", url
            )
            assert status == 5
            one_error_line(err, "get", "ERR_TLS_CERT_ALTNAME_INVALID")
        finally:
            stop(server)

    run(scenario())


def test_in_process_wrong_pin_sends_no_request(
    run: Run, capsys: pytest.CaptureFixture[str], pki: PKI, pem_files: dict[str, str]
) -> None:
    requests: list[str | None] = []

    def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
        requests.append(req.url)
        res.end("ok")

    async def scenario() -> None:
        server, port = await https_server(pki.leaf, handler)
        url = f"https://localhost:{port}/secret?token=1"
        pin = f"sha256//{https.tls.pin_sha256(pki.leaf.der)}"
        try:
            for args in (["-k"], ["--cacert", pem_files["ca"]], []):
                status, _, err = await in_process(capsys, "get", *args, "--pin", WRONG_PIN, url)
                assert status == 6, err
            status, _, err = await in_process(
                capsys, "get", "--cacert", pem_files["other_ca"], "--pin", pin, url
            )
            assert status == 5
            one_error_line(err, "get", "UNABLE_TO_VERIFY_LEAF_SIGNATURE")
            assert requests == []
            status, _, err = await in_process(
                capsys, "get", "--cacert", pem_files["ca"], "--pin", pin, url
            )
            assert status == 0, err
            assert requests == ["/secret?token=1"]
        finally:
            stop(server)

    run(scenario())


def test_in_process_failures(run: Run, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    async def scenario() -> None:
        for argv, status, start in ERRORS:
            got, out, err = await in_process(capsys, *argv)
            assert (got, out) == (status, ""), (argv, err)
            one_error_line(err, "get", start)
        got, _, err = await in_process(capsys, "get", "-o", str(tmp_path), "https://127.0.0.1/")
        assert got == 3
        one_error_line(err, "get", "EISDIR")

    run(scenario())


def test_in_process_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    from nodehttps.cli import main

    assert main(["get"]) == 2
    err = capsys.readouterr().err
    assert err == "nodehttps get: error: the following arguments are required: url (see --help)\n"
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("nodehttps ")


def _aborting(req: http.IncomingMessage, res: http.ServerResponse) -> None:
    """Promise 1000 bytes, send 10, cut the connection."""
    res.write_head(200, {"Content-Length": "1000"})
    res.write(b"x" * 10, lambda *_: res.socket.destroy())


def test_in_process_o_keeps_the_old_file_when_the_body_is_cut(
    run: Run,
    capsys: pytest.CaptureFixture[str],
    pki: PKI,
    pem_files: dict[str, str],
    tmp_path: Path,
) -> None:
    target = tmp_path / "keep.txt"
    target.write_bytes(b"precious")

    async def scenario() -> None:
        server, port = await https_server(pki.leaf, _aborting)
        try:
            status, _, err = await in_process(
                capsys, "get", "--cacert", pem_files["ca"], "-o", str(target),
                f"https://localhost:{port}/",
            )  # fmt: skip
            assert status == 4
            one_error_line(err, "get", "ECONNRESET")
        finally:
            stop(server)

    run(scenario())
    assert target.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_in_process_o_and_progress_on_a_terminal(
    run: Run, capsys: pytest.CaptureFixture[str], own_cache: Path, tmp_path: Path
) -> None:
    data = os.urandom(300_000)
    (tmp_path / "f.bin").write_bytes(data)
    target = tmp_path / "copy.bin"

    async def scenario() -> None:
        server, url, _pin = await start_serve(str(tmp_path), "--quiet")
        try:
            status, _, _ = await in_process(capsys, "get", "-k", "-o", str(target), url + "f.bin")
        finally:
            stop(server)
        assert status == 0

    drawn = drawn_on_a_terminal(run, scenario)
    assert target.read_bytes() == data
    assert drawn.endswith(b"\x1b[K\r\n")
    frames = drawn.removesuffix(b"\r\n").split(b"\r")[1:]
    assert frames[-1] == b"[" + b"#" * 30 + b"] 100% 293.0 KiB of 293.0 KiB\x1b[K"


def drawn_on_a_terminal(run: Run, scenario: Callable[[], Coroutine[Any, Any, None]]) -> bytes:
    """What ``scenario`` writes to ``sys.stderr`` while that is a terminal (a pty)."""
    master, slave = pty.openpty()
    terminal = os.fdopen(slave, "w")
    saved, sys.stderr = sys.stderr, terminal
    try:
        run(scenario())
        terminal.flush()
        return read_terminal(master)
    finally:
        sys.stderr = saved
        terminal.close()
        os.close(master)


def read_terminal(master: int) -> bytes:
    """What was written to the terminal so far (the writer is done)."""
    drawn = b""
    while select.select([master], [], [], 0)[0]:
        drawn += os.read(master, 65536)
    return drawn


def _echo(req: http.IncomingMessage, res: http.ServerResponse) -> None:
    chunks: list[bytes] = []
    req.on("data", chunks.append)

    def done() -> None:
        seen = [req.method, req.url, req.headers.get("x-one"), req.headers.get("x-two")]
        seen.append(req.headers.get("content-type"))
        body = " | ".join(map(str, seen)).encode() + b" | " + b"".join(chunks)
        status = 404 if req.url == "/missing" else 200
        res.write_head(status, {"Content-Type": "text/plain"})
        res.end(body)

    req.on("end", done)


def test_in_process_plain_http_method_headers_data_include_fail(
    run: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    async def scenario() -> None:
        server = http.create_server(_echo)
        port = await listening(server)
        base = f"http://127.0.0.1:{port}"
        try:
            status, out, err = await in_process(
                capsys, "get", "-X", "PUT", "-H", "X-One: 1", "-H", "X-Two: a", "-H", "X-Two: b",
                "-d", "k=v", base + "/p?q",
            )  # fmt: skip
            form = "application/x-www-form-urlencoded"
            assert (status, out, err) == (0, f"PUT | /p?q | 1 | a, b | {form} | k=v", "")
            status, out, _ = await in_process(
                capsys, "get", "-H", "content-type: text/csv", "-d", "a,b", base + "/c"
            )
            assert (status, out) == (0, "POST | /c | None | None | text/csv | a,b")
            status, out, _ = await in_process(capsys, "get", "-i", base + "/h")
            assert status == 0
            head, body = out.split("\r\n\r\n")
            assert head.startswith("HTTP/1.1 200 OK\r\n")
            assert "Content-Type: text/plain" in head.split("\r\n")
            assert body == "GET | /h | None | None | None | "
            status, out, _ = await in_process(capsys, "get", base + "/missing")
            missing = "GET | /missing | None | None | None | "
            assert (status, out) == (0, missing)  # a 404 is no error without -f
            status, out, err = await in_process(capsys, "get", "-f", base + "/missing")
            assert (status, out) == (7, "")
            one_error_line(err, "get", "HTTP 404 Not Found")
        finally:
            stop(server)

    run(scenario())


def test_in_process_keylog(
    run: Run,
    capsys: pytest.CaptureFixture[str],
    pki: PKI,
    pem_files: dict[str, str],
    tmp_path: Path,
) -> None:
    log = tmp_path / "keys.log"

    async def scenario() -> None:
        server, port = await https_server(pki.leaf, lambda req, res: res.end("ok"))
        try:
            status, out, _ = await in_process(
                capsys, "get", "--cacert", pem_files["ca"], "--keylog", str(log),
                f"https://localhost:{port}/",
            )  # fmt: skip
            assert (status, out) == (0, "ok")
        finally:
            stop(server)

    run(scenario())
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    labels = {line.split(b" ")[0] for line in log.read_bytes().splitlines()}
    assert b"CLIENT_TRAFFIC_SECRET_0" in labels


def test_in_process_stdout_closed_is_epipe(
    run: Run, capsys: pytest.CaptureFixture[str], pki: PKI, pem_files: dict[str, str]
) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    closed = os.fdopen(write_end, "w")

    async def scenario() -> None:
        server, port = await https_server(pki.leaf, lambda req, res: res.end(b"x" * 100_000))
        saved, sys.stdout = sys.stdout, closed
        try:
            status = await https_get_status(["--cacert", pem_files["ca"]], port)
        finally:
            sys.stdout = saved
            stop(server)
        assert status == 3
        one_error_line(capsys.readouterr().err, "get", "EPIPE: broken pipe")

    try:
        run(scenario())
    finally:
        closed.close()


async def https_get_status(args: list[str], port: int) -> int:
    from nodehttps.cli import amain

    return await amain(["get", *args, f"https://localhost:{port}/"])


def test_in_process_progress_without_a_length(
    run: Run,
    capsys: pytest.CaptureFixture[str],
    pki: PKI,
    pem_files: dict[str, str],
    tmp_path: Path,
) -> None:
    """A chunked body: the bar shows the size so far, redrawn per tenth of a unit."""

    def chunked(req: http.IncomingMessage, res: http.ServerResponse) -> None:
        for _ in range(3):
            res.write(b"z" * 100_000)
        res.end()

    async def scenario() -> None:
        server, port = await https_server(pki.leaf, chunked)
        try:
            status = await https_get_status(
                ["--cacert", pem_files["ca"], "-o", str(tmp_path / "c")], port
            )
        finally:
            stop(server)
        assert status == 0

    drawn = drawn_on_a_terminal(run, scenario)
    assert (tmp_path / "c").read_bytes() == b"z" * 300_000
    frames = drawn.removesuffix(b"\r\n").split(b"\r")[1:]
    assert frames[-1] == b"293.0 KiB\x1b[K"
    assert len(frames) == len(set(frames))  # nothing drawn twice


def test_in_process_o_that_cannot_be_renamed_leaves_nothing(
    run: Run,
    capsys: pytest.CaptureFixture[str],
    pki: PKI,
    pem_files: dict[str, str],
    tmp_path: Path,
) -> None:
    """The target became a folder during the download: a file error, no temporary left."""
    target = tmp_path / "late"

    async def scenario() -> None:
        def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
            res.write_head(200, {"Content-Length": "4"})
            res.write(b"da")
            target.mkdir()  # before the body ends, so before the rename
            res.end(b"ta")

        server, port = await https_server(pki.leaf, handler)
        try:
            status = await https_get_status(["--cacert", pem_files["ca"], "-o", str(target)], port)
        finally:
            stop(server)
        assert status == 3
        one_error_line(capsys.readouterr().err, "get", "EISDIR")

    run(scenario())
    assert [p.name for p in tmp_path.iterdir()] == ["late"]
    assert list(target.iterdir()) == []


def test_unexpected_errors_are_one_line_and_status_1(capsys: pytest.CaptureFixture[str]) -> None:
    from nodehttps.cli._errors import Exit, report

    assert report("get", RuntimeError("boom\nsecond line")) == Exit.INTERNAL
    assert capsys.readouterr().err == "nodehttps get: error: RuntimeError: boom second line\n"
    assert report("get", https.errors.make("ABORT_ERR")) == Exit.CONNECTION
    assert capsys.readouterr().err.startswith("nodehttps get: error: ABORT_ERR: ")


def test_human_sizes() -> None:
    from nodehttps.cli._output import human_size

    sizes = [0, 1023, 1024, 1536, 5 * 2**20, 3 * 2**30]
    assert [human_size(n) for n in sizes] == [
        "0 B",
        "1023 B",
        "1.0 KiB",
        "1.5 KiB",
        "5.0 MiB",
        "3.0 GiB",
    ]
