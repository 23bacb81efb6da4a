"""The request listener of ``serve``: files under one folder, with validators and ranges.

Theory of operation
-------------------
A ``GET``/``HEAD`` path is decoded and resolved (symlinks followed) under the root; a
result outside the root, however reached (``..``, a symlink), is ``404``. A folder
answers its ``index.html`` or a listing; a file answers as follows.

* Validators: ``Last-Modified`` (the file's mtime) and a strong ``ETag`` made of the
  mtime in nanoseconds and the size, ``"<mtime_ns hex>-<size hex>"`` (nginx's recipe,
  with a finer clock).
* Conditional requests (RFC 9110 §13.2.2): ``If-None-Match`` (weak comparison, ``*``
  matches) decides when present and ``If-Modified-Since`` is then ignored; otherwise
  ``If-Modified-Since`` is compared to the mtime in whole seconds. A match is ``304``
  with the validators and no body.
* Ranges (RFC 9110 §14) on ``GET``: one ``bytes=`` range is ``206`` with
  ``Content-Range``; one that starts past the end (or ``-0``) is ``416`` with
  ``Content-Range: bytes */<size>``. A request for several ranges, or a malformed one,
  gets the whole file (``200``), which RFC 9110 allows. ``If-Range`` (an exact
  ``Last-Modified`` date or the strong ``ETag``) keeps the range only while the file
  is unchanged.
* The body is read in 64 KiB chunks and written as long as ``res.write()`` accepts
  more; when it returns ``False`` the next chunk waits for ``'drain'`` (Node's
  back-pressure), so a slow client holds one chunk in memory, not the file.
"""

from __future__ import annotations

import html
import mimetypes
import os
import re
import sys
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, unquote, urlsplit

__all__ = ["StaticFiles", "byte_range", "entity_tag", "not_modified"]

CHUNK = 65536
UNSATISFIABLE = (-1, -1)
_TAGS = re.compile(r'(?:W/)?"[^"]*"')
_SPEC = re.compile(r"(\d*)-(\d*)")


def entity_tag(st: os.stat_result) -> str:
    """The strong ``ETag`` of a file: mtime (ns) and size, in hex."""
    return f'"{st.st_mtime_ns:x}-{st.st_size:x}"'


def _http_date(header: str | None) -> int | None:
    """An HTTP date as seconds since the epoch; None if absent or not a date."""
    if not header:
        return None
    try:
        return int(parsedate_to_datetime(header).timestamp())
    except (TypeError, ValueError, IndexError):
        return None


def not_modified(headers: dict[str, Any], etag: str, mtime: int) -> bool:
    """RFC 9110 §13.2.2 for ``GET``/``HEAD``: ``If-None-Match`` first, else the date."""
    inm = headers.get("if-none-match")
    if inm is not None:
        if inm.strip() == "*":
            return True
        return any(tag.removeprefix("W/") == etag for tag in _TAGS.findall(inm))
    since = _http_date(headers.get("if-modified-since"))
    return since is not None and mtime <= since


def _range_still_valid(headers: dict[str, Any], etag: str, last_modified: str) -> bool:
    """``If-Range``: a strong ETag that matches, or exactly our ``Last-Modified``."""
    header = headers.get("if-range")
    if header is None:
        return True
    validator = str(header).strip()
    if validator.startswith(('"', "W/")):
        return validator == etag
    return validator == last_modified


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """One ``bytes=`` range as (first, last), inclusive; None: send the whole file;
    ``UNSATISFIABLE``: answer 416."""
    if not header or header[:6].lower() != "bytes=":
        return None
    specs = [s.strip() for s in header[6:].split(",") if s.strip()]
    if len(specs) != 1:
        return None  # several ranges: the whole file, as RFC 9110 allows
    m = _SPEC.fullmatch(specs[0])
    if m is None or m.group(1) == m.group(2) == "":
        return None
    first, last = m.group(1), m.group(2)
    if first == "":  # "-N": the last N bytes
        n = int(last)
        return UNSATISFIABLE if n == 0 or size == 0 else (max(0, size - n), size - 1)
    start = int(first)
    if last and int(last) < start:
        return None  # invalid: ignored
    if start >= size:
        return UNSATISFIABLE
    return start, size - 1 if last == "" else min(int(last), size - 1)


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


def _pump(fh: IO[bytes], res: Any, length: int) -> None:
    """Send ``length`` bytes of ``fh``, waiting for ``'drain'`` under back-pressure."""
    remaining = length

    def more() -> None:
        nonlocal remaining
        while remaining > 0:
            try:
                chunk = fh.read(min(CHUNK, remaining))
            except OSError:
                chunk = b""
            if not chunk:  # the file shrank or failed: the client must not take it whole
                fh.close()
                res.destroy()
                return
            remaining -= len(chunk)
            if not res.write(chunk) and remaining > 0:
                res.once("drain", more)
                return
        fh.close()
        res.end()

    res.once("close", fh.close)
    more()


class StaticFiles:
    """The request listener: ``GET``/``HEAD`` of files under ``root``, never outside it."""

    def __init__(self, root: Path, quiet: bool = False, tag: str = "") -> None:
        self.root = root.resolve()
        self.quiet = quiet
        self.tag = tag  # a worker's log prefix (serve --workers)

    def __call__(self, req: Any, res: Any) -> None:
        status = self.handle(req, res)
        if not self.quiet:
            # llhttp lets no control character into a method or a URL: printable as is
            print(f"{self.tag}{req.method} {req.url} {status}", file=sys.stderr, flush=True)

    def _resolve(self, path: str) -> Path | None:
        try:
            target = (self.root / path.lstrip("/")).resolve()
        except (OSError, ValueError):  # a NUL byte, a symlink loop
            return None
        if target != self.root and self.root not in target.parents:
            return None
        return target if target.exists() else None

    def handle(self, req: Any, res: Any) -> int:
        """Answer one request; its status (for the log)."""
        if req.method not in ("GET", "HEAD"):
            return self._plain(res, 405, "Method Not Allowed\n", {"Allow": "GET, HEAD"})
        url = req.url or "/"
        if not url.startswith("/"):  # absolute form: https://host/path
            split = urlsplit(url)
            url = split.path + ("?" + split.query if split.query else "")
        path, _, query = url.partition("?")
        target = self._resolve(unquote(path))
        if target is None:
            return self._plain(res, 404, "Not Found\n")
        if target.is_dir():
            if not path.endswith("/"):
                # one leading slash: "//host/" would send the browser to another host
                location = "/" + path.lstrip("/") + "/" + ("?" + query if query else "")
                return self._plain(res, 301, "Moved Permanently\n", {"Location": location})
            index = target / "index.html"
            if not index.is_file():
                return self._send_listing(res, path, target)
            target = index
        elif not target.is_file():  # a FIFO or a device: never opened (it could block)
            return self._plain(res, 404, "Not Found\n")
        return self._send_file(req, res, target)

    def _send_listing(self, res: Any, path: str, folder: Path) -> int:
        try:
            body = _listing(unquote(path), folder)
        except OSError:
            return self._plain(res, 403, "Forbidden\n")
        headers = {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(body))}
        res.write_head(200, headers)
        res.end(body)
        return 200

    def _send_file(self, req: Any, res: Any, target: Path) -> int:
        try:
            fh = open(target, "rb")  # noqa: SIM115 - closed when the body has been sent
        except OSError:
            return self._plain(res, 403, "Forbidden\n")
        st = os.fstat(fh.fileno())
        etag, last_modified = entity_tag(st), formatdate(st.st_mtime, usegmt=True)
        validators = {"ETag": etag, "Last-Modified": last_modified}
        if not_modified(req.headers, etag, int(st.st_mtime)):
            fh.close()
            res.write_head(304, validators)
            res.end()
            return 304
        size = st.st_size
        span = None
        if req.method == "GET" and _range_still_valid(req.headers, etag, last_modified):
            span = byte_range(req.headers.get("range"), size)
        if span == UNSATISFIABLE:
            fh.close()
            extra = {"Content-Range": f"bytes */{size}", **validators}
            return self._plain(res, 416, "Range Not Satisfiable\n", extra)
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if ctype.startswith("text/"):
            ctype += "; charset=utf-8"
        headers = {"Content-Type": ctype, "Accept-Ranges": "bytes", **validators}
        status, first, length = 200, 0, size
        if span is not None:
            status, first, length = 206, span[0], span[1] - span[0] + 1
            headers["Content-Range"] = f"bytes {span[0]}-{span[1]}/{size}"
            fh.seek(first)
        headers["Content-Length"] = str(length)
        res.write_head(status, headers)
        if req.method == "HEAD" or length == 0:
            fh.close()
            res.end()
        else:
            _pump(fh, res, length)
        return status

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
