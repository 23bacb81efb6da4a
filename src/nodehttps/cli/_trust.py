"""Public-key pins and the trust rule of ``get``; the ``pin`` command.

The rule (``docs/cli.md``): a pin is RFC 7469's ``sha256//BASE64`` of the server
certificate's SubjectPublicKeyInfo, the value ``serve`` and ``pin`` print. With one or
more ``--pin``, the leaf certificate's key must match one of them, whatever else is
given; a mismatch is ``ERR_TLS_PIN_MISMATCH`` and exit status 6.

* ``--pin`` alone: the pin is the trust. The chain is not required to reach a trusted
  CA (``serve``'s self-signed certificate passes), but the host name is still checked.
* ``--pin`` with ``--cacert``: the chain must verify against that CA *and* match a pin.
* ``--pin`` with ``-k``: only the pin is checked.

Node skips ``check_server_identity`` when ``reject_unauthorized`` is off (or the chain
failed), so the pin cannot live there. It is checked on the socket's
``'secureConnect'``, and ``get`` sends its request only after that check passed: a
server that fails it never sees a byte of the request.
"""

from __future__ import annotations

import argparse
import base64
import binascii
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import URL, errors, tls
from ..events import once
from ._errors import CliError, Exit, file_error

__all__ = ["PeerCheck", "chain_lines", "parse_pins", "run_pin", "url_host"]


def parse_pins(values: list[str]) -> list[str]:
    """``--pin`` values (each may hold several, ``;``-separated, as curl's): the digests."""
    pins: list[str] = []
    for value in values:
        for item in value.split(";"):
            digest = item.strip().removeprefix("sha256//")
            try:
                ok = item.strip().startswith("sha256//") and len(_b64(digest)) == 32
            except binascii.Error:
                ok = False
            if not ok:
                raise CliError(
                    Exit.USAGE, f"--pin takes sha256//BASE64 (a SHA-256 digest): {item.strip()!r}"
                )
            pins.append(digest)
    return pins


def _b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def url_host(url: URL) -> str:
    """The URL's host as a name to check: ``[::1]`` is ``::1``."""
    return str(url.hostname).removeprefix("[").removesuffix("]")


def read_ca(path: str | None) -> dict[str, Any]:
    """``{"ca": PEM}`` for ``--cacert``, or nothing."""
    if not path:
        return {}
    try:
        return {"ca": Path(path).read_bytes()}
    except OSError as exc:
        raise file_error(exc, path) from None


@dataclass(frozen=True)
class PeerCheck:
    """What ``get`` checks itself once the TLS socket is secure."""

    pins: list[str]
    insecure: bool
    with_ca: bool
    host: str

    @property
    def reject_unauthorized(self) -> bool:
        """Let the library refuse a bad chain, unless ``-k`` or the pin is the trust."""
        return not self.insecure and not (self.pins and not self.with_ca)

    def verify(self, sock: Any) -> BaseException | None:
        """None if the connection may be used, else the error to destroy it with."""
        if not self.pins:
            return None
        cert = sock.get_peer_certificate(True)
        got = tls.pin_sha256(cert) if cert else None
        if got not in self.pins:
            cn = (cert.get("subject") or {}).get("CN") if cert else None
            return CliError(
                Exit.PIN,
                f"Certificate verification error: The public key of '{cn}' "
                f"(sha256//{got}) does not match our pinned fingerprint",
                code="ERR_TLS_PIN_MISMATCH",
            )
        if not self.reject_unauthorized and not self.insecure:
            err: BaseException | None = tls.check_server_identity(self.host, cert)
            return err
        return None


def chain_lines(cert: Any) -> list[str]:
    """Each certificate of the chain as Node's pinning example prints it."""
    lines: list[str] = []
    last = None
    while cert and cert.get("fingerprint256") != last:
        cn = (cert.get("subject") or {}).get("CN")
        lines.append(f"Subject Common Name: {'undefined' if cn is None else cn}")
        lines.append(f"  Certificate SHA256 fingerprint: {cert['fingerprint256']}")
        lines.append(f"  Public key ping-sha256: {tls.pin_sha256(cert)}")
        last = cert["fingerprint256"]
        cert = cert.get("issuer_certificate")
    return lines


async def run_pin(args: argparse.Namespace) -> int:
    """``pin URL``: connect, print the chain (verified unless ``-k``), disconnect."""
    url = URL(args.url)
    if url.protocol != "https:":
        raise errors.make(
            "ERR_INVALID_PROTOCOL", f'Protocol "{url.protocol}" not supported. Expected "https:"'
        )
    options: dict[str, Any] = {
        "host": url_host(url),
        "port": int(url.port or 443),
        "reject_unauthorized": not args.insecure,
        **read_ca(args.cacert),
    }
    if args.servername:
        options["servername"] = args.servername
    sock = tls.connect(options)
    try:
        await once(sock, "secureConnect")
        print("\n".join(chain_lines(sock.get_peer_certificate(True))), flush=True)
    finally:
        sock.destroy()
    return Exit.OK
