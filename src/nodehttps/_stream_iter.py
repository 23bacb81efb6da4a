"""``async for chunk in stream`` (Node's async iterator of a readable stream).

An async generator, so it lives apart from :mod:`._stream`, which is compiled (mypyc
does not compile async generators).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from . import errors

if TYPE_CHECKING:
    from ._stream import Readable

__all__ = ["iterate"]


async def iterate(stream: Readable) -> AsyncIterator[Any]:
    """The chunks of ``stream`` until its end; its error, if it fails."""
    self = stream
    # As Node's iterator: a stream already ended yields nothing; one destroyed before
    # its end fails at once (both used to wait forever for an 'end' long gone).
    if self._end_emitted:
        return
    if self.destroyed:
        raise errors.make("ERR_STREAM_PREMATURE_CLOSE", "Premature close")
    queue: deque[Any] = deque()
    state: dict[str, Any] = {"done": False, "error": None, "waiter": None}

    def wake() -> None:
        waiter = state["waiter"]
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def on_data(chunk: Any) -> None:
        queue.append(chunk)
        if len(queue) >= 16:
            self.pause()
        wake()

    def on_end() -> None:
        state["done"] = True
        wake()

    def on_error(err: BaseException) -> None:
        state["error"] = err
        wake()

    self.on("data", on_data)
    self.on("end", on_end)
    self.on("error", on_error)
    self.on("close", on_end)
    self.resume()
    try:
        while True:
            if queue:
                chunk = queue.popleft()
                if not queue and self._flowing is False and not state["done"]:
                    self.resume()
                yield chunk
                continue
            if state["error"] is not None:
                raise state["error"]
            if state["done"]:
                return
            state["waiter"] = asyncio.get_running_loop().create_future()
            await state["waiter"]
            state["waiter"] = None
    finally:
        self.remove_listener("data", on_data)
        self.remove_listener("end", on_end)
        self.remove_listener("error", on_error)
        self.remove_listener("close", on_end)
        if not state["done"] and state["error"] is None and not self.destroyed:
            self.destroy()
