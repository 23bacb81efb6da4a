"""The TLS layer's joints: the engine's states, errors chained to their ``ssl`` cause,
per-context state in one side table (nothing set on ``ssl`` objects), OpenSSL callbacks
that no context owns (10,000 contexts keep nothing; a context's ``SSL_CTX`` outliving
its Python object calls nothing freed), and ticket keys shared between servers."""

from __future__ import annotations

import asyncio
import gc
import os
import ssl
import tracemalloc
import weakref
from _ctypes import CFuncPtr
from collections.abc import Callable
from typing import Any

import pytest

from harness import Run, once, reject, resolve
from nodehttps import tls
from nodehttps.tls import _ctxstate, _hooks, _libssl, _reports
from nodehttps.tls._engine import TLSState
from tls_pki import PKI

needs_bridge = pytest.mark.skipif(not _libssl.available(), reason="needs the libssl bridge")


@pytest.fixture(scope="module")
def certs() -> PKI:
    return PKI()


async def _serve(
    options: dict[str, Any], on_secure: Callable[[tls.TLSSocket], object] | None = None
) -> tuple[tls.Server, int]:
    server = tls.create_server(options, on_secure)
    server.on("tlsClientError", lambda err, sock: None)
    listening = once(server, "listening")
    server.listen(0, "127.0.0.1")
    await listening
    return server, int(server.address()["port"])


async def _secure(sock: tls.TLSSocket) -> tls.TLSSocket:
    fut: asyncio.Future[tls.TLSSocket] = asyncio.get_running_loop().create_future()
    sock.on("secureConnect", lambda: resolve(fut, sock))
    sock.on("error", lambda err: reject(fut, err))
    return await asyncio.wait_for(fut, 5)


def _state(sock: tls.TLSSocket) -> TLSState:
    """The engine's state now (a call: a checker would keep an earlier reading)."""
    return sock._engine.state


# -- states --------------------------------------------------------------------------------------
def test_engine_states_over_a_connection(run: Run, certs: PKI) -> None:
    """NEW -> HANDSHAKING -> HELD (verifying, inside 'secure') -> SECURE -> CLOSING
    (our close_notify) -> CLOSED; the facts the socket keeps outlive the end."""

    async def main() -> None:
        seen: list[TLSState] = []
        server, port = await _serve(certs.leaf.server_options(), lambda s: s.resume())
        sock: tls.TLSSocket = tls.connect(
            {
                "port": port,
                "host": "localhost",
                "ca": certs.ca,
                "check_server_identity": lambda host, cert: seen.append(_state(sock)),
            }
        )
        assert _state(sock) is TLSState.NEW
        sock.on("connect", lambda: seen.append(_state(sock)))
        sock.on("secureConnect", lambda: seen.append(_state(sock)))
        await _secure(sock)
        # 'connect' comes as the transport is attached (the ClientHello follows at once);
        # the identity check runs before the release, 'secureConnect' after it
        assert seen == [
            TLSState.NEW,
            TLSState.HELD,
            TLSState.SECURE,
        ]  # the identity check runs before the release
        assert _state(sock) is TLSState.SECURE
        sock.end()
        assert _state(sock) is TLSState.CLOSING
        await sock.wait_closed()
        assert _state(sock) is TLSState.CLOSED
        assert sock._engine.handshake_finished and sock._engine.released
        assert sock.get_cipher() is not None  # the connection's facts stay readable
        server.close()

    run(main())


def test_server_holds_the_client_hello_while_asking(run: Run, certs: PKI) -> None:
    """A server with an async SNICallback: HELLO while the ClientHello comes in, ASKING
    while the callback has not answered, then the handshake."""

    async def main() -> None:
        states: list[TLSState] = []
        accepted_sockets: list[tls.TLSSocket] = []
        asked: asyncio.Future[Callable[..., None]] = asyncio.get_running_loop().create_future()
        server = tls.create_server(
            {**certs.leaf.server_options(), "SNICallback": lambda name, cb: resolve(asked, cb)}
        )

        def on_connection(sock: tls.TLSSocket) -> None:
            states.append(sock._engine.state)
            accepted_sockets.append(sock)

        server.on("connection", on_connection)
        accepted: asyncio.Future[tls.TLSSocket] = asyncio.get_running_loop().create_future()
        server.on("secureConnection", lambda sock: resolve(accepted, sock))
        listening = once(server, "listening")
        server.listen(0, "127.0.0.1")
        await listening
        client = tls.connect(
            {"port": server.address()["port"], "host": "localhost", "servername": "localhost"}
            | {"ca": certs.ca}
        )
        answer = await asyncio.wait_for(asked, 5)
        assert accepted_sockets[0]._engine.state is TLSState.ASKING
        answer(None, None)
        await _secure(client)
        assert (await asyncio.wait_for(accepted, 5))._engine.state is TLSState.SECURE
        assert states == [TLSState.NEW]
        client.destroy()
        server.close()

    run(main())


# -- errors ----------------------------------------------------------------------------------------
def test_translated_errors_keep_their_ssl_cause(run: Run, certs: PKI) -> None:
    async def main() -> None:
        server, port = await _serve(certs.leaf.server_options())
        failed: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()
        server.on("tlsClientError", lambda err, sock: resolve(failed, err))
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"\x16\x03\x01\x00\x05hello")  # a handshake record that is garbage
        err = await asyncio.wait_for(failed, 5)
        writer.close()
        assert getattr(err, "code", "").startswith("ERR_SSL_")
        assert isinstance(err.__cause__, ssl.SSLError)
        server.close()

    run(main())


def test_a_bad_record_while_ending_is_reported_not_swallowed(run: Run, certs: PKI) -> None:
    """end() sends close_notify (unwrap); when what came in meanwhile is no valid
    record, that is an error on the socket, as any bad record is (it was swallowed)."""

    async def main() -> None:
        ready: asyncio.Future[tls.TLSSocket] = asyncio.get_running_loop().create_future()
        server, port = await _serve(certs.leaf.server_options(), lambda s: resolve(ready, s))
        client = tls.connect({"port": port, "host": "localhost", "ca": certs.ca})
        await _secure(client)
        server_sock = await asyncio.wait_for(ready, 5)
        server_sock.pause()
        errors_seen: list[BaseException] = []
        server_sock.on("error", errors_seen.append)
        # A forged application-data record lands in the engine's input, unread; then
        # end() runs close_notify, whose read of the peer's reply meets it.
        server_sock._engine._in.write(b"\x17\x03\x03\x00\x20" + os.urandom(32))
        server_sock.end()
        await server_sock.wait_closed()
        assert [getattr(e, "code", None) for e in errors_seen] in (
            ["ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC"],
            ["ERR_SSL_BAD_RECORD_MAC"],
        )
        assert isinstance(errors_seen[0].__cause__, ssl.SSLError)
        client.destroy()
        server.close()

    run(main())


# -- no state on ssl objects ---------------------------------------------------------------------
@needs_bridge
def test_nothing_is_set_on_ssl_objects(run: Run, certs: PKI) -> None:
    """Keylog, sessions, ALPN callbacks, SNI: all in the side table, none as attributes
    of the SSLContext or the SSLObject."""

    async def main() -> None:
        server, port = await _serve(
            {**certs.leaf.server_options(), "ALPNProtocols": ["h2"]}, lambda s: s.end()
        )
        server.on("keylog", lambda line, sock: None)
        server.on("newSession", lambda sid, data, cb: cb())
        sock = tls.connect(
            {"port": port, "host": "localhost", "ca": certs.ca, "servername": "localhost"}
            | {"ALPNProtocols": ["h2"]}
        )
        sock.on("keylog", lambda line: None)
        sock.on("session", lambda session: None)
        await _secure(sock)
        await sock.wait_closed()
        contexts = [server._secure_context.context, sock._ctx]
        for ctx in contexts:
            assert not [k for k in vars(ctx) if "nodehttps" in k], vars(ctx)
            assert _ctxstate.peek(ctx) is not None
        assert not [k for k in vars(sock._obj) if "nodehttps" in k]
        server.close()

    run(main())


# -- callbacks no context owns -------------------------------------------------------------------
def _ctypes_callbacks() -> int:
    return sum(1 for obj in gc.get_objects() if isinstance(obj, CFuncPtr))


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _context_with_every_callback() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    watch = _reports.Watch()
    watch.keylog = watch.sessions = watch.store = True
    _reports.install(ctx, watch)
    _reports.serve_offered_sessions(ctx)
    _hooks.use_alpn_protocols(ctx, ["h2", "http/1.1"])
    _hooks.accept_any_peer_certificate(ctx)
    _hooks.node_session_cache(ctx)
    return ctx


@needs_bridge
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads RSS from /proc")
def test_ten_thousand_contexts_keep_nothing() -> None:
    for _ in range(200):  # warm up allocators and caches
        _context_with_every_callback()
    gc.collect()
    callbacks = _ctypes_callbacks()
    rss = _rss()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(10_000):
            _context_with_every_callback()
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert _ctypes_callbacks() == callbacks  # no ctypes callback per context
    assert _libssl.callback_count() == 6  # the bridge's own, made once
    assert _ctxstate.count() < 100  # the side table let the contexts go
    assert grown < 256 * 1024, grown  # Python memory
    assert _rss() - rss < 16 * 1024 * 1024  # and OpenSSL's (an SSL_CTX is ~1 KB+)


def _handshake(client: ssl.SSLObject, server: ssl.SSLObject, pipes: list[ssl.MemoryBIO]) -> None:
    c_in, c_out, s_in, s_out = pipes
    for _ in range(10):
        for obj in (client, server):
            try:
                obj.do_handshake()
            except ssl.SSLWantReadError:
                pass
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        try:
            client.read(1)
        except ssl.SSLWantReadError:
            pass
        if client.version() and server.version() and not (c_out.pending or s_out.pending):
            return
    raise AssertionError("no handshake")


@needs_bridge
def test_callbacks_outlive_the_python_context(certs: PKI) -> None:
    """A connection moved to another context (an SNI switch) keeps its first SSL_CTX as
    its session context, and OpenSSL reports new sessions through that one: after its
    Python object is gone, the report still arrives, through a callback nobody freed."""
    first = _copy_context(certs)
    watch = _reports.Watch()
    watch.store = True
    _reports.install(first, watch)
    second = _copy_context(certs)
    pipes = [ssl.MemoryBIO() for _ in range(4)]
    server = first.wrap_bio(pipes[2], pipes[3], server_side=True)
    server.context = second  # what an SNI switch does
    watch.attach(server)
    alive = weakref.ref(first)
    del first
    gc.collect()
    assert alive() is None  # the Python context is gone; its SSL_CTX is not
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.check_hostname = False
    client_ctx.verify_mode = ssl.CERT_NONE
    client = client_ctx.wrap_bio(pipes[0], pipes[1])
    _handshake(client, server, pipes)
    sessions = watch.take_server_sessions()
    watch.detach()
    assert sessions and all(sid and der for sid, der in sessions)


def _copy_context(certs: PKI) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".pem") as f:
        f.write(certs.leaf.key_pem + certs.leaf.cert_pem)
        f.flush()
        ctx.load_cert_chain(f.name)
    return ctx


# -- bytes counted -------------------------------------------------------------------------------
def test_byte_counters_count_plaintext_as_node(run: Run, certs: PKI) -> None:
    """Node's ``bytesRead``/``bytesWritten`` on a TLS socket are application bytes."""

    async def main() -> None:
        got: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def on_secure(sock: tls.TLSSocket) -> None:
            def on_data(_chunk: bytes) -> None:
                sock.end(b"xy")
                resolve(got, sock.bytes_read)

            sock.on("data", on_data)

        server, port = await _serve(certs.leaf.server_options(), on_secure)
        client = await _secure(tls.connect({"port": port, "host": "localhost", "ca": certs.ca}))
        assert (client.bytes_read, client.bytes_written) == (0, 0)
        client.write(b"hello")
        assert await asyncio.wait_for(got, 5) == 5
        client.resume()
        await client.wait_closed()
        assert (client.bytes_read, client.bytes_written) == (2, 5)
        server.close()

    run(main())


# -- ticket keys shared between servers (processes) ----------------------------------------------
@needs_bridge
@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
@pytest.mark.parametrize("shared", [True, False])
def test_servers_sharing_ticket_keys_resume_each_others_sessions(
    run: Run, certs: PKI, version: str, shared: bool
) -> None:
    """Server A (``ticketKeys`` option) and server B (``set_ticket_keys``) are two
    contexts, as in two processes: a session from A resumes on B when the keys are the
    same, and only then."""
    keys = bytes(range(48))

    async def main() -> None:
        a, port_a = await _serve(
            {**certs.leaf.server_options(), "ticketKeys": keys, "maxVersion": version},
            lambda s: s.end(),
        )
        b, port_b = await _serve(
            {**certs.leaf.server_options(), "sessionTimeout": 600, "maxVersion": version},
            lambda s: s.end(),
        )
        assert a._secure_context.context is not b._secure_context.context
        b.set_ticket_keys(keys if shared else os.urandom(48))
        assert a.get_ticket_keys() == keys
        assert (b.get_ticket_keys() == keys) is shared
        sessions: list[tls.TLSSession] = []
        first = tls.connect({"port": port_a, "host": "localhost", "ca": certs.ca})
        first.on("session", sessions.append)
        await _secure(first)
        first.resume()
        await first.wait_closed()
        assert sessions
        resumed_on_b: list[bool] = []
        b.on("secureConnection", lambda s: resumed_on_b.append(s.is_session_reused()))
        second = tls.connect(
            {"port": port_b, "host": "localhost", "ca": certs.ca, "session": sessions[-1]}
        )
        await _secure(second)
        assert second.is_session_reused() is shared
        second.resume()
        await second.wait_closed()
        assert resumed_on_b == [shared]
        a.close()
        b.close()

    run(main())
