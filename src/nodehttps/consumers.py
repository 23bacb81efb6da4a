"""Node's ``stream/consumers``: read a whole body (``await consumers.text(res)``)."""

from __future__ import annotations

import json as _json
from typing import Any

__all__ = ["buffer", "json", "text"]


async def buffer(stream: Any) -> bytes:
    """The whole stream as ``bytes`` (Node's ``consumers.buffer``)."""
    chunks = [chunk if isinstance(chunk, bytes) else str(chunk).encode() async for chunk in stream]
    return b"".join(chunks)


async def text(stream: Any, encoding: str = "utf-8") -> str:
    """The whole stream decoded as text (Node's ``consumers.text``)."""
    return (await buffer(stream)).decode(encoding)


async def json(stream: Any) -> Any:
    """The whole stream parsed as JSON (Node's ``consumers.json``)."""
    return _json.loads(await buffer(stream))
