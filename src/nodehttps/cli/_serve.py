"""``serve``: an HTTPS server for a folder (the files themselves: ``_files.py``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .. import create_server
from ..events import once
from ._certs import describe, load_or_make_localhost, pem_leaf_der, pfx_leaf_der
from ._errors import CliError, Exit, file_error
from ._files import StaticFiles

__all__ = ["check_serve_args", "run_serve", "start_server"]


def check_serve_args(args: argparse.Namespace) -> Path:
    """Refuse what cannot work before anything starts: the folder, the key options."""
    if args.pfx and (args.cert or args.key):
        raise CliError(Exit.USAGE, "--pfx replaces --cert and --key: give one or the other")
    if bool(args.cert) != bool(args.key):
        given, missing = ("--cert", "--key") if args.cert else ("--key", "--cert")
        raise CliError(Exit.USAGE, f"{given} needs {missing}")
    folder = Path(args.directory)
    try:
        folder.stat()
    except OSError as exc:
        raise file_error(exc, folder, "stat") from None
    if not folder.is_dir():
        raise CliError(Exit.FILE, f"ENOTDIR: not a directory, scandir '{folder}'", code="ENOTDIR")
    return folder


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise file_error(exc, path) from None


def _credentials(args: argparse.Namespace) -> tuple[dict[str, Any], bytes | None]:
    """The server's TLS options, and the PEM whose first certificate it sends."""
    if args.pfx:
        return {"pfx": _read(args.pfx), "passphrase": args.passphrase or ""}, None
    if args.cert:
        cert_pem = _read(args.cert)
        options: dict[str, Any] = {"cert": cert_pem, "key": _read(args.key)}
        if args.passphrase:
            options["passphrase"] = args.passphrase
        return options, cert_pem
    key_pem, cert_pem = load_or_make_localhost()
    return {"key": key_pem, "cert": cert_pem}, cert_pem


def _leaf_der(options: dict[str, Any], cert_pem: bytes | None) -> bytes | None:
    """The certificate the server sends first (its key is the one to pin)."""
    try:
        if cert_pem is not None:
            return pem_leaf_der(cert_pem)
        return pfx_leaf_der(options["pfx"], options.get("passphrase"))
    except ValueError:
        return None  # a format the library reads and cryptography does not: say nothing


async def start_server(args: argparse.Namespace) -> tuple[Any, list[str]]:
    """Listen as ``args`` say; the server and the lines that tell the user about it.

    A worker of ``serve --workers`` (``_workers.py``) also has ``args.ticket_keys``
    (shared by all workers, so a session resumes whichever one answers) and
    ``args.worker`` (its number: the port is shared through SO_REUSEPORT)."""
    folder = check_serve_args(args)
    options, cert_pem = _credentials(args)
    worker = getattr(args, "worker", None)
    if worker is not None:
        options["ticket_keys"] = args.ticket_keys
    tag = "" if worker is None else f"[worker {worker}] "
    server = create_server(options, StaticFiles(folder, args.quiet, tag))
    server.listen({"port": args.port, "host": args.host, "reuse_port": worker is not None})
    await once(server, "listening")  # raises what 'error' emits: EADDRINUSE, EACCES...
    addr = server.address()
    local = args.host in ("localhost", "127.0.0.1", "::1")
    shown = "localhost" if local else addr["address"]
    if ":" in shown:
        shown = f"[{shown}]"
    url = f"https://{shown}:{addr['port']}/"
    lines = [f"Serving {folder.resolve()} at {url}"]
    der = _leaf_der(options, cert_pem)
    if der is not None:
        lines += describe(der)
        pin = lines[-1].removeprefix("pin-sha256: ")
        lines.append(f"try: nodehttps get --pin sha256//{pin} {url}")
    return server, lines


async def run_serve(args: argparse.Namespace) -> int:
    """``serve``: start, tell the user, serve until Ctrl-C or SIGTERM."""
    server, lines = await start_server(args)
    try:
        if getattr(args, "announce", True):
            if getattr(args, "worker", None) is not None:
                lines.insert(1, f"{args.workers} workers share the port and the ticket keys")
            print("\n".join(lines), flush=True)
        await once(server, "close")  # a signal ends the process before this
    finally:
        server.close()  # cancelled inside someone's loop: stop listening
    return Exit.OK
