"""llhttp's error reasons and the error names Node reports for them (``err.code``).

httptools raises ``HttpParserError(reason)`` without llhttp's errno, so the name is
recovered from the reason text. The table is llhttp's own (every ``state->reason`` of
the llhttp 9.4 that httptools bundles, with its ``HPE_*`` errno), not a guess by
keywords. One reason is shared by two errnos: ``Expected CRLF after version`` is
``HPE_STRICT`` when the version is followed by a CR that is not followed by LF, and
``HPE_INVALID_VERSION`` otherwise; the bytes around the failure tell which.
"""

from __future__ import annotations

# Generated from llhttp's src/llhttp.c (9.4.3): each ``state->reason`` with its errno.
__all__ = ["REASON_CODES", "error_name"]

REASON_CODES: dict[str, str] = {
    "Data after `Connection: close`": "HPE_CLOSED_CONNECTION",
    "Missing expected CR after chunk data": "HPE_CR_EXPECTED",
    "Missing expected CR after chunk extension name": "HPE_CR_EXPECTED",
    "Missing expected CR after chunk extension value": "HPE_CR_EXPECTED",
    "Missing expected CR after chunk size": "HPE_CR_EXPECTED",
    "Missing expected CR after header value": "HPE_CR_EXPECTED",
    "Missing expected CR after response line": "HPE_CR_EXPECTED",
    "Chunk size overflow": "HPE_INVALID_CHUNK_SIZE",
    "Invalid character in chunk size": "HPE_INVALID_CHUNK_SIZE",
    "Expected HTTP/, RTSP/ or ICE/": "HPE_INVALID_CONSTANT",
    "Expected SOURCE method for ICE/x.x request": "HPE_INVALID_CONSTANT",
    "Invalid method for HTTP/x.x request": "HPE_INVALID_CONSTANT",
    "Invalid method for RTSP/x.x request": "HPE_INVALID_CONSTANT",
    "Invalid word encountered": "HPE_INVALID_CONSTANT",
    "Content-Length can't be present with Transfer-Encoding": "HPE_INVALID_CONTENT_LENGTH",
    "Content-Length overflow": "HPE_INVALID_CONTENT_LENGTH",
    "Empty Content-Length": "HPE_INVALID_CONTENT_LENGTH",
    "Invalid character in Content-Length": "HPE_INVALID_CONTENT_LENGTH",
    "Invalid header field char": "HPE_INVALID_HEADER_TOKEN",
    "Invalid header token": "HPE_INVALID_HEADER_TOKEN",
    "Invalid header value char": "HPE_INVALID_HEADER_TOKEN",
    "Unexpected whitespace after header value": "HPE_INVALID_HEADER_TOKEN",
    "Expected space after method": "HPE_INVALID_METHOD",
    "Invalid method encountered": "HPE_INVALID_METHOD",
    "Invalid response status": "HPE_INVALID_STATUS",
    "Invalid status code": "HPE_INVALID_STATUS",
    "Empty Transfer-Encoding": "HPE_INVALID_TRANSFER_ENCODING",
    "Invalid `Transfer-Encoding` header value": "HPE_INVALID_TRANSFER_ENCODING",
    "Request has invalid `Transfer-Encoding`": "HPE_INVALID_TRANSFER_ENCODING",
    "Transfer-Encoding can't be present with Content-Length": "HPE_INVALID_TRANSFER_ENCODING",
    "Double @ in url": "HPE_INVALID_URL",
    "Expected CRLF": "HPE_INVALID_URL",
    "Invalid char in url fragment start": "HPE_INVALID_URL",
    "Invalid char in url path": "HPE_INVALID_URL",
    "Invalid char in url query": "HPE_INVALID_URL",
    "Invalid characters in url": "HPE_INVALID_URL",
    "Unexpected char in url schema": "HPE_INVALID_URL",
    "Unexpected char in url server": "HPE_INVALID_URL",
    "Unexpected start char in url": "HPE_INVALID_URL",
    "Expected CRLF after version": "HPE_INVALID_VERSION",
    "Expected HTTP/2 Connection Preface": "HPE_INVALID_VERSION",
    "Expected dot": "HPE_INVALID_VERSION",
    "Expected space after version": "HPE_INVALID_VERSION",
    "Invalid HTTP version": "HPE_INVALID_VERSION",
    "Invalid major version": "HPE_INVALID_VERSION",
    "Invalid minor version": "HPE_INVALID_VERSION",
    "Missing expected LF after header value": "HPE_LF_EXPECTED",
    "Expected LF after CR": "HPE_STRICT",
    "Expected LF after chunk data": "HPE_STRICT",
    "Expected LF after chunk size": "HPE_STRICT",
    "Expected LF after headers": "HPE_STRICT",
    "Invalid character in chunk extensions": "HPE_STRICT",
    "Invalid character in chunk extensions name": "HPE_STRICT",
    "Invalid character in chunk extensions quote value": "HPE_STRICT",
    "Invalid character in chunk extensions quoted value": "HPE_STRICT",
    "Invalid character in chunk extensions value": "HPE_STRICT",
    "Invalid quoted-pair in chunk extensions quoted value": "HPE_STRICT",
    "Duplicate Content-Length": "HPE_UNEXPECTED_CONTENT_LENGTH",
    "Unexpected space after start line": "HPE_UNEXPECTED_SPACE",
    # llhttp pauses on an HTTP/2 preface; Node reports the pause as the error.
    "Pause on PRI/Upgrade": "HPE_PAUSED_H2_UPGRADE",
    # Set outside the generated parser (llhttp's api.c): llhttp_finish() mid-message.
    "Invalid EOF state": "HPE_INVALID_EOF_STATE",
}

_AFTER_VERSION = "Expected CRLF after version"


def error_name(reason: str, data: bytes = b"") -> str:
    """Node's ``err.code`` for llhttp's ``reason``; ``data`` is the input that failed."""
    name = REASON_CODES.get(reason)
    if name is None:
        return "HPE_USER" if reason.startswith("Span callback error") else "HPE_INTERNAL"
    if reason == _AFTER_VERSION and _bare_cr_after_version(data):
        return "HPE_STRICT"
    return name


def _bare_cr_after_version(data: bytes) -> bool:
    """Whether the request line ends in a CR that no LF follows (``data``: the bytes
    around the failure)."""
    cr = data.find(b"\r")
    while cr != -1 and cr + 1 < len(data):
        if data[cr + 1] != 0x0A:
            return True
        cr = data.find(b"\r", cr + 1)
    return False
