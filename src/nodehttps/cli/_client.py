"""``get``: fetch a URL as curl does, through ``nodehttps`` (``https:``) or its ``http``.

One request on a fresh connection (an Agent without keep-alive or session cache), so
the TLS checks of ``_trust.py`` always see a new handshake. The body goes to stdout,
or with ``-o`` to a temporary file renamed over the target once the response has
ended; any failure leaves the target as it was.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import dataclass
from typing import IO, Any

from .. import URL, http
from .. import Agent as HttpsAgent
from .. import request as https_request
from ._errors import CliError, Exit, file_error
from ._output import AtomicFile, Progress
from ._trust import PeerCheck, parse_pins, read_ca, url_host

__all__ = ["run_get"]


class _Stdout:
    """The body sink when there is no ``-o``: stdout's bytes."""

    def write(self, data: bytes) -> None:
        try:
            sys.stdout.buffer.write(data)
        except BrokenPipeError:  # `get URL | head`: stop, and keep Python quiet at exit
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
            raise CliError(Exit.FILE, "EPIPE: broken pipe, write to stdout", code="EPIPE") from None

    def commit(self) -> None:
        sys.stdout.flush()

    discard = commit


@dataclass
class _Plan:
    """What ``get`` will do, checked before any connection is made."""

    url: URL
    options: dict[str, Any]
    data: bytes | None
    check: PeerCheck | None
    keylog: IO[bytes] | None = None
    fail: bool = False
    include: bool = False
    output: str | None = None


def _headers(lines: list[str]) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise CliError(Exit.USAGE, f"-H takes 'Name: value': {line!r}")
        key = name.strip()
        if key in headers:
            old = headers[key]
            headers[key] = [*old, value.strip()] if isinstance(old, list) else [old, value.strip()]
        else:
            headers[key] = value.strip()
    return headers


def _open_keylog(path: str) -> IO[bytes]:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except OSError as exc:
        raise file_error(exc, path) from None
    return os.fdopen(fd, "ab", buffering=0)


def _plan(args: argparse.Namespace) -> _Plan:
    url = URL(args.url)  # ERR_INVALID_URL
    plain = url.protocol == "http:"  # anything else goes to https, which refuses it
    pins = parse_pins(args.pin)
    if pins and plain:
        raise CliError(Exit.USAGE, f"--pin needs an https: URL, not {url.protocol}")
    headers = _headers(args.header)
    data = args.data.encode() if args.data is not None else None
    if data is not None and not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = "application/x-www-form-urlencoded"  # curl's -d
    options: dict[str, Any] = {
        "headers": headers,
        "method": args.method or ("POST" if data is not None else "GET"),
    }
    plan = _Plan(url, options, data, None, fail=args.fail, include=args.include)
    plan.output = args.output
    if plain:
        options["agent"] = http.Agent({"keep_alive": False})
        return plan
    agent = HttpsAgent({"keep_alive": False, "max_cached_sessions": 0})
    options["agent"] = agent
    options.update(read_ca(args.cacert))
    if args.servername:
        options["servername"] = args.servername
    check = PeerCheck(pins, args.insecure, "ca" in options, args.servername or url_host(url))
    options["reject_unauthorized"] = check.reject_unauthorized
    plan.check = check if pins else None
    if args.keylog:
        keylog = plan.keylog = _open_keylog(args.keylog)
        agent.on("keylog", lambda line, _sock: keylog.write(line))
    return plan


def _head(res: Any) -> str:
    raw = res.raw_headers
    head = [f"HTTP/{res.http_version} {res.status_code} {res.status_message}"]
    head += [f"{raw[i]}: {raw[i + 1]}" for i in range(0, len(raw), 2)]
    return "\r\n".join(head) + "\r\n\r\n"


class _Exchange:
    """One request and its response, settled once: the status, or the error."""

    def __init__(self, plan: _Plan, sink: Any) -> None:
        self.plan = plan
        self.sink = sink
        self.done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.progress: Progress | None = None
        module = https_request if plan.url.protocol != "http:" else http.request
        self.req = module(plan.url, plan.options)  # ERR_INVALID_PROTOCOL, bad headers...
        self.req.on("error", self.fail)
        self.req.on("response", self.on_response)
        if plan.check is None:
            self.req.end(plan.data)
        else:
            self.req.on(
                "socket", lambda sock: sock.once("secureConnect", lambda: self.secure(sock))
            )

    def secure(self, sock: Any) -> None:
        """Check the peer before the request leaves (the pin, and the name if needed)."""
        assert self.plan.check is not None
        err = self.plan.check.verify(sock)
        if err is not None:
            self.req.destroy(err)
        else:
            self.req.end(self.plan.data)

    def fail(self, err: BaseException) -> None:
        if not self.done.done():
            self.done.set_exception(err)

    def on_response(self, res: Any) -> None:
        status = res.status_code
        if self.plan.fail and status >= 400:
            res.resume()
            self.fail(CliError(Exit.HTTP, f"HTTP {status} {res.status_message}"))
            return
        if self.plan.include:
            sys.stdout.write(_head(res))
            sys.stdout.flush()
        length = res.headers.get("content-length")
        if self.plan.output and sys.stderr.isatty():
            total = int(length) if length and length.isdigit() else None
            self.progress = Progress(sys.stderr, total)
        res.on("data", self.on_data)
        res.on("error", self.fail)
        res.on("end", lambda: self.succeed(status))

    def succeed(self, status: int) -> None:
        if not self.done.done():
            self.done.set_result(status)

    def on_data(self, chunk: bytes) -> None:
        try:
            self.sink.write(chunk)
        except CliError as err:
            self.fail(err)
            self.req.destroy()
            return
        if self.progress is not None:
            self.progress.add(len(chunk))


async def run_get(args: argparse.Namespace) -> int:
    """``get URL``: 0 once the whole body is written, else the error's exit status."""
    plan = _plan(args)
    try:
        sink: Any = AtomicFile(plan.output) if plan.output else _Stdout()
        await _fetch(plan, sink)
    finally:
        if plan.keylog is not None:
            plan.keylog.close()
    return Exit.OK


async def _fetch(plan: _Plan, sink: Any) -> None:
    """Run the exchange; keep the body (``commit``) only if it all arrived."""
    exchange: _Exchange | None = None
    try:
        exchange = _Exchange(plan, sink)
        await exchange.done
    except BaseException:
        sink.discard()
        raise
    else:
        sink.commit()
    finally:
        if exchange is not None:
            if exchange.progress is not None:
                exchange.progress.finish()
            exchange.req.destroy()
