"""``python -m nodehttps``: ``serve``, ``get``, ``cert``, ``pin`` (SPEC §7, ``docs/cli.md``).

:func:`main` parses the arguments, runs the command on nodehttps' own loop and returns
the exit status; :func:`amain` is the same inside a running asyncio loop. A failure
never escapes as a traceback: it is one line on stderr and a status of ``Exit``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn

from ._errors import Exit, report

__all__ = ["Exit", "amain", "main"]


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors on one line."""

    def error(self, message: str) -> NoReturn:
        self.exit(Exit.USAGE, f"{self.prog}: error: {message} (see --help)\n")


class _Help(argparse.RawDescriptionHelpFormatter):
    """Each option's help ends with its default."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "default:" in text or action.default is argparse.SUPPRESS:
            return text
        if not action.option_strings and action.nargs != "?":
            return text
        if action.nargs == 0:
            shown = "on" if action.default else "off"
        elif action.default in (None, []):
            shown = "none"
        else:
            shown = "%(default)s"
        return f"{text} (default: {shown})"


def _count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(f"not a number of workers (1 or more): {text!r}")
    return count


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number (0-65535): {text!r}")
    return port


def _serve_parser(sub: Any) -> None:
    s = sub.add_parser("serve", help="serve a folder over HTTPS", formatter_class=_Help)
    s.add_argument("directory", nargs="?", default=".", help="the folder to serve")
    s.add_argument("--port", type=_port, default=8443, help="TCP port (0: any free port)")
    s.add_argument("--host", default="localhost", help="address or name to listen on")
    s.add_argument("--cert", metavar="FILE", help="certificate chain, PEM (with --key)")
    s.add_argument("--key", metavar="FILE", help="private key, PEM (with --cert)")
    s.add_argument("--pfx", metavar="FILE", help="key and certificate, PKCS#12")
    s.add_argument("--passphrase", help="passphrase of --pfx or of an encrypted --key")
    s.add_argument("--quiet", action="store_true", help="do not log each request on stderr")
    s.add_argument(
        "--workers",
        type=_count,
        default=1,
        help="processes answering on the port (SO_REUSEPORT), sharing TLS ticket keys",
    )


def _get_parser(sub: Any) -> None:
    g = sub.add_parser("get", help="fetch a URL, like curl", formatter_class=_Help)
    g.add_argument("url", help="https: or http: URL")
    g.add_argument("-o", "--output", metavar="FILE", help="write the body here, not to stdout")
    g.add_argument("-i", "--include", action="store_true", help="print the response head first")
    g.add_argument("-f", "--fail", action="store_true", help="exit 7 on an HTTP status >= 400")
    g.add_argument("-X", "--request", dest="method", help="method (default: GET, POST with -d)")
    g.add_argument("-H", "--header", action="append", default=[], help="'Name: value' (repeatable)")
    g.add_argument("-d", "--data", help="request body (sent as a form, POST by default)")
    g.add_argument("--cacert", metavar="FILE", help="trust this CA bundle (PEM) instead")
    g.add_argument("-k", "--insecure", action="store_true", help="skip certificate checks")
    g.add_argument(
        "--pin",
        action="append",
        default=[],
        metavar="sha256//BASE64",
        help="accept only this public key (RFC 7469; repeatable; checked with -k too)",
    )
    g.add_argument("--keylog", metavar="FILE", help="append NSS key-log lines (Wireshark)")
    g.add_argument("--servername", help="TLS SNI name and name to check (default: URL host)")


def _cert_parser(sub: Any) -> None:
    c = sub.add_parser(
        "cert", help="write a self-signed key and certificate", formatter_class=_Help
    )
    c.add_argument("--cn", default="localhost", help="common name, also the SAN")
    c.add_argument("--out", metavar="DIR", default=".", help="folder to write to")
    c.add_argument("--days", type=int, default=365, help="validity in days")
    c.add_argument("--pfx", action="store_true", help="also write test_cert.pfx (PKCS#12)")
    c.add_argument("--passphrase", help="passphrase of test_cert.pfx")
    c.add_argument("--force", action="store_true", help="overwrite existing files")


def _pin_parser(sub: Any) -> None:
    n = sub.add_parser("pin", help="print the chain's fingerprints and pins", formatter_class=_Help)
    n.add_argument("url", help="https: URL")
    n.add_argument("--cacert", metavar="FILE", help="trust this CA bundle (PEM) instead")
    n.add_argument("-k", "--insecure", action="store_true", help="skip certificate checks")
    n.add_argument("--servername", help="TLS SNI name and name to check (default: URL host)")


def parser() -> argparse.ArgumentParser:
    """The ``nodehttps`` argument parser."""
    from .. import __version__

    p = _Parser(prog="nodehttps", description="Node's https, from the shell (docs/cli.md).")
    p.add_argument("--version", action="version", version=f"nodehttps {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _serve_parser(sub)
    _get_parser(sub)
    _cert_parser(sub)
    _pin_parser(sub)
    return p


def _parse(argv: list[str] | None) -> argparse.Namespace | int:
    try:
        return parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, a usage error: already printed
        return exc.code if isinstance(exc.code, int) else Exit.USAGE


async def _dispatch(args: argparse.Namespace) -> int:
    try:
        if args.command == "serve":
            from ._serve import run_serve

            return await run_serve(args)
        if args.command == "get":
            from ._client import run_get

            return await run_get(args)
        if args.command == "pin":
            from ._trust import run_pin

            return await run_pin(args)
        from ._certs import run_cert

        return run_cert(args)
    except Exception as err:  # every failure ends as one line and a status
        return report(args.command, err)


async def amain(argv: list[str] | None = None) -> int:
    """:func:`main` for a running asyncio loop: the command's exit status."""
    args = _parse(argv)
    if isinstance(args, int):
        return args
    return await _dispatch(args)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``nodehttps`` command: its exit status."""
    from .. import run

    args = _parse(argv)
    if isinstance(args, int):
        return args
    if args.command == "serve" and args.workers > 1:
        from ._workers import serve_workers

        try:
            return serve_workers(args)  # forks before any event loop exists
        except Exception as err:
            return report(args.command, err)
    return int(run(_dispatch(args)) or 0)


def run_main() -> NoReturn:
    """``python -m nodehttps``: exit with main's status."""
    sys.exit(main(sys.argv[1:]))
