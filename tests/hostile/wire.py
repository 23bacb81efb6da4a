"""Raw HTTP/1 exchanges over TCP or TLS: send exact bytes in chosen pieces, read the reply.

Theory of operation
-------------------
:func:`exchange` opens one connection to 127.0.0.1, sends a request vector as the
pieces it is given (one ``write`` each, and over TLS one record each), then reads until
the server closes, or until it has been quiet for a while. A reader task runs beside the
writer, so that the writer stops sending once the server has closed (further bytes would
only draw a reset that can eat the answer).

TLS is driven by hand through ``ssl.MemoryBIO`` (the client side, never the code under
test): that is what makes one piece one record, and what lets a test half-close a TLS
connection (``close_notify``, then the TCP FIN) as it does a plain one.

Between two pieces the writer yields to the event loop a few times, so a server in the
same loop reads each piece on its own; a server in another process gets a short pause.
"""

from __future__ import annotations

import asyncio
import random
import re
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

__all__ = [
    "Outcome",
    "Pause",
    "Response",
    "exchange",
    "mask_date",
    "parse_responses",
    "pieces_for",
    "status_lines",
]

#: Past this many bytes a "byte by byte" send goes in 7-byte pieces instead (it would
#: take thousands of TLS records and loop turns for nothing more).
BYTEWISE_LIMIT = 4096


@dataclass
class Outcome:
    """What came back: every byte until close (or quiet), and how the connection ended."""

    data: bytes
    closed: bool
    reset: bool = False
    client_port: int = 0
    #: seconds from the first byte sent to the server's close (None: not closed)
    closed_after: float | None = None


class _Conn:
    """One client connection, plain or TLS (memory BIOs), with piecewise writes."""

    closed_at: float | None = None

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        tls: ssl.SSLObject | None,
        incoming: ssl.MemoryBIO | None,
        outgoing: ssl.MemoryBIO | None,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.tls = tls
        self.incoming = incoming
        self.outgoing = outgoing
        self.received = bytearray()
        self.eof = False
        self.reset = False
        self.progress = asyncio.Event()

    @classmethod
    async def open(cls, port: int, context: ssl.SSLContext | None) -> _Conn:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        if context is None:
            return cls(reader, writer, None, None, None)
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
        conn = cls(reader, writer, tls, incoming, outgoing)
        await conn._handshake()
        return conn

    async def _handshake(self) -> None:
        assert self.tls is not None and self.incoming is not None
        while True:
            try:
                self.tls.do_handshake()
                await self._flush()
                return
            except ssl.SSLWantReadError:
                await self._flush()
                data = await self.reader.read(65536)
                if not data:
                    raise ConnectionResetError("closed during the TLS handshake") from None
                self.incoming.write(data)

    async def _flush(self) -> None:
        if self.outgoing is not None:
            pending = self.outgoing.read()
            if pending:
                self.writer.write(pending)
        await self.writer.drain()

    async def send(self, piece: bytes) -> None:
        if self.tls is None:
            self.writer.write(piece)
        else:
            self.tls.write(piece)
        await self._flush()

    async def half_close(self) -> None:
        if self.tls is not None:
            try:
                self.tls.unwrap()
            except ssl.SSLError:
                pass  # close_notify is out; the peer's answer is not awaited here
            await self._flush()
        if self.writer.can_write_eof():
            self.writer.write_eof()

    async def read_loop(self) -> None:
        """Read until EOF or reset, decrypting as needed, into ``received``."""
        try:
            while True:
                data = await self.reader.read(65536)
                if self.tls is not None and self.incoming is not None:
                    if data:
                        self.incoming.write(data)
                    else:
                        self.incoming.write_eof()
                    if self._decrypt() or not data:
                        break
                elif not data:
                    break
                else:
                    self.received += data
                self.progress.set()
        except (ConnectionError, OSError):
            self.reset = True
        self.eof = True
        self.closed_at = asyncio.get_running_loop().time()
        self.progress.set()

    def _decrypt(self) -> bool:
        """Move plaintext out of the TLS engine; True once the peer's side is over."""
        assert self.tls is not None
        while True:
            try:
                chunk = self.tls.read(65536)
            except ssl.SSLWantReadError:
                return False
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                return True
            except ssl.SSLError:
                self.reset = True
                return True
            if not chunk:
                return True
            self.received += chunk

    def close(self) -> None:
        self.writer.transport.abort()


async def _settle(in_process: bool) -> None:
    """Let the server read what was just sent before the next piece goes (kept: the
    pacing is the test; a server in another process says nothing when it has read)."""
    if in_process:
        for _ in range(4):
            await asyncio.sleep(0)
    else:
        await asyncio.sleep(0.003)


@dataclass(frozen=True)
class Pause:
    """In a list of pieces: wait this long (less if the server closes) before the next."""

    seconds: float


async def exchange(
    port: int,
    pieces: Sequence[bytes | Pause],
    *,
    context: ssl.SSLContext | None = None,
    half_close: bool = False,
    expect_len: int | None = None,
    quiet: float = 0.5,
    in_process: bool = True,
    limit: float = 15.0,
    hold: list[asyncio.StreamWriter] | None = None,
    ready: Callable[[int], Awaitable[None]] | None = None,
    linger: float | None = None,
) -> Outcome:
    """Send ``pieces`` (one write each) and read until close, or quiet.

    With ``hold``, the connection is not closed but its writer appended there, for the
    caller to close later (its port stays taken until then). ``ready(client_port)``, if
    given, is awaited before the first piece: an in-process server says there that it has
    accepted the connection (bytes sent before that would be read as one). ``linger`` is
    how long to wait for more once ``expect_len`` bytes came (default: ``quiet / 5``).

    ``quiet`` is how long silence means "nothing more is coming"; once ``expect_len``
    bytes have arrived, a fifth of it is enough (the rest only catches extra bytes).
    """
    loop = asyncio.get_running_loop()
    conn = await _Conn.open(port, context)
    client_port = int(conn.writer.get_extra_info("sockname")[1])
    if ready is not None:
        await ready(client_port)
    reading = loop.create_task(conn.read_loop())
    started = loop.time()
    try:
        for i, piece in enumerate(pieces):
            if conn.eof:
                break
            if isinstance(piece, Pause):
                await asyncio.wait([reading], timeout=piece.seconds)
                continue
            await conn.send(piece)
            if i + 1 < len(pieces):
                await _settle(in_process)
        if half_close and not conn.eof:
            await conn.half_close()
    except (ConnectionError, OSError, ssl.SSLError):
        conn.reset = True
    await _wait_for_answer(conn, loop.time() + limit, expect_len, quiet, linger)
    closed = conn.eof
    reading.cancel()
    try:
        await reading
    except asyncio.CancelledError:
        pass
    if hold is None:
        conn.close()
    else:
        hold.append(conn.writer)
    closed_after = None if conn.closed_at is None else conn.closed_at - started
    return Outcome(bytes(conn.received), closed, conn.reset, client_port, closed_after)


async def _wait_for_answer(
    conn: _Conn, deadline: float, expect_len: int | None, quiet: float, linger: float | None
) -> None:
    """Until the server closes, or has said all it will: ``expect_len`` bytes and then
    ``linger`` of silence, or ``quiet`` of silence. While an answer is expected and no
    byte of it came yet, silence does not count (a busy server may accept late)."""
    loop = asyncio.get_running_loop()
    while not conn.eof and loop.time() < deadline:
        got = len(conn.received)
        enough = expect_len is not None and got >= expect_len
        if enough and linger == 0:
            return
        if enough:
            wait = quiet / 5 if linger is None else linger
        elif expect_len and not got:
            wait = deadline - loop.time()
        else:
            wait = quiet
        conn.progress.clear()
        try:
            await asyncio.wait_for(conn.progress.wait(), wait)
        except TimeoutError:
            return


# -- how a vector is cut ---------------------------------------------------------------------


def pieces_for(data: bytes, mode: str, seed: int) -> list[bytes]:
    """``data`` cut for a send mode: ``whole``, ``bytes`` (one byte a write; 7-byte pieces
    past :data:`BYTEWISE_LIMIT`) or ``split`` (1 to 6 cut points, seeded)."""
    if mode == "whole" or len(data) < 2:
        return [data]
    if mode == "bytes":
        step = 1 if len(data) <= BYTEWISE_LIMIT else 7
        return [data[i : i + step] for i in range(0, len(data), step)]
    if mode == "split":
        rng = random.Random(seed)
        count = rng.randint(1, min(6, len(data) - 1))
        cuts = sorted(rng.sample(range(1, len(data)), count))
        return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    raise ValueError(mode)


# -- reading answers -------------------------------------------------------------------------

_DATE = re.compile(rb"\r\nDate: [^\r\n]*\r\n", re.IGNORECASE)


def mask_date(data: bytes) -> bytes:
    """The answer bytes with each ``Date`` header's value replaced by ``<date>``."""
    return _DATE.sub(b"\r\nDate: <date>\r\n", data)


@dataclass
class Response:
    """One response split out of a byte stream (head as sent, body de-framed)."""

    status_line: str
    head: bytes
    body: bytes
    complete: bool


def _header(head: bytes, name: bytes) -> bytes | None:
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    return None


def _chunked(data: bytes, pos: int) -> tuple[bytes, int] | None:
    body = bytearray()
    while True:
        end = data.find(b"\r\n", pos)
        if end == -1:
            return None
        size = int(data[pos:end].split(b";")[0], 16)
        pos = end + 2
        if size == 0:
            trailer_end = data.find(b"\r\n\r\n", pos - 2)
            return (bytes(body), trailer_end + 4) if trailer_end != -1 else None
        if len(data) < pos + size + 2:
            return None
        body += data[pos : pos + size]
        pos += size + 2


def parse_responses(data: bytes, head_only: bool = False) -> list[Response]:
    """Responses in ``data``, in order; the last may be incomplete (``complete=False``).

    Only for well-formed answers from a server (Node's or ours); garbage after the last
    complete response becomes one incomplete response holding it.
    """
    out: list[Response] = []
    pos = 0
    while pos < len(data):
        end = data.find(b"\r\n\r\n", pos)
        if end == -1:
            out.append(Response(_first_line(data[pos:]), data[pos:], b"", False))
            break
        head = data[pos : end + 4]
        pos = end + 4
        status = _first_line(head)
        code = status.split(" ")[1] if status.count(" ") >= 1 else ""
        if head_only or code[:1] == "1" or code in ("204", "304"):
            out.append(Response(status, head, b"", True))
            continue
        length = _header(head, b"content-length")
        if (_header(head, b"transfer-encoding") or b"").lower() == b"chunked":
            framed = _chunked(data, pos)
            if framed is None:
                out.append(Response(status, head, data[pos:], False))
                break
            body, pos = framed
            out.append(Response(status, head, body, True))
        elif length is not None:
            n = int(length)
            out.append(Response(status, head, data[pos : pos + n], len(data) >= pos + n))
            pos += n
        else:  # body until close
            out.append(Response(status, head, data[pos:], True))
            break
    return out


def _first_line(data: bytes) -> str:
    return data.split(b"\r\n", 1)[0].decode("latin-1")


def status_lines(data: bytes) -> list[str]:
    """The status line of each response in ``data`` (``[]`` for no bytes)."""
    return [r.status_line for r in parse_responses(data)]
