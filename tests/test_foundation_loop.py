"""Script mode (SPEC §3): each scenario is a small script run in a fresh interpreter.

The script's top level runs first, then the loop runs until nothing ref'd is left;
uncaught errors exit 1 with a traceback; signals exit 128+N; ``nodehttps.run``; inside
``asyncio.run`` nothing runs at exit; idle keep-alive sockets do not hold the process.
"""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_script(code: str, timeout: float = 10) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a new interpreter; a hang fails the test with what it printed."""
    try:
        return subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            env=_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(
            f"script did not exit within {timeout}s; stdout={exc.stdout!r} stderr={exc.stderr!r}"
        )


def test_http_roundtrip_then_close_exits_zero() -> None:
    proc = run_script("""
        from nodehttps import http

        server = http.create_server(lambda req, res: res.end("hi"))

        def on_listening():
            port = server.address()["port"]
            def on_response(res):
                chunks = []
                res.on("data", chunks.append)
                def on_end():
                    print("body", b"".join(chunks).decode())
                    server.close(lambda err=None: print("closed", err))
                res.on("end", on_end)
            http.get(f"http://127.0.0.1:{port}/", on_response)

        server.listen(0, "127.0.0.1", on_listening)
        print("top")
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["top", "body hi", "closed None"]
    assert "Traceback" not in proc.stderr


def test_error_without_listener_exits_one_with_traceback() -> None:
    proc = run_script("""
        import socket
        from nodehttps import net

        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        net.connect(port, "127.0.0.1")
        print("top done")
    """)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == ["top done"]
    assert "Traceback" in proc.stderr
    assert "ECONNREFUSED" in proc.stderr


def test_listener_exception_exits_one() -> None:
    proc = run_script("""
        from nodehttps import net

        server = net.create_server(lambda sock: sock.end())
        def on_listening():
            c = net.connect(server.address()["port"], "127.0.0.1")
            def on_connect():
                raise KeyError("from a listener")
            c.on("connect", on_connect)
        server.listen(0, "127.0.0.1", on_listening)
    """)
    assert proc.returncode == 1
    assert "KeyError: 'from a listener'" in proc.stderr


@pytest.mark.parametrize(
    "listener",
    [
        "server.listen(0, '127.0.0.1', bad)",  # emitted from the listen task
        "server.listen(0, '127.0.0.1', lambda: net.connect(server.address()['port'], "
        "'localhost').on('lookup', bad))",  # emitted from the connect task
        "server.close(bad)",  # a callback of a server that was not running
    ],
)
def test_exception_in_a_task_or_callback_listener_exits_one(listener: str) -> None:
    """Listeners run from loop callbacks and tasks are as uncaught as any other: a
    listening server must not keep a script alive past the exception."""
    proc = run_script(f"""
        from nodehttps import net

        server = net.create_server(lambda sock: sock.destroy())
        def bad(*_):
            raise KeyError("from a listener")
        {listener}
    """)
    assert proc.returncode == 1, proc.stderr
    assert "KeyError: 'from a listener'" in proc.stderr


def test_top_level_exception_exits_one_and_no_loop_runs() -> None:
    proc = run_script("""
        from nodehttps import net

        server = net.create_server()
        server.listen(0, "127.0.0.1", lambda: print("listening"))
        raise RuntimeError("top level")
    """)
    assert proc.returncode == 1
    assert "RuntimeError: top level" in proc.stderr
    assert "listening" not in proc.stdout


def test_unref_server_exits_at_once() -> None:
    start = time.monotonic()
    proc = run_script(
        """
        from nodehttps import net

        server = net.create_server()
        server.listen(0, "127.0.0.1")
        server.unref()
        print("port", server.address()["port"] > 0)
    """,
        timeout=8,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["port True"]
    assert time.monotonic() - start < 5


def test_connected_socket_keeps_script_alive_until_closed() -> None:
    proc = run_script("""
        import time
        from nodehttps import net

        start = time.monotonic()
        server = net.create_server(lambda sock: sock.resume())

        def on_listening():
            c = net.connect(server.address()["port"], "127.0.0.1")
            c.resume()
            c.set_timeout(300, lambda: c.end())
            c.on("close", lambda had_error: print("closed", had_error,
                                                  time.monotonic() - start >= 0.3))
        server.listen(0, "127.0.0.1", on_listening)
        server.unref()
        print("top")
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["top", "closed False True"]


SIGNAL_SCRIPT = """
    from nodehttps import net

    server = net.create_server()
    server.listen(0, "127.0.0.1", lambda: print("ready", flush=True))
"""


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_ends_script_promptly(signum: int, status: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(SIGNAL_SCRIPT)],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        start = time.monotonic()
        proc.send_signal(signum)
        assert proc.wait(timeout=5) == status
        assert time.monotonic() - start < 2
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_run_returns_value_after_handles_are_gone() -> None:
    proc = run_script("""
        import nodehttps
        from nodehttps import net

        async def main():
            server = net.create_server(lambda sock: sock.resume())
            server.listen(0, "127.0.0.1")
            c = net.connect(server.address()["port"], "127.0.0.1")
            c.resume()
            def idle():
                c.end()
                server.close()
            c.set_timeout(200, idle)
            c.on("close", lambda had_error: print("closed"))
            return 42

        print("value", nodehttps.run(main()))
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["closed", "value 42"]


def test_run_propagates_exception_as_exit_one() -> None:
    proc = run_script("""
        import nodehttps

        async def main():
            raise LookupError("inside run")

        nodehttps.run(main())
        print("not reached")
    """)
    assert proc.returncode == 1
    assert "LookupError: inside run" in proc.stderr
    assert "not reached" not in proc.stdout


def test_inside_asyncio_run_nothing_runs_at_exit() -> None:
    proc = run_script(
        """
        import asyncio
        from nodehttps import events, net

        async def main():
            server = net.create_server()
            server.listen(0, "127.0.0.1", lambda: print("listening"))
            await asyncio.wait_for(events.once(server, "listening"), 5)
            print("main done")

        asyncio.run(main())
        print("after")
    """,
        timeout=8,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["listening", "main done", "after"]


class _KeepAliveHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "keep-alive")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def keep_alive_server() -> Iterator[int]:
    """A server outside the script that keeps idle connections open indefinitely."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _KeepAliveHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.parametrize("agent", ["http.Agent(keep_alive=True)", "http.global_agent"])
def test_idle_keep_alive_socket_does_not_keep_script_alive(
    keep_alive_server: int, agent: str
) -> None:
    start = time.monotonic()
    proc = run_script(
        f"""
        import time
        from nodehttps import http

        agent = {agent}
        def on_response(res):
            print("status", res.status_code, res.headers.get("connection"))
            res.resume()
            res.on("end", lambda: print("end"))
        http.get("http://127.0.0.1:{keep_alive_server}/", {{"agent": agent}}, on_response)
    """,
        timeout=8,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["status 200 keep-alive", "end"]
    assert time.monotonic() - start < 4  # not the agent's 5 s idle timeout
