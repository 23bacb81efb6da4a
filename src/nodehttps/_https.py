"""Node's ``https``: the Agent with its TLS session cache, the Server, request/get.

Theory of operation
-------------------
``Agent`` is an ``http.Agent`` whose connections are ``tls.connect`` sockets. Its pool
key, :meth:`Agent.get_name`, appends every TLS option in Node's order, so requests that
differ in any of them never share a socket nor a session. The session cache maps that
key to the newest session the server gave (each ``'session'`` event replaces it); the
session carries the peer chain, so ``get_peer_certificate(True)`` still works on a
resumed connection. A connection that closes with an error evicts its key's session, so
a failed identity check can never leave a resumable session behind. The cache is an LRU
of ``max_cached_sessions`` keys (0 disables it).

``Server`` is a ``tls.Server`` that speaks HTTP exactly as ``http.Server`` (the same
mixin, attached to ``'secureConnection'`` instead of ``'connection'``).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Unpack
from urllib.parse import ParseResult, SplitResult

from . import errors, net, tls
from ._option_docs import documents
from ._option_types import HttpsAgentOptions, HttpsRequestOptions, HttpsServerOptions
from ._options import normalize
from ._url import URL
from .http._agent import Agent as HttpAgent
from .http._client import request_args
from .http._incoming import IncomingMessage
from .http._request import ClientRequest
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

# Node's order of the TLS options in the agent's key (lib/https.js getName).
_NAME_FIELDS = (
    "ca",
    "cert",
    "client_cert_engine",
    "ciphers",
    "key",
    "pfx",
    "reject_unauthorized",
    "servername",
    "min_version",
    "max_version",
    "secure_protocol",
    "crl",
    "honor_cipher_order",
    "ecdh_curve",
    "dhparam",
    "secure_options",
    "session_id_context",
    "sigalgs",
    "private_key_identifier",
    "private_key_engine",
)
_DEFINED_FIELDS = frozenset(("reject_unauthorized", "honor_cipher_order", "secure_options"))


def _js_string(value: Any) -> str:
    """How JavaScript's string concatenation shows an option value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("latin-1")
    if isinstance(value, list | tuple):
        return ",".join(_js_string(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


@documents("HttpsAgentOptions")
class Agent(HttpAgent):
    """Node's ``https.Agent([options])``: an ``http.Agent`` with a TLS session cache.

    Pools keep-alive connections per origin and TLS options (its key is
    :meth:`get_name`) and resumes TLS sessions (``max_cached_sessions``, an LRU; a
    session whose connection failed is evicted). Emits ``'keylog'(line, tls_socket)``
    for the connections it makes, and Node's ``'free'``. ``https.global_agent`` is one,
    with ``keep_alive=True`` and ``timeout=5000``. The TLS options given here apply to
    every request that uses the agent.

    Example: ``https.Agent({"keepAlive": True, "maxCachedSessions": 0})`` or
    ``https.Agent(keep_alive=True, ca=open("ca.pem").read())``.
    """

    default_port = 443
    protocol = "https:"

    def __init__(
        self, options: HttpsAgentOptions | None = None, **kwargs: Unpack[HttpsAgentOptions]
    ) -> None:
        opts = normalize(options, kwargs)
        super().__init__(opts)
        mcs = opts.get("max_cached_sessions")
        self.max_cached_sessions: int = 100 if mcs is None else int(mcs)
        self._sessions: OrderedDict[str, Any] = OrderedDict()
        self._keylog_on = False
        self.on("newListener", self._maybe_enable_keylog)

    def get_name(self, options: dict[str, Any] | None = None) -> str:
        """Node's ``agent.getName(options)``: the http key plus each TLS option, in order."""
        opts = normalize(options)
        name = super().get_name(opts)
        for field in _NAME_FIELDS:
            value = opts.get(field)
            if field == "servername":
                value = value if value and value != opts.get("host") else None
            elif field == "sigalgs":
                value = json.dumps(value) if value else None
            elif field in _DEFINED_FIELDS:
                value = _js_string(value) if value is not None else None
            name += ":" + _js_string(value)
        return name

    # -- connections ---------------------------------------------------------------------
    def _prepare_socket_options(self, opts: dict[str, Any], req: Any) -> None:
        if not opts.get("servername") and opts.get("servername") != "":
            opts["servername"] = _server_name(opts, req)

    def create_connection(self, *args: Any, **kwargs: Any) -> Any:
        """Node's ``https.Agent.createConnection``: ``tls.connect`` with a cached session.

        Takes Node's forms ``(options)``, ``(port, options)``, ``(port, host, options)``
        (``options`` may be ``None``), optionally followed by a callback for
        ``'secureConnect'``; the caller's options are copied, never mutated.
        """
        opts, callback = _connection_args(args, kwargs)
        key = opts.get("_agent_key")
        if key is not None:
            session = self._get_session(key)
            if session is not None and opts.get("session") is None:
                opts["session"] = session
        sock = tls.connect(opts)
        if key is not None:
            sock.on("session", lambda session: self._cache_session(key, session))
            sock.once(
                "close", lambda had_error=False: self._evict_session(key) if had_error else None
            )
        if self._keylog_on:
            self._watch_keylog(sock)
        if callback is not None:
            sock.once("secureConnect", lambda: callback(None, sock))
        return sock

    # -- session cache ---------------------------------------------------------------------
    def _get_session(self, key: str) -> Any:
        session = self._sessions.get(key)
        if session is not None:
            self._sessions.move_to_end(key)
        return session

    def _cache_session(self, key: str, session: Any) -> None:
        if self.max_cached_sessions <= 0:
            return
        self._sessions[key] = session
        self._sessions.move_to_end(key)
        while len(self._sessions) > self.max_cached_sessions:
            self._sessions.popitem(last=False)

    def _evict_session(self, key: str) -> None:
        self._sessions.pop(key, None)

    # -- keylog ----------------------------------------------------------------------------
    def _maybe_enable_keylog(self, event: str, _listener: Any) -> None:
        if event != "keylog" or self._keylog_on:
            return
        self._keylog_on = True
        for group in (self.sockets, self.free_sockets):
            for socks in group.values():
                for sock in socks:
                    self._watch_keylog(sock)

    def _watch_keylog(self, sock: Any) -> None:
        sock.on("keylog", lambda line: self.emit("keylog", line, sock))


def _connection_args(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[dict[str, Any], Callable[..., Any] | None]:
    """Node's argument handling in ``https.Agent.createConnection(port, host, options)``."""
    rest = list(args)
    callback = rest.pop() if rest and callable(rest[-1]) else kwargs.pop("callback", None)
    port, host, options = [*rest, None, None, None][:3]
    if isinstance(port, Mapping):
        opts = normalize(port)
    elif isinstance(host, Mapping):
        opts = normalize(host)
    elif isinstance(options, Mapping):
        opts = normalize(options)
    else:
        opts = {}
    if kwargs:
        opts.update(normalize(kwargs))
    if isinstance(port, int) and not isinstance(port, bool):
        opts["port"] = port
    if isinstance(host, str):
        opts["host"] = host
    return opts, callback


def _server_name(options: dict[str, Any], req: Any) -> str:
    """Node's ``calculateServerName``: the Host header's name, none for an IP."""
    servername = str(options.get("host") or "")
    host_header = req.get_header("host") if req is not None else None
    if host_header:
        host_header = str(host_header)
        if host_header.startswith("["):
            end = host_header.find("]")
            servername = host_header[1:end] if end != -1 else host_header
        else:
            servername = host_header.split(":", 1)[0]
    if net.is_ip(servername):
        servername = ""
    return servername


global_agent = Agent({"keep_alive": True, "scheduling": "lifo", "timeout": 5000})


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
