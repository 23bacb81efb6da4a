"""nodehttps: Node.js's ``https`` module for Python (``import nodehttps as https``).

The package is the ``https`` module: ``Agent``, ``Server``, ``create_server``,
``request``, ``get``, ``global_agent``; ``nodehttps.http``, ``.tls``, ``.net`` and
``.events`` are Node's modules of the same names.
"""

from __future__ import annotations

from . import _https, consumers, errors, events, http, net, tls
from ._abort import AbortController, AbortSignal
from ._globalagent import reassignable_global_agent
from ._https import Agent, Server, create_server, get, request
from ._loop import run
from ._url import URL

__all__ = [
    "URL",
    "AbortController",
    "AbortSignal",
    "Agent",
    "Server",
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
