"""A module attribute that can be reassigned from outside: Node's ``http.globalAgent``.

In Node, ``https.globalAgent = new Agent(...)`` replaces the agent that later requests
use. A Python module's attribute can be rebound the same way only if every reader
looks it up at call time; this gives the module a property that reads and writes the
holder the request code consults.
"""

from __future__ import annotations

import sys
import types
from typing import Any

__all__ = ["reassignable_global_agent"]


def reassignable_global_agent(module_name: str, holder: Any) -> None:
    """Make ``<module>.global_agent`` read and write ``holder.global_agent``, as Node's
    ``http.globalAgent`` / ``https.globalAgent`` can be replaced (requests made later
    use the new one)."""

    class _Module(types.ModuleType):
        @property
        def global_agent(self) -> Any:
            return holder.global_agent

        @global_agent.setter
        def global_agent(self, agent: Any) -> None:
            holder.global_agent = agent

    sys.modules[module_name].__class__ = _Module
