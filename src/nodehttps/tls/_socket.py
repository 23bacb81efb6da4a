"""Node's ``tls.TLSSocket``: a ``net.Socket`` whose bytes pass through our TLS engine.

Theory of operation
-------------------
The engine is an ``ssl.SSLObject`` between two ``ssl.MemoryBIO``\\ s, driven from the
``net.Socket`` steps (as Node's TLSWrap sits on its TCP handle, and trio's SSLStream on
its stream):

* ``_connected()`` (the transport is attached): a client makes its ``SSLObject`` and
  sends its ClientHello; a server arms its handshake deadline and makes its
  ``SSLObject`` on the first bytes (after awaiting an asynchronous ``SNICallback`` when
  the server has one: ``_hello.py``).
* ``_on_data(raw)``: ciphertext goes into the incoming BIO, then one engine step runs:
  ``do_handshake()`` until it succeeds, afterwards ``read()`` until OpenSSL wants more
  input, each chunk (one TLS record, <= 16 KiB) pushed to the readable side.
* ``_send(data)``: one ``SSLObject.write`` of the whole chunk. Before the handshake is
  done (and verified) plaintext waits, as Node's does.
* Each step ends with at most one ``transport.write`` of what the outgoing BIO holds
  (handshake flights, alerts, tickets, records), then dispatches what OpenSSL reported
  from inside the step (keylog lines, new sessions: ``_hooks.py``), queued by
  callbacks that never re-enter the engine. Only connections somebody listens to are
  watched; the others pay nothing for it.
* ``_shutdown()`` (after ``end()``): ``close_notify`` then FIN. The peer's
  ``close_notify`` ends the readable side; a FIN without it after the handshake (a
  "ragged EOF") ends it normally too, as in Node.

After the handshake a client checks, in Node's order: the chain's verify result (read
from OpenSSL even under ``CERT_NONE``, so ``authorized``/``authorization_error`` are
true answers when ``reject_unauthorized`` is off), then ``check_server_identity``
unless the session was resumed (Node's checker first sees the leaf alone, the chain
is built only if it fails). A server that asked for a client certificate does the same
with the client's. Every ``ssl.SSLError`` becomes Node's error here
(``_sslerrors.py``); a server-side failure before the handshake finished goes to the
server's ``'tlsClientError'``.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import errors, net
from .._options import normalize, validate_string
from . import _hooks
from ._info import TLSInfo, sent_chain
from ._session import TLSSession
from ._sslerrors import from_ssl_error
from ._wrap import SocketTransport

if TYPE_CHECKING:
    from ._server import Server

__all__ = ["TLSSocket"]

READ_SIZE = 16384  # SSL_read returns at most one record: 2**14 bytes of plaintext
HANDSHAKE_TIMEOUT_MS = 120000
_SESSION_POLLS = 4  # without the new-session callback: reads to look for a ticket
_DISCONNECTED = "Client network socket disconnected before secure TLS connection was established"


class TLSSocket(TLSInfo, net.Socket):
    """Node's ``tls.TLSSocket``: TLS client or server over TCP or over another socket.

    ``TLSSocket(socket=None, options)``: ``options`` as Node's (``is_server``,
    ``server``, ``secure_context``, ``request_cert``, ``reject_unauthorized``,
    ``session``, ``servername``, and ``create_secure_context`` options when no
    ``secure_context`` is given). Usually made by ``tls.connect`` or ``tls.Server``.
    """

    __slots__ = (
        "_alpn_error",
        "_chain",
        "_check_identity",
        "_connect_opts",
        "_ctx",
        "_error_emitted",
        "_hello",
        "_hello_wait",
        "_hs_timer",
        "_in",
        "_is_server",
        "_keylog_server",
        "_last_session_id",
        "_obj",
        "_offered",
        "_out",
        "_out_held",
        "_peer_cert",
        "_pending_plain",
        "_reject",
        "_released",
        "_request_cert",
        "_secure",
        "_secure_ctx",
        "_secure_pending",
        "_session_offer",
        "_session_polls",
        "_sni_name",
        "_tls_server",
        "_watch",
        "alpn_protocol",
        "authorization_error",
        "authorized",
        "encrypted",
        "servername",
    )

    def __init__(
        self, socket: net.Socket | None = None, options: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        opts = normalize(options, kwargs)
        super().__init__(
            {
                "allow_half_open": bool(opts.get("allow_half_open", False)),
                "signal": opts.get("signal"),
            }
        )
        self.encrypted = True
        self.authorized = False
        self.authorization_error: str | None = None
        self.alpn_protocol: str | bool = False
        self.servername: str | bool | None = None
        self._is_server = bool(opts.get("is_server"))
        self._tls_server: Server | None = opts.get("server")
        self._reject = opts.get("reject_unauthorized") is not False
        self._request_cert = bool(opts.get("request_cert"))
        self._check_identity: Callable[..., Any] | None = opts.get("check_server_identity")
        self._connect_opts = opts
        self._session_offer: TLSSession | bytes | None = None
        self._sni_name: str | None = opts.get("servername") or None
        self._obj: ssl.SSLObject | None = None
        self._in: ssl.MemoryBIO | None = None
        self._out: ssl.MemoryBIO | None = None
        self._secure = False
        self._released = False
        self._pending_plain: list[bytes] | None = None
        self._hello: bytearray | None = None
        self._hello_wait = False
        self._hs_timer: Any = None
        self._error_emitted = False
        self._chain: tuple[bytes, ...] | None = None
        self._peer_cert: dict[Any, Any] = {}
        self._watch: _hooks.Watch | None = None
        self._session_polls = 0
        self._last_session_id: bytes | None = None
        self._keylog_server: Server | None = None
        self._offered = 0  # the SSL_SESSION* a 'resumeSession' listener found
        self._out_held = 0  # 'newSession' callbacks not called yet: output waits for them
        # ... and so does 'secure' (TLS 1.2): the sessions to report after it, while held
        self._secure_pending: list[tuple[bytes, bytes]] | None = None
        self._alpn_error: BaseException | None = None
        secure_context = opts.get("secure_context")
        if secure_context is None:
            secure_context = _hooks.create_secure_context(opts, is_server=self._is_server)
        self._set_secure_context(secure_context)
        session = opts.get("session")
        if session is not None:
            self.set_session(session)
        if self._is_server:
            self.on("error", self._on_server_error)
        if socket is not None:
            self._wrap(socket)

    # -- setup ----------------------------------------------------------------------------
    def _set_secure_context(self, secure_context: Any) -> None:
        self._secure_ctx = secure_context
        ctx = getattr(secure_context, "context", secure_context)
        if not isinstance(ctx, ssl.SSLContext):
            raise errors.invalid_arg_type("options.secureContext", "SecureContext", secure_context)
        self._ctx = ctx

    def _wrap(self, lower: net.Socket) -> None:
        """Run over ``lower`` (connected now or later) instead of a transport of our own."""
        if lower is self:
            raise errors.invalid_arg_value("options.socket", lower)
        self.remote_address = lower.remote_address
        if lower.connecting or (getattr(lower, "pending", False) and lower._transport is None):
            self.connecting = True
            self._do_ref()
            lower.once("connect", lambda *_: self._attach_lower(lower))
            lower.once("close", lambda *_: self._lower_closed_early())
        else:
            self._loop.call_soon(self._attach_lower, lower)

    def _lower_closed_early(self) -> None:
        if not self.destroyed and self._transport is None:
            self._on_lost(None)

    def _attach_lower(self, lower: net.Socket) -> None:
        if self.destroyed:
            return
        if lower.destroyed:
            self._on_lost(None)
            return
        self._attach(SocketTransport(lower, self))  # type: ignore[arg-type]

    def set_session(self, session: Any) -> None:
        """Node's ``tlsSocket.setSession(session)``: offer it in the next handshake; a
        :class:`TLSSession`, or Node's session bytes (``bytes(tls_session)``)."""
        if isinstance(session, ssl.SSLSession):
            session = TLSSession(session, self._ctx)
        elif isinstance(session, bytes | bytearray | memoryview):
            session = bytes(session)
        elif not isinstance(session, TLSSession):
            raise errors.invalid_arg_type("session", ["TLSSession", "Buffer"], session)
        self._session_offer = session

    def set_servername(self, name: str) -> None:
        """Node's ``tlsSocket.setServername(name)``: the SNI to send (client only)."""
        validate_string(name, "name")
        if self._is_server:
            raise errors.ERR_TLS_SNI_FROM_SERVER()
        self._sni_name = name or None

    # -- handshake --------------------------------------------------------------------------
    def _connected(self) -> None:
        if self._is_server:
            timeout = (
                self._tls_server.handshake_timeout
                if self._tls_server is not None
                else HANDSHAKE_TIMEOUT_MS
            )
            if timeout and timeout > 0:
                self._hs_timer = self._loop.call_later(timeout / 1000, self._on_handshake_timeout)
            return
        self._make_engine(self._ctx)
        self._handshake()

    def _make_engine(self, ctx: ssl.SSLContext) -> None:
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        offer = self._session_offer
        session = offer.session if isinstance(offer, TLSSession) and offer.context is ctx else None
        try:
            obj = ctx.wrap_bio(
                self._in,
                self._out,
                server_side=self._is_server,
                server_hostname=self._sni_name,
                session=session,
            )
        except ValueError:  # a raw ssl.SSLSession of another context: offer its bytes
            session = None
            obj = ctx.wrap_bio(
                self._in, self._out, server_side=self._is_server, server_hostname=self._sni_name
            )
        if offer is not None and session is None:
            # Python resumes only through the session's own context; OpenSSL takes the
            # serialized session on any (ignored if it does not parse, as in Node).
            der = offer.der if isinstance(offer, TLSSession) else offer
            if der:
                _hooks.offer_session_der(obj, der)
        obj._nodehttps_socket = self  # type: ignore[attr-defined]  # for the SNI callback
        self._obj = obj
        _hooks.watch(self, ctx)
        if self._offered:
            _hooks.serve_offered_sessions(ctx)

    def _on_data(self, data: bytes) -> None:
        self.bytes_read += len(data)
        if self._timeout_ms:
            self._active()
        incoming = self._in
        if incoming is None:
            if not self._server_first_bytes(data):
                return
            incoming = self._in
            assert incoming is not None
        incoming.write(data)
        if self._secure:
            self._read()
        else:
            self._handshake()

    def _server_first_bytes(self, data: bytes) -> bool:
        """Make the server's engine; False while the bytes wait for the whole ClientHello
        and the user's answers (``'resumeSession'``, an async ``SNICallback``)."""
        server = self._tls_server
        resume = server is not None and bool(server.listener_count("resumeSession"))
        if resume:
            _hooks.want_callbacks(self)  # OpenSSL will ask this socket for the session
        if server is None or (server.sni_callback is None and not resume):
            self._make_engine(self._ctx)
            return True
        if self._hello is None:
            self._hello = bytearray()
        self._hello += data
        if not self._hello_wait:
            server._peek_hello(self)
        return False

    def _resume_with(self, secure_context: Any) -> None:
        """The user answered (``secure_context``: the SNICallback's choice, or None):
        make the engine and replay the held bytes."""
        if self.destroyed:
            return
        if secure_context is not None:
            self._set_secure_context(secure_context)
        held, self._hello = bytes(self._hello or b""), None
        self._hello_wait = False
        self._make_engine(self._ctx)
        if held:
            assert self._in is not None
            self._in.write(held)
            self._handshake()

    def _handshake(self) -> None:
        obj = self._obj
        assert obj is not None
        try:
            obj.do_handshake()
        except ssl.SSLWantReadError:
            self._flush_out()
            _hooks.after_step(self)
            return
        except ssl.SSLCertVerificationError as exc:
            self._flush_out()
            _hooks.after_step(self)
            sent = len(sent_chain(obj)) if exc.verify_code == 20 else None
            err = _hooks.verify_error(exc.verify_code, sent) or from_ssl_error(exc)
            self._fail_handshake(err)
            return
        except ssl.SSLError as exc:
            if self._alpn_error is not None:  # as Node: the connection just ends, no alert
                self._fail_handshake(self._alpn_error)
                return
            self._flush_out()
            _hooks.after_step(self)
            as_write = bool(self._pending_plain) and not self._is_server
            self._fail_handshake(from_ssl_error(exc, as_write=as_write))
            return
        self._handshake_done()

    def _offer_session(self, der: bytes) -> None:
        """A ``'resumeSession'`` listener found this session for the offered id."""
        self._drop_offered_session()
        self._offered = _hooks.parse_session(der)

    def _take_offered_session(self) -> int:
        """OpenSSL asks for it (and keeps it): at most once."""
        offered, self._offered = self._offered, 0
        return offered

    def _drop_offered_session(self) -> None:
        offered, self._offered = self._offered, 0
        if offered:
            _hooks.free_session(offered)

    def _select_alpn(self, offered: bytes) -> int | None:
        """Ask the server's ``ALPNCallback``; the offset of the chosen entry in ``offered``
        (wire format), None (refused, or an error kept for the handshake to report), or
        -1 when this connection has no callback (a context shared with another server)."""
        server = self._tls_server
        if server is None or server.alpn_callback is None:
            return -1
        protocols: list[str] = []
        offsets: list[int] = []
        pos = 0
        while pos < len(offered):
            offsets.append(pos)
            protocols.append(offered[pos + 1 : pos + 1 + offered[pos]].decode("latin-1"))
            pos += 1 + offered[pos]
        try:
            chosen = server.alpn_callback(
                {"servername": self._sni_name or False, "protocols": protocols}
            )
        except Exception as exc:
            self._alpn_error = exc
            return None
        if chosen is None:
            return None
        if chosen not in protocols:
            self._alpn_error = errors.ERR_TLS_ALPN_CALLBACK_INVALID_RESULT(
                f"ALPN callback returned a value ({chosen}) that did not match any of the "
                f"client's offered protocols ({', '.join(protocols)})"
            )
            return None
        return offsets[protocols.index(chosen)]

    def _fail_handshake(self, err: BaseException) -> None:
        if not self.destroyed:
            self.destroy(err)

    def _handshake_done(self) -> None:
        self._secure = True
        if self._offered:
            self._drop_offered_session()
        if self._hs_timer is not None:
            self._hs_timer.cancel()
            self._hs_timer = None
        obj = self._obj
        assert obj is not None
        # Node reports a TLS 1.3 server's new sessions (its tickets) after
        # 'secureConnection'; TLS 1.2's come first, and 'secure' waits for their callbacks.
        late = (
            _hooks.take_server_sessions(self)
            if self._is_server and obj.version() == "TLSv1.3"
            else None
        )
        _hooks.after_step(self)  # keylog lines (and a TLS 1.2 session) come first, as in Node
        if self.destroyed:
            return
        if self._out_held:
            self._secure_pending = late or []
            return
        self._finish_init(late)

    def _finish_init(self, late_sessions: list[tuple[bytes, bytes]] | None = None) -> None:
        """Node's ``_finishInit``: verification, then ``'secureConnect'``/``'secure'``."""
        obj = self._obj
        assert obj is not None
        self.alpn_protocol = obj.selected_alpn_protocol() or False
        self.servername = self._sni_name or False  # the name sent (client) or received
        ok = self._server_verified() if self._is_server else self._client_verified()
        if not ok:
            return
        self._release()
        if self.destroyed:
            return
        if self._is_server:
            if self._tls_server is not None:
                self._tls_server.emit("secureConnection", self)
        else:
            self.emit("secureConnect")
        self.emit("secure")
        if late_sessions:
            self._emit_server_sessions(late_sessions)
        if not self._is_server and not _hooks.SESSION_CALLBACK:
            if obj.version() == "TLSv1.3":
                self._session_polls = _SESSION_POLLS  # its tickets come after the handshake
            else:
                self._note_session()
        if not self.destroyed and self._in is not None and self._in.pending:
            self._read()

    def _client_verified(self) -> bool:
        err = self._verify_error()
        if err is None and not self.is_session_reused():
            opts = self._connect_opts
            host = opts.get("servername") or opts.get("host") or "localhost"
            check = self._check_identity
            if check is None:  # _verify_error() made sure there is a peer certificate
                assert self._obj is not None
                leaf = self._obj.getpeercert(True) or b""
                result = _hooks.default_identity_error(host, leaf, self.get_peer_certificate)
            else:
                result = check(host, self.get_peer_certificate(True))
            err = result if result else None
        if err is not None:
            self.authorized = False
            self.authorization_error = getattr(err, "code", None) or str(err)
            if self._reject:
                self._flush_out()
                self.destroy(err)
                return False
        else:
            self.authorized = True
        return True

    def _server_verified(self) -> bool:
        if not self._request_cert:
            return True
        err = self._verify_error()
        if err is not None:
            self.authorization_error = getattr(err, "code", None) or str(err)
            if self._reject:
                self._flush_out()
                self.destroy()
                return False
        else:
            self.authorized = True
        return True

    def _verify_error(self) -> BaseException | None:
        """Node's ``verifyError()``: the peer chain's verify result, as Node's error."""
        obj = self._obj
        assert obj is not None
        if obj.getpeercert(True) is None:
            return _hooks.verify_error(2, 0)  # Node: UNABLE_TO_GET_ISSUER_CERT, no cert
        code = _hooks.verify_result(obj)
        if not code:
            return None
        return _hooks.verify_error(code, len(sent_chain(obj)) if code == 20 else None)

    def _release(self) -> None:
        """Hand the plaintext written during the handshake to the engine, end if asked."""
        self._released = True
        pending, self._pending_plain = self._pending_plain, None
        if pending:
            self._encrypt(b"".join(pending))
        else:
            self._flush_out()
        if self._write_ended and not self._shutdown_done and not self.destroyed:
            self._shutdown()

    def _on_handshake_timeout(self) -> None:
        self._hs_timer = None
        if self._secure or self.destroyed:
            return
        self._tls_client_error(errors.ERR_TLS_HANDSHAKE_TIMEOUT())
        server = self._tls_server
        if server is None or not server.listener_count("tlsClientError"):
            self.destroy()

    # -- data -------------------------------------------------------------------------------
    def _read(self) -> None:
        obj = self._obj
        assert obj is not None
        push = self.push
        try:
            while True:
                chunk = obj.read(READ_SIZE)
                if not chunk:
                    self._on_close_notify()
                    break
                push(chunk)
                if self.destroyed:
                    return
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLZeroReturnError:  # close_notify after ours: Python raises, not b''
            self._on_close_notify()
        except ssl.SSLError as exc:
            self._flush_out()
            if not self.destroyed:
                self.destroy(from_ssl_error(exc))
            return
        if self._out is not None and self._out.pending:
            self._flush_out()
        if self._watch is not None or self._session_polls:
            self._after_read()

    def _after_read(self) -> None:
        _hooks.after_step(self)
        if self._session_polls and not _hooks.SESSION_CALLBACK:
            self._session_polls -= 1
            self._note_session()

    def _on_close_notify(self) -> None:
        self._peer_ended = True
        self.push_eof()

    def _send(self, data: bytes) -> None:
        if not self._secure:
            if self._pending_plain is None:
                self._pending_plain = []
            self._pending_plain.append(data)
            return
        if data:
            self._encrypt(data)

    def _encrypt(self, data: bytes) -> None:
        obj = self._obj
        assert obj is not None
        try:
            obj.write(data)
        except ssl.SSLError as exc:
            self._flush_out()
            if not self.destroyed:
                self.destroy(from_ssl_error(exc, as_write=True))
            return
        self._flush_out()

    def _flush_out(self) -> None:
        out = self._out
        if out is not None and out.pending and not self.destroyed and not self._out_held:
            transport = self._transport
            if transport is not None:
                transport.write(out.read())

    def _shutdown(self) -> None:
        if not self._secure:
            return  # _release() ends the socket once the handshake is done
        obj = self._obj
        assert obj is not None
        try:
            obj.unwrap()
        except ssl.SSLError:
            pass  # WANT_READ: our close_notify is out, the peer's is not in yet
        self._flush_out()
        super()._shutdown()

    def _on_eof(self) -> None:
        if self._secure:
            super()._on_eof()  # with or without close_notify: a normal end, as Node
            return
        if not self.destroyed:
            self.destroy(None if self._is_server else self._disconnected())

    def _on_lost(self, exc: Exception | None) -> None:
        if not self._secure and not self._is_server and not self.destroyed:
            self.destroy(self._disconnected())
            return
        super()._on_lost(exc)

    def _disconnected(self) -> errors.NodeError:
        opts = self._connect_opts
        return errors.conn_reset(
            _DISCONNECTED,
            path=opts.get("path"),
            host=opts.get("host"),
            port=opts.get("port"),
            local_address=opts.get("local_address"),
        )

    # -- errors on the server side ----------------------------------------------------------
    def _on_server_error(self, err: BaseException) -> None:
        if not self._released:
            self._tls_client_error(err)

    def _tls_client_error(self, err: BaseException) -> None:
        if self._error_emitted:
            return
        self._error_emitted = True
        server = self._tls_server
        if server is not None:
            server.emit("tlsClientError", err, self)

    def _before_close(self, error: BaseException | None) -> None:
        if self._hs_timer is not None:
            self._hs_timer.cancel()
            self._hs_timer = None
        _hooks.unwatch(self)
        if self._offered:
            self._drop_offered_session()
        if self._is_server and error is None and not self._released:
            self._tls_client_error(errors.conn_reset("socket hang up"))

    # -- sessions ---------------------------------------------------------------------------
    def _note_session(self) -> None:
        """Emit ``'session'`` for a session not seen yet (the polling fallback)."""
        if self._is_server or not self.listener_count("session") or self._obj is None:
            return
        session = self._obj.session
        if session is None or (self._obj.version() == "TLSv1.3" and not session.has_ticket):
            return
        if session.id == self._last_session_id:
            return
        self._last_session_id = session.id
        self._session_polls = min(self._session_polls, 1)
        self.emit("session", self._wrap_session(session))

    def _emit_new_sessions(self, count: int) -> None:
        """``count`` sessions arrived in the last step (the libssl callback path)."""
        if self._obj is None or not self.listener_count("session"):
            return
        session = self._obj.session
        if session is None:
            return
        wrapped = self._wrap_session(session)
        for _ in range(count):
            self.emit("session", wrapped)

    def _emit_server_sessions(self, stored: list[tuple[bytes, bytes]]) -> None:
        """Node's server ``'newSession'`` (id, DER, callback): until every callback is
        called, the handshake's remaining output is held, as in Node."""
        server = self._tls_server
        if server is None:
            return
        for session_id, der in stored:
            self._out_held += 1
            done = self._new_session_done()
            if not server.emit("newSession", session_id, der, done):
                done()

    def _new_session_done(self) -> Callable[[], None]:
        """One ``'newSession'`` callback: only its first call counts."""
        called = False

        def done() -> None:
            nonlocal called
            if called:
                return
            called = True
            self._out_held -= 1
            if self._out_held or self.destroyed:
                return
            pending, self._secure_pending = self._secure_pending, None
            if pending is not None:
                self._finish_init(pending)
            else:
                self._flush_out()

        return done

    def _wrap_session(self, session: ssl.SSLSession) -> TLSSession:
        return TLSSession(session, self._ctx, self._peer_chain(), self._secure_ctx)

    def get_session(self) -> TLSSession | None:
        """Node's ``getSession()``: the session to resume with (a :class:`TLSSession`)."""
        if self._obj is None or not self._secure:
            return None
        session = self._obj.session
        return self._wrap_session(session) if session is not None else None

    # -- keylog -----------------------------------------------------------------------------
    def _add(self, event: str, listener: Callable[..., Any], prepend: bool) -> None:
        super()._add(event, listener, prepend)
        if event == "keylog":
            _hooks.want_keylog(self)
        elif event == "session" and not self._is_server:
            _hooks.want_sessions(self)

    def _emit_keylog(self, line: bytes) -> None:
        self.emit("keylog", line)
        server = self._keylog_server
        if server is not None:
            server.emit("keylog", line, self)
