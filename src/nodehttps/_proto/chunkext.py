"""Counting chunk-extension bytes the way Node does, beside llhttp (CVE-2024-22019).

Node stops a chunked message whose extensions on one chunk-size line exceed 16 KiB
(``HPE_CHUNK_EXTENSIONS_OVERFLOW``; the server answers ``413``). It counts llhttp's
extension-name and extension-value spans: the line's bytes after the size, less each
``;`` and ``=``. httptools reports no extension spans and no positions, so this module
finds the size lines itself, in the bytes the parser was just fed.

Theory of operation
-------------------
:class:`ChunkExtCounter` walks the byte stream *after* llhttp has parsed it (llhttp
still decides what is valid; this only locates size lines). It needs to know where it
is, so it runs only while a chunked message is in the bytes: it is started in the feed
where a chunked head completes, from the parser's state at the start of that feed (in
a head, in a Content-Length body with *n* bytes left, or between messages), and each
head that completes in the walked bytes tells it the framing of the body that follows
(:class:`Framing`). Heads end at the first ``CRLF CRLF`` (llhttp's strict mode allows no
other line ending), a size line at its ``LF``. Every step is one ``bytes.find`` or a
slice: no Python loop runs over bytes. In lenient mode (``insecureHTTPParser``) line
endings may be bare, so the counter is not used and only the quiet-byte bound of the
parser applies.

The walk reports the first overflow as (message number in the walked bytes, chunk
number within that message), so the parser can cut the events it produced at that
chunk; otherwise it keeps its state for the next feed and stops once no chunked
message is in progress.
"""

from __future__ import annotations

__all__ = ["MAX_CHUNK_EXTENSIONS", "ChunkExtCounter", "Framing"]

#: Node's kMaxChunkExtensionsSize: bytes of extension names and values on one line.
MAX_CHUNK_EXTENSIONS = 16384

_BETWEEN = 0  # before a message (llhttp skips empty lines there)
_HEAD = 1  # inside a head: until CRLF CRLF
_SIZE = 2  # inside a chunk-size line: until LF
_DATA = 3  # inside chunk data (and its CRLF): ``left`` bytes
_TRAILERS = 4  # after the last chunk: CRLF, or trailer lines then CRLF CRLF
_BODY = 5  # inside a Content-Length body: ``left`` bytes
_DONE = 6  # the rest of the stream is not HTTP framing any more (upgrade, EOF body)


class Framing:
    """How the body after a head is framed: ``chunked``, ``length`` bytes, or the
    rest of the stream (``to_end``: an EOF-delimited body, an upgrade)."""

    __slots__ = ("chunked", "length", "to_end")

    def __init__(self, chunked: bool = False, length: int = 0, to_end: bool = False) -> None:
        self.chunked = chunked
        self.length = length
        self.to_end = to_end


class ChunkExtCounter:
    """Walks fed bytes to count extension bytes per chunk-size line (see module doc)."""

    __slots__ = (
        "_carry",
        "_chunks",
        "_digits",
        "_ext",
        "_heads",
        "_in_ext",
        "_left",
        "_state",
        "_trailer_start",
    )

    def __init__(self) -> None:
        self._state = _BETWEEN
        self._left = 0
        self._carry = b""  # the last bytes of an unfinished head or trailer block
        self._digits = b""  # the size digits of an unfinished size line
        self._in_ext = False  # the unfinished size line is past its first ``;``
        self._ext = 0  # extension bytes counted on the current size line
        self._heads = 0  # heads completed in this walk
        self._chunks = 0  # size lines of the current message completed in this walk
        self._trailer_start = False  # at the first byte of a trailer block

    def start(self, in_head: bool, body_left: int, tail: bytes = b"") -> None:
        """Begin at a feed whose first byte is in a head (``in_head``; ``tail``: the
        head's last bytes so far), in a Content-Length body with ``body_left`` bytes to
        go, or between messages."""
        self._carry = b""
        if in_head:
            self._state, self._carry = _HEAD, tail
        elif body_left:
            self._state, self._left = _BODY, body_left
        else:
            self._state = _BETWEEN

    @property
    def active(self) -> bool:
        """Whether a chunked message is still being walked."""
        return self._state in (_SIZE, _DATA, _TRAILERS)

    def walk(self, data: bytes, framings: list[Framing]) -> tuple[int, int] | None:
        """Walk ``data``; ``framings`` are the bodies of the heads that complete in it,
        in order. On an overflow, returns how many of those heads came before it and
        how many size lines of its message were completed in ``data`` before it."""
        self._heads = 0
        self._chunks = 0
        pos = 0
        end = len(data)
        while pos < end:
            state = self._state
            if state == _BETWEEN:
                pos = self._skip_empty_lines(data, pos)
            elif state == _HEAD:
                pos = self._head(data, pos, framings)
            elif state == _SIZE:
                pos = self._size_line(data, pos)
                if pos < 0:
                    return self._heads, self._chunks
            elif state in (_DATA, _BODY):
                step = min(self._left, end - pos)
                pos += step
                self._left -= step
                if not self._left:
                    self._state = _SIZE if state == _DATA else _BETWEEN
            elif state == _TRAILERS:
                pos = self._trailers(data, pos)
            else:
                return None
        return None

    def _skip_empty_lines(self, data: bytes, pos: int) -> int:
        rest = data[pos:].lstrip(b"\r\n")
        if rest:
            self._state, self._carry = _HEAD, b""
        return len(data) - len(rest)

    def _head(self, data: bytes, pos: int, framings: list[Framing]) -> int:
        done = _block_end(self._carry, data, pos)
        if done < 0:
            self._carry = (self._carry + data[pos:])[-3:]
            return len(data)
        self._carry = b""
        framing = framings[self._heads] if self._heads < len(framings) else None
        self._heads += 1
        self._chunks = 0
        if framing is None or framing.to_end:
            self._state = _DONE
        elif framing.chunked:
            self._state, self._ext, self._in_ext, self._digits = _SIZE, 0, False, b""
        elif framing.length:
            self._state, self._left = _BODY, framing.length
        else:
            self._state = _BETWEEN
        return done

    def _size_line(self, data: bytes, pos: int) -> int:
        """A size line (or its rest): count its extension bytes; -1 past Node's limit."""
        lf = data.find(b"\n", pos)
        segment = data[pos:] if lf == -1 else data[pos:lf]
        if not self._in_ext:
            semi = segment.find(b";")
            if semi == -1:
                self._digits = (self._digits + segment)[-32:]
                segment = b""
            else:
                self._digits = (self._digits + segment[:semi])[-32:]
                segment = segment[semi:]
                self._in_ext = True
        if segment:
            marks = segment.count(b";") + segment.count(b"=") + segment.count(b"\r")
            self._ext += len(segment) - marks
            if self._ext > MAX_CHUNK_EXTENSIONS:
                return -1
        if lf == -1:
            return len(data)
        try:
            size = int(self._digits.strip(b"\r"), 16)
        except ValueError:  # llhttp rejects the line; nothing more to count
            self._state = _DONE
            return len(data)
        self._chunks += 1
        self._ext, self._in_ext, self._digits = 0, False, b""
        if size:
            self._state, self._left = _DATA, size + 2  # the data and its CRLF
        else:
            self._state, self._trailer_start = _TRAILERS, True
        return lf + 1

    def _trailers(self, data: bytes, pos: int) -> int:
        if self._trailer_start:  # an empty trailer block is one CRLF
            first = self._carry + data[pos : pos + 2]
            if first.startswith(b"\r\n"):
                self._carry, self._state = b"", _BETWEEN
                return pos + 2 - (len(first) - len(data[pos : pos + 2]))
            if first == b"\r":
                self._carry = first
                return len(data)
            self._trailer_start = False
        done = _block_end(self._carry, data, pos)
        if done < 0:
            self._carry = (self._carry + data[pos:])[-3:]
            return len(data)
        self._carry = b""
        self._state = _BETWEEN
        return done


def _block_end(carry: bytes, data: bytes, pos: int) -> int:
    """Where a block that ends in CRLF CRLF ends in ``data`` (``carry``: its last bytes
    from earlier reads, at most three), or -1."""
    if carry:
        at = (carry + data[pos : pos + 3]).find(b"\r\n\r\n")
        if at != -1:
            return pos + at + 4 - len(carry)
    found = data.find(b"\r\n\r\n", pos)
    return -1 if found == -1 else found + 4
