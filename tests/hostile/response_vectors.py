"""Raw HTTP/1 responses, odd and malicious, for the client side, as data.

Each :class:`ResponseVector` is what a raw server sends after reading the request head
of a ``GET`` (or the vector's ``method``), then how it ends the connection: ``close``
(FIN), ``reset`` (RST) or ``keep`` (left open: the client decides). What Node's
``http`` client does with each (events in order, error codes, what it read) is
recorded by ``regen_node_verdicts.py``; ``test_response_vectors.py`` holds the nodehttps
client to it.

Sources (read, not copied): llhttp's response tests, Node's ``test-http-client-*``
files (``Missing expected CR after response line``, header overflow, chunk-extension
limit, 1xx floods), and the smuggling cases turned around (CL+TE in a response).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RESPONSES", "ResponseVector", "responses_by_name"]


@dataclass(frozen=True)
class ResponseVector:
    name: str
    data: bytes
    end: str = "close"  # close | reset | keep
    method: str = "GET"


def _res(line: bytes, *headers: bytes, body: bytes = b"") -> bytes:
    return line + b"\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n" + body


def _counted(n: int) -> bytes:
    """A response whose status text, header names and values (what Node counts against
    max_header_size) total ``n`` bytes."""
    fixed = len(b"OK") + len(b"Content-Length") + len(b"0") + len(b"X-Pad")
    return _res(OK, b"X-Pad: " + b"a" * (n - fixed), b"Content-Length: 0")


OK = b"HTTP/1.1 200 OK"
CHUNKED = b"Transfer-Encoding: chunked"
_R = ResponseVector

# One vector a line, so the corpus reads as a table.
# fmt: off
RESPONSES: list[ResponseVector] = [
    # -- valid controls -----------------------------------------------------------------
    _R("cl", _res(OK, b"Content-Length: 5", body=b"hello")),
    _R("cl_keep_open", _res(OK, b"Content-Length: 5", body=b"hello"), end="keep"),
    _R("chunked", _res(OK, CHUNKED, body=b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")),
    _R("chunked_trailers", _res(OK, CHUNKED, body=b"3\r\nabc\r\n0\r\nX-T: 1\r\nX-U: 2\r\n\r\n")),
    _R("chunked_ext_small", _res(OK, CHUNKED, body=b"3;a=b\r\nabc\r\n0\r\n\r\n")),
    _R("close_delimited", _res(OK, b"X: y", body=b"until the end")),
    _R("http10_close_delimited", _res(b"HTTP/1.0 200 OK", body=b"old style")),
    _R("status_204", _res(b"HTTP/1.1 204 No Content", b"X: y"), end="keep"),
    _R("status_304_with_cl", _res(b"HTTP/1.1 304 Not Modified", b"Content-Length: 10"), end="keep"),
    _R("head_with_cl", _res(OK, b"Content-Length: 10"), end="keep", method="HEAD"),
    _R("reason_empty", _res(b"HTTP/1.1 200 ", b"Content-Length: 0")),
    _R("reason_missing", _res(b"HTTP/1.1 200", b"Content-Length: 0")),
    _R("reason_odd", _res(b"HTTP/1.1 299 Wh\xe4t ever", b"Content-Length: 0")),
    _R("continue_then_200", _res(b"HTTP/1.1 100 Continue") + _res(OK, b"Content-Length: 2", body=b"ok")),
    _R("early_hints_then_200", _res(b"HTTP/1.1 103 Early Hints", b"Link: </s.css>; rel=preload") + _res(OK, b"Content-Length: 2", body=b"ok")),
    _R("processing_x1000_then_200", _res(b"HTTP/1.1 102 Processing") * 1000 + _res(OK, b"Content-Length: 2", body=b"ok")),
    _R("dup_headers", _res(OK, b"Set-Cookie: a=1", b"Set-Cookie: b=2", b"X-Dup: 1", b"X-Dup: 2", b"Content-Length: 0")),
    _R("header_ows", _res(OK, b"X-Ows: \t v \t ", b"Content-Length: 0")),
    _R("te_gzip_close_delimited", _res(OK, b"Transfer-Encoding: gzip", body=b"not really gzip")),
    _R("body_then_extra_bytes", _res(OK, b"Content-Length: 2", body=b"okEXTRA")),
    _R("headers_2100", _res(OK, *(b"h%d: v" % i for i in range(2100)), b"Content-Length: 0")),
    # -- bad status lines --------------------------------------------------------------------
    _R("status_letters", _res(b"HTTP/1.1 abc OK", b"Content-Length: 0")),
    _R("status_two_digits", _res(b"HTTP/1.1 99 Odd", b"Content-Length: 0")),
    _R("status_four_digits", _res(b"HTTP/1.1 1000 Big", b"Content-Length: 0")),
    _R("status_no_space", _res(b"HTTP/1.1 200OK", b"Content-Length: 0")),
    _R("version_http2", _res(b"HTTP/2 200 OK", b"Content-Length: 0")),
    _R("version_missing", _res(b"200 OK", b"Content-Length: 0")),
    _R("version_1_2", _res(b"HTTP/1.2 200 OK", b"Content-Length: 0")),
    _R("version_lowercase", _res(b"http/1.1 200 OK", b"Content-Length: 0")),
    _R("header_cr_cr", b"HTTP/1.1 200 OK\r\nX: a\r\rContent-Length: 0\r\n\r\n"),
    _R("header_counted_16383", _counted(16383)),
    _R("header_counted_16384", _counted(16384)),
    _R("icy", _res(b"ICY 200 OK", b"Content-Length: 0")),
    _R("garbage", b"garbage\r\n\r\n"),
    _R("bare_lf_after_status", b"HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n"),
    _R("bare_lf_header", b"HTTP/1.1 200 OK\r\nX: a\nContent-Length: 0\r\n\r\n"),
    _R("bare_cr_status", b"HTTP/1.1 200 OK\rContent-Length: 0\r\n\r\n"),
    # -- headers -------------------------------------------------------------------------------
    _R("header_nul", _res(OK, b"X: a\x00b", b"Content-Length: 0")),
    _R("header_ctl_name", _res(OK, b"X\x01: a", b"Content-Length: 0")),
    _R("header_space_before_colon", _res(OK, b"Content-Length : 0")),
    _R("header_obs_fold", _res(OK, b"X: a", b" b", b"Content-Length: 0")),
    _R("header_overflow", _res(OK, b"X: " + b"a" * 20000, b"Content-Length: 0")),
    _R("header_overflow_many", _res(OK, *(b"X-%05d: %s" % (i, b"v" * 100) for i in range(200)), b"Content-Length: 0")),
    # -- framing ---------------------------------------------------------------------------------
    _R("cl_and_te", _res(OK, b"Content-Length: 5", CHUNKED, body=b"0\r\n\r\n")),
    _R("te_and_cl", _res(OK, CHUNKED, b"Content-Length: 5", body=b"0\r\n\r\n")),
    _R("cl_dup_differ", _res(OK, b"Content-Length: 2", b"Content-Length: 3", body=b"abc")),
    _R("cl_negative", _res(OK, b"Content-Length: -1")),
    _R("cl_letters", _res(OK, b"Content-Length: ab")),
    _R("cl_overflow", _res(OK, b"Content-Length: 99999999999999999999999")),
    _R("cl_dup_same", _res(OK, b"Content-Length: 2", b"Content-Length: 2", body=b"ok")),
    _R("te_chunked_not_last", _res(OK, b"Transfer-Encoding: chunked, gzip", body=b"body until close")),
    _R("chunk_size_letters", _res(OK, CHUNKED, body=b"zz\r\nabc\r\n0\r\n\r\n")),
    _R("chunk_missing_crlf", _res(OK, CHUNKED, body=b"3\r\nabc0\r\n\r\n")),
    _R("chunk_size_overflow", _res(OK, CHUNKED, body=b"fffffffffffffffff1\r\nx\r\n0\r\n\r\n")),
    _R("chunk_ext_over_16k", _res(OK, CHUNKED, body=b"1;a=" + b"x" * 17000 + b"\r\nz\r\n0\r\n\r\n")),
    _R("chunk_ext_nul", _res(OK, CHUNKED, body=b"3;a\x00b\r\nabc\r\n0\r\n\r\n")),
    _R("chunk_ext_bare_cr", _res(OK, CHUNKED, body=b"3;a\rb\r\nabc\r\n0\r\n\r\n")),
    _R("chunk_bare_lf_after_size", _res(OK, CHUNKED, body=b"3\nabc\r\n0\r\n\r\n")),
    _R("chunk_size_leading_space", _res(OK, CHUNKED, body=b" 3\r\nabc\r\n0\r\n\r\n")),
    _R("trailer_bad_char", _res(OK, CHUNKED, body=b"1\r\na\r\n0\r\nT\x01: v\r\n\r\n")),
    _R("trailer_over_16k", _res(OK, CHUNKED, body=b"1\r\na\r\n0\r\nT: " + b"t" * 16400 + b"\r\n\r\n")),
    # -- cut short -----------------------------------------------------------------------------
    _R("nothing_then_close", b""),
    _R("nothing_then_reset", b"", end="reset"),
    _R("head_cut_then_close", b"HTTP/1.1 200 OK\r\nContent-Len"),
    _R("head_cut_then_reset", b"HTTP/1.1 200 OK\r\nContent-Len", end="reset"),
    _R("cl_body_short_then_close", _res(OK, b"Content-Length: 10", body=b"12345")),
    _R("cl_body_short_then_reset", _res(OK, b"Content-Length: 10", body=b"12345"), end="reset"),
    _R("chunked_cut_then_close", _res(OK, CHUNKED, body=b"5\r\nhel")),
    _R("chunked_no_last_chunk_then_close", _res(OK, CHUNKED, body=b"5\r\nhello\r\n")),
    _R("processing_x1000_then_close", _res(b"HTTP/1.1 102 Processing") * 1000),
]
# fmt: on


def responses_by_name() -> dict[str, ResponseVector]:
    out = {v.name: v for v in RESPONSES}
    assert len(out) == len(RESPONSES), "vector names must be unique"
    return out
