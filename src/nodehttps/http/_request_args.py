"""The arguments of Node's ``http.request()``: their forms, and what they say.

:func:`request_args` turns Node's argument forms (``url``, ``options``, ``callback``,
keyword arguments) into one options dict; :func:`resolve_target` reads from it, with
Node's checks and codes, where and how the request goes (:class:`Target`), as the
first part of Node's ``ClientRequest`` constructor does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from .. import errors
from .._options import normalize, validate_boolean, validate_integer, validate_number
from .._url import URL, string_to_http_options, url_to_http_options

__all__ = ["Target", "request_args", "resolve_target"]

_TOKEN = re.compile(r"^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$")
_INVALID_PATH = re.compile(r"[^\u0021-\u00ff]")


def request_args(
    url: Any, options: Any, callback: Any, kwargs: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], Callable[..., Any] | None]:
    """Node's argument rules for ``request(url[, options][, callback])``; keyword
    arguments (``http.request(url, method="POST")``) override the options."""
    if isinstance(url, str):
        base = string_to_http_options(url)
    elif isinstance(url, URL):
        base = url_to_http_options(url)
    elif url is not None and hasattr(url, "scheme") and hasattr(url, "netloc"):
        base = url_to_http_options(URL(url.geturl()))  # urllib.parse results
    else:
        if callable(options) and callback is None:
            callback, options = options, None
        if url is not None and not isinstance(url, Mapping):
            raise errors.invalid_arg_type("options", ["string", "object", "URL"], url)
        base = normalize(url)
    if callable(options):
        callback, options = options, None
    if options is not None:
        if not isinstance(options, Mapping):
            raise errors.invalid_arg_type("options", "object", options)
        base.update(normalize(options))
    if kwargs:
        base.update(normalize(kwargs))
    return base, callback


def _is_agent_like(agent: Any) -> bool:
    return callable(getattr(agent, "add_request", None))


class Target:
    """Where and how a request goes, from its options (checked as Node checks them)."""

    __slots__ = (
        "agent",
        "default_port",
        "host",
        "insecure_http_parser",
        "max_header_size",
        "method",
        "path",
        "port",
        "protocol",
        "socket_path",
        "timeout",
    )

    def __init__(self) -> None:
        self.agent: Any = None
        self.protocol = "http:"
        self.default_port = 80
        self.port: Any = 80
        self.host = "localhost"
        self.socket_path: str | None = None
        self.timeout: float | None = None
        self.method = "GET"
        self.max_header_size: int | None = None
        self.insecure_http_parser = False
        self.path = "/"


def resolve_target(options: dict[str, Any], default_agent: Any) -> Target:
    """Node's ``ClientRequest`` constructor, up to the headers: agent, protocol, port,
    host, timeout, method, parser options and path, with Node's errors."""
    target = Target()
    agent = target.agent = _agent(options, default_agent)
    expected = getattr(agent, "protocol", None) or default_agent.protocol
    protocol = target.protocol = options.get("protocol") or default_agent.protocol
    if protocol != expected:
        raise errors.ERR_INVALID_PROTOCOL(
            f'Protocol "{protocol}" not supported. Expected "{expected}"'
        )
    target.default_port = (
        options.get("default_port")
        or getattr(agent, "default_port", None)
        or default_agent.default_port
    )
    target.port = options.get("port") or target.default_port or 80
    for key in ("hostname", "host"):
        value = options.get(key)
        if value is not None and not isinstance(value, str):
            raise errors.invalid_arg_type(f"options.{key}", ["string", "undefined", "null"], value)
    target.host = options.get("hostname") or options.get("host") or "localhost"
    target.socket_path = options.get("socket_path")
    if "timeout" in options:
        target.timeout = validate_number(options["timeout"], "timeout", 0)
    target.method = _method(options.get("method"))
    mhs = options.get("max_header_size")
    target.max_header_size = None if mhs is None else validate_integer(mhs, "maxHeaderSize", 0)
    ihp = options.get("insecure_http_parser")
    if ihp is not None:
        target.insecure_http_parser = validate_boolean(ihp, "options.insecureHTTPParser")
    target.path = options.get("path") or "/"
    if _INVALID_PATH.search(target.path):
        raise errors.ERR_UNESCAPED_CHARACTERS("Request path contains unescaped characters")
    return target


def _agent(options: dict[str, Any], default_agent: Any) -> Any:
    agent = options.get("agent")
    if agent is False:
        return type(default_agent)()
    if agent is None:
        return None if callable(options.get("create_connection")) else default_agent
    if not _is_agent_like(agent):
        raise errors.invalid_arg_type(
            "options.agent", ["Agent-like Object", "undefined", "false"], agent
        )
    return agent


def _method(method: Any) -> str:
    if method is not None and not isinstance(method, str):
        raise errors.invalid_arg_type("options.method", "string", method)
    upper = (method or "GET").upper()
    if not _TOKEN.match(upper):
        raise errors.ERR_INVALID_HTTP_TOKEN(f'Method must be a valid HTTP token ["{upper}"]')
    return upper
