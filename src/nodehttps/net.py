"""Node's ``net``: TCP :class:`Socket` and :class:`Server` over asyncio Protocols.

Theory of operation
-------------------
A :class:`Socket` owns one ``asyncio`` transport through :class:`_SocketProtocol`, a
slotted protocol that forwards each callback to the socket and turns an exception
escaping a listener into Node's uncaught exception (asyncio would otherwise log it and
close the transport).

Bytes flow through four overridable steps, so that ``tls.TLSSocket`` can sit in the
middle: ``_on_data(raw)`` (transport -> stream: here ``push``), ``_send(data)`` (stream
-> transport: here ``transport.write``), ``_shutdown()`` (after ``end()``: here
``write_eof``) and ``_on_eof()``.

Lifecycle, as Node: ``connect()`` resolves and connects in a task (writes made while
connecting are queued); ``'connect'`` and ``'ready'`` follow. The peer's FIN gives
``'end'``; unless ``allow_half_open``, the socket then ends its side too. ``'close'`` is
emitted exactly once, after the transport is gone, with ``had_error``. ``destroy(err)``
aborts at once: ``'error'`` (if ``err``) then ``'close'`` on a later turn.

Each open socket keeps a script-mode loop alive (``_loop.ref``) until it closes or is
``unref()``'d. Idle timeouts (``set_timeout``) are one timer re-armed lazily: activity
only stamps a time, the timer checks the stamp when it fires.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket as _socket
from collections.abc import Callable
from typing import Any

from . import _loop, errors
from ._abort import destroy_on_abort
from ._options import normalize, validate_number
from ._stream import Readable, to_bytes
from .events import EventEmitter

__all__ = [
    "Server",
    "Socket",
    "connect",
    "create_connection",
    "create_server",
    "is_ip",
    "is_ipv4",
    "is_ipv6",
]

WRITE_HIGH_WATER_MARK = 16384  # Node's default writableHighWaterMark for sockets


def is_ip(value: str) -> int:
    """Node's ``net.isIP``: 4, 6 or 0 (``inet_pton``, in C: it runs per connection)."""
    if not value:
        return 0
    try:
        if ":" in value:
            _socket.inet_pton(_socket.AF_INET6, value.split("%", 1)[0])
            return 6
        if value.count(".") == 3:
            _socket.inet_pton(_socket.AF_INET, value)
            return 4
    except (OSError, ValueError):
        pass
    return 0


def is_ipv4(value: str) -> bool:
    """Node's ``net.isIPv4``."""
    return is_ip(value) == 4


def is_ipv6(value: str) -> bool:
    """Node's ``net.isIPv6``."""
    return is_ip(value) == 6


def _family_name(family: int) -> str:
    return "IPv6" if family == _socket.AF_INET6 else "IPv4"


class _Refable:
    """Node's ``ref()``/``unref()``: whether this handle keeps a script's loop alive."""

    _loop: asyncio.AbstractEventLoop
    _refed = False
    _ref_wanted = True

    def _ref_active(self) -> bool:
        """Whether the handle is open (only open handles hold a ref)."""
        raise NotImplementedError

    def ref(self) -> Any:
        """Node's ``ref()``: keep a script's loop alive while open."""
        self._ref_wanted = True
        if self._ref_active():
            self._do_ref()
        return self

    def unref(self) -> Any:
        """Node's ``unref()``: this handle alone does not keep the loop alive."""
        self._ref_wanted = False
        self._do_unref()
        return self

    def _do_ref(self) -> None:
        if not self._refed and self._ref_wanted and self._ref_active():
            self._refed = True
            _loop.ref(self._loop)

    def _do_unref(self) -> None:
        if self._refed:
            self._refed = False
            _loop.unref(self._loop)


class _SocketProtocol(asyncio.Protocol):
    """asyncio's side of a :class:`Socket`; every callback forwards to it."""

    __slots__ = ("sock",)

    def __init__(self, sock: Socket) -> None:
        self.sock = sock

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        try:
            self.sock._attach(transport)  # type: ignore[arg-type]
        except Exception as exc:
            _loop.report_uncaught(exc, self.sock._loop)

    def data_received(self, data: bytes) -> None:
        try:
            self.sock._on_data(data)
        except Exception as exc:
            _loop.report_uncaught(exc, self.sock._loop)

    def eof_received(self) -> bool:
        try:
            self.sock._on_eof()
        except Exception as exc:
            _loop.report_uncaught(exc, self.sock._loop)
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        try:
            self.sock._on_lost(exc)
        except Exception as err:
            _loop.report_uncaught(err, self.sock._loop)

    def pause_writing(self) -> None:
        self.sock._write_paused = True

    def resume_writing(self) -> None:
        try:
            self.sock._on_writable()
        except Exception as exc:
            _loop.report_uncaught(exc, self.sock._loop)


class Socket(_Refable, Readable):
    """Node's ``net.Socket``: a duplex TCP stream with Node's events and methods."""

    def __init__(self, options: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__()
        opts = normalize(options, kwargs)
        self.allow_half_open: bool = bool(opts.get("allow_half_open", False))
        self._transport: asyncio.Transport | None = None
        self.connecting = False
        self.pending = True
        self._pending_writes: list[bytes] | None = None
        self._write_paused = False
        self._need_drain = False
        self._write_ended = False  # end() called
        self._shutdown_done = False
        self._peer_ended = False
        self._closed = False
        self._timeout_ms: float | None = None  # None until set_timeout(), as Node's
        self._timer: asyncio.TimerHandle | None = None
        self._timer_due = 0.0
        self._reading_paused = False
        self._last_active = 0.0
        self.bytes_read = 0
        self.bytes_written = 0
        self.remote_address: str | None = None
        self.remote_port: int | None = None
        self.remote_family: str | None = None
        self._local: tuple[str, int, str] | None = None
        self.writable_high_water_mark = WRITE_HIGH_WATER_MARK
        self.server: Any = None
        self._connect_task: asyncio.Task[None] | None = None
        signal = opts.get("signal")
        if signal is not None:
            destroy_on_abort(signal, self)

    # -- connecting -----------------------------------------------------------------------
    def connect(self, *args: Any, **kwargs: Any) -> Socket:
        """Node's ``socket.connect(port[, host][, listener])`` / ``connect(options[, listener])``;
        ``options['path']`` connects to a Unix domain socket instead."""
        return self._start_connect(*_connect_args(args, kwargs))

    def _start_connect(self, opts: dict[str, Any], listener: Callable[..., Any] | None) -> Socket:
        """``connect()`` with its arguments already normalised."""
        if listener is not None:
            self.once("connect", listener)
        path = opts.get("path")
        if path:
            self.connecting = True
            self._do_ref()
            self._connect_task = self._loop.create_task(self._connect_path(str(path)))
            return self
        port = opts.get("port")
        if port is None:
            raise errors.ERR_MISSING_ARGS(
                'The "options" or "port" or "path" argument must be specified'
            )
        host = opts.get("host") or opts.get("hostname") or "localhost"
        port = _validate_port(port)
        self.connecting = True
        self._do_ref()
        local = opts.get("local_address")
        local_port = opts.get("local_port")
        family = opts.get("family") or 0
        self._connect_task = self._loop.create_task(
            self._connect(str(host), port, local, local_port, int(family))
        )
        return self

    async def _connect_path(self, path: str) -> None:
        try:
            await self._loop.create_unix_connection(lambda: _SocketProtocol(self), path)
        except OSError as exc:
            if not self.destroyed:
                self.destroy(errors.from_oserror(exc, "connect", path))

    async def _connect(
        self, host: str, port: int, local: str | None, local_port: int | None, family: int
    ) -> None:
        loop = self._loop
        version = is_ip(host)
        if version:
            addresses: list[tuple[str, int]] = [
                (host, _socket.AF_INET6 if version == 6 else _socket.AF_INET)
            ]
        else:
            fam = {4: _socket.AF_INET, 6: _socket.AF_INET6}.get(family, _socket.AF_UNSPEC)
            try:
                infos = await loop.getaddrinfo(host, port, family=fam, type=_socket.SOCK_STREAM)
            except OSError as exc:
                if not self.destroyed:
                    self.destroy(errors.from_oserror(exc, "getaddrinfo", host))
                return
            addresses = []
            for fam_i, _, _, _, addr in infos:
                if (str(addr[0]), int(fam_i)) not in addresses:
                    addresses.append((str(addr[0]), int(fam_i)))
            try:  # in a task: an exception escaping a listener would be lost
                self.emit(
                    "lookup",
                    None,
                    addresses[0][0],
                    6 if addresses[0][1] == _socket.AF_INET6 else 4,
                    host,
                )
            except Exception as exc:
                _loop.report_uncaught(exc, loop)
        local_family = is_ip(local) if local else 0
        if local_family:  # a socket bound to an IPv4 address cannot reach an IPv6 one
            wanted = _socket.AF_INET6 if local_family == 6 else _socket.AF_INET
            addresses = [a for a in addresses if a[1] == wanted] or addresses
        last_exc: BaseException | None = None
        last_addr = addresses[0][0]
        for address, _fam in addresses:
            if self.destroyed:
                return
            last_addr = address
            try:
                if local or local_port:
                    raw = _bound_socket(_fam, local, local_port)
                    try:
                        await loop.sock_connect(raw, (address, port))
                    except BaseException:
                        raw.close()
                        raise
                    await loop.create_connection(lambda: _SocketProtocol(self), sock=raw)
                else:
                    await loop.create_connection(lambda: _SocketProtocol(self), address, port)
                return
            except _BindError as exc:
                if not self.destroyed:
                    self.destroy(errors.from_oserror(exc.error, "bind", exc.address, exc.port))
                return
            except OSError as exc:
                last_exc = exc
        if not self.destroyed and last_exc is not None:
            self.destroy(errors.from_oserror(last_exc, "connect", last_addr, port))

    def _attach(self, transport: asyncio.Transport) -> None:
        """The transport is connected (client) or accepted (server)."""
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
        self._connected()
        if was_connecting:
            self.emit("connect")
            self.emit("ready")
        pending, self._pending_writes = self._pending_writes, None
        if pending:
            for chunk in pending:
                self._send(chunk)
        if self._write_ended and not self._shutdown_done:
            self._shutdown()

    def _connected(self) -> None:
        """Hook: the transport is attached (TLS starts its handshake here)."""

    # -- reading -------------------------------------------------------------------------
    def _on_data(self, data: bytes) -> None:
        self.bytes_read += len(data)
        if self._timeout_ms:
            self._active()
        self.push(data)

    def _on_eof(self) -> None:
        self._peer_ended = True
        self.push_eof()
        if not self._buffer:
            # Node reads 0 bytes here: a FIN with nothing left to read ends the socket
            # even when nobody consumes it (else a never-read socket would never close).
            self._read_drained = True
            self._schedule_flush()

    def _after_end(self) -> None:
        if not self.allow_half_open and not self._write_ended:
            self.end()
        self._maybe_close()

    def _pause_source(self) -> None:
        if self._transport is not None and not self._reading_paused:
            self._reading_paused = True
            with contextlib.suppress(RuntimeError, AttributeError):
                self._transport.pause_reading()

    def _resume_source(self) -> None:
        if self._reading_paused and self._transport is not None and not self._peer_ended:
            self._reading_paused = False
            with contextlib.suppress(RuntimeError, AttributeError):
                self._transport.resume_reading()

    # -- writing -------------------------------------------------------------------------
    def write(
        self, data: Any, encoding: str | None = None, callback: Callable[..., Any] | None = None
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
        if self._transport is None:
            if self._pending_writes is None:
                self._pending_writes = []
            self._pending_writes.append(chunk)
        else:
            if self._timeout_ms:
                self._active()
            self._send(chunk)
        if callback is not None:
            self._loop.call_soon(_loop.guarded(callback, self._loop), None)
        if self._write_paused or (
            self._transport is None
            and sum(map(len, self._pending_writes or ())) >= self.writable_high_water_mark
        ):
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

    def _send(self, data: bytes) -> None:
        """Hand bytes to the transport (TLS: encrypt first)."""
        assert self._transport is not None
        self._transport.write(data)

    def _on_writable(self) -> None:
        self._write_paused = False
        if self._need_drain:
            self._need_drain = False
            self.emit("drain")

    def end(
        self,
        data: Any = None,
        encoding: str | None = None,
        callback: Callable[..., Any] | None = None,
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
        if self._transport is not None and not self.destroyed:
            self._shutdown()
        return self

    def _shutdown(self) -> None:
        """Send FIN once the buffer is flushed (TLS: close_notify first)."""
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

    def _on_lost(self, exc: Exception | None) -> None:
        if self._closed:
            return
        if self.destroyed:
            return  # _emit_close is already scheduled
        self.destroyed = True
        self._clear_timer()
        err: BaseException | None = None
        if exc is not None:
            err = errors.from_oserror(exc, "read")
        elif not self._peer_ended:
            self._peer_ended = True
        self._emit_close(err, from_lost=True)

    def _emit_close(self, error: BaseException | None, from_lost: bool = False) -> None:
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
        """Hook run just before ``'error'``/``'close'`` are emitted."""

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
        """Node's ``socket.writableLength``: bytes queued in the transport."""
        if self._transport is None:
            return sum(map(len, self._pending_writes or ()))
        return self._transport.get_write_buffer_size()

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

    def set_timeout(self, msecs: float, callback: Callable[..., Any] | None = None) -> Socket:
        """Node's ``socket.setTimeout(ms[, callback])``: ``'timeout'`` after ``ms`` idle."""
        if type(msecs) is not int or msecs < 0:
            validate_number(msecs, "msecs", 0)
        if callback is not None:
            if msecs == 0:
                self.remove_listener("timeout", callback)
            else:
                self.once("timeout", callback)
        self._timeout_ms = msecs
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

    def set_keep_alive(self, enable: bool = False, initial_delay: int = 0) -> Socket:
        """Node's ``socket.setKeepAlive([enable][, initialDelay])``."""
        self._sockopt(_socket.SOL_SOCKET, _socket.SO_KEEPALIVE, 1 if enable else 0)
        if enable and initial_delay and hasattr(_socket, "TCP_KEEPIDLE"):
            self._sockopt(_socket.IPPROTO_TCP, _socket.TCP_KEEPIDLE, max(1, initial_delay // 1000))
        return self

    def _sockopt(self, level: int, opt: int, value: int) -> None:
        raw = self._raw_socket()
        if raw is not None:
            with contextlib.suppress(OSError):
                raw.setsockopt(level, opt, value)

    def _raw_socket(self) -> Any:
        if self._transport is None:
            return None
        return self._transport.get_extra_info("socket")

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
        self.once("close", lambda *_: _settle(fut))
        await fut


class _BindError(Exception):
    """Binding to ``local_address``/``local_port`` failed (reported with syscall ``bind``)."""

    def __init__(self, error: OSError, address: str, port: int | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.address = address
        self.port = port


def _bound_socket(family: int, local: str | None, local_port: int | None) -> _socket.socket:
    """A non-blocking socket bound to the local address and port, as libuv's
    ``uv_tcp_bind`` before ``uv_tcp_connect`` (Node's ``localAddress``/``localPort``).

    A failure raises :class:`_BindError` naming what was asked for, as Node's
    ``bind EADDRNOTAVAIL 1.2.3.4`` does (the port only when one was given).
    """
    raw = _socket.socket(family, _socket.SOCK_STREAM)
    try:
        raw.setblocking(False)
        host = local or ("::" if family == _socket.AF_INET6 else "0.0.0.0")
        raw.bind((host, local_port or 0))
    except OSError as exc:
        raw.close()
        raise _BindError(exc, host, local_port) from None
    return raw


def _validate_port(port: Any) -> int:
    if isinstance(port, str) and port.strip().isdigit():
        port = int(port)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise errors.ERR_SOCKET_BAD_PORT(
            f"Port should be >= 0 and < 65536. Received {errors.describe_received(port)}."
        )
    return port


def _connect_args(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[dict[str, Any], Callable[..., Any] | None]:
    listener = None
    rest = list(args)
    if rest and callable(rest[-1]):
        listener = rest.pop()
    if rest and isinstance(rest[0], dict):
        opts = normalize(rest[0], kwargs)
    else:
        opts = normalize(None, kwargs)
        if rest:
            opts["port"] = rest[0]
        if len(rest) > 1:
            opts["host"] = rest[1]
    return opts, listener


def connect(*args: Any, **kwargs: Any) -> Socket:
    """Node's ``net.connect()`` / ``net.createConnection()``."""
    opts, listener = _connect_args(args, kwargs)
    sock = Socket(opts)
    if opts.get("timeout"):
        sock.set_timeout(opts["timeout"])
    return sock._start_connect(opts, listener)


create_connection = connect


class Server(_Refable, EventEmitter):
    """Node's ``net.Server``: listens, emits ``'connection'`` with a :class:`Socket`."""

    def __init__(
        self,
        options: dict[str, Any] | Callable[..., Any] | None = None,
        connection_listener: Callable[..., Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        if callable(options):
            options, connection_listener = None, connection_listener or options
        self._net_options = normalize(options, kwargs)
        self.allow_half_open = bool(self._net_options.get("allow_half_open", False))
        self._loop = _loop.get_loop()
        self._sockets: list[_socket.socket] = []
        self._aio_server: asyncio.AbstractServer | None = None
        self._start_task: asyncio.Task[None] | None = None
        self.listening = False
        self._closing = False
        self._connections = 0
        self.max_connections: int | None = None
        self._pipe_path: str | None = None
        if connection_listener is not None:
            self.on("connection", connection_listener)

    # -- listening -----------------------------------------------------------------------
    def listen(self, *args: Any, **kwargs: Any) -> Server:
        """Node's ``server.listen(port, host, backlog, callback)`` / ``listen(options, cb)``
        / ``listen(path, cb)`` (a Unix domain socket, also ``options['path']``).

        The socket is bound before this returns, so ``address()`` works at once;
        ``'listening'`` follows on a later loop turn.
        """
        rest = list(args)
        callback = rest.pop() if rest and callable(rest[-1]) else None
        if rest and isinstance(rest[0], dict):
            opts = normalize(rest[0], kwargs)
        else:
            opts = normalize(None, kwargs)
            for key, value in zip(("port", "host", "backlog"), rest, strict=False):
                opts[key] = value
        if self.listening or self._sockets:
            raise errors.ERR_SERVER_ALREADY_LISTEN()
        path = opts.get("path")
        port_arg = opts.get("port")
        if path is None and isinstance(port_arg, str) and not port_arg.strip().isdigit():
            path, port_arg = port_arg, None  # listen(path[, backlog][, callback])
            if "host" in opts:
                opts["backlog"] = opts.pop("host")
        backlog = int(opts.get("backlog") or 511)
        if callback is not None:
            self.once("listening", callback)
        if path is not None:
            try:
                self._sockets = [_bind_pipe(str(path), backlog)]
            except OSError as exc:
                err = errors.from_oserror(exc, "listen", str(path))
                err.message = f"listen {err.code}: {_strerror(exc)} {path}"
                self._loop.call_soon(self._emit_safe, "error", err)
                return self
            self._pipe_path = str(path)
        else:
            port = _validate_port(port_arg or 0)
            host = opts.get("host")
            try:
                self._sockets = _bind(host, port, backlog, bool(opts.get("ipv6_only")))
            except OSError as exc:
                err = errors.from_oserror(exc, "listen", host or "::", port)
                err.message = f"listen {err.code}: {_strerror(exc)} {host or '::'}:{port}"
                self._loop.call_soon(self._emit_safe, "error", err)
                return self
        self.listening = True
        self._closing = False
        self._do_ref()
        self._start_task = self._loop.create_task(self._serve())
        return self

    async def _serve(self) -> None:
        loop = self._loop
        try:
            for sock in self._sockets:
                if sock.family == _socket.AF_UNIX:
                    server = await loop.create_unix_server(
                        self._protocol_factory, sock=sock, start_serving=True
                    )
                else:
                    server = await loop.create_server(
                        self._protocol_factory, sock=sock, start_serving=True
                    )
                self._aio_server = server
        except OSError as exc:  # pragma: no cover - bind succeeded, so this is rare
            self._emit_safe("error", errors.from_oserror(exc, "listen"))
            return
        if self.listening:
            self._emit_safe("listening")

    def _emit_safe(self, event: str, *args: Any) -> None:
        """Emit from a loop callback or task: an exception escaping a listener is uncaught."""
        try:
            self.emit(event, *args)
        except Exception as exc:
            _loop.report_uncaught(exc, self._loop)

    def _protocol_factory(self) -> asyncio.Protocol:
        sock = Socket(allow_half_open=self.allow_half_open)
        sock.server = self
        self._connections += 1
        sock.once("close", lambda *_: self._connection_closed())
        return _AcceptedProtocol(sock, self)

    def _on_accept(self, sock: Socket) -> None:
        """A connection was accepted (tls.Server overrides this to wrap it)."""
        if self.max_connections is not None and self._connections > self.max_connections:
            local = sock.address()  # Node's data, taken before the socket is closed
            data = {
                "localAddress": local.get("address"),
                "localPort": local.get("port"),
                "localFamily": local.get("family"),
                "remoteAddress": sock.remote_address,
                "remotePort": sock.remote_port,
                "remoteFamily": sock.remote_family,
            }
            sock.destroy()
            self.emit("drop", data)
            return
        self.emit("connection", sock)

    def _connection_closed(self) -> None:
        self._connections -= 1
        if self._closing and self._connections <= 0:
            self._finish_close()

    def address(self) -> Any:
        """Node's ``server.address()``: ``{'address', 'family', 'port'}`` once bound; the
        path (a ``str``) for a server listening on a Unix socket; ``None`` before."""
        if not self._sockets:
            return None
        sock = self._sockets[0]
        if sock.family == _socket.AF_UNIX:
            return str(sock.getsockname())
        name = sock.getsockname()
        return {"address": name[0], "family": _family_name(sock.family), "port": name[1]}

    # -- closing -------------------------------------------------------------------------
    def close(self, callback: Callable[..., Any] | None = None) -> Server:
        """Node's ``server.close([callback])``: stop accepting; ``'close'`` once all ended."""
        if not self.listening:
            if callback is not None:
                self.once("close", lambda *_: callback(errors.ERR_SERVER_NOT_RUNNING()))
            self._loop.call_soon(self._emit_safe, "close")
            return self
        if callback is not None:
            self.once("close", lambda *_: callback(None))
        self.listening = False
        self._closing = True
        if self._aio_server is not None:
            self._aio_server.close()
        else:
            if self._start_task is not None:
                self._start_task.cancel()
            for sock in self._sockets:
                sock.close()
        self._sockets = []
        if self._pipe_path is not None:  # as libuv, which unlinks the pipe it bound
            with contextlib.suppress(OSError):
                os.unlink(self._pipe_path)
            self._pipe_path = None
        self._do_unref()
        if self._connections <= 0:
            self._loop.call_soon(self._finish_close)
        return self

    def _finish_close(self) -> None:
        if self._closing:
            self._closing = False
            self._aio_server = None
            self._emit_safe("close")

    def get_connections(self, callback: Callable[..., Any]) -> Server:
        """Node's ``server.getConnections(callback)``."""
        self._loop.call_soon(_loop.guarded(callback, self._loop), None, self._connections)
        return self

    def _ref_active(self) -> bool:
        return self.listening

    async def aclose(self) -> None:
        """``await server.aclose()``: close and wait for ``'close'`` (Node's asyncDispose)."""
        if not self.listening and not self._closing:
            return
        fut = self._loop.create_future()
        self.once("close", lambda *_: _settle(fut))
        self.close()
        await fut

    async def __aenter__(self) -> Server:
        if self._start_task is not None:
            await asyncio.shield(self._start_task)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class _AcceptedProtocol(_SocketProtocol):
    __slots__ = ("server",)

    def __init__(self, sock: Socket, server: Server) -> None:
        super().__init__(sock)
        self.server = server

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        try:
            self.sock._attach(transport)  # type: ignore[arg-type]
            self.server._on_accept(self.sock)
        except Exception as exc:
            _loop.report_uncaught(exc, self.sock._loop)


def _strerror(exc: OSError) -> str:
    if exc.errno:
        return os.strerror(exc.errno).lower()  # not create_server's decorated text
    return (exc.strerror or str(exc)).lower()


def _bind(host: str | None, port: int, backlog: int, ipv6_only: bool) -> list[_socket.socket]:
    """Bind and listen synchronously, as libuv does, so ``address()`` works at once."""
    if host is None or host in ("", "::"):
        if _socket.has_ipv6:
            try:
                sock = _socket.create_server(
                    ("::", port),
                    family=_socket.AF_INET6,
                    backlog=backlog,
                    reuse_port=False,
                    dualstack_ipv6=not ipv6_only,
                )
                return [_listening(sock)]
            except OSError:
                if host == "::":
                    raise
        host = "0.0.0.0"
    infos = _socket.getaddrinfo(host, port, type=_socket.SOCK_STREAM, flags=_socket.AI_PASSIVE)
    family, _, _, _, addr = infos[0]
    return [_listening(_socket.create_server(addr, family=family, backlog=backlog))]


def _bind_pipe(path: str, backlog: int) -> _socket.socket:
    """Bind and listen on a Unix socket at ``path`` (Node's ``listen(path)``); an existing
    file there is ``EADDRINUSE``, as libuv reports it."""
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.bind(path)
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def _listening(sock: _socket.socket) -> _socket.socket:
    # create_server() leaves proto 0, so asyncio's transports skip TCP_NODELAY on accepted
    # sockets (a 40 ms delayed-ACK stall on a second small write); accepted sockets
    # inherit it from the listener.
    sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
    sock.setblocking(False)
    return sock


def create_server(
    options: dict[str, Any] | Callable[..., Any] | None = None,
    connection_listener: Callable[..., Any] | None = None,
    **kwargs: Any,
) -> Server:
    """Node's ``net.createServer([options][, connectionListener])``."""
    return Server(options, connection_listener, **kwargs)


def _settle(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)
