"""Node's ``https.Agent``: an ``http.Agent`` whose sockets are TLS, with a session cache.

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
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any, Unpack

from mypy_extensions import mypyc_attr

from . import net, tls
from ._option_types import HttpsAgentOptions
from ._options import normalize
from .http._agent import Agent as HttpAgent
from .http._agent import connection_args

__all__ = ["Agent"]


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


_NAMES_KEPT = 256
_names: dict[tuple[Any, ...], str] = {}  # get_name's answers, by its inputs


def _tls_name(values: tuple[Any, ...], host: Any) -> str:
    """The TLS part of ``getName``: each of ``_NAME_FIELDS``'s values, as Node shows it."""
    parts = [""]
    for field, value in zip(_NAME_FIELDS, values, strict=True):
        if field == "servername":
            value = value if value and value != host else None
        elif field == "sigalgs":
            value = json.dumps(value) if value else None
        elif field in _DEFINED_FIELDS:
            value = _js_string(value) if value is not None else None
        parts.append(_js_string(value))
    return ":".join(parts)


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


@mypyc_attr(allow_interpreted_subclasses=True)
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
    protocol: str | None = "https:"

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
        http_name = self._http_name(opts)
        values = tuple([opts.get(field) for field in _NAME_FIELDS])
        # types too: True and 1 are equal keys, but Node shows them as true and 1
        key = (http_name, opts.get("host"), values, tuple([type(v) for v in values]))
        try:  # the same options come again and again, a CA bundle among them
            name = _names.get(key)
        except TypeError:  # an unhashable value (a list of CAs): made each time
            return http_name + _tls_name(values, opts.get("host"))
        if name is None:
            if len(_names) >= _NAMES_KEPT:
                _names.clear()
            name = _names[key] = http_name + _tls_name(values, opts.get("host"))
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
        opts, callback = connection_args(args, kwargs)
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
