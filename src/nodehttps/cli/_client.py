"""``get`` and ``pin``: the client side of the command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["get", "pin"]


def _tls_options(args: Any) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if getattr(args, "cacert", None):
        options["ca"] = Path(args.cacert).read_bytes()
    if getattr(args, "insecure", False):
        options["reject_unauthorized"] = False
    if getattr(args, "servername", None):
        options["servername"] = args.servername
    return options


def _report(err: BaseException) -> None:
    code = getattr(err, "code", None)
    print(f"error: {code + ': ' if code else ''}{err}", file=sys.stderr)


class _Progress:
    """A progress bar on stderr while a body is written to a file."""

    def __init__(self, total: int | None) -> None:
        self.total = total
        self.done = 0

    def add(self, n: int) -> None:
        self.done += n
        if self.total:
            width = 30
            filled = int(width * self.done / self.total)
            pct = 100 * self.done // self.total
            sys.stderr.write(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {pct:3d}% "
                f"{self.done}/{self.total} bytes"
            )
        else:
            sys.stderr.write(f"\r{self.done} bytes")
        sys.stderr.flush()

    def finish(self) -> None:
        sys.stderr.write("\n")


def get(args: Any) -> int:
    """Fetch a URL; Node's error code on failure (exit 1)."""
    import nodehttps as https

    options = _tls_options(args)
    headers: dict[str, str] = {}
    for line in args.header:
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    data = args.data.encode() if args.data is not None else None
    if data is not None:
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        headers["Content-Length"] = str(len(data))
    options["headers"] = headers
    options["method"] = args.method or ("POST" if data is not None else "GET")
    agent = https.Agent({"keep_alive": False, "max_cached_sessions": 0})
    options["agent"] = agent
    if args.pin:
        want = args.pin.removeprefix("sha256//")

        def check(host: str, cert: Any) -> Any:
            err = https.tls.check_server_identity(host, cert)
            if err is not None:
                return err
            got = https.tls.pin_sha256(cert)
            if got != want:
                return https.errors.make(
                    "ERR_TLS_PIN_MISMATCH", f"Public key pin mismatch: expected {want}, got {got}"
                )
            return None

        options["check_server_identity"] = check
    if args.keylog:
        fd = os.open(args.keylog, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        keylog = os.fdopen(fd, "ab", buffering=0)
        agent.on("keylog", lambda line, _sock: keylog.write(line))
    status = [0]
    out = open(args.output, "wb") if args.output else None  # noqa: SIM115

    def on_response(res: Any) -> None:
        if args.include:
            head = [f"HTTP/{res.http_version} {res.status_code} {res.status_message}"]
            raw = res.raw_headers
            head += [f"{raw[i]}: {raw[i + 1]}" for i in range(0, len(raw), 2)]
            (sys.stderr if out else sys.stdout).write("\r\n".join(head) + "\r\n\r\n")
        length = res.headers.get("content-length")
        progress = _Progress(int(length) if length and length.isdigit() else None) if out else None

        def on_data(chunk: bytes) -> None:
            if out is not None:
                out.write(chunk)
                if progress is not None:
                    progress.add(len(chunk))
            else:
                sys.stdout.buffer.write(chunk)

        def on_end() -> None:
            if out is not None:
                out.close()
                if progress is not None:
                    progress.finish()
            sys.stdout.flush()
            if res.status_code >= 400:
                status[0] = 22  # curl -f's status for HTTP errors

        res.on("data", on_data)
        res.on("end", on_end)

    def on_error(err: BaseException) -> None:
        _report(err)
        status[0] = 1

    req = https.request(args.url, options, on_response)
    req.on("error", on_error)
    req.end(data)
    https.run()
    return status[0]


def pin(args: Any) -> int:
    """Print each certificate of the chain: subject CN, SHA-256 fingerprint, pin-sha256."""
    import nodehttps as https

    options = _tls_options(args)
    options["agent"] = False
    chain: list[Any] = []

    def check(host: str, cert: Any) -> Any:
        chain.append(cert)
        return https.tls.check_server_identity(host, cert)

    options["check_server_identity"] = check
    status = [0]

    def on_response(res: Any) -> None:
        res.resume()
        cert = res.socket.get_peer_certificate(True)
        seen: set[str] = set()
        while cert and cert.get("fingerprint256") not in seen:
            seen.add(cert["fingerprint256"])
            cn = (cert.get("subject") or {}).get("CN")
            print(f"subject CN: {cn}")
            print(f"  fingerprint256: {cert['fingerprint256']}")
            print(f"  pin-sha256: {https.tls.pin_sha256(cert)}")
            cert = cert.get("issuer_certificate")

    def on_error(err: BaseException) -> None:
        _report(err)
        status[0] = 1

    req = https.get(args.url, options, on_response)
    req.on("error", on_error)
    https.run()
    return status[0]
