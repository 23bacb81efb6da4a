"""Writes ``_option_types.py``: the option bags of ``_option_table`` as ``TypedDict`` s.

Run ``python -m nodehttps._option_gen`` after changing the table (``--check`` only
says whether the committed file is up to date; a test runs it). Every option gets a key
for each spelling, Node's and snake_case, so both type-check and a misspelt key is an
error. The types of the package that the bags name are imported for type checkers only,
so the generated module imports nothing of the package at run time (no cycles).
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

from ._option_table import BAGS, Bag, Option

__all__ = ["TARGET", "main", "render"]

TARGET = Path(__file__).with_name("_option_types.py")

_HEADER = '''\
"""Option bags as ``TypedDict`` s, each key in Node's spelling and in snake_case.

GENERATED from ``_option_table.py`` by ``python -m nodehttps._option_gen``: do not edit.
``total=False``: every option may be left out. At run time any mapping is accepted and
unknown keys are ignored, as Node ignores them; the type checker is what refuses a
misspelt key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypedDict

if TYPE_CHECKING:
    from ._abort import AbortSignal
    from .http._agent import Agent
    from .http._incoming import IncomingMessage as _IncomingMessage
    from .http._response import ServerResponse as _ServerResponse
    from .tls._certobj import PeerCertificate
    from .tls._context import SecureContext
    from .tls._session import TLSSession

__all__ = [
{names}
]

#: PEM text or bytes (also ``bytearray``/``memoryview``), as Node's string or Buffer.
Material: TypeAlias = str | bytes | bytearray | memoryview
#: One or several, as Node's ``ca``/``cert``/``crl`` take them.
Materials: TypeAlias = Material | Sequence[Material]


class KeyObject(TypedDict, total=False):
    """An item of the ``key`` list: a key with its own passphrase."""

    pem: Material
    passphrase: str


class PfxObject(TypedDict, total=False):
    """An item of the ``pfx`` list: a PKCS#12 bundle with its own passphrase."""

    buf: Material
    passphrase: str


KeyMaterials: TypeAlias = Material | Sequence[Material | KeyObject]
PfxMaterials: TypeAlias = Material | Sequence[Material | PfxObject]
#: A dict of header names to values, or Node's flat list of names and values.
Headers: TypeAlias = (
    Mapping[str, str | int | float | Sequence[str] | None]
    | Sequence[str]
    | Sequence[tuple[str, str]]
)
'''

# Class names that are also option names are imported under another name.
_RENAMED = {"IncomingMessage": "_IncomingMessage", "ServerResponse": "_ServerResponse"}
_WORD = re.compile(r"\b(" + "|".join(_RENAMED) + r")\b")


def _annotation(option: Option) -> str:
    text = _WORD.sub(lambda m: _RENAMED[m.group(1)], option.type)
    return f"{text} | None" if option.none_ok else text


def _typed_dict(bag: Bag) -> str:
    doc = textwrap.wrap(f"{bag.doc} Node: ``{bag.node}``.", 88)
    doc[0] = '"""' + doc[0]
    if len(doc) == 1:
        doc[0] += '"""'
    else:
        doc.append('"""')
    lines = ["", "", f"class {bag.name}(TypedDict, total=False):"]
    lines += [f"    {line}" for line in doc]
    lines.append("")
    for option in bag.options:
        for key in option.spellings:
            lines.append(f"    {key}: {_annotation(option)}")
    return "\n".join(lines) + "\n"


def render() -> str:
    """The text of ``_option_types.py``."""
    names = ["Headers", "KeyMaterials", "KeyObject", "Material", "Materials"]
    names += ["PfxMaterials", "PfxObject", *BAGS]
    head = _HEADER.replace("{names}", "\n".join(f'    "{n}",' for n in sorted(names)))
    return head + "".join(_typed_dict(bag) for bag in BAGS.values())


def main(argv: list[str] | None = None) -> int:
    """Write the module, or with ``--check`` exit 1 when it is out of date."""
    args = sys.argv[1:] if argv is None else argv
    text = render()
    current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
    if "--check" in args:
        if current != text:
            print(f"{TARGET.name} is out of date: run python -m nodehttps._option_gen")
            return 1
        return 0
    if current != text:
        TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
