"""The bytes Node's default ``'clientError'`` handler answers bad input with."""

from __future__ import annotations

__all__ = ["client_error_reply"]

_REPLIES = {
    "HPE_HEADER_OVERFLOW": b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"Connection: close\r\n\r\n",
    "HPE_CHUNK_EXTENSIONS_OVERFLOW": b"HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n",
    "ERR_HTTP_REQUEST_TIMEOUT": b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n",
}
_BAD_REQUEST = b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"


def client_error_reply(err: BaseException) -> bytes:
    """Node's answer to ``err`` (``socketOnError``): 431, 413, 408, else 400."""
    return _REPLIES.get(getattr(err, "code", ""), _BAD_REQUEST)
