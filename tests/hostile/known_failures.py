"""What nodehttps gets wrong today, per vector and send mode: each such case is marked
``xfail(strict=True)`` with the reason, so it turns red once fixed (then delete its
entry here). The expectations themselves come from Node's verdicts or SPEC §9 only.

``where`` is ``*`` (every mode and transport) or space-separated send modes, each
optionally narrowed to a transport (``eager/tls``).
"""

from __future__ import annotations

UPGRADE_REST = (
    "deliberate (docs/differences.md): a request pipelined behind an Upgrade request "
    "nobody handles is answered; Node's parser stops at the upgrade and drops the rest "
    "of that read"
)
EVENT_TIMING = (
    "new: bytes that trickle in after a body started: Node's 'error' for a later bad "
    "byte comes before 'data' it delivers on a later turn; ours delivers the data first"
)
AFTER_RESPONSE_TRICKLE = (
    "new: bytes after a complete response that arrive in later reads: Node's parser, "
    "still attached until the response's 'end', reports them (HPE_INVALID_CONSTANT); "
    "ours stops reading once the response is complete"
)

_OTHER: dict[str, list[tuple[str, str]]] = {
    "upgrade_no_listener_pipeline": [("*", UPGRADE_REST)],
}


def _matches(where: str, mode: str, transport: str) -> bool:
    if where == "*":
        return True
    return any(w in (mode, f"{mode}/{transport}") for w in where.split())


def vector_failure(name: str, mode: str, transport: str) -> str | None:
    """Why this vector fails today in this mode and transport, or None."""
    reasons = [r for where, r in _OTHER.get(name, []) if _matches(where, mode, transport)]
    return " + ".join(reasons) or None


def all_reasons() -> set[str]:
    """Every reason in the table (for the report)."""
    return {r for entries in (*_OTHER.values(), *_RESPONSE.values()) for _, r in entries}


# -- the client, on response vectors -------------------------------------------------------
_RESPONSE: dict[str, list[tuple[str, str]]] = {
    "body_then_extra_bytes": [("bytes split", AFTER_RESPONSE_TRICKLE)],
    "chunk_missing_crlf": [("bytes", EVENT_TIMING)],
    "trailer_bad_char": [("bytes split", EVENT_TIMING)],
    "trailer_over_16k": [("bytes split", EVENT_TIMING)],
}


def response_failure(name: str, mode: str) -> str | None:
    """Why the client gets this response vector wrong today in this mode, or None."""
    reasons = [r for where, r in _RESPONSE.get(name, []) if _matches(where, mode, "tcp")]
    return " + ".join(reasons) or None


def code_failure(name: str, mode: str) -> str | None:
    """Why the server's 'clientError' code for this vector is wrong today, or None (every
    code is Node's now)."""
    return None
