"""Node's ``https``: the Agent with its TLS session cache, the Server, request/get.

Theory of operation
-------------------
``Agent`` (compiled in ``_https_agent.py``) is an ``http.Agent`` whose connections are TLS, with
Node's session cache; ``global_agent`` is one with Node's defaults.

``Server`` is a ``tls.Server`` that speaks HTTP exactly as ``http.Server`` (the same
mixin, attached to ``'secureConnection'`` instead of ``'connection'``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Unpack
from urllib.parse import ParseResult, SplitResult

from . import _https_agent, errors, tls
from ._option_docs import class_doc, documents
from ._option_types import HttpsRequestOptions, HttpsServerOptions
from ._options import normalize
from ._url import URL
from .http._client import request_args
from .http._incoming import IncomingMessage
from .http._public import Agent as HttpAgent
from .http._public import ClientRequest
from .http._response import ServerResponse
from .http._server import _HttpServer

__all__ = [
    "Agent",
    "RequestListener",
    "ResponseListener",
    "Server",
    "create_server",
    "get",
    "request",
]

#: A server's ``'request'`` listener: ``(req, res)``.
RequestListener = Callable[[IncomingMessage, ServerResponse], object]
#: A request's ``'response'`` listener: ``(res)``.
ResponseListener = Callable[[IncomingMessage], object]


class Agent(_https_agent.Agent, HttpAgent):
    # The compiled class opened up as ``http/_public.py`` explains: methods replaceable
    # on an instance, weakly referenceable, and an instance of the public ``http.Agent``.
    __doc__ = class_doc(_https_agent.Agent)


global_agent = Agent({"keep_alive": True, "scheduling": "lifo", "timeout": 5000})

# The classes are defined beside their machinery; their options come from the table.
documents("HttpsAgentOptions")(Agent)


@documents("HttpsServerOptions")
class Server(_HttpServer, tls.Server):
    """Node's ``https.Server``: a ``tls.Server`` that serves HTTP as ``http.Server`` does.

    ``Server(options, request_listener)`` (either may be left out), as
    :func:`create_server`. Methods: ``listen(port, host, backlog, callback)``,
    ``address()``, ``close(callback)``, ``close_all_connections()``,
    ``close_idle_connections()``, ``set_timeout(msecs, callback)``, ``async with`` and
    ``await aclose()``. Events: ``'request'``, ``'connection'``, ``'secureConnection'``,
    ``'tlsClientError'``, ``'clientError'``, ``'checkContinue'``, ``'upgrade'``,
    ``'listening'``, ``'close'``, ``'keylog'``. An exception in a ``'request'``
    listener answers 500 and is logged (Node would exit: see the differences).
    """

    def __init__(
        self,
        options: HttpsServerOptions | RequestListener | None = None,
        request_listener: RequestListener | None = None,
        **kwargs: Unpack[HttpsServerOptions],
    ) -> None:
        if callable(options) and request_listener is None:
            options, request_listener = None, options
        if options is not None and not isinstance(options, dict):
            raise errors.invalid_arg_type("options", "object", options)
        opts = normalize(options, kwargs)
        if opts.get("alpn_protocols") is None and opts.get("alpn_callback") is None:
            opts["alpn_protocols"] = ["http/1.1"]
        tls.Server.__init__(self, opts)
        self._init_http(opts, request_listener)
        self.on("secureConnection", self._connection_listener)
        self.on("tlsClientError", self._on_tls_client_error)

    def _on_tls_client_error(self, err: BaseException, conn: Any) -> None:
        if not self.listener_count("clientError") or not self.emit("clientError", err, conn):
            conn.destroy()


@documents("HttpsServerOptions")
def create_server(
    options: HttpsServerOptions | RequestListener | None = None,
    request_listener: RequestListener | None = None,
    **kwargs: Unpack[HttpsServerOptions],
) -> Server:
    """Node's ``https.createServer([options][, requestListener])``: a :class:`Server`.

    ``request_listener(req, res)`` listens to ``'request'``; ``req`` is an
    :class:`~nodehttps.IncomingMessage`, ``res`` a :class:`~nodehttps.ServerResponse`.
    Call ``listen()`` on the server, or use ``async with`` (it closes on exit).

    Example::

        server = https.create_server({"key": key_pem, "cert": cert_pem}, handler)
        server.listen(8443)
    """
    return Server(options, request_listener, **kwargs)


_URLish = str | URL | SplitResult | ParseResult


@documents("HttpsRequestOptions")
def request(
    url: _URLish | HttpsRequestOptions | None = None,
    options: HttpsRequestOptions | ResponseListener | None = None,
    callback: ResponseListener | None = None,
    **kwargs: Unpack[HttpsRequestOptions],
) -> ClientRequest:
    """Node's ``https.request(url[, options][, callback])``: a :class:`~nodehttps.ClientRequest`.

    ``url`` is a ``str``, a :class:`~nodehttps.URL` (or a ``urllib.parse`` result) or
    an options dict; ``options`` and keyword arguments override its parts. Write the
    body with ``write()`` and send it with ``end()``. ``callback(res)`` listens to
    ``'response'``; errors are emitted as ``'error'``, argument errors raised at once.

    In asyncio code, ``res = await req`` gives the :class:`~nodehttps.IncomingMessage`
    or raises what ``'error'`` would emit; the response waits, paused, until it is
    awaited. Cancel the awaiting task (``async with asyncio.timeout(s):``) to give up:
    that destroys the request. The ``timeout`` option only emits ``'timeout'``.
    """
    opts, cb = request_args(url, options, callback, kwargs)
    return ClientRequest(opts, cb, default_agent=global_agent)


@documents("HttpsRequestOptions")
def get(
    url: _URLish | HttpsRequestOptions | None = None,
    options: HttpsRequestOptions | ResponseListener | None = None,
    callback: ResponseListener | None = None,
    **kwargs: Unpack[HttpsRequestOptions],
) -> ClientRequest:
    """Node's ``https.get(url[, options][, callback])``: :func:`request` with ``GET``, ended.

    Example, in asyncio code::

        res = await https.get("https://localhost:8443/", {"ca": ca_pem})
        print(res.status_code, await nodehttps.consumers.text(res))
    """
    req = request(url, options, callback, **kwargs)
    req.end()
    return req
