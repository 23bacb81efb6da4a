"""The readable half of Node's streams, as sockets and messages need it.

Theory of operation
-------------------
A source (a socket's protocol, an HTTP parser) calls :meth:`Readable.push` with each
chunk and :meth:`Readable.push_eof` at the end. The stream starts *paused with no
consumer* (``readable_flowing is None``): chunks wait in a buffer. Adding a ``'data'``
listener, ``resume()``, ``pipe()`` or ``async for`` makes it flow: buffered chunks are
emitted first (on a later loop turn, as Node's ``resume`` is deferred), then each new
chunk straight from ``push`` with no copy. ``pause()`` stops the flow and asks the source
to stop reading (``_pause_source``); the buffer past ``readable_high_water_mark`` does the
same. ``'end'`` is emitted once the source ended *and* the buffer was consumed, on a
later loop turn, as Node's ``endReadable`` is.
"""

from __future__ import annotations

import base64
import codecs
import re
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

from mypy_extensions import mypyc_attr

from . import _loop, errors
from ._stream_iter import iterate
from .events import EventEmitter

__all__ = ["Readable", "codec", "to_bytes"]

DEFAULT_HIGH_WATER_MARK = 65536  # Node v22+ (SPEC 6b)

# Node's encoding names Python spells otherwise ('hex'/'base64' are not text codecs here).
_NODE_CODECS = {
    "utf8": "utf-8",
    "latin1": "latin-1",
    "binary": "latin-1",
    "ucs2": "utf-16-le",
    "ucs-2": "utf-16-le",
    "utf16le": "utf-16-le",
}


def codec(encoding: str) -> str:
    """Python's codec for Node's ``encoding``; an unknown one is Node's
    ``ERR_UNKNOWN_ENCODING`` (a ``TypeError``), not a raw ``LookupError``."""
    name = _NODE_CODECS.get(encoding.lower(), encoding)
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise errors.make(
            "ERR_UNKNOWN_ENCODING", f"Unknown encoding: {encoding}", base=errors._NodeTypeError
        ) from None


# Node's binary-to-text encodings (Python's codecs of these names go bytes to bytes).
_BINARY_TEXT = frozenset(("hex", "base64", "base64url"))
_HEX_PAIRS = re.compile(r"(?:[0-9a-fA-F]{2})*")
_CHUNK_TYPES = ("string", "Buffer", "TypedArray", "DataView")


def _from_binary_text(text: str, kind: str) -> bytes:
    """``Buffer.from(text, kind)``: as lenient as Node (hex stops at the first bad pair;
    base64 of either alphabet skips what is not base64, padding optional)."""
    if kind == "hex":
        return bytes.fromhex(_HEX_PAIRS.match(text).group())  # type: ignore[union-attr]
    return base64.b64decode(text.replace("-", "+").replace("_", "/") + "==", validate=False)


def to_bytes(
    chunk: Any, encoding: str | None = None, kinds: tuple[str, ...] = _CHUNK_TYPES
) -> bytes:
    """A chunk given to ``write()``/``end()`` as bytes, with Node's errors (``kinds``:
    the types the message names, Node's words)."""
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, str):
        if encoding is None:
            return chunk.encode()
        kind = encoding.lower()
        if kind in _BINARY_TEXT:
            return _from_binary_text(chunk, kind)
        return chunk.encode(codec(encoding))
    if isinstance(chunk, bytearray | memoryview):
        return bytes(chunk)
    if chunk is None:
        raise errors.make(
            "ERR_STREAM_NULL_VALUES",
            "May not write null values to stream",
            base=errors._NodeTypeError,
        )
    raise errors.invalid_arg_type("chunk", list(kinds), chunk)


class _BinaryTextDecoder(codecs.IncrementalDecoder):
    """``set_encoding('hex' | 'base64' | 'base64url')``: bytes in, text out; base64
    encodes whole 3-byte groups and keeps the rest for the next chunk (or the end)."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.rest = b""

    def decode(self, input: Any, final: bool = False) -> str:
        data = self.rest + bytes(input)
        if self.kind == "hex":
            return data.hex()
        cut = len(data) if final else len(data) - len(data) % 3
        self.rest = data[cut:]
        if self.kind == "base64url":
            return base64.urlsafe_b64encode(data[:cut]).decode().rstrip("=")
        return base64.b64encode(data[:cut]).decode()


@mypyc_attr(allow_interpreted_subclasses=True)
class Readable(EventEmitter):
    """Node's ``stream.Readable`` semantics for sockets and incoming messages."""

    readable_high_water_mark: int = DEFAULT_HIGH_WATER_MARK
    # Per-message state starts at these class defaults: one message per request makes
    # construction part of the hot path, so only what differs is stored per instance.
    _buffered = 0
    _flowing: bool | None = None
    _eof = False
    _end_emitted = False
    _flush_scheduled = False
    _read_drained = False  # read() emptied the buffer: 'end' may follow in paused mode
    # Node's ReadableState.sync: until the stream's first flush, 'data' is emitted on a
    # later loop turn, never from inside push() (messages: see IncomingMessage).
    _sync = False
    _end_queued = False  # push_eof() queued the turn that ends the stream
    _close_emitted = False  # 'close' was emitted
    _decoder: codecs.IncrementalDecoder | None = None
    destroyed = False
    readable_ended = False

    def __init__(self, loop: Any = None) -> None:
        self._events = {}
        self._buffer: deque[bytes] = deque()
        self._loop = loop or _loop.get_loop()

    # -- hooks for the source --------------------------------------------------------
    def _pause_source(self) -> None:
        """Ask the source to stop producing (subclasses: pause reading)."""

    def _resume_source(self) -> None:
        """Ask the source to produce again."""

    # -- source side ---------------------------------------------------------------------
    def push(self, chunk: bytes) -> None:
        """A chunk from the source."""
        if self._flowing and not self._buffer and not self._sync:
            self._emit_data(chunk)
            return
        self._buffer.append(chunk)
        self._buffered += len(chunk)
        if self._buffered >= self.readable_high_water_mark:
            self._pause_source()
        if self._flowing:
            self._schedule_flush()

    def push_eof(self) -> None:
        """The source ended."""
        if self._eof:
            return
        self._eof = True
        if self._flowing or self._read_drained:
            # Node's endReadableNT is queued by the end itself: a flush queued earlier
            # (a resume, say) must not emit 'end' ahead of what was queued since, such
            # as the 'end' of a request that came in the same read as this end.
            self._end_queued = True
            self._loop.call_soon(self._end_turn)

    def _end_turn(self) -> None:
        self._end_queued = False
        self._flush()

    # -- consumer side -------------------------------------------------------------------
    def _add(self, event: str, listener: Callable[..., Any], prepend: bool) -> None:
        super()._add(event, listener, prepend)
        if event == "data" and self._flowing is None:
            self.resume()

    def resume(self) -> Readable:
        """Node's ``readable.resume()``: switch to flowing mode."""
        if self._flowing is not True:
            self._flowing = True
            self._resume_source()
            self._schedule_flush()
        return self

    def pause(self) -> Readable:
        """Node's ``readable.pause()``: stop emitting ``'data'`` and stop the source."""
        if self._flowing is not False:
            self._flowing = False
            self._pause_source()
        return self

    def is_paused(self) -> bool:
        """Node's ``readable.isPaused()``."""
        return self._flowing is False

    @property
    def readable_flowing(self) -> bool | None:
        """Node's ``readable.readableFlowing``."""
        return self._flowing

    @property
    def readable_length(self) -> int:
        """Node's ``readable.readableLength``: bytes buffered, not yet consumed."""
        return self._buffered

    @property
    def readable(self) -> bool:
        """Node's ``readable.readable``."""
        return not self.destroyed and not self.readable_ended

    def set_encoding(self, encoding: str = "utf-8") -> Readable:
        """Node's ``readable.setEncoding()``: ``'data'`` then carries ``str``."""
        kind = encoding.lower()
        self._decoder = (
            _BinaryTextDecoder(kind)
            if kind in _BINARY_TEXT
            else codecs.getincrementaldecoder(codec(encoding))()
        )
        return self

    def read(self, size: int | None = None) -> bytes | str | None:
        """Node's ``readable.read()`` (paused mode): buffered data, or ``None``."""
        if not self._buffer:
            self._read_drained = True
            if self._eof:
                self._schedule_flush()
            return None
        data = b"".join(self._buffer)
        self._buffer.clear()
        if size is not None and size < len(data):
            self._buffer.append(data[size:])
            data = data[:size]
        self._buffered = len(self._buffer[0]) if self._buffer else 0
        if self._flowing is not False:
            self._resume_source()
        if self._eof and not self._buffer:
            self._schedule_flush()
        return self._decoder.decode(data) if self._decoder is not None else data

    def _emit_data(self, chunk: bytes) -> None:
        """``'data'`` with ``chunk``, decoded when ``set_encoding`` asked for text."""
        if self._decoder is None:
            self.emit("data", chunk)
            return
        text = self._decoder.decode(chunk)
        if text:
            self.emit("data", text)

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled and not self._end_emitted:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        self._sync = False
        try:
            while self._buffer and self._flowing and not self.destroyed:
                chunk = self._buffer.popleft()
                self._buffered -= len(chunk)
                self._emit_data(chunk)
            if self._flowing and not self._buffer:
                self._buffered = 0
                self._resume_source()
            if (
                self._eof
                and not self._end_queued
                and not self._buffer
                and not self._end_emitted
                and not self.destroyed
                and (self._flowing or self._read_drained)
            ):
                self._end_emitted = True
                self.readable_ended = True
                if self._decoder is not None:
                    tail = self._decoder.decode(b"", final=True)
                    if tail:
                        self.emit("data", tail)
                try:
                    self.emit("end")
                finally:  # a listener that raised still leaves the stream ended
                    self._after_end()
        except Exception as exc:
            _loop.report_uncaught(exc, self._loop)

    def _after_end(self) -> None:
        """Called once ``'end'`` was emitted (subclasses: auto-destroy, ``'close'``)."""

    # -- piping and iteration --------------------------------------------------------
    def pipe(self, dest: Any, end: bool = True) -> Any:
        """Node's ``readable.pipe(dest, {end})``: with back-pressure via ``'drain'``."""

        def on_data(chunk: bytes) -> None:
            if dest.write(chunk) is False:
                self.pause()
                dest.once("drain", on_drain)

        def on_drain() -> None:
            self.resume()

        self.on("data", on_data)
        if end:
            self.once("end", lambda: dest.end())
        if hasattr(dest, "emit"):
            dest.emit("pipe", self)
        return dest

    def __aiter__(self) -> AsyncIterator[Any]:
        return iterate(self)

    def destroy(self, error: BaseException | None = None) -> Readable:
        """Node's ``readable.destroy([error])`` (subclasses release the source)."""
        if self.destroyed:
            return self
        self.destroyed = True
        self._buffer.clear()
        self._buffered = 0

        def finish() -> None:
            try:
                if error is not None:
                    self.emit("error", error)
                self._close_emitted = True
                self.emit("close")
            except Exception as exc:
                _loop.report_uncaught(exc, self._loop)

        self._loop.call_soon(finish)
        return self
