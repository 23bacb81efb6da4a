"""A scripted raw-socket peer for HTTP tests: send exact bytes, read exact bytes."""

from __future__ import annotations

import asyncio
import ssl as _ssl


class RawClient:
    """A plain asyncio stream to 127.0.0.1, for sending hand-made requests."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(
        cls, port: int, ssl: _ssl.SSLContext | None = None, server_hostname: str | None = None
    ) -> RawClient:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=ssl, server_hostname=server_hostname
        )
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def read_all(self, timeout: float = 5) -> bytes:
        """Everything until the server closes the connection."""
        return await asyncio.wait_for(self.reader.read(), timeout)

    async def read_response(self, timeout: float = 5) -> bytes:
        """One response with a Content-Length or chunked body (or none)."""

        async def read() -> bytes:
            head = await self.reader.readuntil(b"\r\n\r\n")
            lower = head.lower()
            if b"transfer-encoding: chunked" in lower:
                body = b""
                while True:
                    line = await self.reader.readuntil(b"\r\n")
                    size = int(line.split(b";")[0], 16)
                    body += line
                    if size == 0:
                        body += await self.reader.readuntil(b"\r\n")
                        return head + body
                    body += await self.reader.readexactly(size + 2)
            for line in lower.split(b"\r\n"):
                if line.startswith(b"content-length:"):
                    n = int(line.split(b":", 1)[1])
                    return head + await self.reader.readexactly(n)
            return head

        return await asyncio.wait_for(read(), timeout)

    async def closed(self, timeout: float = 5) -> bool:
        """True once the server has closed (EOF), after draining what it sent."""
        data = await asyncio.wait_for(self.reader.read(), timeout)
        return data == b"" or self.reader.at_eof()

    def close(self) -> None:
        self.writer.close()
