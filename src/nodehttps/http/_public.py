"""The ``ClientRequest`` and ``Agent`` classes users get: the compiled classes, opened up.

Classes compiled with mypyc have fixed slots: they cannot be weakly referenced and
their methods cannot be replaced on an instance. The awaitable form needs the first (a
request dropped before it is awaited must be noticed: ``_awaiting.py``); Node's users
and tests rely on the second (``agent.createConnection = ...``). An interpreted
subclass gets Python's ``__dict__`` and ``__weakref__`` and keeps every compiled method,
so the package exports these and ``request()``/``get()`` make these.
"""

from __future__ import annotations

from .._option_docs import class_doc
from . import _agent, _client

__all__ = ["Agent", "ClientRequest", "global_agent"]


class ClientRequest(_client.ClientRequest):
    __doc__ = class_doc(_client.ClientRequest)


class Agent(_agent.Agent):
    __doc__ = class_doc(_agent.Agent)


#: Node's ``http.globalAgent``: the agent requests use unless told otherwise.
global_agent = Agent({"keep_alive": True, "scheduling": "lifo", "timeout": 5000})
