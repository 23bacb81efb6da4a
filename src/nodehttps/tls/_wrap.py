"""TLS over an existing socket (``tls.connect(socket=...)``, e.g. a CONNECT tunnel).

A :class:`TLSSocket`'s engine normally runs over an asyncio transport, so TLS over TCP
pays for no extra layer. Over an existing ``net.Socket`` the engine is given a
:class:`SocketTransport` instead: a ``net`` :class:`~nodehttps.net._transport.Transport`
whose writes go through the lower socket's ``write``, and which drives the engine (a
``TransportUser``) with the lower socket's ``'data'``/``'end'``/``'close'``/``'drain'``
events, as an asyncio transport would. Everything above it is the same code as over
TCP.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .. import net
    from ..net._transport import TransportUser

__all__ = ["SocketTransport"]


class SocketTransport:
    """The transport face of a lower ``net.Socket`` for the TLS engine above it."""

    __slots__ = ("_error", "_lower", "_paused", "_upper")

    def __init__(self, lower: net.Socket, upper: TransportUser) -> None:
        self._lower = lower
        self._upper = upper
        self._error: BaseException | None = None
        self._paused = False
        lower.on("data", self._on_data)
        lower.on("end", self._on_end)
        lower.on("error", self._on_error)
        lower.on("close", self._on_close)
        lower.on("drain", self._on_drain)

    # -- events from the lower socket ---------------------------------------------------
    def _on_data(self, chunk: bytes) -> None:
        self._upper.data_received(chunk)

    def _on_end(self) -> None:
        self._upper.eof_received()

    def _on_error(self, err: BaseException) -> None:
        self._error = err

    def _on_close(self, *_: Any) -> None:
        error = self._error  # already Node's error: the socket above reports it as it is
        self._upper.connection_lost(error if isinstance(error, Exception) else None)

    def _on_drain(self) -> None:
        self._upper.resume_writing()

    # -- the asyncio.Transport methods the socket calls ---------------------------------
    def write(self, data: bytes) -> None:
        if self._lower.write(data) is False:
            self._upper.pause_writing()

    def write_eof(self) -> None:
        self._lower.end()

    def can_write_eof(self) -> bool:
        return True

    def close(self) -> None:
        lower = self._lower
        if lower.destroyed:
            return
        if lower.writable:
            lower.end()
            lower.once("finish", lambda *_: lower.destroy())
        else:
            lower.destroy()

    def abort(self) -> None:
        self._lower.destroy()

    def is_closing(self) -> bool:
        return bool(self._lower.destroyed)

    def pause_reading(self) -> None:
        self._paused = True
        self._lower.pause()

    def resume_reading(self) -> None:
        self._paused = False
        self._lower.resume()

    def is_reading(self) -> bool:
        return not self._paused

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        """The lower socket keeps its own limits."""

    def get_write_buffer_size(self) -> int:
        return int(self._lower.writable_length)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._lower.get_extra_info(name, default)
