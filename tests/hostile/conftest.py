"""Fixtures of the hostile suite: Node's recorded verdicts, a client TLS context, a loop
for module-wide runs, and the subprocess servers of ``serve.py``."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import _new_loop, _turns
from hostile.regen_node_verdicts import VERDICTS, load
from tls_pki import PKI


@pytest.fixture(scope="session")
def node_verdicts_doc() -> dict[str, Any]:
    """``node_verdicts.json``: Node's verdicts on the request and response vectors."""
    if not VERDICTS.exists():
        pytest.fail("node_verdicts.json is missing: run tests/hostile/regen_node_verdicts.py")
    return load()


@pytest.fixture(scope="session")
def node_verdicts(node_verdicts_doc: dict[str, Any]) -> dict[str, Any]:
    """Node's verdict per request vector and transport."""
    verdicts: dict[str, Any] = node_verdicts_doc["vectors"]
    return verdicts


@pytest.fixture(scope="session")
def client_tls(pki: PKI) -> ssl.SSLContext:
    """A client context that trusts the test root (for ``localhost``)."""
    return ssl.create_default_context(cadata=pki.ca)


@pytest.fixture(scope="module")
def module_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """One event loop for a module's shared run (the same kind as ``run``'s)."""
    loop = _new_loop()
    try:
        yield loop
    finally:
        loop.run_until_complete(_turns(3))
        loop.close()
