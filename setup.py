"""Build: the per-request modules compiled ahead of time with mypyc where a C compiler
and mypyc are available; otherwise (or with ``NODEHTTPS_PURE=1``) the pure-Python
package, which behaves the same. Everything else is in ``pyproject.toml``."""

from __future__ import annotations

import os
import sys

from setuptools import setup

# The modules on every request's path (see bench/ and ARCHITECTURE.md). Classes users
# subclass allow interpreted subclasses; cooperative mixins and async generators stay
# in interpreted modules.
COMPILED = [
    "src/nodehttps/events.py",
    "src/nodehttps/_stream.py",
    "src/nodehttps/_proto/chunkext.py",
    "src/nodehttps/_proto/h1events.py",
    "src/nodehttps/_proto/h1parse.py",
    "src/nodehttps/_proto/h1server.py",
    "src/nodehttps/_proto/h1write.py",
    "src/nodehttps/_proto/headers.py",
    "src/nodehttps/http/_incoming.py",
    "src/nodehttps/http/_outgoing.py",
    "src/nodehttps/http/_response.py",
    "src/nodehttps/http/_connection.py",
    "src/nodehttps/http/_client.py",
    "src/nodehttps/http/_request_args.py",
    "src/nodehttps/http/_agent.py",
    "src/nodehttps/_https_agent.py",
    "src/nodehttps/net/_socket.py",
    "src/nodehttps/net/_server.py",
    "src/nodehttps/net/_refable.py",
    "src/nodehttps/tls/_engine.py",
    "src/nodehttps/tls/_info.py",
    "src/nodehttps/tls/_socket.py",
]


def _extensions() -> list[object]:
    if os.environ.get("NODEHTTPS_PURE") or sys.implementation.name != "cpython":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        return []
    try:
        extensions = mypycify(COMPILED, opt_level="3", debug_level="0")
    except Exception as exc:  # no compiler support, a mypy error: build pure
        print(f"nodehttps: building pure Python ({exc})", file=sys.stderr)
        return []
    for extension in extensions:
        extension.optional = True  # a failed C build falls back to the .py files
    return extensions


setup(ext_modules=_extensions())
