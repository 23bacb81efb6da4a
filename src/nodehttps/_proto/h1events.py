"""The events of the HTTP/1 core: what a parser hands out (h11's model).

A head when a header block is complete, a body piece, the end of a message, an upgrade
with the bytes after its head, or a failure with Node's parse error. Plain slotted
objects: the server and client read their fields, nothing else.
"""

from __future__ import annotations

from .. import errors

__all__ = ["Body", "End", "Event", "Failure", "Head", "RequestHead", "ResponseHead", "Upgrade"]


class Head:
    """What request and response heads share."""

    __slots__ = (
        "header_pairs",
        "http_major",
        "http_minor",
        "http_version",
        "raw_headers",
        "should_keep_alive",
        "upgrade",
    )

    def __init__(self) -> None:
        self.http_version = "1.1"
        self.http_major = 1
        self.http_minor = 1
        self.raw_headers: list[str] = []
        self.header_pairs = 0  # lines of raw_headers that make ``headers`` (Node's n)
        self.should_keep_alive = True
        self.upgrade = False


class RequestHead(Head):
    """A request's head: the request line and headers as Node's parser gives them, and
    what the server connection decided about it (``verdict``, ``last``, ``expect_*``)."""

    __slots__ = (
        "expect",
        "expect_continue",
        "expect_failed",
        "host_count",
        "last",
        "method",
        "url",
        "verdict",
    )

    def __init__(self) -> None:
        super().__init__()
        self.expect: str | None = None
        self.host_count = 0
        self.method = ""
        self.url = ""
        self.verdict = 0  # h1server.Verdict: 0 is "serve it"
        self.last = False  # the last request max_requests_per_socket allows
        self.expect_continue = False  # "Expect: 100-continue" (HTTP/1.1)
        self.expect_failed = False  # another expectation (HTTP/1.1): 417 by default


class ResponseHead(Head):
    """A response's head (a ``1xx`` one too: see ``informational``)."""

    __slots__ = ("status_code", "status_message")

    def __init__(self) -> None:
        super().__init__()
        self.status_code = 0
        self.status_message = ""

    @property
    def informational(self) -> bool:
        return 100 <= self.status_code < 200 and self.status_code != 101


class Body:
    """A piece of a message's body."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data


class End:
    """A message is complete; ``raw_trailers`` as Node's ``rawTrailers``."""

    __slots__ = ("raw_trailers",)

    def __init__(self, raw_trailers: list[str]) -> None:
        self.raw_trailers = raw_trailers


class Upgrade:
    """The head before it asked for another protocol; ``rest``: the bytes after it."""

    __slots__ = ("rest",)

    def __init__(self, rest: bytes) -> None:
        self.rest = rest


class Failure:
    """The bytes are not HTTP/1 as llhttp (or Node's limits) accept it: ``error``."""

    __slots__ = ("error",)

    def __init__(self, error: errors.NodeError) -> None:
        self.error = error


Event = RequestHead | ResponseHead | Body | End | Upgrade | Failure
