"""nodehttps: Node.js's ``https`` module for Python (``import nodehttps as https``).

The package is the ``https`` module: ``Agent``, ``Server``, ``create_server``,
``request``, ``get``, ``global_agent``; ``nodehttps.http``, ``.tls``, ``.net`` and
``.events`` are Node's modules of the same names. The message classes
(``ClientRequest``, ``IncomingMessage``, ``ServerResponse``, ``TLSSocket``) and the
option bags as ``TypedDict`` s (``HttpsRequestOptions``, ``HttpsAgentOptions``,
``HttpsServerOptions``) are here too, for annotations.
"""

from __future__ import annotations

from . import _https, consumers, errors, events, http, net, tls
from ._abort import AbortController, AbortSignal
from ._globalagent import reassignable_global_agent
from ._https import (
    Agent,
    RequestListener,
    ResponseListener,
    Server,
    create_server,
    get,
    request,
)
from ._loop import run
from ._option_types import HttpsAgentOptions, HttpsRequestOptions, HttpsServerOptions
from ._url import URL
from .http import ClientRequest, IncomingMessage, ServerResponse
from .tls import TLSSocket

__all__ = [
    "URL",
    "AbortController",
    "AbortSignal",
    "Agent",
    "ClientRequest",
    "HttpsAgentOptions",
    "HttpsRequestOptions",
    "HttpsServerOptions",
    "IncomingMessage",
    "RequestListener",
    "ResponseListener",
    "Server",
    "ServerResponse",
    "TLSSocket",
    "consumers",
    "create_server",
    "errors",
    "events",
    "get",
    "global_agent",
    "http",
    "net",
    "request",
    "run",
    "tls",
]

__version__ = "0.1.0"


reassignable_global_agent(__name__, _https)
