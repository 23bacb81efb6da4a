"""Per-line keylog without libssl: the stdlib's ``keylog_filename``, read back per step.

Where the libssl bridge is unavailable, a context that someone wants key-log lines
from gets a private file as its ``keylog_filename`` (an anonymous ``memfd`` on Linux,
else a 0600 temporary file unlinked as soon as OpenSSL has opened it). CPython writes
each line as OpenSSL produces it; the engine reads what is new after each of its steps.
The loop runs one step at a time, so the lines read after a step belong to the
connection that took it; every connection on such a context drains the file after its
steps, so lines are never handed to the wrong one. CPython's ``#`` header is skipped.
The file's descriptor and read offset are the context's state (``_ctxstate``); the
descriptor is closed when the context is collected.
"""

from __future__ import annotations

import contextlib
import os
import ssl
import tempfile

from ._ctxstate import close_file_with, peek, state_of

__all__ = ["drain", "has_file", "install"]

_TRUNCATE_AT = 1 << 20


def install(ctx: ssl.SSLContext) -> None:
    """Give ``ctx`` a private key-log file (once)."""
    state = state_of(ctx)
    if state.keylog_file is not None:
        return
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("nodehttps-keylog")
        ctx.keylog_filename = f"/proc/self/fd/{fd}"
    else:  # pragma: no cover - not Linux
        folder = tempfile.mkdtemp()
        path = os.path.join(folder, "keylog")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            ctx.keylog_filename = path
        finally:
            os.unlink(path)
            os.rmdir(folder)
    state.keylog_file = [fd, 0]
    close_file_with(ctx, fd)


def has_file(ctx: ssl.SSLContext) -> bool:
    """True once :func:`install` ran on ``ctx``."""
    state = peek(ctx)
    return state is not None and state.keylog_file is not None


def drain(ctx: ssl.SSLContext) -> list[bytes]:
    """The lines written since the last call, each ending in ``b'\\n'``."""
    file = state_of(ctx).keylog_file
    if file is None:
        return []
    fd, offset = file
    chunks = []
    while True:
        chunk = os.pread(fd, 65536, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    if offset >= _TRUNCATE_AT:  # the writer appends (O_APPEND): safe to start over
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            offset = 0
    file[1] = offset
    if not chunks:
        return []
    data = b"".join(chunks)
    return [line + b"\n" for line in data.split(b"\n") if line and not line.startswith(b"#")]
