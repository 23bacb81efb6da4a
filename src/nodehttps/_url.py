"""WHATWG URLs through ada (Node's own URL parser) and Node's ``urlToHttpOptions``."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import unquote

import ada_url

from . import errors

__all__ = ["URL", "string_to_http_options", "url_to_http_options"]


class URL(ada_url.URL):
    """Node's WHATWG ``URL`` (parsed by ada, as Node parses it).

    An invalid input raises ``ERR_INVALID_URL`` (a ``TypeError``) with ``.input``.
    """

    def __init__(self, url: Any, base: Any = None) -> None:
        text = str(url)
        try:
            if base is None:
                super().__init__(text)
            else:
                super().__init__(text, str(base))
        except ValueError:
            raise errors.ERR_INVALID_URL(input=text) from None

    @property
    def search_params(self) -> dict[str, list[str]]:
        """The query as a dict of lists (Node's ``url.searchParams``, read-only here)."""
        parsed: dict[str, list[str]] = ada_url.parse_search_params(self.search)
        return parsed

    def to_string(self) -> str:
        """Node's ``url.toString()``."""
        return str(self.href)

    to_json = to_string

    def __str__(self) -> str:
        return str(self.href)

    def __repr__(self) -> str:
        return f"URL({self.href!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ada_url.URL) and self.href == other.href

    def __hash__(self) -> int:
        return hash(self.href)


def url_to_http_options(url: ada_url.URL) -> dict[str, Any]:
    """Node's ``urlToHttpOptions(url)``: the request options a URL stands for."""
    hostname = url.hostname
    if hostname.startswith("["):
        hostname = hostname[1:-1]
    options: dict[str, Any] = {
        "protocol": url.protocol,
        "hostname": hostname,
        "hash": url.hash,
        "search": url.search,
        "pathname": url.pathname,
        "path": f"{url.pathname or ''}{url.search or ''}",
        "href": url.href,
    }
    if url.port != "":
        options["port"] = int(url.port)
    if url.username or url.password:
        options["auth"] = f"{unquote(url.username)}:{unquote(url.password)}"
    return options


def string_to_http_options(text: str) -> dict[str, Any]:
    """``url_to_http_options(URL(text))``, from a cache: a client asks for the same URLs
    again and again, and reading a parsed URL's parts through ada's binding costs about
    twenty microseconds. A fresh dict each time (callers may change it)."""
    return dict(_parsed(text))


@lru_cache(maxsize=256)
def _parsed(text: str) -> tuple[tuple[str, Any], ...]:
    return tuple(url_to_http_options(URL(text)).items())
