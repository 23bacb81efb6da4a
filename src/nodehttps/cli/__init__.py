"""``python -m nodehttps``: ``serve``, ``get``, ``cert``, ``pin`` (SPEC §7)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nodehttps", description="Node's https, from the shell.")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="serve a folder over HTTPS")
    s.add_argument("directory", nargs="?", default=".")
    s.add_argument("--port", type=int, default=8443)
    s.add_argument("--host", default="localhost")
    s.add_argument("--cert")
    s.add_argument("--key")
    s.add_argument("--pfx")
    s.add_argument("--passphrase")
    s.add_argument("--quiet", action="store_true", help="do not log each request")

    g = sub.add_parser("get", help="fetch a URL, like curl")
    g.add_argument("url")
    g.add_argument("-o", "--output")
    g.add_argument("-i", "--include", action="store_true", help="print the response head")
    g.add_argument("-X", "--request", dest="method")
    g.add_argument("-H", "--header", action="append", default=[])
    g.add_argument("-d", "--data")
    g.add_argument("--cacert")
    g.add_argument("-k", "--insecure", action="store_true")
    g.add_argument("--pin", help="sha256//BASE64 public-key pin (RFC 7469)")
    g.add_argument("--keylog", help="append NSS key-log lines to this file")
    g.add_argument("--servername")

    c = sub.add_parser("cert", help="write a self-signed key and certificate")
    c.add_argument("--cn", default="localhost")
    c.add_argument("--out", default=".")
    c.add_argument("--pfx", action="store_true")
    c.add_argument("--passphrase", default="")

    n = sub.add_parser("pin", help="print the chain's fingerprints and pins")
    n.add_argument("url")
    n.add_argument("--cacert")
    n.add_argument("-k", "--insecure", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``nodehttps`` command."""
    args = _parser().parse_args(argv)
    if args.command == "serve":
        from ._serve import serve

        serve(
            args.directory,
            args.port,
            args.host,
            args.cert,
            args.key,
            args.pfx,
            args.passphrase,
            args.quiet,
        )
        return 0  # the script loop serves after this returns
    if args.command == "cert":
        return _cert(args)
    from ._client import get, pin

    if args.command == "get":
        return get(args)
    return pin(args)


def _cert(args: Any) -> int:
    from ._certs import make_self_signed, write_pfx, write_private

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    key_pem, cert_pem = make_self_signed(args.cn)
    key_path = out / "private-key.pem"
    write_private(key_path, key_pem)
    (out / "certificate.pem").write_bytes(cert_pem)
    print(f"wrote {key_path} and {out / 'certificate.pem'}")
    if args.pfx:
        write_pfx(key_pem, cert_pem, out / "test_cert.pfx", args.passphrase)
        print(f"wrote {out / 'test_cert.pfx'}")
    return 0


def run_main() -> None:
    """``python -m nodehttps``: exit with main's status once the loop is idle."""
    code = main(sys.argv[1:])
    if code:
        sys.exit(code)
