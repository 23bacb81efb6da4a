"""Files the command line writes: through a temporary file, renamed when complete.

``get -o`` and ``cert`` never leave a half-written or emptied file behind: the bytes go
to a temporary file in the target's folder (so the rename cannot cross file systems),
which replaces the target only once everything was written. A private file (a key) is
created ``0600`` and stays so even when it replaces a world-readable one, since the
rename brings a new inode with the temporary file's mode.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path
from typing import IO

from ._errors import file_error

__all__ = ["AtomicFile", "Progress", "human_size", "write_file"]


def _public_mode() -> int:
    """``0666`` less the umask: the mode ``open()`` would give a new file."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


class AtomicFile:
    """A temporary file beside ``path``; :meth:`commit` renames it over ``path``."""

    def __init__(self, path: str | os.PathLike[str], private: bool = False) -> None:
        self.path = Path(path)
        self._mode = 0o600 if private else _public_mode()
        if self.path.is_dir():
            raise file_error(IsADirectoryError(errno.EISDIR, "is a directory"), self.path)
        folder = self.path.parent
        try:
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{self.path.name}.", suffix=".part")
        except OSError as exc:
            raise file_error(exc, self.path) from None
        self._tmp = Path(tmp)
        self._fh: IO[bytes] = os.fdopen(fd, "wb")

    def write(self, data: bytes) -> None:
        """Append ``data``; an ``OSError`` (disk full) is the command's file error."""
        try:
            self._fh.write(data)
        except OSError as exc:
            raise file_error(exc, self.path, "write") from None

    def commit(self) -> None:
        """Flush, give the file its mode and put it in place of ``path``."""
        try:
            self._fh.close()
            os.chmod(self._tmp, self._mode)
            os.replace(self._tmp, self.path)
        except OSError as exc:
            self.discard()
            raise file_error(exc, self.path, "rename") from None

    def discard(self) -> None:
        """Drop the temporary file; ``path`` is left as it was."""
        self._fh.close()
        self._tmp.unlink(missing_ok=True)


def write_file(path: Path, data: bytes, private: bool = False) -> None:
    """Write ``data`` to ``path`` whole or not at all (``private``: mode ``0600``)."""
    out = AtomicFile(path, private)
    try:
        out.write(data)
    except BaseException:
        out.discard()
        raise
    out.commit()


def human_size(n: int) -> str:
    """``532 B``, ``1.5 KiB``, ``20.0 MiB``."""
    if n < 1024:
        return f"{n} B"
    size = n / 1024
    for unit in ("KiB", "MiB"):
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


class Progress:
    """A progress bar on a terminal, redrawn only when its percentage (or, with no
    known length, its size to a tenth of a unit) changes: at most ~100 redraws."""

    WIDTH = 30

    def __init__(self, stream: IO[str], total: int | None) -> None:
        self.stream = stream
        self.total = total
        self.done = 0
        self.shown: object = None

    def _step(self) -> object:
        return 100 * self.done // self.total if self.total else human_size(self.done)

    def render(self) -> str:
        if not self.total:
            return human_size(self.done)
        filled = min(self.WIDTH, self.WIDTH * self.done // self.total)
        pct = min(100, 100 * self.done // self.total)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        return f"[{bar}] {pct:3d}% {human_size(self.done)} of {human_size(self.total)}"

    def add(self, n: int) -> None:
        self.done += n
        step = self._step()
        if step != self.shown:
            self.stream.write(f"\r{self.render()}\x1b[K")
            self.stream.flush()
            self.shown = step

    def finish(self) -> None:
        if self.shown is not None:
            self.stream.write("\n")
            self.stream.flush()
