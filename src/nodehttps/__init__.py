"""nodehttps: Node.js's ``https`` module for Python (``import nodehttps as https``).

The package is the ``https`` module: ``Agent``, ``Server``, ``create_server``,
``request``, ``get``, ``global_agent``; ``nodehttps.http``, ``.tls``, ``.net`` and
``.events`` are Node's modules of the same names.
"""

from __future__ import annotations

import sys
import types

from . import _https, consumers, errors, events, http, net, tls
from ._abort import AbortController, AbortSignal
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


class _HttpsModule(types.ModuleType):
    """Makes ``https.global_agent`` reassignable, as Node's ``https.globalAgent`` is."""

    @property
    def global_agent(self) -> Agent:
        return _https.global_agent

    @global_agent.setter
    def global_agent(self, agent: Agent) -> None:
        _https.global_agent = agent


sys.modules[__name__].__class__ = _HttpsModule
