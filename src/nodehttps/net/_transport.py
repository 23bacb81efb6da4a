"""The joint between a :class:`~nodehttps.net.Socket` and whatever carries its bytes.

Two small interfaces, in asyncio's own shape so that asyncio's transports fit as they
are and nothing sits between them and the socket:

* :class:`Transport` is what a socket drives below it: ``write``, ``write_eof``,
  ``close``, ``abort``, reading paused or resumed, buffer sizes, addresses. asyncio's
  TCP and Unix transports are Transports; so is ``tls.TLSSocket``'s engine (which
  encrypts into the transport below it) and ``tls``'s ``SocketTransport`` (TLS over an
  existing socket: its bytes go through that socket).
* :class:`TransportUser` is what a transport drives above it, asyncio's protocol
  callbacks: the transport is made, bytes arrived, the peer ended, the connection is
  lost, the write buffer crossed its limits. A :class:`~nodehttps.net.Socket` is one
  (it is its transport's protocol: bytes go straight to its readable side); so is the
  TLS engine (it decrypts, then drives its ``TLSSocket`` as a Transport would).

So TCP is ``transport -> Socket``, and TLS over TCP is ``transport -> engine ->
TLSSocket``: one object per layer, each chunk passing each layer once.

Contract beyond asyncio's own: ``pause_reading``/``resume_reading`` on a transport
that is closing or closed do nothing (asyncio's and uvloop's do exactly that), so a
socket may pause or resume its source at any time without checking.
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["Transport", "TransportUser"]


class Transport(Protocol):
    """What a socket drives below it (the part of ``asyncio.Transport`` it uses)."""

    def write(self, data: bytes) -> None:
        """Send ``data`` (buffered when the peer is slow)."""

    def write_eof(self) -> None:
        """Half-close: no more writes (TCP's FIN, after TLS's ``close_notify``)."""

    def can_write_eof(self) -> bool:
        """Whether :meth:`write_eof` is supported."""

    def close(self) -> None:
        """Close once the buffered data is sent."""

    def abort(self) -> None:
        """Close at once, dropping buffered data."""

    def is_closing(self) -> bool:
        """Whether the transport is closing or closed."""

    def pause_reading(self) -> None:
        """Stop delivering data (a no-op once closing)."""

    def resume_reading(self) -> None:
        """Deliver data again (a no-op once closing)."""

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        """The buffer sizes at which ``pause_writing``/``resume_writing`` are called."""

    def get_write_buffer_size(self) -> int:
        """Bytes buffered, not yet sent."""

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """``'peername'``, ``'sockname'``, ``'socket'``, as asyncio's transports."""


class TransportUser(Protocol):
    """What a transport drives above it (asyncio's protocol callbacks)."""

    def connection_made(self, transport: Any) -> None:
        """The transport is connected (it is a :class:`Transport`)."""

    def data_received(self, data: bytes) -> None:
        """Bytes from the peer."""

    def eof_received(self) -> bool | None:
        """The peer ended its side; a true result keeps our side open."""

    def connection_lost(self, exc: Exception | None) -> None:
        """The transport is closed (``exc``: why, when it failed)."""

    def pause_writing(self) -> None:
        """The transport's write buffer went over its high-water mark."""

    def resume_writing(self) -> None:
        """The transport's write buffer drained below its low-water mark."""
