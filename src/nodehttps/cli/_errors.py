"""Exit statuses of the command line and its one-line error reports.

Every failure of a command ends as one line on stderr, ``nodehttps <command>: error:
<CODE>: <message>``, with Node's code where there is one, and one of the exit
statuses below (documented in ``docs/cli.md``). Errors from the library are sorted
by their code; errors of the command line itself are :class:`CliError`, which carries
its status.
"""

from __future__ import annotations

import errno
import os
import sys
from enum import IntEnum

__all__ = ["CliError", "Exit", "exit_status", "file_error", "one_line", "report"]


class Exit(IntEnum):
    """The exit statuses of ``nodehttps``."""

    OK = 0
    INTERNAL = 1  # an unexpected error: a bug of nodehttps
    USAGE = 2  # wrong arguments (as argparse's own status), bad URL, header or method
    FILE = 3  # a file or folder that cannot be read or written
    CONNECTION = 4  # network, DNS, listen and HTTP protocol errors
    TLS = 5  # certificate verification, handshake, unusable key or certificate
    PIN = 6  # the server's public key matches none of the --pin values
    HTTP = 7  # an HTTP status >= 400 with --fail


class CliError(Exception):
    """A failure found by the command line itself: its status, code and message."""

    def __init__(self, status: Exit, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


_TLS_PREFIXES = ("ERR_TLS_", "ERR_SSL_", "ERR_OSSL_", "ERR_CRYPTO_")
_NOT_VERIFY_PREFIXES = ("ERR_", "HPE_", "EAI_")


def exit_status(err: BaseException) -> Exit:
    """The status for an error: its own for a :class:`CliError`, else by Node's code."""
    if isinstance(err, CliError):
        return err.status
    code = getattr(err, "code", None)
    if not isinstance(code, str):
        return Exit.INTERNAL
    if code.startswith(_TLS_PREFIXES) or code == "EPROTO" or _is_verify_code(code):
        return Exit.TLS
    if isinstance(err, TypeError | ValueError):
        return Exit.USAGE  # Node's argument errors: ERR_INVALID_URL, ERR_INVALID_PROTOCOL...
    return Exit.CONNECTION


def _is_verify_code(code: str) -> bool:
    """An X.509 verify result, as Node names them: ``CERT_HAS_EXPIRED``, ``DEPTH_ZERO_...``."""
    return (
        code.isupper()
        and "_" in code
        and not code.startswith(_NOT_VERIFY_PREFIXES)
        and not code.endswith("_ERR")  # ABORT_ERR
    )


def file_error(exc: OSError, path: str | os.PathLike[str], syscall: str = "open") -> CliError:
    """An ``OSError`` of the command's own file access, worded as Node's ``fs`` errors."""
    code = errno.errorcode.get(exc.errno or 0, "EIO")
    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    return CliError(
        Exit.FILE, f"{code}: {reason.lower()}, {syscall} '{os.fspath(path)}'", code=code
    )


def one_line(err: BaseException) -> str:
    """``CODE: message`` on one line (the code once, if the message starts with it)."""
    message = " ".join(str(err).split()) or type(err).__name__
    code = getattr(err, "code", None)
    if isinstance(code, str) and code and not message.startswith(code):
        return f"{code}: {message}"
    if exit_status(err) == Exit.INTERNAL:
        return f"{type(err).__name__}: {message}"
    return message


def report(command: str, err: BaseException) -> Exit:
    """Print the error's one line to stderr; its exit status."""
    sys.stderr.write(f"nodehttps {command}: error: {one_line(err)}\n")
    sys.stderr.flush()
    return exit_status(err)
