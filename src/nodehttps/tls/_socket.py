"""Node's ``tls.TLSSocket``: a ``net.Socket`` whose transport is a TLS engine.

Theory of operation
-------------------
A :class:`TLSSocket` is a ``net.Socket`` like any other, except for what carries its
bytes: its transport is its :class:`~nodehttps.tls._engine.TLSEngine`, and the engine's
transport is the TCP connection (or, for TLS over an existing socket, ``_wrap.py``).
So a chunk from the network goes ``transport -> engine -> socket``, once through each,
and a ``write()`` goes ``socket -> engine -> transport``. The socket drives the engine
through ``net``'s ``Transport`` interface and hears from it through ``TransportUser``
and :class:`~nodehttps.tls._engine.EngineOwner`; the engine's state
(:class:`~nodehttps.tls._engine.TLSState`) is the connection's.

* Attached (``connection_made``): a client makes its ``SSLObject`` and sends its
  ClientHello; a server arms its handshake deadline and makes its ``SSLObject`` on the
  first bytes, after holding them while its server answers (``'resumeSession'``, an
  asynchronous ``SNICallback``: ``_policy.py``, ``_hello.py``).
* Handshake done (``_tls_handshake_done``): a client checks, in Node's order, the
  chain's verify result (read from OpenSSL even under ``CERT_NONE``, so ``authorized``
  and ``authorization_error`` are true answers when ``reject_unauthorized`` is off),
  then ``check_server_identity`` unless the session was resumed; a server that asked
  for a client certificate checks its verify result. Then the socket *releases* the
  engine: writes made during the handshake go out (``net``'s write queue), then
  ``'secureConnect'``/``'secureConnection'`` and ``'secure'``.
* ``end()``: ``close_notify``, then FIN. The peer's ``close_notify``, or a FIN after the
  handshake (a "ragged EOF"), ends the readable side, as in Node; before the handshake
  it is Node's ``ECONNRESET`` (a client) or ``'tlsClientError'`` (a server).

Every ``ssl.SSLError`` becomes Node's error (``_sslerrors.py``, ``_verify.py``; the
original is its ``__cause__``). Re-entrancy (what runs inside a step, what waits until
after it): see ``_engine.py``.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from typing import Any

from mypy_extensions import mypyc_attr

from .. import _loop, errors, net
from .._options import normalize, validate_string
from ..net._transport import TransportUser
from . import _hooks, _keylogfile, _reports
from ._engine import HELLO, TLSEngine
from ._hello import ClientHello, parse_client_hello
from ._info import TLSInfo
from ._policy import HelloAnswer, forget_servername, listen_servername, policy_for
from ._reports import Watch
from ._session import TLSSession
from ._verify import chain_error, disconnected, handshake_error, identity_error
from ._wrap import SocketTransport

__all__ = ["TLSSocket"]

HANDSHAKE_TIMEOUT_MS = 120000
_SESSION_POLLS = 4  # without the new-session callback: reads to look for a ticket


@mypyc_attr(allow_interpreted_subclasses=True)
class TLSSocket(net.Socket, TLSInfo):
    """Node's ``tls.TLSSocket``: TLS client or server over TCP or over another socket.

    ``TLSSocket(socket=None, options)``: ``options`` as Node's (``is_server``,
    ``server``, ``secure_context``, ``request_cert``, ``reject_unauthorized``,
    ``session``, ``servername``, and ``create_secure_context`` options when no
    ``secure_context`` is given). Usually made by ``tls.connect`` or ``tls.Server``.
    """

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
        self._policy = policy_for(opts)
        self._reject = opts.get("reject_unauthorized") is not False
        self._request_cert = bool(opts.get("request_cert"))
        self._check_identity: Callable[..., Any] | None = opts.get("check_server_identity")
        self._connect_opts: dict[str, Any] = opts.get("connect_options") or opts
        self._session_offer: TLSSession | bytes | None = None
        self._sni_name: str | None = opts.get("servername") or None
        self._engine = TLSEngine(self)
        self._obj: ssl.SSLObject | None = None
        self._hello: bytearray | None = None  # server: the ClientHello, held (HELLO, ASKING)
        self._hs_timer: asyncio.TimerHandle | None = None
        self._client_error_reported = False
        self._chain: tuple[bytes, ...] | None = None
        self._peer_cert: dict[Any, Any] = {}
        self._watch: Watch | None = None
        self._session_polls = 0
        self._last_session_id: bytes | None = None
        self._keylog_relay = False  # the server listens to 'keylog' too
        # A server's sessions to report after 'secure', while 'newSession' callbacks wait
        self._late_sessions: list[tuple[bytes, bytes]] | None = None
        self._alpn_error: BaseException | None = None
        secure_context = opts.get("secure_context")
        if secure_context is None:
            secure_context = _hooks.create_secure_context(opts, is_server=self._is_server)
        self._set_secure_context(secure_context)
        session = opts.get("session")
        if session is not None:
            self.set_session(session)
        if self._is_server:
            self._server_setup()
        if socket is not None:
            self._wrap(socket)

    # -- setup ----------------------------------------------------------------------------
    def _server_setup(self) -> None:
        self.on("error", self._on_server_error)
        policy = self._policy
        if policy is None:
            return
        if policy.relays_keylog():
            self._keylog_relay = True
            self._want_keylog()
        if policy.stores_sessions() and _reports.AVAILABLE:
            self._ensure_watch().store = True
        if policy.has_alpn_callback():
            self._ensure_watch().choose_alpn = self._select_alpn

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
        if lower.connecting or lower.pending:  # not connected yet
            self.connecting = True
            self._do_ref()
            lower.once("connect", lambda *_: self._attach_lower(lower))
            lower.once("close", lambda *_: self._lower_closed_early())
        else:
            self._loop.call_soon(self._attach_lower, lower)

    def _lower_closed_early(self) -> None:
        if not self.destroyed and self._transport is None:
            self.connection_lost(None)

    def _attach_lower(self, lower: net.Socket) -> None:
        if self.destroyed:
            return
        if lower.destroyed:
            self.connection_lost(None)
            return
        engine = self._engine
        engine.connection_made(SocketTransport(lower, engine))

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

    # -- TransportUser: what the engine reports --------------------------------------------
    def _transport_user(self) -> TransportUser:
        return self._engine  # the transport drives the engine, which drives this socket

    def connection_made(self, transport: Any) -> None:
        """The engine's transport is connected: attach, then the handshake starts."""
        try:
            self._attach(transport)
            self._accepted()
            if self.destroyed:
                return
            if not self._is_server:
                self._start_engine(self._ctx)
                return
            policy = self._policy
            timeout = policy.handshake_timeout if policy is not None else HANDSHAKE_TIMEOUT_MS
            if timeout and timeout > 0:
                self._hs_timer = self._loop.call_later(timeout / 1000, self._on_handshake_timeout)
        except Exception as exc:
            _loop.report_uncaught(exc, self._loop)

    def eof_received(self) -> bool:
        """The peer ended: a normal end once the handshake is done, else a failure."""
        if self._engine.handshake_finished:
            return super().eof_received()  # with or without close_notify, as Node
        if not self.destroyed:
            self._abort_early(None if self._is_server else disconnected(self._connect_opts))
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        """The transport is gone; a client whose handshake was not done fails with
        Node's ``ECONNRESET`` (or the error of the socket it ran over)."""
        if self._engine.handshake_finished or self._is_server:
            super().connection_lost(exc)
        elif not self.destroyed:
            lower_error = exc if isinstance(exc, errors.NodeError) else None
            self._abort_early(lower_error or disconnected(self._connect_opts))

    def _abort_early(self, err: BaseException | None) -> None:
        try:
            self.destroy(err)
        except Exception as exc:  # from a transport callback: asyncio would log it
            _loop.report_uncaught(exc, self._loop)

    # -- the handshake ----------------------------------------------------------------------
    def _start_engine(self, ctx: ssl.SSLContext, held: bytes = b"") -> None:
        """Make the connection's ``SSLObject`` on ``ctx`` and start the handshake."""
        engine = self._engine
        offer = self._session_offer
        session = offer.session if isinstance(offer, TLSSession) and offer.context is ctx else None
        obj = engine.new_ssl_object(ctx, self._is_server, self._sni_name, None)
        if session is not None and not _hooks.share_session(obj, session):
            try:  # no bridge, or a used TLS 1.3 session: Python's own copy (its bytes)
                obj = engine.new_ssl_object(ctx, self._is_server, self._sni_name, session)
            except ValueError:  # a raw ssl.SSLSession of another context: offer its bytes
                session = None
        if offer is not None and session is None:
            # Python resumes only through the session's own context; OpenSSL takes the
            # serialized session on any (ignored if it does not parse, as in Node).
            der = offer.der if isinstance(offer, TLSSession) else offer
            if der:
                _hooks.offer_session_der(obj, der)
        self._obj = obj
        if self._is_server:
            listen_servername(obj, self._on_servername)
        self._watch_context(ctx)
        w = self._watch
        if w is not None and w.offered_session:
            _reports.serve_offered_sessions(ctx)
        engine.start(obj, held)

    def _tls_preface(self, data: bytes) -> None:
        """Server bytes before the engine has an ``SSLObject``: start it, or hold the
        ClientHello until the server answered."""
        policy = self._policy
        if policy is None or not policy.holds_hello():
            self._start_engine(self._ctx, data)
            return
        if policy.resumes_by_id():
            self._ensure_watch()  # OpenSSL will ask this connection for the session
        engine = self._engine
        if self._hello is None:
            self._hello = bytearray()
            engine.collect_hello()
        self._hello += data
        if engine.state is not HELLO:
            return  # ASKING: the server's answer is pending
        hello = parse_client_hello(bytes(self._hello))
        if hello is None:
            return  # not whole yet
        if not isinstance(hello, ClientHello):  # not TLS: OpenSSL says why
            self._hello_answered(None, HelloAnswer(None, None))
            return
        engine.await_answer()
        if hello.servername:  # the name OpenSSL will report too, known while asking
            self._sni_name = hello.servername
        policy.answer_hello(hello, self._hello_answered, lambda: not self.destroyed)

    def _hello_answered(self, err: BaseException | None, answer: HelloAnswer | None) -> None:
        """The server answered the held ClientHello: start the engine, replay the bytes."""
        if self.destroyed:
            return
        if err is not None or answer is None:
            self.destroy(err)
            return
        if answer.session:
            self._offer_session(answer.session)
        if answer.secure_context is not None:
            self._set_secure_context(answer.secure_context)
        held, self._hello = bytes(self._hello or b""), None
        self._start_engine(self._ctx, held)

    def _on_servername(self, name: str) -> None:
        """OpenSSL saw the client's server name: note it; switch to the server's
        ``add_context`` context for it, if any."""
        self._sni_name = name
        policy = self._policy
        obj = self._obj
        if policy is None or obj is None:
            return
        chosen = policy.context_for(name)
        if chosen is not None:
            obj.context = chosen.context
            self._set_secure_context(chosen)
            self._watch_context(chosen.context)

    def _offer_session(self, der: bytes) -> None:
        """A ``'resumeSession'`` listener found this session for the offered id."""
        self._drop_offered_session()
        self._ensure_watch().offered_session = _hooks.parse_session(der)

    def _drop_offered_session(self) -> None:
        w = self._watch
        if w is not None:
            offered = w.take_offered_session()
            if offered:
                _hooks.free_session(offered)

    def _select_alpn(self, offered: bytes) -> int | None:
        """The server's ``ALPNCallback`` choice for ``offered`` (wire format); None when
        refused, or failed (the error is kept for the handshake to report, no alert)."""
        policy = self._policy
        if policy is None:
            return -1
        try:
            return policy.choose_alpn(self._sni_name or False, offered)
        except Exception as exc:
            self._alpn_error = exc
            return None

    def _tls_handshake_failed(self, exc: ssl.SSLError) -> None:
        obj = self._obj
        if obj is not None and self._is_server:
            forget_servername(obj)
        if self._alpn_error is not None:  # as Node: the connection just ends, no alert
            self._fail_handshake(self._alpn_error)
            return
        self._engine.flush()  # the alert
        self._tls_step_done()
        as_write = bool(self._queue) and not self._is_server  # a write waited: EPROTO
        self._fail_handshake(handshake_error(exc, obj, as_write))

    def _fail_handshake(self, err: BaseException) -> None:
        if not self.destroyed:
            self.destroy(err)

    def _tls_handshake_done(self) -> None:
        obj = self._obj
        assert obj is not None
        if self._is_server:
            forget_servername(obj)
        self._drop_offered_session()
        if self._hs_timer is not None:
            self._hs_timer.cancel()
            self._hs_timer = None
        # Node reports a TLS 1.3 server's new sessions (its tickets) after
        # 'secureConnection'; TLS 1.2's come first, and 'secure' waits for their callbacks.
        late = None
        w = self._watch
        if w is not None and self._is_server and obj.version() == "TLSv1.3":
            late = w.take_server_sessions() or None
        self._tls_step_done()  # keylog lines (and a TLS 1.2 session) come first, as in Node
        if self.destroyed:
            return
        if self._engine.output_held:
            self._late_sessions = late or []
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
            if self._policy is not None:
                self._policy.secure_connection(self)
        else:
            self.emit("secureConnect")
        self.emit("secure")
        if late_sessions:
            self._emit_server_sessions(late_sessions)
        if not self._is_server and not _reports.SESSION_CALLBACK:
            if obj.version() == "TLSv1.3":
                self._session_polls = _SESSION_POLLS  # its tickets come after the handshake
                self._engine.report_steps = True
            else:
                self._note_session()
        if not self.destroyed:
            self._engine.read_pending()

    def _client_verified(self) -> bool:
        obj = self._obj
        assert obj is not None
        err = chain_error(obj)
        if err is None and not self.is_session_reused():  # then there is a certificate
            opts = self._connect_opts
            host = opts.get("servername") or opts.get("host") or "localhost"
            err = identity_error(host, obj, self._check_identity, self.get_peer_certificate)
        if err is not None:
            self.authorized = False
            self.authorization_error = getattr(err, "code", None) or str(err)
            if self._reject:
                self._engine.flush()
                self.destroy(err)
                return False
        else:
            self.authorized = True
        return True

    def _server_verified(self) -> bool:
        if not self._request_cert:
            return True
        assert self._obj is not None
        err = chain_error(self._obj)
        if err is not None:
            self.authorization_error = getattr(err, "code", None) or str(err)
            if self._reject:
                self._engine.flush()
                self.destroy()
                return False
        else:
            self.authorized = True
        return True

    def _release(self) -> None:
        """Node's ``_releaseControl``: records flow; the writes made during the handshake
        go out (with the handshake's last flight), then an ``end()`` made meanwhile."""
        engine = self._engine
        engine.release()
        self._release_writes()
        engine.flush()

    def _on_handshake_timeout(self) -> None:
        self._hs_timer = None
        if self._engine.handshake_finished or self.destroyed:
            return
        self._tls_client_error(errors.ERR_TLS_HANDSHAKE_TIMEOUT())
        policy = self._policy
        if policy is None or not policy.client_errors_heard():
            self.destroy()

    # -- after each step ---------------------------------------------------------------------
    def _tls_step_done(self) -> None:
        """Dispatch what OpenSSL reported during the last engine step (keylog lines,
        sessions); look for a client's session where OpenSSL cannot report it."""
        w = self._watch
        if w is not None:
            obj = self._obj
            if not _reports.AVAILABLE and obj is not None and _keylogfile.has_file(obj.context):
                lines = _keylogfile.drain(obj.context)
                if w.keylog:
                    w.lines.extend(lines)
            if w.lines:
                for line in w.take_lines():
                    self._emit_keylog(line)
            if w.new_sessions:
                self._emit_new_sessions(w.take_new_sessions())
            if w.server_sessions:
                self._emit_server_sessions(w.take_server_sessions())
        if self._session_polls and not _reports.SESSION_CALLBACK:
            self._session_polls -= 1
            self._note_session()

    def _ensure_watch(self) -> Watch:
        w = self._watch
        if w is None:
            w = self._watch = Watch()
            self._engine.report_steps = True
            if self._obj is not None:
                w.attach(self._obj)
        return w

    def _watch_context(self, ctx: ssl.SSLContext) -> None:
        """Route OpenSSL's reports for this connection (on ``ctx``) to its watch."""
        obj = self._obj
        w = self._watch
        if obj is None:
            return
        if w is None:
            if _reports.AVAILABLE or not _keylogfile.has_file(ctx):
                return
            w = self._ensure_watch()  # drains the context's key-log file after its steps
        w.attach(obj)
        _reports.install(ctx, w)

    def _want_keylog(self) -> None:
        self._ensure_watch().keylog = True
        if self._obj is not None:
            self._watch_context(self._obj.context)

    def _want_sessions(self) -> None:
        if _reports.SESSION_CALLBACK:
            self._ensure_watch().sessions = True
            if self._obj is not None:
                self._watch_context(self._obj.context)

    # -- errors on the server side ----------------------------------------------------------
    def _on_server_error(self, err: BaseException) -> None:
        if not self._engine.released:
            self._tls_client_error(err)

    def _tls_client_error(self, err: BaseException) -> None:
        if self._client_error_reported:
            return
        self._client_error_reported = True
        if self._policy is not None:
            self._policy.client_error(err, self)

    def _before_close(self, error: BaseException | None) -> None:
        if self._hs_timer is not None:
            self._hs_timer.cancel()
            self._hs_timer = None
        if self._watch is not None:
            self._watch.detach()
        self._drop_offered_session()
        if self._is_server:
            if self._obj is not None:
                forget_servername(self._obj)
            if error is None and not self._engine.released:
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
        policy = self._policy
        if policy is None:
            return
        for session_id, der in stored:
            self._engine.hold_output()
            done = self._new_session_done()
            if not policy.new_session(session_id, der, done):
                done()

    def _new_session_done(self) -> Callable[[], None]:
        """One ``'newSession'`` callback: only its first call counts."""
        called = False

        def done() -> None:
            nonlocal called
            if called:
                return
            called = True
            if not self._engine.release_output() or self.destroyed:
                return
            pending, self._late_sessions = self._late_sessions, None
            if pending is not None:
                self._finish_init(pending)

        return done

    # -- keylog -----------------------------------------------------------------------------
    def _add(self, event: str, listener: Callable[..., Any], prepend: bool) -> None:
        super()._add(event, listener, prepend)
        if event == "keylog":
            self._want_keylog()
        elif event == "session" and not self._is_server:
            self._want_sessions()

    def _emit_keylog(self, line: bytes) -> None:
        self.emit("keylog", line)
        if self._keylog_relay and self._policy is not None:
            self._policy.keylog(line, self)
