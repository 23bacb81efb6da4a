"""Node's ``http`` module: ``nodehttps.http``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Unpack
from urllib.parse import ParseResult, SplitResult

from .._globalagent import reassignable_global_agent
from .._option_docs import documents
from .._option_types import HttpAgentOptions, HttpRequestOptions, HttpServerOptions
from .._proto.headers import METHODS, STATUS_CODES, validate_header_name, validate_header_value
from .._url import URL
from . import _public
from ._client import request_args
from ._incoming import IncomingMessage
from ._outgoing import OutgoingMessage
from ._public import Agent, ClientRequest
from ._response import ServerResponse
from ._server import Server

__all__ = [
    "METHODS",
    "STATUS_CODES",
    "Agent",
    "ClientRequest",
    "HttpAgentOptions",
    "HttpRequestOptions",
    "HttpServerOptions",
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

# The classes are defined beside their machinery; their options come from the table.
documents("HttpAgentOptions")(Agent)
documents("HttpServerOptions")(Server)

reassignable_global_agent(__name__, _public)

_URLish = str | URL | SplitResult | ParseResult
_RequestListener = Callable[[IncomingMessage, ServerResponse], object]
_ResponseListener = Callable[[IncomingMessage], object]


@documents("HttpServerOptions")
def create_server(
    options: HttpServerOptions | _RequestListener | None = None,
    request_listener: _RequestListener | None = None,
    **kwargs: Unpack[HttpServerOptions],
) -> Server:
    """Node's ``http.createServer([options][, requestListener])``: a :class:`Server`.

    ``request_listener(req, res)`` listens to ``'request'``. Call ``listen()`` on the
    server, or use ``async with`` (it closes on exit).
    """
    given: Any = options  # Server reads any mapping; the TypedDict is for callers
    return Server(given, request_listener, **kwargs)


@documents("HttpRequestOptions")
def request(
    url: _URLish | HttpRequestOptions | None = None,
    options: HttpRequestOptions | _ResponseListener | None = None,
    callback: _ResponseListener | None = None,
    **kwargs: Unpack[HttpRequestOptions],
) -> ClientRequest:
    """Node's ``http.request(url[, options][, callback])``: a :class:`ClientRequest`.

    As :func:`nodehttps.request`, over plain TCP: ``url`` is a ``str``, a ``URL`` or an
    options dict, ``end()`` sends it, ``callback(res)`` listens to ``'response'``, and
    ``res = await req`` gives the :class:`IncomingMessage` in asyncio code.
    """
    opts, cb = request_args(url, options, callback, kwargs)
    return ClientRequest(opts, cb, default_agent=_public.global_agent)


@documents("HttpRequestOptions")
def get(
    url: _URLish | HttpRequestOptions | None = None,
    options: HttpRequestOptions | _ResponseListener | None = None,
    callback: _ResponseListener | None = None,
    **kwargs: Unpack[HttpRequestOptions],
) -> ClientRequest:
    """Node's ``http.get(url[, options][, callback])``: :func:`request` with ``GET``, ended."""
    req = request(url, options, callback, **kwargs)
    req.end()
    return req
