"""Node's ``tls.Server``: a ``net.Server`` whose accepted sockets are TLS sockets.

Theory of operation
-------------------
Each accepted connection is a server-side :class:`TLSSocket` from the start (no plain
socket under it): the transport drives the socket's TLS engine directly, so the accept
path and every byte after it go straight from the transport into the engine. After its
handshake the socket is given to ``'secureConnection'``; a failure before that goes to
``'tlsClientError'(err, socket)``. The sockets reach the server only through its
:class:`~nodehttps.tls._policy.ServerPolicy` (``_policy.py``).

Server names: the stdlib ``sni_callback`` on each of the server's contexts tells the
connection the name the client sent (``tls_socket.servername``), and the connection
switches to a context from :meth:`Server.add_context` (Node's wildcard rules: ``*`` is
one label part, the last matching entry wins). A Node-style asynchronous
``sni_callback(servername, cb)`` runs before OpenSSL sees the connection at all: the
socket holds the ClientHello (``_hello.py``) until ``cb(err, secure_context)`` is called.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import Any

from .. import errors, net
from .._options import normalize, validate_function, validate_number
from . import _hooks
from ._policy import ServerPolicy, sni_dispatch
from ._socket import HANDSHAKE_TIMEOUT_MS, TLSSocket

__all__ = ["Server", "convert_alpn_protocols", "create_server"]


# Options of the server itself, kept by set_secure_context (Node keeps them as properties).
_SERVER_KEYS = (
    "request_cert",
    "reject_unauthorized",
    "alpn_protocols",
    "alpn_callback",
    "handshake_timeout",
    "sni_callback",
    "allow_half_open",
)


def convert_alpn_protocols(protocols: Any) -> bytes | None:
    """Node's ``tls.convertALPNProtocols``: a list of names -> the wire format."""
    if protocols is None:
        return None
    if isinstance(protocols, bytes | bytearray | memoryview):
        return bytes(protocols)
    out = bytearray()
    for name in protocols:
        raw = name.encode() if isinstance(name, str) else bytes(name)
        if not 0 < len(raw) < 256:
            raise errors.out_of_range("The byte length of the protocol", "<= 255", len(raw))
        out.append(len(raw))
        out += raw
    return bytes(out)


def _alpn_list(protocols: Any) -> list[str] | None:
    if protocols is None:
        return None
    if isinstance(protocols, bytes | bytearray | memoryview):
        raw, names, pos = bytes(protocols), [], 0
        while pos < len(raw):
            names.append(raw[pos + 1 : pos + 1 + raw[pos]].decode())
            pos += 1 + raw[pos]
        return names
    return [p if isinstance(p, str) else bytes(p).decode() for p in protocols]


class Server(net.Server):
    """Node's ``tls.Server``: ``'secureConnection'``, ``'tlsClientError'``, ``'keylog'``.

    Options: every ``create_secure_context`` option, plus ``request_cert``,
    ``reject_unauthorized`` (default True; applies with ``request_cert``),
    ``alpn_protocols`` or ``alpn_callback({servername, protocols}) -> name | None``,
    ``sni_callback(servername, cb)``, ``handshake_timeout``
    (120000 ms). Sessions resume by ticket; by session id only through an external
    store, with ``'newSession'`` (id, data, callback) and ``'resumeSession'`` (id,
    callback(err, data)), as in Node.
    """

    def __init__(
        self,
        options: dict[str, Any] | Callable[..., Any] | None = None,
        secure_connection_listener: Callable[..., Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if callable(options) and secure_connection_listener is None:
            options, secure_connection_listener = None, options
        if options is not None and not isinstance(options, dict):
            raise errors.invalid_arg_type("options", "object", options)
        opts = normalize(options, kwargs)
        super().__init__(opts)
        timeout = opts.get("handshake_timeout")
        self.handshake_timeout: float = (
            HANDSHAKE_TIMEOUT_MS
            if timeout is None
            else validate_number(timeout, "options.handshakeTimeout")
        )
        sni = opts.get("sni_callback")
        self.sni_callback: Callable[..., Any] | None = (
            None if sni is None else validate_function(sni, "options.SNICallback")
        )
        self.request_cert = bool(opts.get("request_cert"))
        self.reject_unauthorized = opts.get("reject_unauthorized") is not False
        self.alpn_protocols: bytes | None = convert_alpn_protocols(opts.get("alpn_protocols"))
        choose = opts.get("alpn_callback")
        self.alpn_callback: Callable[[dict[str, Any]], str | None] | None = None
        if choose is not None:
            self.alpn_callback = validate_function(choose, "options.ALPNCallback")
            if self.alpn_protocols is not None:
                raise errors.ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS()
        self._options = opts
        self._policy = ServerPolicy(self, self._configure)
        self._secure_context = self._make_context(opts)
        if secure_connection_listener is not None:
            self.on("secureConnection", secure_connection_listener)

    # -- contexts ---------------------------------------------------------------------------
    def _make_context(self, opts: dict[str, Any]) -> Any:
        secure_context = opts.get("secure_context")
        if secure_context is None:
            secure_context = _hooks.create_secure_context(opts, is_server=True)
        self._configure(secure_context.context)
        return secure_context

    def _configure(self, ctx: ssl.SSLContext) -> None:
        """What Node sets per socket and Python per context: verify mode, ALPN, SNI."""
        if self.request_cert:
            ctx.verify_mode = ssl.CERT_REQUIRED if self.reject_unauthorized else ssl.CERT_OPTIONAL
            _hooks.accept_any_peer_certificate(ctx)
        alpn = _alpn_list(self.alpn_protocols)
        if self.alpn_callback is not None:
            _hooks.use_alpn_callback(ctx)
        elif alpn:
            _hooks.use_alpn_protocols(ctx, alpn)
        if not ctx.options & ssl.OP_NO_RENEGOTIATION:
            ctx.options |= ssl.OP_NO_RENEGOTIATION
        ctx.sni_callback = sni_dispatch
        _hooks.node_session_cache(ctx)

    def add_context(self, servername: str, context: Any) -> None:
        """Node's ``server.addContext(servername, context)``: a context for an SNI name
        (``*`` wildcards allowed; never an IP address: SNI carries none)."""
        if servername is None or servername == "":
            raise errors.make(
                "ERR_TLS_REQUIRED_SERVER_NAME",
                '"servername" is required parameter for Server.addContext',
            )
        if not isinstance(servername, str):
            raise errors.invalid_arg_type("servername", "string", servername)
        if net.is_ip(servername):
            raise errors.invalid_arg_value("servername", servername, "must not be an IP address")
        if not hasattr(context, "context"):
            context = _hooks.create_secure_context(normalize(context), is_server=True)
        self._configure(context.context)
        self._policy.add_sni_context(servername, context)

    def set_secure_context(self, options: dict[str, Any] | None = None, **kwargs: Any) -> None:
        """Node's ``server.setSecureContext(options)``: new connections use the new one.

        As in Node the credentials are replaced, not merged: an option left out is unset.
        """
        opts = normalize(options, kwargs)
        for key in _SERVER_KEYS:
            if key in self._options and key not in opts:
                opts[key] = self._options[key]
        opts.pop("secure_context", None)
        self._options = opts
        self._secure_context = self._make_context(opts)

    def get_ticket_keys(self) -> bytes:
        """Node's ``server.getTicketKeys()``: the 48-byte session ticket keys."""
        return _hooks.get_ticket_keys(self._secure_context.context)

    def set_ticket_keys(self, keys: bytes) -> None:
        """Node's ``server.setTicketKeys(keys)``: 48 bytes; older tickets stop resuming."""
        if not isinstance(keys, bytes | bytearray | memoryview):
            raise errors.invalid_arg_type("buffer", ["Buffer", "TypedArray", "DataView"], keys)
        if len(keys) != 48:
            raise errors.make("ERR_ASSERTION", "Session ticket keys must be a 48-byte buffer")
        _hooks.set_ticket_keys(self._secure_context.context, bytes(keys))

    # -- connections ------------------------------------------------------------------------
    def _new_socket(self) -> net.Socket:
        """Each accepted connection: a server-side TLSSocket under this server's policy."""
        return TLSSocket(
            None,
            {
                "is_server": True,
                "policy": self._policy,
                "secure_context": self._secure_context,
                "request_cert": self.request_cert,
                "reject_unauthorized": self.reject_unauthorized,
                "allow_half_open": self.allow_half_open,
            },
        )


def create_server(
    options: dict[str, Any] | Callable[..., Any] | None = None,
    secure_connection_listener: Callable[..., Any] | None = None,
    **kwargs: Any,
) -> Server:
    """Node's ``tls.createServer([options][, secureConnectionListener])``."""
    return Server(options, secure_connection_listener, **kwargs)
