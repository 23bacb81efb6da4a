"""Node's ``http`` module: ``nodehttps.http``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nodehttps._globalagent import reassignable_global_agent

from .._proto.headers import METHODS, STATUS_CODES, validate_header_name, validate_header_value
from . import _agent
from ._agent import Agent
from ._client import ClientRequest, request_args
from ._incoming import IncomingMessage
from ._outgoing import OutgoingMessage
from ._response import ServerResponse
from ._server import Server, create_server

__all__ = [
    "METHODS",
    "STATUS_CODES",
    "Agent",
    "ClientRequest",
    "IncomingMessage",
    "OutgoingMessage",
    "Server",
    "ServerResponse",
    "create_server",
    "get",
    "global_agent",
    "max_header_size",
    "request",
    "validate_header_name",
    "validate_header_value",
]

#: Node's ``http.maxHeaderSize``: 16 KiB.
max_header_size = 16384


reassignable_global_agent(__name__, _agent)


def request(
    url: Any = None, options: Any = None, callback: Callable[..., Any] | None = None, **kwargs: Any
) -> ClientRequest:
    """Node's ``http.request(url[, options][, callback])``; ``end()`` it to send."""
    opts, cb = request_args(url, options, callback, kwargs)
    return ClientRequest(opts, cb, default_agent=_agent.global_agent)


def get(
    url: Any = None, options: Any = None, callback: Callable[..., Any] | None = None, **kwargs: Any
) -> ClientRequest:
    """Node's ``http.get(...)``: ``request()`` with ``GET``, already ended."""
    req = request(url, options, callback, **kwargs)
    req.end()
    return req
