"""Node's ``ref()``/``unref()`` for handles: whether an open one keeps a script alive."""

from __future__ import annotations

import asyncio
from typing import Any

from mypy_extensions import mypyc_attr, trait

from .. import _loop

__all__ = ["Refable"]


@trait
@mypyc_attr(allow_interpreted_subclasses=True)
class Refable:
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
