"""The record layer of one TLS connection: an ``ssl.SSLObject`` between two memory BIOs.

Theory of operation
-------------------
A :class:`TLSEngine` sits between a transport and its :class:`~nodehttps.tls.TLSSocket`,
as Node's TLSWrap sits between the TCP handle and the JavaScript socket, and as
asyncio's own ``SSLProtocol`` does. It is both of ``net``'s interfaces at once:

* to the transport below it is the :class:`~nodehttps.net._transport.TransportUser`
  (asyncio calls ``data_received`` on it with ciphertext);
* to the socket above it is the :class:`~nodehttps.net._transport.Transport` (the
  socket's ``write`` lands in :meth:`write`, which encrypts into the transport below).

It drives the socket only through :class:`EngineOwner`: plaintext records through
``data_received``, the peer's ``close_notify`` (or a FIN after the handshake) through
``eof_received``, and the handshake's outcome through the ``_tls_*`` methods.

States (:class:`TLSState`), and the only moves between them::

    NEW --(client: attached / server: first bytes)--> HANDSHAKING
    NEW --(server with an async SNICallback or 'resumeSession')--> HELLO
    HELLO --(the ClientHello is whole: the server is asked)--> ASKING
    HELLO or ASKING --(answered, or not TLS at all; held bytes replayed)--> HANDSHAKING
    HANDSHAKING --(do_handshake() returned)--> HELD   (the socket verifies, and waits
                                                       for 'newSession' callbacks)
    HELD --(the socket released it)--> SECURE --(our close_notify)--> CLOSING
    any --(abort, or the transport is lost)--> CLOSED

:attr:`TLSEngine.reached` keeps the last state before ``CLOSED``, so the socket can
still tell after the end whether the handshake had finished or been released.

Output is written once per step, after it: the handshake's flights, alerts, tickets and
records leave in one ``transport.write``. The socket may hold that output
(:meth:`hold_output`) while the server's ``'newSession'`` callbacks are pending, as Node
does; records are read in the meantime.

A big write is encrypted as the transport drains, not all at once: plaintext past
``WRITE_SLICE`` waits in ``_clear`` (views of the caller's bytes, no copy) and is
encrypted a slice at a time while the transport below is under its high-water mark.
So a slow reader costs about one slice of ciphertext, not a copy of everything written
(``get_write_buffer_size`` counts the waiting plaintext, so the socket's back-pressure
still sees it). ``close_notify`` and the FIN wait for the plaintext before them.

Re-entrancy
-----------
The engine calls into OpenSSL (``do_handshake``, ``read``, ``write``, ``unwrap``) and,
between those calls, into the socket. What runs *inside* an OpenSSL call is only
OpenSSL's callbacks: keylog lines, new sessions, the session lookup, server name and
ALPN selection (``_reports.py``, ``_policy.py``). Those never touch an engine: they
queue what they learn, or answer from data already at hand (the ALPN callback runs the
user's ``ALPNCallback``, which is given names, never a socket). Everything the user
sees runs *between* OpenSSL calls, with no OpenSSL call on the stack:

* ``data_received`` on the socket pushes each record to its listeners while the read
  loop is between two ``read()`` calls. A listener may write (the engine encrypts at
  once: :meth:`write` is safe there), end (``close_notify`` goes out; reading goes on,
  as TLS allows a half-closed read side), pause (the transport stops; records already
  decrypted are buffered by the socket) or destroy (the loop sees ``CLOSED`` and stops).
* ``_tls_handshake_done`` runs after ``do_handshake()`` returned: verification, the
  identity check, ``'secureConnect'``/``'secureConnection'``, the queued writes. Input
  that came with the last handshake flight is read afterwards (:meth:`read_pending`),
  so those listeners are in place first.
* OpenSSL's reports (keylog lines, sessions) are dispatched after each step by the
  socket (``_tls_step_done``), never from inside OpenSSL.
"""

from __future__ import annotations

import enum
import ssl
from collections import deque
from typing import Any, Protocol

from .. import _loop
from ..net._transport import Transport, TransportUser
from ._libssl import record_layer
from ._sslerrors import from_ssl_error

__all__ = ["HELLO", "READ_SIZE", "EngineOwner", "TLSEngine", "TLSState"]

READ_SIZE = 16384  # SSL_read returns at most one record: 2**14 bytes of plaintext
WRITE_SLICE = 65536  # plaintext encrypted per step of a big write (four records)


class TLSState(enum.Enum):
    """Where a :class:`TLSEngine` is in its connection's life (see the module)."""

    NEW = "new"  #: no SSLObject yet
    HELLO = "hello"  #: server: the ClientHello's bytes are held until it is whole
    ASKING = "asking"  #: server: ... and then until its server answered
    HANDSHAKING = "handshaking"  #: do_handshake() steps
    HELD = "held"  #: handshake done, not released yet (verification, 'newSession')
    SECURE = "secure"  #: records flow both ways
    CLOSING = "closing"  #: our close_notify is out; records still flow in
    CLOSED = "closed"  #: aborted, or the transport is gone


NEW = TLSState.NEW
HELLO = TLSState.HELLO
ASKING = TLSState.ASKING
HANDSHAKING = TLSState.HANDSHAKING
HELD = TLSState.HELD
SECURE = TLSState.SECURE
CLOSING = TLSState.CLOSING
CLOSED = TLSState.CLOSED
_FINISHED = frozenset((HELD, SECURE, CLOSING))


class EngineOwner(TransportUser, Protocol):
    """What a :class:`TLSEngine` drives above it: a TransportUser (plaintext, the end,
    the loss), and the handshake's outcome. ``tls.TLSSocket`` is the one owner."""

    destroyed: bool

    def destroy(self, error: BaseException | None = None) -> Any:
        """Abort with ``error`` (a record the engine could not read or write)."""

    def _tls_preface(self, data: bytes) -> None:
        """Server: bytes before the engine has an SSLObject (``NEW``, ``HELLO``,
        ``ASKING``): the owner starts the engine with them, or collects them."""

    def _tls_handshake_done(self) -> None:
        """``do_handshake()`` returned (state ``HELD``): verify, then release."""

    def _tls_handshake_failed(self, exc: ssl.SSLError) -> None:
        """``do_handshake()`` raised: report it (output not flushed yet)."""

    def _tls_step_done(self) -> None:
        """A step ended while :attr:`TLSEngine.report_steps` is set."""


class _Records(Protocol):
    """The calls made per record: ``ssl.SSLObject``'s, or its C object's."""

    def read(self, size: int, /) -> bytes: ...

    def write(self, data: bytes | memoryview, /) -> int: ...

    def pending(self) -> int: ...


class TLSEngine:
    """One connection's TLS records: :class:`TransportUser` of the transport below,
    :class:`Transport` of the :class:`EngineOwner` above."""

    __slots__ = (
        "_clear",
        "_clear_size",
        "_in",
        "_lower",
        "_lower_full",
        "_obj",
        "_out",
        "_out_held",
        "_owner",
        "_records",
        "_then",
        "reached",
        "report_steps",
        "state",
    )

    def __init__(self, owner: EngineOwner) -> None:
        self._owner = owner
        self._lower: Transport | None = None
        self._obj: ssl.SSLObject | None = None
        self._records: _Records | None = None
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self._out_held = 0
        self._clear: deque[memoryview] = deque()  # plaintext waiting for the transport
        self._clear_size = 0
        self._lower_full = False  # the transport below is above its high-water mark
        self._then = ""  # what waits for the plaintext: "eof" or "close"
        self.state = NEW
        self.reached = NEW  #: the last state before CLOSED
        #: the owner wants ``_tls_step_done`` after read steps (keylog, session polling)
        self.report_steps = False

    # -- setup ------------------------------------------------------------------------------
    def new_ssl_object(
        self,
        ctx: ssl.SSLContext,
        server_side: bool,
        server_hostname: str | None,
        session: ssl.SSLSession | None,
    ) -> ssl.SSLObject:
        """The connection's ``SSLObject`` on ``ctx`` (``ValueError`` for a session of
        another context, as ``wrap_bio`` raises it); :meth:`start` it to use it."""
        return ctx.wrap_bio(
            self._in,
            self._out,
            server_side=server_side,
            server_hostname=server_hostname,
            session=session,
        )

    def start(self, obj: ssl.SSLObject, held: bytes = b"") -> None:
        """Handshake with ``obj`` from now on: a client says hello at once; ``held`` is
        a server's ClientHello bytes kept while the server answered."""
        self._obj = obj
        self._records = record_layer(obj)
        self._to(HANDSHAKING)
        if held:
            self._in.write(held)
        if held or not obj.server_side:
            self._handshake()

    def collect_hello(self) -> None:
        """Server: keep the ClientHello's bytes out of OpenSSL until :meth:`start`; the
        owner collects them (``HELLO``)."""
        self._to(HELLO)

    def await_answer(self) -> None:
        """Server: the ClientHello is whole and its server was asked (``ASKING``)."""
        self._to(ASKING)

    def release(self) -> None:
        """The owner verified the handshake and released it: records flow (``SECURE``)."""
        if self.state is HELD:
            self._to(SECURE)

    def _to(self, state: TLSState) -> None:
        self.state = self.reached = state

    @property
    def handshake_finished(self) -> bool:
        """``do_handshake()`` succeeded (also true after the end)."""
        return self.reached in _FINISHED

    @property
    def released(self) -> bool:
        """The socket released the engine after the handshake (also true after the end)."""
        return self.reached is SECURE or self.reached is CLOSING

    # -- TransportUser: the transport below ----------------------------------------------------
    def connection_made(self, transport: Any) -> None:
        """The transport below is connected: the owner attaches to this engine."""
        self._lower = transport
        self._owner.connection_made(self)

    def data_received(self, data: bytes) -> None:
        """Ciphertext: one engine step (read records, or a handshake step)."""
        try:
            state = self.state
            if state is SECURE or state is CLOSING or state is HELD:
                self._in.write(data)
                self._read()
            elif state is HANDSHAKING:
                self._in.write(data)
                self._handshake()
            elif state is not CLOSED:
                self._owner._tls_preface(data)  # NEW, HELLO, ASKING: the server decides
        except Exception as exc:
            _loop.report_uncaught(exc)

    def eof_received(self) -> bool:
        """The transport's FIN: the owner decides what it means in this state."""
        self._owner.eof_received()
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        """The transport is gone."""
        self.state = CLOSED
        self._owner.connection_lost(exc)

    def pause_writing(self) -> None:
        """The transport below is full."""
        self._lower_full = True
        self._owner.pause_writing()

    def resume_writing(self) -> None:
        """The transport below drained: encrypt what waits, then tell the socket."""
        self._lower_full = False
        if self._clear:
            self._pump()
        if not self._lower_full and not self._clear:
            self._owner.resume_writing()

    # -- steps -----------------------------------------------------------------------------------
    def _handshake(self) -> None:
        obj = self._obj
        assert obj is not None
        try:
            obj.do_handshake()
        except ssl.SSLWantReadError:
            self.flush()
            self._owner._tls_step_done()
            return
        except ssl.SSLError as exc:
            self._owner._tls_handshake_failed(exc)
            return
        self._to(HELD)
        self._owner._tls_handshake_done()

    def _read(self) -> None:
        obj = self._records
        assert obj is not None
        owner = self._owner
        incoming = self._in
        try:
            while True:
                chunk = obj.read(READ_SIZE)
                if not chunk:  # the peer's close_notify
                    owner.eof_received()
                    break
                owner.data_received(chunk)
                if self.state is CLOSED:
                    return
                if not incoming.pending and not obj.pending():
                    break  # nothing left: spare the SSLWantReadError a read would raise
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLZeroReturnError:  # close_notify after ours: Python raises, not b''
            owner.eof_received()
        except ssl.SSLError as exc:
            self.flush()  # the alert OpenSSL wrote, if any
            if not owner.destroyed:
                owner.destroy(from_ssl_error(exc))
            return
        if self._out.pending:
            self.flush()  # e.g. a TLS 1.3 KeyUpdate answer
        if self.report_steps:
            owner._tls_step_done()

    def read_pending(self) -> None:
        """Read the records that came in with the last handshake flight, if any."""
        if self._in.pending and self.state is not CLOSED:
            self._read()

    def flush(self) -> None:
        """Write what OpenSSL produced to the transport (unless held, or closed)."""
        out = self._out
        if out.pending and not self._out_held and self.state is not CLOSED:
            lower = self._lower
            if lower is not None:
                lower.write(out.read())

    def hold_output(self) -> None:
        """Keep output back until as many :meth:`release_output` calls (Node's
        ``'newSession'`` callbacks)."""
        self._out_held += 1

    def release_output(self) -> bool:
        """One hold less; True when none is left (the output was flushed)."""
        self._out_held -= 1
        if self._out_held:
            return False
        self.flush()
        return True

    @property
    def output_held(self) -> bool:
        """Whether output waits for :meth:`release_output`."""
        return bool(self._out_held)

    # -- Transport: what the socket above drives -------------------------------------------------
    def write(self, data: bytes) -> None:
        """Encrypt ``data`` into records and send them (the socket writes only once it
        released the engine, so the state is ``SECURE`` here); a big write in slices,
        as the transport drains."""
        if self._clear or len(data) > WRITE_SLICE:
            self._clear.append(memoryview(data))
            self._clear_size += len(data)
            self._pump()
            return
        self._encrypt(data)

    def _encrypt(self, data: bytes | memoryview) -> None:
        obj = self._records
        assert obj is not None
        try:
            obj.write(data)
        except ssl.SSLError as exc:
            self.flush()
            owner = self._owner
            if not owner.destroyed:
                owner.destroy(from_ssl_error(exc, as_write=True))
            return
        # flush(), inline on the hot path: the records just made are pending
        lower = self._lower
        if lower is not None and not self._out_held and self.state is not CLOSED:
            lower.write(self._out.read())

    def _pump(self) -> None:
        """Encrypt waiting plaintext while the transport below has room."""
        clear = self._clear
        while clear and not self._lower_full and self.state is not CLOSED:
            view = clear[0]
            piece = view[:WRITE_SLICE]
            if len(view) > WRITE_SLICE:
                clear[0] = view[WRITE_SLICE:]
            else:
                clear.popleft()
            self._clear_size -= len(piece)
            self._encrypt(piece)
        if not clear and self._then:
            then, self._then = self._then, ""
            self.write_eof() if then == "eof" else self.close()

    def write_eof(self) -> None:
        """``close_notify``, then the transport's FIN (after the waiting plaintext)."""
        if self._clear:
            self._then = "eof"
            return
        self._close_notify()
        lower = self._lower
        if lower is not None and self.state is not CLOSED:
            lower.write_eof()

    def can_write_eof(self) -> bool:
        lower = self._lower
        return lower is not None and lower.can_write_eof()

    def close(self) -> None:
        """``close_notify`` (unless sent), then close the transport once flushed (after
        the waiting plaintext)."""
        if self._clear and self.state is not CLOSED:
            self._then = "close"
            return
        self._close_notify()
        lower = self._lower
        if lower is not None:
            lower.close()

    def abort(self) -> None:
        """Close the transport at once, no ``close_notify`` (Node's ``destroy()``)."""
        self.state = CLOSED
        self._clear.clear()
        self._clear_size = 0
        lower = self._lower
        if lower is not None:
            lower.abort()

    def _close_notify(self) -> None:
        if self.state is not SECURE:
            return
        self._to(CLOSING)
        obj = self._obj
        assert obj is not None
        try:
            obj.unwrap()
        except ssl.SSLWantReadError:
            pass  # ours is out, the peer's is not in yet: the normal half-close
        except ssl.SSLError as exc:  # records that came in were bad: report them
            self.flush()
            if not self._owner.destroyed:
                self._owner.destroy(from_ssl_error(exc))
            return
        self.flush()

    def is_closing(self) -> bool:
        lower = self._lower
        return self.state is CLOSED or lower is None or lower.is_closing()

    def pause_reading(self) -> None:
        lower = self._lower
        if lower is not None:
            lower.pause_reading()

    def resume_reading(self) -> None:
        lower = self._lower
        if lower is not None:
            lower.resume_reading()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        lower = self._lower
        if lower is not None:
            lower.set_write_buffer_limits(high, low)

    def get_write_buffer_size(self) -> int:
        lower = self._lower
        return self._clear_size + (0 if lower is None else lower.get_write_buffer_size())

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        lower = self._lower
        return default if lower is None else lower.get_extra_info(name, default)
