"""Node's ``tls.checkServerIdentity(hostname, cert)``, rule for rule.

Only ``cert['subject']`` and the ``subjectaltname`` *string* are read, as in Node:
DNS names come from ``DNS:`` entries (then the CN is ignored), IPs only match
``IP Address:`` entries (compared in canonical form), wildcards only in the left-most
label, never for ``*.tld``, never with two ``*`` and never in ``xn--`` labels; names are
compared case-insensitively with a trailing dot ignored. Quoted entries (OpenSSL's
escaping of odd characters) are split as Node splits them.
"""

from __future__ import annotations

import json
import re
import socket
from typing import Any

from .. import errors
from ..net import is_ip

__all__ = ["check_server_identity"]

_JSON_STRING = re.compile(r'^"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')
_NON_ASCII = re.compile(r"[^\u0021-\u007F]")


def _unfqdn(host: str) -> str:
    return host[:-1] if host.endswith(".") else host


def _split_host(host: str) -> list[str]:
    return _unfqdn(host).lower().split(".")


def _check(host_parts: list[str], pattern: Any) -> bool:
    if not pattern:
        return False
    pattern_parts = _split_host(str(pattern))
    if len(host_parts) != len(pattern_parts) or "" in pattern_parts:
        return False
    if any(_NON_ASCII.search(part) for part in pattern_parts):
        return False
    for i in range(len(host_parts) - 1, 0, -1):
        if host_parts[i] != pattern_parts[i]:
            return False
    host_sub, pattern_sub = host_parts[0], pattern_parts[0]
    pieces = pattern_sub.split("*")
    if len(pieces) == 1 or "xn--" in pattern_sub:
        return host_sub == pattern_sub
    if len(pieces) > 2 or len(pattern_parts) <= 2:
        return False
    prefix, suffix = pieces
    return (
        len(prefix) + len(suffix) <= len(host_sub)
        and host_sub.startswith(prefix)
        and host_sub.endswith(suffix)
    )


def _split_escaped(alt_names: str) -> list[str]:
    result: list[str] = []
    token = ""
    offset = 0
    while offset != len(alt_names):
        next_sep = alt_names.find(",", offset)
        next_quote = alt_names.find('"', offset)
        if next_quote != -1 and (next_sep == -1 or next_quote < next_sep):
            token += alt_names[offset:next_quote]
            match = _JSON_STRING.match(alt_names[next_quote:])
            if not match:
                raise errors.make(
                    "ERR_TLS_CERT_ALTNAME_FORMAT", "Invalid subject alternative name string"
                )
            token += json.loads(match.group(0))
            offset = next_quote + len(match.group(0))
        elif next_sep != -1:
            token += alt_names[offset:next_sep]
            result.append(token)
            token = ""
            offset = next_sep + 2
        else:
            token += alt_names[offset:]
            offset = len(alt_names)
    result.append(token)
    return result


def _canonical_ip(text: str) -> str:
    """Node's ``canonicalizeIP``; what is no IP address (``<invalid length=8>``) gives
    ``''``, as Node's ``undefined`` does in its message's ``join``."""
    family = is_ip(text)
    if not family:
        return ""
    af = socket.AF_INET6 if family == 6 else socket.AF_INET
    return socket.inet_ntop(af, socket.inet_pton(af, text))


def _field(cert: Any, key: str) -> Any:
    try:
        return cert[key]
    except (KeyError, TypeError):
        return getattr(cert, key, None)


def check_server_identity(hostname: Any, cert: Any) -> errors.NodeError | None:
    """Node's ``tls.checkServerIdentity``: ``None`` when ``cert`` is for ``hostname``.

    Otherwise an ``ERR_TLS_CERT_ALTNAME_INVALID`` error (returned, not raised) with
    ``.reason``, ``.host`` and ``.cert`` (the very object passed in).
    """
    subject = _field(cert, "subject") or {}
    alt_names = _field(cert, "subjectaltname")
    dns_names: list[str] = []
    ips: list[str] = []
    if alt_names:
        parts = _split_escaped(alt_names) if '"' in alt_names else alt_names.split(", ")
        for name in parts:
            if name.startswith("DNS:"):
                dns_names.append(name[4:])
            elif name.startswith("IP Address:"):
                ips.append(_canonical_ip(name[11:]))
    valid = False
    host = _unfqdn(str(hostname))
    cn = subject.get("CN") if isinstance(subject, dict) else None
    if is_ip(host):
        valid = _canonical_ip(host) in ips
        if not valid:
            reason = f"IP: {host} is not in the cert's list: " + ", ".join(ips)
    elif dns_names or cn:
        host_parts = _split_host(host)
        if dns_names:
            valid = any(_check(host_parts, name) for name in dns_names)
            if not valid:
                reason = f"Host: {host}. is not in the cert's altnames: {alt_names}"
        else:
            if isinstance(cn, list):
                valid = any(_check(host_parts, name) for name in cn)
                shown = ",".join(str(c) for c in cn)
            else:
                valid = _check(host_parts, cn)
                shown = str(cn)
            if not valid:
                reason = f"Host: {host}. is not cert's CN: {shown}"
    else:
        reason = "Cert does not contain a DNS name"
    if valid:
        return None
    return errors.ERR_TLS_CERT_ALTNAME_INVALID(
        f"Hostname/IP does not match certificate's altnames: {reason}",
        reason=reason,
        host=host,
        cert=cert,
    )
