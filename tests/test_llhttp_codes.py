"""Parse errors carry llhttp's own error names, as Node reports them (``err.code``).

Each vector below was measured against Node v20 (``tests/node/parse_codes.js``: the
server's ``'clientError'``, the client request's ``'error'``); where ``node`` is
installed the comparison also runs live. Every vector is fed whole and byte by byte.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from nodehttps._proto.h1parse import Failure, RequestParser, ResponseParser
from nodehttps._proto.llhttp_errors import REASON_CODES, error_name

# (side, name, bytes as latin-1 text, Node's code; "ok": no error)
VECTORS = [
    ('server', 'bad method', 'G@T / HTTP/1.1\r\nHost: a\r\n\r\n', 'HPE_INVALID_METHOD'),
    ('server', 'no space after method', 'GET\r\n\r\n', 'HPE_INVALID_METHOD'),
    ('server', 'bad url', 'GET /a b HTTP/1.1\r\nHost: a\r\n\r\n', 'HPE_INVALID_CONSTANT'),
    ('server', 'url ctl', 'GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n', 'HPE_INVALID_URL'),
    ('server', 'bad version', 'GET / HTTP/1.x\r\nHost: a\r\n\r\n', 'HPE_INVALID_VERSION'),
    ('server', 'bad major', 'GET / HTTP/x.1\r\nHost: a\r\n\r\n', 'HPE_INVALID_VERSION'),
    ('server', 'version 3', 'GET / HTTP/3.1\r\nHost: a\r\n\r\n', 'HPE_INVALID_VERSION'),
    ('server', 'cr no lf after version', 'GET / HTTP/1.1\rXHost: a\r\n\r\n', 'HPE_STRICT'),
    ('server', 'junk after version', 'GET / HTTP/1.1 x\r\nHost: a\r\n\r\n', 'HPE_INVALID_VERSION'),
    ('server', 'not http', 'GET / FTP/1.1\r\nHost: a\r\n\r\n', 'HPE_INVALID_CONSTANT'),
    ('server', 'bad header token', 'GET / HTTP/1.1\r\nHost: a\r\nX@Y: 1\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'),
    ('server', 'space before colon', 'GET / HTTP/1.1\r\nHost: a\r\nX : 1\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'),
    ('server', 'ctl in value', 'GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'),
    ('server', 'bare lf in value', 'GET / HTTP/1.1\r\nHost: a\r\nX: a\nY: b\r\n\r\n', 'HPE_CR_EXPECTED'),
    ('server', 'cr no lf in value', 'GET / HTTP/1.1\r\nHost: a\r\nX: a\rY: b\r\n\r\n', 'HPE_LF_EXPECTED'),
    ('server', 'obs fold', 'GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'),
    ('server', 'cl and te', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 'HPE_INVALID_TRANSFER_ENCODING'),
    ('server', 'te and cl', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n', 'HPE_INVALID_CONTENT_LENGTH'),
    ('server', 'dup cl', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd', 'HPE_UNEXPECTED_CONTENT_LENGTH'),
    ('server', 'bad cl', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3x\r\n\r\nabc', 'HPE_INVALID_CONTENT_LENGTH'),
    ('server', 'empty cl', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\nabc', 'HPE_INVALID_CONTENT_LENGTH'),
    ('server', 'cl overflow', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\nabc', 'HPE_INVALID_CONTENT_LENGTH'),
    ('server', 'te not chunked', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\nabc', 'HPE_INVALID_TRANSFER_ENCODING'),
    ('server', 'te chunked then gzip', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\nabc', 'HPE_INVALID_TRANSFER_ENCODING'),
    ('server', 'bad chunk size', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n', 'HPE_INVALID_CHUNK_SIZE'),
    ('server', 'chunk size overflow', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff1\r\nabc\r\n0\r\n\r\n', 'HPE_INVALID_CHUNK_SIZE'),
    ('server', 'no crlf after chunk', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n', 'HPE_STRICT'),
    ('server', 'cr no lf after chunk', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\rX0\r\n\r\n', 'HPE_STRICT'),
    ('server', 'chunk ext bad char', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;a\x01\r\nabc\r\n0\r\n\r\n', 'HPE_STRICT'),
    ('server', 'chunk ext space', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3; a\r\nabc\r\n0\r\n\r\n', 'HPE_STRICT'),
    ('server', 'chunk size lf', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n', 'HPE_CR_EXPECTED'),
    ('server', 'header overflow', 'GET / HTTP/1.1\r\nHost: a\r\nX: ' + 'v' * 20000 + '\r\n\r\n', 'HPE_HEADER_OVERFLOW'),
    ('server', 'chunk ext overflow', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;' + 'e' * 17000 + '\r\nabc\r\n0\r\n\r\n', 'HPE_CHUNK_EXTENSIONS_OVERFLOW'),
    ('server', 'lf after headers missing', 'GET / HTTP/1.1\r\nHost: a\r\n\rX', 'HPE_STRICT'),
    ('server', 'truncated body', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhello', 'HPE_INVALID_EOF_STATE'),
    ('server', 'space start line', ' GET / HTTP/1.1\r\nHost: a\r\n\r\n', 'HPE_INVALID_METHOD'),
    ('server', 'http2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'HPE_PAUSED_H2_UPGRADE'),
    ('client', 'no cr after status line', 'HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n', 'HPE_CR_EXPECTED'),
    ('client', 'bad status', 'HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n', 'HPE_INVALID_STATUS'),
    ('client', 'status too long', 'HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n', 'HPE_INVALID_STATUS'),
    ('client', 'not http', 'HTTX/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', 'HPE_INVALID_CONSTANT'),
    ('client', 'bad version', 'HTTP/1.x 200 OK\r\nContent-Length: 0\r\n\r\n', 'HPE_INVALID_VERSION'),
    ('client', 'cl and te', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 'HPE_INVALID_TRANSFER_ENCODING'),
    ('client', 'dup cl', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd', 'HPE_UNEXPECTED_CONTENT_LENGTH'),
    ('client', 'bad cl', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nabc', 'HPE_INVALID_CONTENT_LENGTH'),
    ('client', 'bad header', 'HTTP/1.1 200 OK\r\nX@Y: 1\r\nContent-Length: 0\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'),
    ('client', 'bad chunk', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n', 'HPE_INVALID_CHUNK_SIZE'),
    ('client', 'header overflow', 'HTTP/1.1 200 OK\r\nX: ' + 'v' * 20000 + '\r\nContent-Length: 0\r\n\r\n', 'HPE_HEADER_OVERFLOW'),
    ('client', 'chunk ext overflow', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;' + 'e' * 17000 + '\r\nabc\r\n0\r\n\r\n', 'HPE_CHUNK_EXTENSIONS_OVERFLOW'),
    ('client', 'space in status code', 'HTTP/1.1  200 OK\r\nContent-Length: 0\r\n\r\n', 'HPE_INVALID_STATUS'),
    ('client', 'ok', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', 'ok'),
]  # fmt: skip


def _code(side: str, pieces: list[bytes]) -> str:
    parser = RequestParser() if side == "server" else ResponseParser()
    events = []
    for piece in pieces:
        events += parser.feed(piece)
    events += parser.feed_eof()
    failures = [e for e in events if isinstance(e, Failure)]
    return failures[0].error.code if failures else "ok"


@pytest.mark.parametrize(("side", "name", "data", "code"), VECTORS, ids=[v[1] for v in VECTORS])
def test_error_code_is_nodes(side: str, name: str, data: str, code: str) -> None:
    raw = data.encode("latin-1")
    assert _code(side, [raw]) == code
    if len(raw) < 2000:  # byte by byte too (the overflow vectors: in 100-byte pieces)
        assert _code(side, [raw[i : i + 1] for i in range(len(raw))]) == code
    else:
        assert _code(side, [raw[i : i + 100] for i in range(0, len(raw), 100)]) == code


def test_error_message_and_fields_are_nodes() -> None:
    parser = ResponseParser()
    (failure,) = parser.feed(b"HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n")
    assert isinstance(failure, Failure)
    err = failure.error
    assert err.code == "HPE_CR_EXPECTED"
    assert str(err) == "Parse Error: Missing expected CR after response line"
    fields = vars(err)  # Node's extra fields, set per error
    assert fields["reason"] == "Missing expected CR after response line"
    assert fields["raw_packet"] == b"HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n"


def test_every_llhttp_reason_has_its_errno_name() -> None:
    """The table is llhttp's: every name is one of llhttp's errnos, and the one reason
    two errnos share is told apart by the bytes."""
    llhttp_errnos = {
        "HPE_STRICT", "HPE_LF_EXPECTED", "HPE_UNEXPECTED_CONTENT_LENGTH", "HPE_CLOSED_CONNECTION",
        "HPE_INVALID_METHOD", "HPE_INVALID_URL", "HPE_INVALID_CONSTANT", "HPE_INVALID_VERSION",
        "HPE_INVALID_HEADER_TOKEN", "HPE_INVALID_CONTENT_LENGTH", "HPE_INVALID_CHUNK_SIZE",
        "HPE_INVALID_STATUS", "HPE_INVALID_EOF_STATE", "HPE_INVALID_TRANSFER_ENCODING",
        "HPE_CR_EXPECTED", "HPE_UNEXPECTED_SPACE", "HPE_PAUSED_H2_UPGRADE",
    }  # fmt: skip
    assert set(REASON_CODES.values()) == llhttp_errnos
    assert error_name("Expected CRLF after version", b"GET / HTTP/1.1\rX") == "HPE_STRICT"
    assert (
        error_name("Expected CRLF after version", b"GET / HTTP/1.1 x\r\n") == "HPE_INVALID_VERSION"
    )
    assert error_name("Span callback error in on_url") == "HPE_USER"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_vectors_still_match_node() -> None:
    script = Path(__file__).parent / "node" / "parse_codes.js"
    payload = json.dumps([{"side": side, "data": data} for side, _, data, _ in VECTORS])
    out = subprocess.run(
        ["node", str(script)], input=payload, capture_output=True, text=True, timeout=120
    )
    assert json.loads(out.stdout) == [code for *_, code in VECTORS]
