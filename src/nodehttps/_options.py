"""Option bags: Node's camelCase or snake_case keys, normalised once at the boundary.

``normalize(options, kwargs)`` returns a new ``dict`` keyed by snake_case names (the
caller's dict is never mutated); unknown keys are kept, as Node ignores them. The
``validate_*`` helpers raise Node's argument errors with Node's (camelCase) names.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .errors import invalid_arg_type, invalid_arg_value, out_of_range

if TYPE_CHECKING:
    from ._option_table import Bag

__all__ = [
    "normalize",
    "snake_name",
    "validate",
    "validate_boolean",
    "validate_function",
    "validate_integer",
    "validate_number",
    "validate_one_of",
    "validate_string",
]

# Keys whose spelling the generic rule gets wrong, or that are class names.
_TO_SNAKE_SPECIAL = {
    "IncomingMessage": "IncomingMessage",
    "ServerResponse": "ServerResponse",
    "ALPNProtocols": "alpn_protocols",
    "ALPNCallback": "alpn_callback",
    "SNICallback": "sni_callback",
    "NPNProtocols": "npn_protocols",
    "requestOCSP": "request_ocsp",
    "insecureHTTPParser": "insecure_http_parser",
    "pskCallback": "psk_callback",
}

_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_snake_cache: dict[str, str] = {}


def snake_name(key: str) -> str:
    """``'rejectUnauthorized'`` -> ``'reject_unauthorized'``; snake_case stays as it is."""
    try:
        return _snake_cache[key]
    except KeyError:
        pass
    special = _TO_SNAKE_SPECIAL.get(key)
    if special is not None:
        result = special
    elif "_" in key or key.islower():
        result = key
    else:
        result = _BOUNDARY.sub("_", key).lower()
    _snake_cache[key] = result
    return result


def normalize(
    options: Mapping[str, Any] | None = None,
    kwargs: Mapping[str, Any] | None = None,
    *,
    name: str = "options",
    bag: Bag | None = None,
) -> dict[str, Any]:
    """Merge ``options`` and keyword arguments into a fresh snake_case dict.

    ``options`` must be a mapping or ``None`` (Node: ``ERR_INVALID_ARG_TYPE``).
    Keyword arguments win over the dict. With ``bag`` (a row of
    :data:`nodehttps._option_table.BAGS`), the result is checked as Node checks it
    (:func:`validate`).
    """
    out: dict[str, Any] = {}
    known = _snake_cache.get  # one dict lookup per key once a spelling has been seen
    if options is not None:
        if not isinstance(options, Mapping):
            raise invalid_arg_type(name, "object", options)
        for key, value in options.items():
            out[known(key) or snake_name(key)] = value
    if kwargs:
        for key, value in kwargs.items():
            out[known(key) or snake_name(key)] = value
    if bag is not None:
        validate(bag, out)
    return out


def validate(bag: Bag, options: Mapping[str, Any]) -> None:
    """Node's checks of ``bag``'s options, in Node's order, on a normalised dict.

    One dict lookup per checked option; unknown keys are not looked at (Node ignores
    them). ``None`` counts as "not given" except where Node refuses ``null``.
    """
    for snake, name, check, none_ok in bag.checks:
        if snake in options:
            value = options[snake]
            if value is None and none_ok:
                continue
            check(value, name)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def validate_number(
    value: Any, name: str, minimum: float | None = None, maximum: float | None = None
) -> float | int:
    """Node's ``validateNumber``: a number (``math.inf`` allowed), within the bounds."""
    if not _is_number(value):
        raise invalid_arg_type(name, "number", value)
    if (
        (minimum is not None and value < minimum)
        or (maximum is not None and value > maximum)
        or (value != value and (minimum is not None or maximum is not None))
    ):
        if minimum is not None and maximum is not None:
            rng = f">= {_fmt(minimum)} && <= {_fmt(maximum)}"
        elif minimum is not None:
            rng = f">= {_fmt(minimum)}"
        else:
            assert maximum is not None
            rng = f"<= {_fmt(maximum)}"
        raise out_of_range(name, rng, value)
    return value  # type: ignore[no-any-return]


def validate_integer(
    value: Any, name: str, minimum: int = -(2**53) + 1, maximum: int = 2**53 - 1
) -> int:
    """Node's ``validateInteger``."""
    if not _is_number(value):
        raise invalid_arg_type(name, "number", value)
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        raise out_of_range(name, "an integer", value)
    if value < minimum or value > maximum:
        raise out_of_range(name, f">= {minimum} && <= {maximum}", value)
    return int(value)


def validate_boolean(value: Any, name: str) -> bool:
    """Node's ``validateBoolean``."""
    if not isinstance(value, bool):
        raise invalid_arg_type(name, "boolean", value)
    return value


def validate_string(value: Any, name: str) -> str:
    """Node's ``validateString``."""
    if not isinstance(value, str):
        raise invalid_arg_type(name, "string", value)
    return value


def validate_function(value: Any, name: str) -> Callable[..., Any]:
    """Node's ``validateFunction``."""
    if not callable(value):
        raise invalid_arg_type(name, "Function", value)
    return value  # type: ignore[no-any-return]


def validate_one_of(value: Any, name: str, choices: Iterable[Any]) -> Any:
    """Node's ``validateOneOf``: ``The argument 'x' must be one of: 'a', 'b'. Received ...``."""
    allowed = list(choices)
    if value not in allowed:
        shown = ", ".join(repr(c) for c in allowed)
        raise invalid_arg_value(name, value, f"must be one of: {shown}")
    return value


def _fmt(n: float) -> str:
    if isinstance(n, float) and n.is_integer():
        return str(int(n))
    return str(n)
