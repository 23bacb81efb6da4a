"""Raw HTTP/1 request vectors: valid controls and hostile input, as data.

Each :class:`Vector` is the exact bytes a client sends on a fresh connection (``half``
marks the ones that then half-close), with the server options it needs in Node's
spelling. What Node does with each is recorded by ``regen_node_verdicts.py`` into
``node_verdicts.json``; where SPEC §9 makes nodehttps differ on purpose, the vector
carries that expectation in ``spec9``.

Sources of the hostile cases (read, not copied): llhttp's own request tests, Node's
``test-http-*`` files (smuggling, header overflow, chunk extensions, missing CR/LF), the
HTTP Garden's payload list, smuggler's Transfer-Encoding mutations and h1spec's checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nodehttps.http import HttpServerOptions

__all__ = ["SPEC9_SECTION", "VECTORS", "Spec9", "Vector", "by_name"]

SPEC9_SECTION = "SPEC §9 (deliberate differences from Node)"

H = b"Host: x\r\n"
OK_GET = b"GET / HTTP/1.1\r\n" + H + b"\r\n"


@dataclass(frozen=True)
class Spec9:
    """What SPEC §9 asks instead of Node's answer: status lines in order, whether the
    connection ends closed, and how many of Node's handler views we must see."""

    rule: str
    statuses: tuple[str, ...]
    closed: bool
    handled: int
    #: whether the 'clientError' a listener gets is still Node's (the same bad bytes)
    same_client_error: bool = False


@dataclass(frozen=True)
class Vector:
    """A request vector; ``judge_tls_by_tcp`` holds the TLS sends to Node's plain-TCP
    verdict: for a pipeline followed by ``close_notify``, Node's https server drops the
    answers not yet written when it reads the ``close_notify`` in the same record
    batch (``socketOnEnd`` runs ``abortIncoming``), a race of its own, not a rule."""

    name: str
    data: bytes
    half: bool = False
    server: HttpServerOptions = field(default_factory=HttpServerOptions)
    spec9: Spec9 | None = None
    judge_tls_by_tcp: bool = False

    @property
    def server_key(self) -> str:
        """Which server (option set) takes this vector."""
        return ",".join(f"{k}={v}" for k, v in sorted(self.server.items())) or "default"


def _req(line: bytes, *headers: bytes, body: bytes = b"") -> bytes:
    return line + b"\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n" + body


def _counted(n: int) -> bytes:
    """A GET whose URL + header names + values (what Node counts) total ``n`` bytes."""
    return _req(b"GET / HTTP/1.1", b"Host: x", b"X-Pad: " + b"a" * (n - 11))


def _raw_head(n: int) -> bytes:
    """A GET whose whole head, request line to the blank line, is ``n`` bytes."""
    pad = n - len(_req(b"GET / HTTP/1.1", b"Host: x", b"X-Pad: "))
    return _req(b"GET / HTTP/1.1", b"Host: x", b"X-Pad: " + b"b" * pad)


def _many_headers(count: int) -> bytes:
    return _req(b"GET / HTTP/1.1", b"Host: x", *(b"h%d: v" % i for i in range(count)))


def _chunked(body: bytes, *, trailers: bytes = b"") -> bytes:
    return _req(b"POST /c HTTP/1.1", b"Host: x", b"Transfer-Encoding: chunked", body=body) + (
        trailers
    )


def _te(value: bytes, body: bytes = b"5\r\nhello\r\n0\r\n\r\n") -> bytes:
    return _req(b"POST / HTTP/1.1", b"Host: x", b"Transfer-Encoding: " + value, body=body)


CLOSE_THEN = Spec9(
    "a request that follows `Connection: close` in the same packet is ignored: "
    "the first is answered and the connection closed",
    ("HTTP/1.1 200 OK",),
    True,
    1,
)
GARBAGE_AFTER = Spec9(
    "a valid pipelined request followed in the same packet by garbage is answered before the 400",
    ("HTTP/1.1 200 OK", "HTTP/1.1 400 Bad Request"),
    True,
    1,
    same_client_error=True,
)
TWO_HOSTS = Spec9(
    "a request with two Host headers gets 400 (RFC 9112; Node accepts it)",
    ("HTTP/1.1 400 Bad Request",),
    True,
    0,
)

_V = Vector
# One vector a line, so the corpus reads as a table.
# fmt: off
VECTORS: list[Vector] = [
    # -- valid controls -----------------------------------------------------------------
    _V("get", OK_GET),
    _V("get_query", _req(b"GET /search?q=a%20b&x=1&y=%2F&z HTTP/1.1", H.strip())),
    _V("get_path_dots", _req(b"GET /a/./b/../c//d HTTP/1.1", H.strip())),
    _V("get_fragment", _req(b"GET /p#frag HTTP/1.1", H.strip())),
    _V("get_long_url", _req(b"GET /" + b"u" * 8000 + b"?q=1 HTTP/1.1", H.strip())),
    _V("get_absolute_form", _req(b"GET http://example.com:8080/abs?x=1 HTTP/1.1", H.strip())),
    _V("options_asterisk", _req(b"OPTIONS * HTTP/1.1", H.strip())),
    _V("head", _req(b"HEAD /h HTTP/1.1", H.strip())),
    _V("delete", _req(b"DELETE /d HTTP/1.1", H.strip())),
    _V("method_purge", _req(b"PURGE /x HTTP/1.1", H.strip())),
    _V("method_propfind", _req(b"PROPFIND /x HTTP/1.1", H.strip(), b"Depth: 1")),
    _V("method_msearch", _req(b"M-SEARCH * HTTP/1.1", H.strip())),
    _V("connection_close", _req(b"GET /c HTTP/1.1", H.strip(), b"Connection: close")),
    _V("post_cl", _req(b"POST /p HTTP/1.1", H.strip(), b"Content-Length: 5", body=b"hello")),
    _V("post_cl_zero", _req(b"POST /p HTTP/1.1", H.strip(), b"Content-Length: 0")),
    _V("post_cl_leading_zeros", _req(b"POST / HTTP/1.1", H.strip(), b"Content-Length: 003", body=b"abc")),
    _V("post_cl_binary", _req(b"PUT /b HTTP/1.1", H.strip(), b"Content-Length: 6", body=b"\x00\xff\r\n\x7f\x80")),
    _V("post_cl_dup_same", _req(b"POST / HTTP/1.1", H.strip(), b"Content-Length: 3", b"Content-Length: 3", body=b"abc")),
    _V("chunked", _chunked(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")),
    _V("chunked_trailers", _chunked(b"3\r\nabc\r\n0\r\nX-T: 1\r\nX-U: two\r\n\r\n")),
    _V("chunked_ext_small", _chunked(b'3;a=1;b="q s"\r\nabc\r\n0;z\r\n\r\n')),
    _V("chunked_size_upper_hex", _chunked(b"A\r\n0123456789\r\n0\r\n\r\n")),
    _V("chunked_size_leading_zeros", _chunked(b"0003\r\nabc\r\n0\r\n\r\n")),
    _V("chunked_many_ext_under_limit", _chunked(b"".join(b"1;e=" + b"x" * 1000 + b"\r\nz\r\n" for _ in range(20)) + b"0\r\n\r\n")),
    _V("te_chunked_uppercase", _te(b"CHUNKED")),
    _V("te_identity_then_chunked", _te(b"identity, chunked")),
    _V("te_tab_before_value", _req(b"POST / HTTP/1.1", H.strip(), b"Transfer-Encoding:\tchunked", body=b"1\r\na\r\n0\r\n\r\n")),
    _V("te_trailing_space", _te(b"chunked ")),
    _V("pipeline_2", OK_GET + _req(b"GET /2 HTTP/1.1", H.strip())),
    _V("pipeline_3_mixed", OK_GET + _req(b"POST /2 HTTP/1.1", H.strip(), b"Content-Length: 2", body=b"hi") + _chunked(b"1\r\nx\r\n0\r\n\r\n")),
    _V("pipeline_5", b"".join(_req(b"GET /%d HTTP/1.1" % i, H.strip()) for i in range(5))),
    _V("pipeline_5_last_close", b"".join(_req(b"GET /%d HTTP/1.1" % i, H.strip()) for i in range(4)) + _req(b"GET /4 HTTP/1.1", H.strip(), b"Connection: close")),
    _V("http10", _req(b"GET /old HTTP/1.0")),
    _V("http10_keepalive", _req(b"GET /ka HTTP/1.0", b"Connection: keep-alive")),
    _V("http10_keepalive_pipeline", _req(b"GET /1 HTTP/1.0", b"Connection: keep-alive") + _req(b"GET /2 HTTP/1.0")),
    _V("http10_post_cl", _req(b"POST / HTTP/1.0", b"Content-Length: 2", body=b"hi")),
    _V("expect_100", _req(b"POST /e HTTP/1.1", H.strip(), b"Content-Length: 4", b"Expect: 100-continue", body=b"data")),
    _V("expect_other", _req(b"POST /e HTTP/1.1", H.strip(), b"Content-Length: 0", b"Expect: something")),
    _V("expect_100_http10", _req(b"POST /e HTTP/1.0", b"Content-Length: 1", b"Expect: 100-continue", body=b"x")),
    _V("upgrade_no_listener", _req(b"GET /chat HTTP/1.1", H.strip(), b"Upgrade: websocket", b"Connection: Upgrade")),
    _V("upgrade_no_listener_pipeline", _req(b"GET /u HTTP/1.1", H.strip(), b"Upgrade: h2c", b"Connection: Upgrade") + _req(b"GET /after HTTP/1.1", H.strip())),
    _V("connect_no_listener", _req(b"CONNECT example.com:443 HTTP/1.1", b"Host: example.com:443")),
    _V("dup_headers_joined", _req(b"GET / HTTP/1.1", H.strip(), b"Cookie: a=1", b"Cookie: b=2", b"Set-Cookie: s=1", b"Set-Cookie: s=2", b"X-Dup: 1", b"X-Dup: 2", b"Content-Type: a", b"Content-Type: b", b"Accept: x", b"Accept: y")),
    _V("header_case_kept", _req(b"GET / HTTP/1.1", b"hOsT: x", b"X-MiXeD-CaSe: V", b"x-lower: v")),
    _V("header_obs_text_value", _req(b"GET / HTTP/1.1", H.strip(), b"X-Latin: caf\xe9 \xff")),
    _V("header_tab_in_value", _req(b"GET / HTTP/1.1", H.strip(), b"X-Tab: a\tb")),
    _V("header_empty_value", _req(b"GET / HTTP/1.1", H.strip(), b"X-Empty:")),
    _V("header_ows", _req(b"GET / HTTP/1.1", H.strip(), b"X-Ows: \t v \t ")),
    _V("header_token_chars", _req(b"GET / HTTP/1.1", H.strip(), b"!#$%&'*+-.^_`|~09az: t")),
    _V("host_empty", _req(b"GET / HTTP/1.1", b"Host:")),
    _V("host_with_port", _req(b"GET / HTTP/1.1", b"Host: localhost:8080")),
    _V("leading_crlf", b"\r\n" + OK_GET),
    _V("headers_100", _many_headers(100)),
    _V("header_counted_16383", _counted(16383)),
    _V("header_raw_head_16384", _raw_head(16384)),
    _V("header_raw_head_16385", _raw_head(16385)),
    _V("url_15000", _req(b"GET /" + b"p" * 14999 + b" HTTP/1.1", H.strip())),
    # -- framing conflicts and smuggling ---------------------------------------------------
    _V("cl_te", _req(b"POST / HTTP/1.1", H.strip(), b"Content-Length: 4", b"Transfer-Encoding: chunked", body=b"0\r\n\r\n")),
    _V("te_cl", _req(b"POST / HTTP/1.1", H.strip(), b"Transfer-Encoding: chunked", b"Content-Length: 4", body=b"0\r\n\r\n")),
    _V("cl_te_smuggle_get", _req(b"POST / HTTP/1.1", H.strip(), b"Content-Length: 6", b"Transfer-Encoding: chunked", body=b"0\r\n\r\nGGET / HTTP/1.1\r\nHost: x\r\n\r\n")),
    _V("cl_dup_differ", _req(b"POST / HTTP/1.1", H.strip(), b"Content-Length: 3", b"Content-Length: 4", body=b"abcd")),
    _V("cl_comma_list", _req(b"POST / HTTP/1.1", H.strip(), b"Content-Length: 3, 3", body=b"abc")),
    _V("cl_negative", _req(b"POST / HTTP/1.1", H.strip(), b"Content-Length: -1")),
    _V("cl_plus", _req(b"POST / HTTP/1.1", H.strip(), b"Content-Length: +3", body=b"abc")),
    _V("cl_hex", _req(b"POST / HTTP/1.1", H.strip(), b"Content-Length: 0x3", body=b"abc")),
    _V("cl_letters", _req(b"POST / HTTP/1.1", H.strip(), b"Content-Length: abc")),
    _V("cl_overflow", _req(b"POST / HTTP/1.1", H.strip(), b"Content-Length: 99999999999999999999999")),
    _V("cl_space_inside", _req(b"POST / HTTP/1.1", H.strip(), b"Content-Length: 1 2", body=b"x" * 12)),
    _V("te_xchunked", _te(b"xchunked")),
    _V("te_chunked_identity", _te(b"chunked, identity")),
    _V("te_gzip_only", _te(b"gzip")),
    _V("te_chunked_twice_list", _te(b"chunked, chunked")),
    _V("te_space_before_colon", _req(b"POST / HTTP/1.1", H.strip(), b"Transfer-Encoding : chunked", body=b"0\r\n\r\n")),
    _V("te_leading_space_line", _req(b"POST / HTTP/1.1", b" Transfer-Encoding: chunked", H.strip(), body=b"0\r\n\r\n")),
    _V("te_obs_fold", _req(b"POST / HTTP/1.1", H.strip(), b"Transfer-Encoding:", b" chunked", body=b"0\r\n\r\n")),
    _V("te_vertical_tab", _te(b"\x0bchunked")),
    _V("te_nul_in_name", _req(b"POST / HTTP/1.1", H.strip(), b"Transfer-Encoding\x00: chunked", body=b"0\r\n\r\n")),
    _V("te_two_headers", _req(b"POST / HTTP/1.1", H.strip(), b"Transfer-Encoding: chunked", b"Transfer-Encoding: identity", body=b"0\r\n\r\n")),
    _V("te_bare_lf_before", b"POST / HTTP/1.1\r\nHost: x\r\nX: y\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    _V("te_on_http10", _req(b"POST / HTTP/1.0", b"Transfer-Encoding: chunked", body=b"1\r\na\r\n0\r\n\r\n")),
    # -- bad chunking ----------------------------------------------------------------------
    _V("chunk_size_letters", _chunked(b"zz\r\nabc\r\n0\r\n\r\n")),
    _V("chunk_size_negative", _chunked(b"-1\r\na\r\n0\r\n\r\n")),
    _V("chunk_size_0x", _chunked(b"0x3\r\nabc\r\n0\r\n\r\n")),
    _V("chunk_size_leading_space", _chunked(b" 3\r\nabc\r\n0\r\n\r\n")),
    _V("chunk_size_trailing_space", _chunked(b"3 \r\nabc\r\n0\r\n\r\n")),
    _V("chunk_size_overflow", _chunked(b"fffffffffffffffff1\r\na\r\n0\r\n\r\n")),
    _V("chunk_data_too_long", _chunked(b"3\r\nabcd\r\n0\r\n\r\n")),
    _V("chunk_missing_crlf", _chunked(b"3\r\nabc0\r\n\r\n")),
    _V("chunk_bare_lf_after_size", _chunked(b"3\nabc\r\n0\r\n\r\n")),
    _V("chunk_bare_lf_after_data", _chunked(b"3\r\nabc\n0\r\n\r\n")),
    _V("chunk_ext_nul", _chunked(b"3;a\x00b\r\nabc\r\n0\r\n\r\n")),
    _V("chunk_ext_bare_cr", _chunked(b"3;a\rb\r\nabc\r\n0\r\n\r\n")),
    _V("chunk_ext_over_16k", _chunked(b"1;a=" + b"x" * 17000 + b"\r\nz\r\n0\r\n\r\n")),
    _V("chunk_ext_over_16k_many_params", _chunked(b"1" + b";k=v" * 4200 + b"\r\nz\r\n0\r\n\r\n")),
    _V("trailer_bad_char", _chunked(b"1\r\na\r\n0\r\nT\x01: v\r\n\r\n")),
    _V("trailer_obs_fold", _chunked(b"1\r\na\r\n0\r\nT: v\r\n w\r\n\r\n")),
    # -- line endings and bytes that do not belong -----------------------------------------
    _V("bare_lf_everywhere", b"GET / HTTP/1.1\nHost: x\n\n"),
    _V("bare_lf_request_line", b"GET / HTTP/1.1\nHost: x\r\n\r\n"),
    _V("bare_lf_header_line", b"GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n"),
    _V("bare_lf_end_of_head", b"GET / HTTP/1.1\r\nHost: x\r\n\n"),
    _V("bare_cr_request_line", b"GET / HTTP/1.1\rHost: x\r\n\r\n"),
    _V("bare_cr_header_value", _req(b"GET / HTTP/1.1", H.strip(), b"X: a\rb")),
    _V("cr_cr_lf", b"GET / HTTP/1.1\r\r\nHost: x\r\n\r\n"),
    _V("obs_fold", _req(b"GET / HTTP/1.1", H.strip(), b"X: a", b" b")),
    _V("obs_fold_tab", _req(b"GET / HTTP/1.1", H.strip(), b"X: a", b"\tb")),
    _V("ctl_in_name", _req(b"GET / HTTP/1.1", H.strip(), b"X\x01Y: a")),
    _V("ctl_in_value", _req(b"GET / HTTP/1.1", H.strip(), b"X: a\x01b")),
    _V("nul_in_value", _req(b"GET / HTTP/1.1", H.strip(), b"X: a\x00b")),
    _V("del_in_value", _req(b"GET / HTTP/1.1", H.strip(), b"X: a\x7fb")),
    _V("space_in_name", _req(b"GET / HTTP/1.1", H.strip(), b"X Y: a")),
    _V("colon_missing", _req(b"GET / HTTP/1.1", H.strip(), b"NoColonHere")),
    _V("empty_name", _req(b"GET / HTTP/1.1", H.strip(), b": v")),
    _V("name_utf8", _req(b"GET / HTTP/1.1", H.strip(), b"X-\xc3\xa9: v")),
    _V("url_space", b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n"),
    _V("url_ctl", b"GET /a\x01 HTTP/1.1\r\nHost: x\r\n\r\n"),
    _V("url_del", b"GET /a\x7f HTTP/1.1\r\nHost: x\r\n\r\n"),
    _V("url_tab", b"GET /a\tb HTTP/1.1\r\nHost: x\r\n\r\n"),
    _V("url_high_byte", b"GET /caf\xe9 HTTP/1.1\r\nHost: x\r\n\r\n"),
    _V("url_empty", b"GET  HTTP/1.1\r\nHost: x\r\n\r\n"),
    _V("two_spaces_after_method", b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n"),
    _V("leading_space", b" GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
    _V("tls_hello_on_http", b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + b"\x00" * 32),
    # -- methods and versions --------------------------------------------------------------
    _V("method_space", b"GE T / HTTP/1.1\r\nHost: x\r\n\r\n"),
    _V("method_lowercase", b"get / HTTP/1.1\r\nHost: x\r\n\r\n"),
    _V("method_unknown", b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n"),
    _V("method_nul", b"G\x00ET / HTTP/1.1\r\nHost: x\r\n\r\n"),
    _V("method_missing", b"/ HTTP/1.1\r\nHost: x\r\n\r\n"),
    _V("version_1_2", b"GET / HTTP/1.2\r\nHost: x\r\n\r\n"),
    _V("version_2_0", b"GET / HTTP/2.0\r\nHost: x\r\n\r\n"),
    _V("version_9_1", b"GET / HTTP/9.1\r\nHost: x\r\n\r\n"),
    _V("version_0_9", b"GET / HTTP/0.9\r\n\r\n"),
    _V("version_1_10", b"GET / HTTP/1.10\r\nHost: x\r\n\r\n"),
    _V("version_lowercase", b"GET / http/1.1\r\nHost: x\r\n\r\n"),
    _V("version_missing", b"GET /\r\nHost: x\r\n\r\n"),
    _V("h2_preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
    # -- limits ----------------------------------------------------------------------------
    _V("header_counted_16384", _counted(16384)),
    _V("header_counted_16385", _counted(16385)),
    _V("url_16384", _req(b"GET /" + b"p" * 16383 + b" HTTP/1.1", H.strip())),
    _V("url_20000", _req(b"GET /" + b"p" * 19999 + b" HTTP/1.1", H.strip())),
    _V("header_name_17000", _req(b"GET / HTTP/1.1", H.strip(), b"X" * 17000 + b": v")),
    _V("headers_2100", _many_headers(2100)),
    _V("headers_101_max_50", _many_headers(100), server={"maxHeadersCount": 50}),
    _V("trailer_over_16k", _chunked(b"1\r\na\r\n0\r\nT: " + b"t" * 16400 + b"\r\n\r\n")),
    # -- connection state ------------------------------------------------------------------
    _V("two_hosts", _req(b"GET / HTTP/1.1", b"Host: a", b"Host: b"), spec9=TWO_HOSTS),
    _V("missing_host_http11", _req(b"GET / HTTP/1.1")),
    _V("garbage_after_request", OK_GET + b"GARBAGE\r\n\r\n", spec9=GARBAGE_AFTER),
    _V("garbage_bytes_after_request", OK_GET + b"\x00\x01\x02\xff", spec9=GARBAGE_AFTER),
    _V("request_after_close", _req(b"GET /1 HTTP/1.1", H.strip(), b"Connection: close") + OK_GET, spec9=CLOSE_THEN),
    _V("post_after_close", _req(b"GET /1 HTTP/1.1", H.strip(), b"Connection: close") + _req(b"POST /2 HTTP/1.1", H.strip(), b"Content-Length: 1", body=b"x"), spec9=CLOSE_THEN),
    _V("body_cut_by_eof", _req(b"POST / HTTP/1.1", H.strip(), b"Content-Length: 10", body=b"12345"), half=True),
    _V("chunked_cut_by_eof", _chunked(b"5\r\nhel"), half=True),
    _V("head_cut_by_eof", b"GET / HTTP/1.1\r\nHost: x\r\nX-Half: ", half=True),
    _V("request_then_eof", OK_GET, half=True),
    _V("pipeline_then_eof", OK_GET + _req(b"GET /2 HTTP/1.1", H.strip()), half=True, judge_tls_by_tcp=True),
    _V("cl_body_then_extra_then_eof", _req(b"POST / HTTP/1.1", H.strip(), b"Content-Length: 2", body=b"hiGET"), half=True, judge_tls_by_tcp=True),
]
# fmt: on


def by_name() -> dict[str, Vector]:
    out = {v.name: v for v in VECTORS}
    assert len(out) == len(VECTORS), "vector names must be unique"
    return out
