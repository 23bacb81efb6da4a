"""The kinds of check an option can have: Node's validators, as table entries.

Each check is a small frozen object: calling it with ``(value, name)`` raises Node's
argument error (``ERR_INVALID_ARG_TYPE``, ``ERR_OUT_OF_RANGE``, ``ERR_INVALID_ARG_VALUE``)
with Node's message, and :meth:`describe` says in words what it accepts, for the
docstrings and the reference. :class:`Elsewhere` describes a check that is not an
argument check (a TLS version, a method token...) and is made where the value is used.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from . import errors
from ._options import (
    validate_boolean,
    validate_function,
    validate_integer,
    validate_number,
    validate_one_of,
    validate_string,
)

__all__ = [
    "Boolean",
    "Check",
    "Duration",
    "Elsewhere",
    "Function",
    "Integer",
    "Material",
    "Number",
    "OneOf",
    "String",
    "Types",
]

MAX_SAFE_INTEGER = 2**53 - 1


class Check:
    """A check of one option's value (a table entry; see the subclasses)."""

    #: The error codes a bad value gets, for the reference.
    codes: ClassVar[tuple[str, ...]] = ()

    def error_codes(self) -> tuple[str, ...]:
        return self.codes

    def __call__(self, value: Any, name: str) -> None:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Integer(Check):
    """Node's ``validateInteger(value, name, min, max)`` (``validateInt32`` with its max)."""

    minimum: int = -MAX_SAFE_INTEGER
    maximum: int = MAX_SAFE_INTEGER
    codes: ClassVar[tuple[str, ...]] = ("ERR_INVALID_ARG_TYPE", "ERR_OUT_OF_RANGE")

    def __call__(self, value: Any, name: str) -> None:
        validate_integer(value, name, self.minimum, self.maximum)

    def describe(self) -> str:
        if self.maximum == MAX_SAFE_INTEGER:
            return f"an integer >= {self.minimum}"
        return f"an integer >= {self.minimum} and <= {self.maximum}"


@dataclass(frozen=True, slots=True)
class Number(Check):
    """Node's ``validateNumber(value, name, min, max)`` (``math.inf`` allowed)."""

    minimum: float | None = None
    maximum: float | None = None
    codes: ClassVar[tuple[str, ...]] = ("ERR_INVALID_ARG_TYPE", "ERR_OUT_OF_RANGE")

    def __call__(self, value: Any, name: str) -> None:
        validate_number(value, name, self.minimum, self.maximum)

    def describe(self) -> str:
        if self.minimum is None and self.maximum is None:
            return "a number"
        if self.maximum is None:
            return f"a number >= {self.minimum:g}"
        return f"a number >= {self.minimum:g} and <= {self.maximum:g}"


@dataclass(frozen=True, slots=True)
class Duration(Check):
    """Node's ``getTimerDuration``: a number, non-negative and finite (milliseconds)."""

    codes: ClassVar[tuple[str, ...]] = ("ERR_INVALID_ARG_TYPE", "ERR_OUT_OF_RANGE")

    def __call__(self, value: Any, name: str) -> None:
        validate_number(value, name)
        if value < 0 or not math.isfinite(value):
            raise errors.out_of_range(name, "a non-negative finite number", value)

    def describe(self) -> str:
        return "a non-negative finite number of milliseconds"


@dataclass(frozen=True, slots=True)
class Boolean(Check):
    """Node's ``validateBoolean``."""

    codes: ClassVar[tuple[str, ...]] = ("ERR_INVALID_ARG_TYPE",)

    def __call__(self, value: Any, name: str) -> None:
        validate_boolean(value, name)

    def describe(self) -> str:
        return "a bool"


@dataclass(frozen=True, slots=True)
class String(Check):
    """Node's ``validateString``."""

    codes: ClassVar[tuple[str, ...]] = ("ERR_INVALID_ARG_TYPE",)

    def __call__(self, value: Any, name: str) -> None:
        validate_string(value, name)

    def describe(self) -> str:
        return "a str"


@dataclass(frozen=True, slots=True)
class Function(Check):
    """Node's ``validateFunction``."""

    codes: ClassVar[tuple[str, ...]] = ("ERR_INVALID_ARG_TYPE",)

    def __call__(self, value: Any, name: str) -> None:
        validate_function(value, name)

    def describe(self) -> str:
        return "a callable"


@dataclass(frozen=True, slots=True)
class OneOf(Check):
    """Node's ``validateOneOf``."""

    choices: tuple[str, ...]
    codes: ClassVar[tuple[str, ...]] = ("ERR_INVALID_ARG_VALUE",)

    def __call__(self, value: Any, name: str) -> None:
        validate_one_of(value, name, self.choices)

    def describe(self) -> str:
        return "one of " + ", ".join(repr(c) for c in self.choices)


@dataclass(frozen=True, slots=True)
class Types(Check):
    """``ERR_INVALID_ARG_TYPE`` unless ``accepts(value)``; ``expected`` in Node's words."""

    expected: tuple[str, ...]
    accepts: Callable[[Any], bool]
    words: str
    codes: ClassVar[tuple[str, ...]] = ("ERR_INVALID_ARG_TYPE",)

    def __call__(self, value: Any, name: str) -> None:
        if not self.accepts(value):
            raise errors.invalid_arg_type(name, list(self.expected), value)

    def describe(self) -> str:
        return self.words


def _is_material(value: Any) -> bool:
    return isinstance(value, str | bytes | bytearray | memoryview)


@dataclass(frozen=True, slots=True)
class Material(Check):
    """Node's ``validateKeyOrCertOption``: PEM/DER as ``str`` or bytes, or a list of
    them (``False`` is "none"); with ``objects``, list items may be ``{pem[, passphrase]}``
    (``key``) or ``{buf[, passphrase]}`` (``pfx``), judged by that value."""

    objects: str | None = None
    lists: bool = True  # a list of them is accepted (not for ``dhparam``)
    codes: ClassVar[tuple[str, ...]] = ("ERR_INVALID_ARG_TYPE",)

    def __call__(self, value: Any, name: str) -> None:
        if value is False:
            return
        listed = self.lists and isinstance(value, list | tuple)
        for item in value if listed else (value,):
            shown = item
            if listed and self.objects and isinstance(item, dict) and self.objects in item:
                shown = item[self.objects]
            if not _is_material(shown):
                raise errors.invalid_arg_type(
                    name, ["string", "Buffer", "TypedArray", "DataView"], shown
                )

    def describe(self) -> str:
        if not self.lists:
            return "PEM ``str`` or bytes"
        extra = f" or ``{{{self.objects!r}: ...}}`` dicts" if self.objects else ""
        return f"PEM ``str`` or bytes, or a list of them{extra}"


@dataclass(frozen=True, slots=True)
class Elsewhere(Check):
    """A check that is not an argument check; made where the value is used."""

    code: str
    words: str

    def error_codes(self) -> tuple[str, ...]:
        return (self.code,)

    def __call__(self, value: Any, name: str) -> None:
        return None

    def describe(self) -> str:
        return self.words
