"""Peek at a ClientHello: is it whole yet, which server name and session does it ask for?

Node's asynchronous ``SNICallback(servername, cb)`` pauses the handshake until ``cb``
is called. OpenSSL's callback is synchronous, so a server with such a callback buffers
the first bytes of each connection until the whole ClientHello is in (it may span
several TLS records: large post-quantum key shares do), reads the ``server_name``
extension here, awaits the user's callback, and only then makes the ``SSLObject`` with
the context the callback chose and feeds it the buffered bytes. Bytes that are not a
TLS handshake at all are handed to OpenSSL untouched, so it reports the very error it
reports to Node (``wrong version number``, ``http request``).

Node's ``'resumeSession'`` works the same way: the session id the client offers is
read here, the user's store is asked for the session, and the handshake goes on once
it answered.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["NOT_TLS", "ClientHello", "parse_client_hello"]

NOT_TLS = object()  #: the bytes are no ClientHello: let OpenSSL say why
_MAX_HELLO = 1 << 17  # a bigger ClientHello is treated as malformed
_HANDSHAKE = 22
_CLIENT_HELLO = 1
_EXT_SERVER_NAME = 0
_EXT_SESSION_TICKET = 35


class ClientHello(NamedTuple):
    """What the server needs to know before OpenSSL sees the hello."""

    servername: str  #: '' when no SNI was sent
    session_id: bytes  #: the (legacy) session id offered, b'' for none
    has_ticket: bool  #: a non-empty session_ticket extension: resumption by ticket


def _handshake_bytes(buf: bytes) -> bytes | object | None:
    """The handshake-layer bytes of the first records; NOT_TLS; None if incomplete."""
    if len(buf) > 2 * _MAX_HELLO:  # e.g. a stream of empty records: never a hello
        return NOT_TLS
    parts: list[bytes] = []
    have = 0
    pos = 0
    want = -1
    while pos + 5 <= len(buf):
        if buf[pos] != _HANDSHAKE or buf[pos + 1] != 3:
            return NOT_TLS
        length = int.from_bytes(buf[pos + 3 : pos + 5], "big")
        if pos + 5 + length > len(buf):
            return None
        parts.append(buf[pos + 5 : pos + 5 + length])
        have += length
        pos += 5 + length
        if want < 0 and have >= 4:
            head = b"".join(parts)
            if head[0] != _CLIENT_HELLO:
                return NOT_TLS
            want = 4 + int.from_bytes(head[1:4], "big")
            if want > _MAX_HELLO:
                return NOT_TLS
        if 0 <= want <= have:
            return b"".join(parts)[:want]
    if len(buf) >= 1 and buf[0] != _HANDSHAKE:
        return NOT_TLS
    return None


def parse_client_hello(buf: bytes) -> ClientHello | object | None:
    """The :class:`ClientHello` facts of a complete ClientHello in ``buf``, ``None``
    while incomplete, :data:`NOT_TLS` for bytes that are not one."""
    hello = _handshake_bytes(buf)
    if hello is None or hello is NOT_TLS:
        return hello
    assert isinstance(hello, bytes)
    servername, has_ticket = "", False
    try:
        pos = 4 + 2 + 32
        session_id = hello[pos + 1 : pos + 1 + hello[pos]]
        pos += 1 + hello[pos]
        pos += 2 + int.from_bytes(hello[pos : pos + 2], "big")  # cipher suites
        pos += 1 + hello[pos]  # compression methods
        end = min(len(hello), pos + 2 + int.from_bytes(hello[pos : pos + 2], "big"))
        pos += 2
        while pos + 4 <= end:
            ext_type = int.from_bytes(hello[pos : pos + 2], "big")
            ext_len = int.from_bytes(hello[pos + 2 : pos + 4], "big")
            if ext_type == _EXT_SERVER_NAME:
                servername = _server_name(hello[pos + 4 : pos + 4 + ext_len])
            elif ext_type == _EXT_SESSION_TICKET:
                has_ticket = ext_len > 0
            pos += 4 + ext_len
    except IndexError:
        return NOT_TLS
    return ClientHello(servername, session_id, has_ticket)


def _server_name(ext: bytes) -> str:
    pos = 2
    while pos + 3 <= len(ext):
        name_type = ext[pos]
        length = int.from_bytes(ext[pos + 1 : pos + 3], "big")
        if name_type == 0:
            return ext[pos + 3 : pos + 3 + length].decode("ascii", "replace")
        pos += 3 + length
    return ""
