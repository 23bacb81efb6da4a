"""The options section of the public docstrings, written from the option table.

:func:`documents` appends a bag's options (both spellings, type, default, what Node
refuses) to a function's or class's docstring, so ``help(nodehttps.request)`` and the
reference list them and can never drift from the table. The section is reStructuredText
that reads well as plain text too.
"""

from __future__ import annotations

import ast
import inspect
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ._option_checks import Elsewhere
from ._option_table import BAGS, NO_DEFAULT, Bag, Described, Option

__all__ = ["class_doc", "documents", "options_section"]

T = TypeVar("T")


def _default(option: Option) -> str:
    value = option.default
    if value is NO_DEFAULT:
        return "not set"
    if isinstance(value, Described):
        return value.text
    if isinstance(value, float) and math.isinf(value):
        return "``math.inf``"
    return f"``{value!r}``"


def _refusal(option: Option) -> str:
    check = option.check
    if check is None:
        return ""
    codes = " / ".join(check.error_codes())
    if isinstance(check, Elsewhere):
        return f" Otherwise ``{codes}``."
    return f" Must be {check.describe()} (else ``{codes}``, as Node)."


def _entry(option: Option) -> list[str]:
    names = f"``{option.snake}``"
    if option.node != option.snake:
        names += f" / ``{option.node}``"
    return [
        f"{names} (``{option.type}``, default: {_default(option)})",
        f"    {option.doc[:1].upper()}{option.doc[1:]}.{_refusal(option)}",
    ]


def options_section(bag: Bag) -> str:
    """The docstring section listing ``bag``'s options."""
    lines = [
        f"**Options** (Node's ``{bag.node}``): a dict and/or keyword arguments; each key in",
        "Node's spelling or in snake_case (the type checker knows both, as the",
        f":class:`~nodehttps.{bag.name}` ``TypedDict``); unknown keys are ignored, as Node",
        "ignores them.",
        "",
    ]
    for option in bag.options:
        lines += _entry(option)
    return "\n".join(lines)


def documents(bag_name: str) -> Callable[[T], T]:
    """Decorator: append the options of ``BAGS[bag_name]`` to the object's docstring."""
    section = options_section(BAGS[bag_name])

    def apply(obj: T) -> T:
        own = class_doc(obj) if isinstance(obj, type) else inspect.cleandoc(obj.__doc__ or "")
        try:
            obj.__doc__ = f"{own}\n\n{section}\n"
        except (AttributeError, TypeError):  # a compiled object: its own docstring stays
            pass
        return obj

    return apply


def class_doc(cls: type) -> str:
    """A class's docstring, the nearest in its MRO, read from the source where the class
    was compiled: mypyc drops the docstrings of the classes it compiles, and the package
    ships the ``.py`` beside the compiled module."""
    for klass in cls.__mro__[:-1]:  # not ``object``'s
        doc = klass.__dict__.get("__doc__") or _source_doc(klass)
        if doc:
            return inspect.cleandoc(doc)
    return ""


def _source_doc(cls: type) -> str:
    module = sys.modules.get(cls.__module__)
    name = cls.__name__
    filename = getattr(module, "__file__", None)
    if not filename:
        return ""
    source = Path(filename.split(".cpython-")[0].removesuffix(".py") + ".py")
    try:
        tree = ast.parse(source.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return ""
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return ast.get_docstring(node) or ""
    return ""
