"""``python -m nodehttps serve``: an HTTPS static-file server."""

from __future__ import annotations

import html
import mimetypes
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

__all__ = ["serve"]

CHUNK = 65536


def _listing(rel: str, folder: Path) -> bytes:
    names = sorted(os.listdir(folder), key=str.lower)
    rows = []
    for name in names:
        suffix = "/" if (folder / name).is_dir() else ""
        rows.append(f'<li><a href="{quote(name)}{suffix}">{html.escape(name)}{suffix}</a></li>')
    title = html.escape(rel)
    body = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Index of {title}</title>"
        f"</head><body><h1>Index of {title}</h1><ul>{''.join(rows)}</ul></body></html>"
    )
    return body.encode()


class StaticFiles:
    """The request listener: GET/HEAD of files under ``root``, never outside it."""

    def __init__(self, root: Path, quiet: bool = False) -> None:
        self.root = root.resolve()
        self.quiet = quiet

    def __call__(self, req: Any, res: Any) -> None:
        status = self.handle(req, res)
        if not self.quiet:
            print(f"{req.method} {req.url} {status}", file=sys.stderr, flush=True)

    def _resolve(self, url: str) -> Path | None:
        path = unquote(urlsplit(url).path)
        target = (self.root / path.lstrip("/")).resolve()
        if target != self.root and self.root not in target.parents:
            return None
        return target

    def handle(self, req: Any, res: Any) -> int:
        if req.method not in ("GET", "HEAD"):
            return self._plain(res, 405, "Method Not Allowed\n", {"Allow": "GET, HEAD"})
        url = req.url or "/"
        target = self._resolve(url)
        if target is None or not target.exists():
            return self._plain(res, 404, "Not Found\n")
        if target.is_dir():
            path = url.split("?")[0]
            if not path.endswith("/"):
                return self._plain(res, 301, "Moved Permanently\n", {"Location": path + "/"})
            index = target / "index.html"
            if not index.is_file():
                body = _listing(path, target)
                res.write_head(
                    200,
                    {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(body))},
                )
                res.end(body)
                return 200
            target = index
        try:
            fh = open(target, "rb")  # noqa: SIM115 - closed when the body has been sent
        except OSError:
            return self._plain(res, 403, "Forbidden\n")
        size = os.fstat(fh.fileno()).st_size
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if ctype.startswith("text/"):
            ctype += "; charset=utf-8"
        res.write_head(200, {"Content-Type": ctype, "Content-Length": str(size)})
        if req.method == "HEAD" or size == 0:
            fh.close()
            res.end()
            return 200
        self._pump(fh, res)
        return 200

    @staticmethod
    def _pump(fh: Any, res: Any) -> None:
        """Send the file in chunks, waiting for ``'drain'`` under back-pressure."""

        def more() -> None:
            while True:
                chunk = fh.read(CHUNK)
                if not chunk:
                    fh.close()
                    res.end()
                    return
                if not res.write(chunk):
                    res.once("drain", more)
                    return

        res.once("close", fh.close)
        more()

    @staticmethod
    def _plain(res: Any, status: int, text: str, headers: dict[str, str] | None = None) -> int:
        body = text.encode()
        res.write_head(
            status,
            {
                "Content-Type": "text/plain; charset=utf-8",
                "Content-Length": str(len(body)),
                **(headers or {}),
            },
        )
        res.end(body)
        return status


def serve(
    directory: str,
    port: int,
    host: str,
    cert: str | None,
    key: str | None,
    pfx: str | None,
    passphrase: str | None,
    quiet: bool = False,
) -> None:
    """Start the server; the loop runs it in script mode until Ctrl-C."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    import nodehttps as https

    from ..tls._certobj import certificate_from_der
    from ._certs import load_or_make_localhost

    options: dict[str, Any] = {}
    if pfx:
        options["pfx"] = Path(pfx).read_bytes()
        options["passphrase"] = passphrase or ""
        cert_pem = None
    elif cert and key:
        options["cert"] = cert_pem = Path(cert).read_bytes()
        options["key"] = Path(key).read_bytes()
        if passphrase:
            options["passphrase"] = passphrase
    else:
        key_pem, cert_pem = load_or_make_localhost()
        options["key"], options["cert"] = key_pem, cert_pem
    server = https.create_server(options, StaticFiles(Path(directory), quiet))
    server.listen(port, host)
    addr = server.address()
    assert addr is not None
    shown = "localhost" if host in ("localhost", "127.0.0.1", "::1") else addr["address"]
    print(f"Serving {os.path.abspath(directory)} at https://{shown}:{addr['port']}/", flush=True)
    if cert_pem is not None:
        leaf = certificate_from_der(
            x509.load_pem_x509_certificate(cert_pem).public_bytes(Encoding.DER)
        )
        print(f"certificate SHA-256 fingerprint: {leaf.fingerprint256}", flush=True)
        print(f"pin-sha256: {https.tls.pin_sha256(leaf)}", flush=True)
