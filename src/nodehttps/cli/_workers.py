"""``serve --workers N``: N processes answer on one port, as Node's ``cluster`` does.

Theory of operation
-------------------
The parent checks the arguments, reserves the port (a socket bound with SO_REUSEPORT
and never listening, so ``--port 0`` picks one port for all), draws one set of TLS
ticket keys, and forks the workers before any event loop exists. Each worker listens on
the port with ``reusePort`` (the kernel spreads new connections over the workers) and
the shared ticket keys, so a session resumes whichever worker takes the next
connection. The first worker tells the user about the server; every worker tags its
log lines. The parent forwards SIGINT/SIGTERM to the workers, waits for them all, and
exits with the first failure's status (0 when all ended well).

The same pattern in a program of one's own: draw ``ticket_keys = os.urandom(48)``, fork,
and in each process ``https.create_server({..., "ticket_keys": ticket_keys}, handler)``
then ``server.listen({"port": 8443, "reuse_port": True})``.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys

from .. import errors
from ._errors import CliError, Exit
from ._serve import check_serve_args

__all__ = ["serve_workers"]

TICKET_KEY_BYTES = 48  # Node's ticketKeys: 16 bytes of name, 16 of HMAC, 16 of AES


def _reserve_port(host: str, port: int) -> tuple[socket.socket, int]:
    """A socket in the port's SO_REUSEPORT group (``port`` 0: one is picked for all)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    address = "127.0.0.1" if host == "localhost" else host
    holder = socket.socket(family, socket.SOCK_STREAM)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        holder.bind((address, port))
    except OSError as exc:
        holder.close()
        raise errors.from_oserror(exc, "listen", address, port) from None
    return holder, int(holder.getsockname()[1])


def _worker(args: argparse.Namespace, number: int, keys: bytes) -> int:
    from .. import run
    from . import _dispatch

    args.worker = number
    args.ticket_keys = keys
    if number:
        args.announce = False
    return int(run(_dispatch(args)) or 0)


def serve_workers(args: argparse.Namespace) -> int:
    """Run ``serve`` in ``args.workers`` processes on one port; their status."""
    if not hasattr(os, "fork") or not hasattr(socket, "SO_REUSEPORT"):
        raise CliError(Exit.USAGE, "--workers needs fork() and SO_REUSEPORT (Linux, BSD)")
    check_serve_args(args)
    holder, args.port = _reserve_port(args.host, args.port)
    keys = os.urandom(TICKET_KEY_BYTES)
    children: list[int] = []
    for number in range(args.workers):
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            holder.close()
            status: int = Exit.INTERNAL
            try:
                status = _worker(args, number, keys)
            except SystemExit as exc:  # a signal ended the worker's loop (130, 143)
                status = exc.code if isinstance(exc.code, int) else Exit.INTERNAL
            finally:
                os._exit(status)
        children.append(pid)
    holder.close()
    return _supervise(children)


def _supervise(children: list[int]) -> int:
    signalled: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        signalled.append(signum)
        for pid in children:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    status = 0
    for pid in children:
        while True:
            try:
                _, code = os.waitpid(pid, 0)
                break
            except InterruptedError:
                continue
        child = os.waitstatus_to_exitcode(code)
        if child < 0:  # killed by a signal: the shell's 128 + N
            child = 128 - child
        if child and not status and not signalled:
            status = child  # a worker failed: the others stop too
            forward(signal.SIGTERM, None)
    return 128 + signalled[0] if signalled and not status else status
