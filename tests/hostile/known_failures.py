"""What nodehttps gets wrong today, per vector and send mode: each such case is marked
``xfail(strict=True)`` with the reason, so it turns red once fixed (then delete its
entry here). The expectations themselves come from Node's verdicts or SPEC §9 only.

``where`` is ``*`` (every mode and transport) or space-separated send modes, each
optionally narrowed to a transport (``eager/tls``).
"""

from __future__ import annotations

URL_SPLIT = "issue 8 item 1: a URL split across reads reaches the handler cut"
HEADER_431 = (
    "issue 8 item 3: Node's header-size boundary (URL, names and values: 16384 bytes is 431)"
)
HEADERS_COUNT = "issue 8 item 3: max_headers_count cuts rawHeaders/headers as Node does"
TRAILER_431 = "issue 8 item 3: trailers count against max_header_size (Node: 431)"
CHUNK_EXT = "issue 8 item 4: chunk-extension bytes counted as Node counts them (413 past 16 KiB)"
GARBAGE_AFTER = "issue 8 item 5: SPEC §9, a valid request then garbage is answered 200 then 400"
AFTER_CLOSE = "issue 8 item 5: SPEC §9, requests after `Connection: close` ignored: one 200, close"
EOF_400 = "issue 8 item 6: a request cut short by the client's EOF gets Node's 400"
# Found by this suite, not listed in issue 8:
OWS = "new: Node strips trailing whitespace from header values; nodehttps keeps it"
UPGRADE_REST = (
    "new: after an Upgrade request nobody handles, Node parses nothing more on the "
    "connection; nodehttps answers the next pipelined request"
)
TLS_FIRST_FLIGHT = (
    "new: over TLS, a request followed by close_notify in the client's first flight "
    "(with its Finished) reaches the handler but is never answered"
)
HTTP20 = (
    "new: Node answers a request line `HTTP/2.0` as HTTP/1.0 (minor 0: no Content-Length, "
    "body until close); nodehttps adds Content-Length"
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Vectors whose URL reaches the handler cut when the URL is split: "bytes" always cuts
# it; "split" only where a seeded cut point lands inside it.
_URL_CUT_BYTES = _words(
    """
    chunk_bare_lf_after_data chunk_bare_lf_after_size chunk_data_too_long chunk_ext_bare_cr
    chunk_ext_nul chunk_ext_over_16k chunk_ext_over_16k_many_params chunk_size_leading_space
    chunk_size_letters chunk_size_negative chunk_size_overflow chunk_size_trailing_space
    chunked_cut_by_eof chunked_ext_small chunked_many_ext_under_limit
    chunked_size_leading_zeros chunked_size_upper_hex chunked_trailers body_cut_by_eof
    cl_body_then_extra_then_eof connection_close delete dup_headers_joined expect_100
    header_case_kept header_ows header_token_chars headers_100 headers_101_max_50
    host_with_port http10_keepalive_pipeline http10_post_cl leading_crlf method_propfind
    options_asterisk pipeline_3_mixed pipeline_then_eof post_cl post_cl_binary
    te_chunked_uppercase te_gzip_only te_identity_then_chunked te_on_http10 te_trailing_space
    te_xchunked trailer_bad_char trailer_obs_fold trailer_over_16k two_spaces_after_method
    upgrade_no_listener version_0_9 version_2_0 version_missing get garbage_after_request
    garbage_bytes_after_request post_after_close
"""
)
_URL_CUT_BYTES_AND_SPLIT = _words(
    """
    chunk_missing_crlf chunk_size_0x chunked expect_100_http10 get_absolute_form
    get_fragment get_long_url get_path_dots get_query head header_empty_value
    header_obs_text_value header_tab_in_value host_empty http10 http10_keepalive
    method_msearch method_purge pipeline_2 pipeline_5 pipeline_5_last_close
    post_cl_leading_zeros post_cl_zero request_then_eof te_tab_before_value url_15000
    request_after_close
"""
)

_OTHER: dict[str, list[tuple[str, str]]] = {
    "body_cut_by_eof": [("*", EOF_400)],
    "chunked_cut_by_eof": [("*", EOF_400)],
    "head_cut_by_eof": [("*", EOF_400)],
    "cl_body_then_extra_then_eof": [
        ("whole eager/tcp bytes split", EOF_400),
        ("eager/tls", TLS_FIRST_FLIGHT),
    ],
    "pipeline_then_eof": [("eager/tls", TLS_FIRST_FLIGHT)],
    "request_then_eof": [("eager/tls", TLS_FIRST_FLIGHT)],
    "chunk_ext_over_16k": [("*", CHUNK_EXT)],
    "chunk_ext_over_16k_many_params": [("bytes", CHUNK_EXT)],
    "trailer_over_16k": [("*", TRAILER_431), ("bytes", CHUNK_EXT)],
    "header_counted_16384": [("*", HEADER_431)],
    "headers_101_max_50": [("*", HEADERS_COUNT)],
    "headers_2100": [("*", HEADERS_COUNT)],
    "garbage_after_request": [("*", GARBAGE_AFTER)],
    "garbage_bytes_after_request": [("*", GARBAGE_AFTER)],
    "post_after_close": [("*", AFTER_CLOSE)],
    "request_after_close": [("*", AFTER_CLOSE)],
    "header_ows": [("*", OWS)],
    "te_trailing_space": [("*", OWS)],
    "upgrade_no_listener_pipeline": [("*", UPGRADE_REST)],
    "version_2_0": [("*", HTTP20)],
}


def _entries(name: str) -> list[tuple[str, str]]:
    out = list(_OTHER.get(name, []))
    if name in _URL_CUT_BYTES:
        out.append(("bytes", URL_SPLIT))
    if name in _URL_CUT_BYTES_AND_SPLIT:
        out.append(("bytes split", URL_SPLIT))
    return out


def _matches(where: str, mode: str, transport: str) -> bool:
    if where == "*":
        return True
    return any(w in (mode, f"{mode}/{transport}") for w in where.split())


def vector_failure(name: str, mode: str, transport: str) -> str | None:
    """Why this vector fails today in this mode and transport, or None."""
    reasons = [r for where, r in _entries(name) if _matches(where, mode, transport)]
    return " + ".join(reasons) or None


def all_reasons() -> set[str]:
    """Every reason in the table (for the report)."""
    return {
        r
        for name in {*_OTHER, *_URL_CUT_BYTES, *_URL_CUT_BYTES_AND_SPLIT}
        for _, r in _entries(name)
    }


# -- the client, on response vectors -------------------------------------------------------
STATUS_SPLIT = "issue 8 item 1, client side: a status text split across reads arrives cut"
LLHTTP_CODES = "issue 8 item 7: llhttp's own error code for this reason string"
CHUNK_EXT_CLIENT = (
    "issue 8 item 4: client, chunk extensions past 16 KiB: HPE_CHUNK_EXTENSIONS_OVERFLOW"
)
CLIENT_HEADERS_COUNT = "issue 8 item 3, client side: Node's default header count cuts rawHeaders"
CLIENT_HEADER_431 = (
    "issue 8 item 3, client side: Node's header-size boundary (16384 counted bytes: "
    "HPE_HEADER_OVERFLOW), trailers included"
)
CLOSE_ORDER = "new: the request's 'close' comes before the response's (Node: res, then req)"
AFTER_RESPONSE = (
    "new: bytes after a complete response on a connection that is not reused: Node parses "
    "them and emits 'error' HPE_INVALID_CONSTANT; nodehttps ignores them"
)
DATA_BEFORE_ERROR = (
    "new: a chunk's 'data' is emitted before the parse 'error' (Node emits the error "
    "first and the data on the next tick)"
)
TE_NOT_CHUNKED = (
    "new: a response whose Transfer-Encoding does not end in chunked is read until close "
    "(Node: 'end'); nodehttps reports 'aborted'"
)

_RESPONSE: dict[str, list[tuple[str, str]]] = {
    "chunk_bare_lf_after_size": [("*", LLHTTP_CODES), ("bytes split", STATUS_SPLIT)],
    "chunk_ext_bare_cr": [("*", LLHTTP_CODES), ("bytes", STATUS_SPLIT)],
    "chunk_ext_nul": [("*", LLHTTP_CODES), ("bytes", STATUS_SPLIT)],
    "chunk_size_leading_space": [("bytes split", STATUS_SPLIT)],
    "header_counted_16383": [("bytes", STATUS_SPLIT), ("*", CLOSE_ORDER)],
    "header_counted_16384": [("*", CLIENT_HEADER_431)],
    "trailer_bad_char": [("bytes", STATUS_SPLIT), ("*", DATA_BEFORE_ERROR)],
    "trailer_over_16k": [("bytes", STATUS_SPLIT), ("*", CLIENT_HEADER_431)],
    "bare_lf_after_status": [("*", LLHTTP_CODES)],
    "te_and_cl": [("*", LLHTTP_CODES)],
    "version_http2": [("*", LLHTTP_CODES)],
    "chunk_ext_over_16k": [("bytes", STATUS_SPLIT), ("*", CHUNK_EXT_CLIENT)],
    "headers_2100": [("bytes", STATUS_SPLIT), ("*", CLOSE_ORDER), ("*", CLIENT_HEADERS_COUNT)],
    "header_ows": [("bytes", STATUS_SPLIT), ("*", CLOSE_ORDER), ("*", OWS)],
    "body_then_extra_bytes": [("bytes", STATUS_SPLIT), ("*", AFTER_RESPONSE)],
    "chunk_missing_crlf": [("bytes", STATUS_SPLIT), ("*", DATA_BEFORE_ERROR)],
    "cl_body_short_then_reset": [("bytes", STATUS_SPLIT)],
    "te_chunked_not_last": [("bytes", STATUS_SPLIT), ("*", TE_NOT_CHUNKED)],
    "te_gzip_close_delimited": [("bytes", STATUS_SPLIT), ("*", TE_NOT_CHUNKED)],
    "chunk_size_letters": [("bytes", STATUS_SPLIT)],
    "chunk_size_overflow": [("bytes", STATUS_SPLIT)],
    "chunked_no_last_chunk_then_close": [("bytes", STATUS_SPLIT)],
    "chunked_cut_then_close": [("bytes split", STATUS_SPLIT)],
    "cl_body_short_then_close": [("bytes split", STATUS_SPLIT)],
    "chunked": [("bytes", STATUS_SPLIT), ("*", CLOSE_ORDER)],
    "chunked_ext_small": [("bytes", STATUS_SPLIT), ("*", CLOSE_ORDER)],
    "chunked_trailers": [("bytes", STATUS_SPLIT), ("*", CLOSE_ORDER)],
    "cl": [("bytes", STATUS_SPLIT), ("*", CLOSE_ORDER)],
    "early_hints_then_200": [("bytes", STATUS_SPLIT), ("*", CLOSE_ORDER)],
    "status_304_with_cl": [("bytes", STATUS_SPLIT), ("*", CLOSE_ORDER)],
    "cl_keep_open": [("bytes split", STATUS_SPLIT), ("*", CLOSE_ORDER)],
    "close_delimited": [("bytes split", STATUS_SPLIT), ("*", CLOSE_ORDER)],
    "continue_then_200": [("bytes split", STATUS_SPLIT), ("*", CLOSE_ORDER)],
    "dup_headers": [("bytes split", STATUS_SPLIT), ("*", CLOSE_ORDER)],
    "head_with_cl": [("bytes split", STATUS_SPLIT), ("*", CLOSE_ORDER)],
    "http10_close_delimited": [("bytes split", STATUS_SPLIT), ("*", CLOSE_ORDER)],
    "reason_odd": [("bytes split", STATUS_SPLIT), ("*", CLOSE_ORDER)],
    "status_204": [("bytes split", STATUS_SPLIT), ("*", CLOSE_ORDER)],
    "processing_x1000_then_200": [("*", CLOSE_ORDER)],
    "reason_empty": [("*", CLOSE_ORDER)],
    "reason_missing": [("*", CLOSE_ORDER)],
}


def response_failure(name: str, mode: str) -> str | None:
    """Why the client gets this response vector wrong today in this mode, or None."""
    reasons = [r for where, r in _RESPONSE.get(name, []) if _matches(where, mode, "tcp")]
    return " + ".join(reasons) or None


# -- 'clientError' codes on the server ------------------------------------------------------
_CODES: dict[str, list[tuple[str, str]]] = {
    **{
        name: [("*", LLHTTP_CODES)]
        for name in _words(
            """
            te_cl te_chunked_identity te_chunked_twice_list te_leading_space_line
            te_two_headers chunk_bare_lf_after_size chunk_bare_lf_after_data chunk_ext_nul
            chunk_ext_bare_cr bare_cr_request_line cr_cr_lf h2_preface
            """
        )
    },
    **{
        name: [("*", EOF_400)]
        for name in ("body_cut_by_eof", "chunked_cut_by_eof", "head_cut_by_eof")
    },
    "cl_body_then_extra_then_eof": [("*", EOF_400)],
    "header_counted_16384": [("*", HEADER_431)],
    "trailer_over_16k": [("*", TRAILER_431), ("bytes", CHUNK_EXT)],
    "chunk_ext_over_16k": [("whole split", CHUNK_EXT)],
    "chunk_ext_over_16k_many_params": [("bytes", CHUNK_EXT)],
}


def code_failure(name: str, mode: str) -> str | None:
    """Why the server's 'clientError' code for this vector is wrong today, or None."""
    reasons = [r for where, r in _CODES.get(name, []) if _matches(where, mode, "tcp")]
    return " + ".join(reasons) or None
