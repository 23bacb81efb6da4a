"""The ``ClientRequest`` users get: the compiled class, weakly referenceable.

Classes compiled with mypyc cannot be weakly referenced, and the awaitable form needs
that (a request dropped before it is awaited must be noticed: ``_awaiting.py``). An
interpreted subclass gets Python's ``__weakref__`` slot and keeps every compiled
method, so ``request()``/``get()`` make this one and the package exports it.
"""

from __future__ import annotations

from . import _client

__all__ = ["ClientRequest"]


class ClientRequest(_client.ClientRequest):
    __doc__ = _client.ClientRequest.__doc__
