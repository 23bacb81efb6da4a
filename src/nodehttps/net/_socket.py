"""Node's ``net.Socket``: a duplex TCP stream with Node's events, over a transport.

Theory of operation
-------------------
A :class:`Socket` is the asyncio protocol of its transport (the :class:`TransportUser`
of ``_transport.py``): the loop calls ``data_received`` on the socket itself, which
pushes the bytes to its readable side, so TCP costs one Python call per chunk. Each of
those callbacks turns an exception escaping a listener into Node's uncaught exception
(asyncio would otherwise log it and close the transport). Below, the socket drives its
:class:`Transport` (an asyncio transport, or a TLS engine encrypting into one).

Writes wait in a queue until the socket *releases* them: a TCP socket at once when
its transport is attached, a TLS socket when its handshake is done (``_release_writes``).
The queued bytes go out in one write, then an ``end()`` made meanwhile is carried out.

A layer over the socket (``tls.TLSSocket``) is a subclass that gives the transport
another :class:`TransportUser` (``_transport_user``: its engine), attaches
(``_attach``, ``_accepted``) and releases the writes (``_release_writes``) at its own
moments, and adds to the end (``_before_close``); the byte path itself is not overridden.

Lifecycle, as Node: ``connect()`` resolves and connects in a task (``_connect.py``);
``'connect'`` and ``'ready'`` follow. The peer's FIN gives ``'end'``; unless
``allow_half_open``, the socket then ends its side too. ``'close'`` is emitted exactly
once, after the transport is gone, with ``had_error``. ``destroy(err)`` aborts at once:
``'error'`` (if ``err``) then ``'close'`` on a later turn.

Each open socket keeps a script-mode loop alive (``_loop.ref``) until it closes or is
``unref()``'d. Idle timeouts (``set_timeout``) are one timer re-armed lazily: activity
only stamps a time, the timer checks the stamp when it fires.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket as _socket
from collections.abc import Callable
from typing import Any, cast

from mypy_extensions import mypyc_attr

from .. import _loop, errors
from .._abort import destroy_on_abort
from .._options import normalize, validate_number
from .._stream import Readable, to_bytes
from . import _connect
from ._address import connect_args, validate_port
from ._refable import Refable
from ._transport import Transport, TransportUser

__all__ = ["WRITE_HIGH_WATER_MARK", "Socket", "connect", "settle"]

WRITE_HIGH_WATER_MARK = 16384  # Node's default writableHighWaterMark for sockets


@mypyc_attr(allow_interpreted_subclasses=True)
class Socket(Readable, Refable):
    """Node's ``net.Socket``: a duplex TCP stream with Node's events and methods."""

    def __init__(self, options: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__()
        opts = normalize(options, kwargs)
        self.allow_half_open: bool = bool(opts.get("allow_half_open", False))
        self._transport: Transport | None = None
        self._sink: Transport | None = None  # the transport, once writes are released
        self._queue: list[bytes] | None = None  # writes made before that
        self._queued = 0
        self.connecting = False
        self.pending = True
        self._write_paused = False
        self._need_drain = False
        self._write_ended = False  # end() called
        self._shutdown_done = False
        self._peer_ended = False
        self._closed = False
        self._timeout_ms: float | None = None  # None until set_timeout(), as Node's
        #: set_timeout() calls so far: an owner that set a timeout can tell, from this,
        #: whether the timeout is still the one it set (not someone else's equal value)
        self.timeout_changes = 0
        self._timer: asyncio.TimerHandle | None = None
        self._timer_due = 0.0
        self._reading_paused = False
        self._last_active = 0.0
        self.bytes_read = 0
        self.bytes_written = 0
        self.remote_address: str | None = None
        self.remote_port: int | None = None
        self.remote_family: str | None = None
        self.writable_high_water_mark = WRITE_HIGH_WATER_MARK
        self.server: Any = None
        # net.Server's accept step, told once the accepted transport is attached
        self._acceptor: Callable[[Socket], None] | None = None
        self._connect_task: asyncio.Task[None] | None = None
        signal = opts.get("signal")
        if signal is not None:
            destroy_on_abort(signal, self)

    # -- connecting -----------------------------------------------------------------------
    def connect(self, *args: Any, **kwargs: Any) -> Socket:
        """Node's ``socket.connect(port[, host][, listener])`` / ``connect(options[, listener])``;
        ``options['path']`` connects to a Unix domain socket instead."""
        return self._start_connect(*connect_args(args, kwargs))

    def _start_connect(self, opts: dict[str, Any], listener: Callable[..., Any] | None) -> Socket:
        """``connect()`` with its arguments already normalised."""
        if listener is not None:
            self.once("connect", listener)
        path = opts.get("path")
        if path:
            self.connecting = True
            self._do_ref()
            self._connect_task = self._loop.create_task(
                _connect.connect_path(self, str(path), self._protocol)
            )
            return self
        port = opts.get("port")
        if port is None:
            raise errors.ERR_MISSING_ARGS(
                'The "options" or "port" or "path" argument must be specified'
            )
        host = opts.get("host") or opts.get("hostname") or "localhost"
        port = validate_port(port)
        self.connecting = True
        self._do_ref()
        local = opts.get("local_address")
        local_port = opts.get("local_port")
        family = opts.get("family") or 0
        self._connect_task = self._loop.create_task(
            _connect.connect_tcp(
                self, str(host), port, local, local_port, int(family), self._protocol
            )
        )
        return self

    def _transport_user(self) -> TransportUser:
        """What a transport made for this socket drives: the socket itself (a TLS socket:
        its engine, which drives the socket in turn)."""
        return self

    def _protocol(self) -> asyncio.BaseProtocol:
        """:meth:`_transport_user` as asyncio's factories type it (asyncio duck-types)."""
        return cast(asyncio.BaseProtocol, self._transport_user())

    # -- TransportUser: what the transport reports --------------------------------------------
    def connection_made(self, transport: Any) -> None:
        """The transport is connected (client) or accepted (server)."""
        try:
            self._attach(transport)
            self._release_writes()
            self._accepted()
        except Exception as exc:
            _loop.report_uncaught(exc, self._loop)

    def data_received(self, data: bytes) -> None:
        """Bytes from the peer: to the readable side."""
        try:
            self.bytes_read += len(data)
            if self._timeout_ms:
                self._active()
            self.push(data)
        except Exception as exc:
            _loop.report_uncaught(exc, self._loop)

    def eof_received(self) -> bool:
        """The peer's FIN (or TLS's ``close_notify``): the readable side ends."""
        try:
            self._peer_ended = True
            self.push_eof()
            if not self._buffer:
                # Node reads 0 bytes here: a FIN with nothing left to read ends the socket
                # even when nobody consumes it (else a never-read socket would never close).
                self._read_drained = True
                self._schedule_flush()
        except Exception as exc:
            _loop.report_uncaught(exc, self._loop)
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        """The transport is gone: ``'close'`` (with Node's error when it failed)."""
        try:
            if self._closed or self.destroyed:
                return  # destroy() has scheduled _emit_close
            self.destroyed = True
            self._clear_timer()
            err: BaseException | None = None
            if exc is not None:
                err = errors.from_oserror(exc, "read")
            else:
                self._peer_ended = True
            self._emit_close(err)
        except Exception as error:
            _loop.report_uncaught(error, self._loop)

    def pause_writing(self) -> None:
        """The transport's buffer is past the high-water mark: ``write()`` says False."""
        self._write_paused = True

    def resume_writing(self) -> None:
        """The transport's buffer drained: ``'drain'`` if a ``write()`` said False."""
        try:
            self._write_paused = False
            if self._need_drain:
                self._need_drain = False
                self.emit("drain")
        except Exception as exc:
            _loop.report_uncaught(exc, self._loop)

    # -- attaching -------------------------------------------------------------------------
    def _attach(self, transport: Transport) -> None:
        """The transport is connected: addresses, ``'connect'``; writes stay queued."""
        if self.destroyed:
            transport.abort()
            return
        self._transport = transport
        transport.set_write_buffer_limits(high=self.writable_high_water_mark)
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and peer:  # a Unix socket's peer name is a path
            self.remote_address, self.remote_port = peer[0], peer[1]
            self.remote_family = "IPv6" if ":" in peer[0] else "IPv4"
        self._do_ref()
        was_connecting = self.connecting
        self.connecting = False
        self.pending = False
        if self._timeout_ms:
            self._touch()
        if self._flowing is False:
            self._pause_source()
        if was_connecting:
            self.emit("connect")
            self.emit("ready")

    def _release_writes(self) -> None:
        """From now on writes go to the transport: the queued ones first (in one write),
        then an ``end()`` made meanwhile; ``'drain'`` if a ``write()`` said False."""
        transport = self._transport
        if transport is None or self.destroyed or self._sink is not None:
            return
        self._sink = transport
        queued, self._queue = self._queue, None
        self._queued = 0
        if queued:
            transport.write(queued[0] if len(queued) == 1 else b"".join(queued))
        if self._write_ended and not self._shutdown_done and not self.destroyed:
            self._shutdown()
        if self._need_drain:
            self._loop.call_soon(self._drain_after_release)

    def _drain_after_release(self) -> None:
        if self._need_drain and not self._write_paused and not self.destroyed:
            self.resume_writing()

    def _accepted(self) -> None:
        """Tell the server that accepted this socket (Node's ``onconnection``)."""
        acceptor, self._acceptor = self._acceptor, None
        if acceptor is not None:
            acceptor(self)

    # -- reading -------------------------------------------------------------------------
    def _after_end(self) -> None:
        if not self.allow_half_open and not self._write_ended:
            self.end()
        self._maybe_close()

    def _pause_source(self) -> None:
        transport = self._transport
        if transport is not None and not self._reading_paused:
            self._reading_paused = True
            transport.pause_reading()  # a no-op on a closing transport (see Transport)

    def _resume_source(self) -> None:
        transport = self._transport
        if self._reading_paused and transport is not None and not self._peer_ended:
            self._reading_paused = False
            transport.resume_reading()

    # -- writing -------------------------------------------------------------------------
    def write(
        self, data: Any, encoding: Any = None, callback: Callable[..., Any] | None = None
    ) -> bool:
        """Node's ``socket.write()``: False when the buffer is past the high-water mark."""
        if callable(encoding):
            callback, encoding = encoding, None
        chunk = to_bytes(data, encoding)
        if self._write_ended or self.destroyed:
            err = (
                errors.ERR_STREAM_WRITE_AFTER_END()
                if self._write_ended
                else errors.ERR_STREAM_DESTROYED("Cannot call write after a stream was destroyed")
            )
            self._loop.call_soon(self._emit_write_error, err, callback)
            return False
        self.bytes_written += len(chunk)
        sink = self._sink
        if sink is not None:
            if self._timeout_ms:
                self._active()
            sink.write(chunk)
        else:
            if self._queue is None:
                self._queue = []
            self._queue.append(chunk)
            self._queued += len(chunk)
        if callback is not None:
            self._loop.call_soon(_loop.guarded(callback, self._loop), None)
        if self._write_paused or (sink is None and self._queued >= self.writable_high_water_mark):
            self._need_drain = True
            return False
        return True

    def _emit_write_error(self, err: BaseException, callback: Callable[..., Any] | None) -> None:
        """Node's ``writeAfterEnd``: the callback gets ``err``, then the socket is destroyed
        with it (``'error'``, ``'close'`` with ``had_error``); a destroyed one stays quiet."""
        try:
            if callback is not None:
                callback(err)
        except Exception as exc:
            _loop.report_uncaught(exc, self._loop)
        self.destroy(err)

    def end(
        self, data: Any = None, encoding: Any = None, callback: Callable[..., Any] | None = None
    ) -> Socket:
        """Node's ``socket.end([data][, encoding][, callback])``: half-close after flushing."""
        if callable(data):
            callback, data = data, None
        elif callable(encoding):
            callback, encoding = encoding, None
        if data is not None:
            self.write(data, encoding)
        if self._write_ended:
            return self
        self._write_ended = True
        if callback is not None:
            self.once("finish", callback)
        if self._sink is not None and not self.destroyed:
            self._shutdown()
        return self

    def _shutdown(self) -> None:
        """Send FIN once the buffer is flushed (TLS: the engine sends close_notify first)."""
        self._shutdown_done = True
        transport = self._transport
        assert transport is not None
        if transport.can_write_eof() and not self._peer_ended:
            try:
                transport.write_eof()
            except OSError:
                # The peer is gone (ENOTCONN from shutdown(2)): Node's ``_final`` treats
                # UV_ENOTCONN as done; closing the transport reports the rest.
                transport.close()
        else:
            transport.close()
        self._loop.call_soon(self._emit_finish)

    def _emit_finish(self) -> None:
        try:
            if not self.destroyed:
                self.emit("finish")
        except Exception as exc:
            _loop.report_uncaught(exc, self._loop)
        self._maybe_close()

    def _maybe_close(self) -> None:
        if (
            self._write_ended
            and self._peer_ended
            and self._transport is not None
            and not self._closed
            and self.readable_ended
        ):
            self._transport.close()

    def destroy_soon(self) -> None:
        """Node's ``socket.destroySoon()``: end, then destroy once flushed."""
        self.end()
        self.once("finish", lambda: self.destroy())

    # -- closing -------------------------------------------------------------------------
    def destroy(self, error: BaseException | None = None) -> Socket:
        """Node's ``socket.destroy([error])``: abort now; ``'error'``, then ``'close'``."""
        if self.destroyed:
            return self
        self.destroyed = True
        self._buffer.clear()
        self._buffered = 0
        self._clear_timer()
        transport = self._transport
        if transport is not None:
            transport.abort()
        if self._connect_task is not None and not self._connect_task.done():
            self._connect_task.cancel()
        self._loop.call_soon(self._emit_close, error)
        return self

    def _emit_close(self, error: BaseException | None) -> None:
        if self._closed:
            return
        self._closed = True
        self._do_unref()
        try:
            self._before_close(error)
            if error is not None:
                self.emit("error", error)
            self.emit("close", error is not None)
        except Exception as exc:
            _loop.report_uncaught(exc, self._loop)

    def _before_close(self, error: BaseException | None) -> None:
        """Run just before ``'error'``/``'close'`` are emitted (TLS: its server's report)."""

    @property
    def closed(self) -> bool:
        """Node's ``socket.closed``: ``'close'`` has been emitted."""
        return self._closed

    @property
    def writable(self) -> bool:
        """Node's ``socket.writable``."""
        return not self.destroyed and not self._write_ended

    @property
    def ready_state(self) -> str:
        """Node's ``socket.readyState``."""
        if self.connecting:
            return "opening"
        if self.destroyed or self._closed:
            return "closed"
        if self._write_ended:
            return "readOnly"
        if self._peer_ended:
            return "writeOnly"
        return "open"

    @property
    def writable_length(self) -> int:
        """Node's ``socket.writableLength``: bytes queued, in the transport or before it."""
        if self._sink is None:
            return self._queued
        return self._sink.get_write_buffer_size()

    @property
    def writable_need_drain(self) -> bool:
        """Node's ``writable.writableNeedDrain``."""
        return self._need_drain

    # -- timeouts ------------------------------------------------------------------------
    @property
    def timeout(self) -> float | None:
        """Node's ``socket.timeout`` (ms): ``None`` until ``set_timeout()``, then its value
        (``0`` once cleared)."""
        return self._timeout_ms

    def set_timeout(self, msecs: object, callback: Callable[..., Any] | None = None) -> Socket:
        """Node's ``socket.setTimeout(ms[, callback])``: ``'timeout'`` after ``ms`` idle."""
        kind = type(msecs)
        if (kind is int or kind is float) and msecs >= 0:  # type: ignore[operator]
            msecs = float(msecs)  # type: ignore[arg-type]
        else:
            msecs = float(validate_number(msecs, "msecs", 0))
        if callback is not None:
            if msecs == 0:
                self.remove_listener("timeout", callback)
            else:
                self.once("timeout", callback)
        self._timeout_ms = msecs
        self.timeout_changes += 1
        if msecs and not self.destroyed:
            self._touch()
        return self

    def _touch(self) -> None:
        """Stamp activity; make sure a timer fires no later than the new deadline.

        Cheap on the hot path: an existing timer that fires earlier is kept (it re-arms
        itself for the rest); clearing a timeout leaves the timer to find it cleared.
        """
        now = self._last_active = self._loop.time()
        due = now + (self._timeout_ms or 0) / 1000
        if self._timer is not None:
            if self._timer_due <= due:
                return
            self._timer.cancel()
        self._timer_due = due
        self._timer = self._loop.call_at(due, self._on_timer)

    def _active(self) -> None:
        """Activity on the hot path: stamp it; re-arm only a timer that has fired."""
        if self._timer is None:
            self._touch()
        else:
            self._last_active = self._loop.time()

    def _on_timer(self) -> None:
        self._timer = None
        if not self._timeout_ms or self.destroyed:
            return
        now = self._loop.time()
        due = self._last_active + self._timeout_ms / 1000
        if now + 0.0005 < due:
            self._timer_due = due
            self._timer = self._loop.call_at(due, self._on_timer)
            return
        try:
            self.emit("timeout")  # once per quiet period: the next activity re-arms
        except Exception as exc:
            _loop.report_uncaught(exc, self._loop)

    def _clear_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    # -- options and addresses -----------------------------------------------------------
    def set_no_delay(self, no_delay: bool = True) -> Socket:
        """Node's ``socket.setNoDelay()`` (asyncio's default is already on)."""
        self._sockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1 if no_delay else 0)
        return self

    def set_keep_alive(self, enable: object = False, initial_delay: float = 0) -> Socket:
        """Node's ``socket.setKeepAlive([enable][, initialDelay])`` (``initialDelay`` in ms)."""
        self._sockopt(_socket.SOL_SOCKET, _socket.SO_KEEPALIVE, 1 if enable else 0)
        if enable and initial_delay and hasattr(_socket, "TCP_KEEPIDLE"):
            seconds = max(1, int(initial_delay // 1000))
            self._sockopt(_socket.IPPROTO_TCP, _socket.TCP_KEEPIDLE, seconds)
        return self

    def _sockopt(self, level: int, opt: int, value: int) -> None:
        raw = self.get_extra_info("socket")
        if raw is not None:
            with contextlib.suppress(OSError):
                raw.setsockopt(level, opt, value)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """The transport's ``'peername'``, ``'sockname'``, ``'socket'``... (a Python
        convenience, as asyncio's streams); ``default`` before the socket is connected.
        A TLS socket over another socket answers from the socket under it."""
        if self._transport is None:
            return default
        return self._transport.get_extra_info(name, default)

    def address(self) -> dict[str, Any]:
        """Node's ``socket.address()``: ``{'address', 'family', 'port'}`` (``{}`` before
        connecting, and for a Unix domain socket)."""
        if self._transport is None:
            return {}
        name = self._transport.get_extra_info("sockname")
        if not isinstance(name, tuple) or not name:
            return {}
        return {"address": name[0], "family": "IPv6" if ":" in name[0] else "IPv4", "port": name[1]}

    @property
    def local_address(self) -> str | None:
        """Node's ``socket.localAddress``."""
        return self.address().get("address")

    @property
    def local_port(self) -> int | None:
        """Node's ``socket.localPort``."""
        return self.address().get("port")

    def _ref_active(self) -> bool:
        return (self.connecting or self._transport is not None) and not self._closed

    async def wait_closed(self) -> None:
        """Await ``'close'`` (a Python convenience)."""
        if self._closed:
            return
        fut = self._loop.create_future()
        self.once("close", lambda *_: settle(fut))
        await fut


def connect(*args: Any, **kwargs: Any) -> Socket:
    """Node's ``net.connect()`` / ``net.createConnection()``."""
    opts, listener = connect_args(args, kwargs)
    sock = Socket(opts)
    if opts.get("timeout"):
        sock.set_timeout(opts["timeout"])
    return sock._start_connect(opts, listener)


def settle(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)
