"""tls.Server: secureConnection, tlsClientError, handshake timeout, client certificates,
SNI contexts, keylog, ticket keys."""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import Callable
from typing import Any

import pytest

from harness import Run, emitted, once, resolve
from nodehttps import errors, tls
from nodehttps.tls import _libssl
from rawpeer import RawClient
from tls_pki import PKI


@pytest.fixture(scope="module")
def certs() -> PKI:
    return PKI()


class Watch:
    """A tls.Server and what it reported."""

    def __init__(self, server: tls.Server) -> None:
        self.server = server
        self.secure: list[tls.TLSSocket] = []
        self.client_errors: list[tuple[BaseException, tls.TLSSocket]] = []
        loop = asyncio.get_running_loop()
        self.first_error: asyncio.Future[BaseException] = loop.create_future()
        self.first_secure: asyncio.Future[tls.TLSSocket] = loop.create_future()
        server.on("secureConnection", self._on_secure)
        server.on("tlsClientError", self._on_error)

    def _on_secure(self, sock: tls.TLSSocket) -> None:
        self.secure.append(sock)
        sock.on("data", lambda d: sock.write(b"echo:" + d))
        sock.on("error", lambda err: None)
        resolve(self.first_secure, sock)

    def _on_error(self, err: BaseException, sock: tls.TLSSocket) -> None:
        self.client_errors.append((err, sock))
        resolve(self.first_error, err)

    async def error(self) -> errors.NodeError:
        """The first ``'tlsClientError'``'s error (one of Node's: it has a ``code``)."""
        err = await asyncio.wait_for(self.first_error, 5)
        assert isinstance(err, errors.NodeError), repr(err)
        return err

    @property
    def port(self) -> int:
        return int(self.server.address()["port"])


async def start(options: dict[str, Any], *, listen_errors: bool = True) -> Watch:
    server = tls.create_server(options)
    watch = Watch(server)
    if not listen_errors:
        server.remove_all_listeners("tlsClientError")
    listening = once(server, "listening")
    server.listen(0, "127.0.0.1")
    await listening
    return watch


Outcome = str | BaseException  # 'secure', 'closed' or the error


async def client(port: int, **options: Any) -> tuple[tls.TLSSocket, asyncio.Future[Outcome]]:
    """A client; the future resolves to 'secure' or the error."""
    fut: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
    sock = tls.connect({"port": port, "host": "localhost", **options})
    sock.on("secureConnect", lambda: resolve(fut, "secure"))
    sock.on("error", lambda err: resolve(fut, err))
    sock.on("close", lambda *_: resolve(fut, "closed"))
    return sock, fut


# -- failed handshakes ---------------------------------------------------------------------------
def test_garbage_gives_tls_client_error(run: Run, certs: PKI) -> None:
    async def main() -> None:
        watch = await start(certs.leaf.server_options())
        raw = await RawClient.connect(watch.port)
        await raw.send(b"A" * 100)
        err = await watch.error()
        assert err.code == "ERR_SSL_WRONG_VERSION_NUMBER"
        assert re.search(r"SSL routines:[^:]*:wrong version number", str(err))
        assert watch.client_errors[0][1].encrypted is True
        assert await raw.read_all() == b""
        watch.server.close()

    run(main())


def test_plain_http_to_the_tls_port(run: Run, certs: PKI) -> None:
    async def main() -> None:
        watch = await start(certs.leaf.server_options())
        raw = await RawClient.connect(watch.port)
        await raw.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        err = await watch.error()
        assert err.code == "ERR_SSL_HTTP_REQUEST"
        assert "http request" in str(err)
        assert await raw.read_all() == b"", "closed with zero bytes, as Node"
        watch.server.close()

    run(main())


def test_client_hanging_up_mid_handshake(run: Run, certs: PKI) -> None:
    async def main() -> None:
        watch = await start(certs.leaf.server_options())
        raw = await RawClient.connect(watch.port)
        raw.writer.write_eof()
        err = await watch.error()
        assert err.code == "ECONNRESET" and str(err) == "socket hang up"
        raw.close()
        watch.server.close()

    run(main())


@pytest.mark.parametrize("listening", [True, False])
def test_handshake_timeout(run: Run, certs: PKI, listening: bool) -> None:
    async def main() -> None:
        watch = await start(
            {**certs.leaf.server_options(), "handshake_timeout": 60}, listen_errors=listening
        )
        assert watch.server.handshake_timeout == 60
        raw = await RawClient.connect(watch.port)
        if listening:
            err = await watch.error()
            assert err.code == "ERR_TLS_HANDSHAKE_TIMEOUT"
            assert str(err) == "TLS handshake timeout"
            sock = watch.client_errors[0][1]
            assert not sock.destroyed, "the listener decides, as in Node"
            sock.destroy()
        assert await raw.read_all() == b""
        watch.server.close()

    run(main())


def test_default_handshake_timeout(run: Run, certs: PKI) -> None:
    async def main() -> None:
        server = tls.create_server(certs.leaf.server_options())
        assert server.handshake_timeout == 120000
        with pytest.raises(TypeError) as info:
            tls.create_server({**certs.leaf.server_options(), "handshakeTimeout": "x"})
        assert getattr(info.value, "code", None) == "ERR_INVALID_ARG_TYPE"

    run(main())


# -- client certificates ---------------------------------------------------------------------
def test_client_certificate_accepted(run: Run, certs: PKI) -> None:
    async def main() -> None:
        watch = await start({**certs.leaf.server_options(), "request_cert": True, "ca": certs.ca})
        sock, fut = await client(watch.port, ca=certs.ca, **certs.client.server_options())
        assert await fut == "secure"
        server_side = await asyncio.wait_for(watch.first_secure, 5)
        assert server_side.authorized is True
        assert server_side.authorization_error is None
        assert server_side.get_peer_certificate()["subject"]["CN"] == "client"
        sock.destroy()
        watch.server.close()

    run(main())


@pytest.mark.parametrize(
    ("version", "client_code"),
    [
        ("TLSv1.3", "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED"),
        ("TLSv1.2", "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE"),
    ],
)
def test_missing_client_certificate_rejected(
    run: Run, certs: PKI, version: str, client_code: str
) -> None:
    async def main() -> None:
        watch = await start(
            {
                **certs.leaf.server_options(),
                "request_cert": True,
                "reject_unauthorized": True,
                "ca": certs.ca,
                "max_version": version,
            }
        )
        sock, fut = await client(watch.port, ca=certs.ca)
        sock.on("error", lambda err: resolve(fut, err))
        first: Outcome | None = await fut
        if first == "secure":  # TLS 1.3: the client finished first; the alert follows
            done: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
            sock.on("error", lambda err: resolve(done, err))
            sock.on("close", lambda *_: resolve(done, None))
            first = await done
        assert getattr(first, "code", None) == client_code
        server_err = await watch.error()
        assert server_err.code == "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE"
        watch.server.close()

    run(main())


def test_missing_client_certificate_not_rejected(run: Run, certs: PKI) -> None:
    async def main() -> None:
        watch = await start(
            {
                **certs.leaf.server_options(),
                "request_cert": True,
                "reject_unauthorized": False,
                "ca": certs.ca,
            }
        )
        sock, fut = await client(watch.port, ca=certs.ca)
        assert await fut == "secure"
        server_side = await asyncio.wait_for(watch.first_secure, 5)
        assert server_side.authorized is False
        assert server_side.authorization_error == "UNABLE_TO_GET_ISSUER_CERT"
        sock.destroy()
        watch.server.close()

    run(main())


@pytest.mark.skipif(
    not _libssl.available(),
    reason="needs libssl's accept-all verify callback (Node's VerifyCallback)",
)
def test_untrusted_client_certificate_not_rejected(run: Run, certs: PKI) -> None:
    async def main() -> None:
        watch = await start(
            {
                **certs.leaf.server_options(),
                "request_cert": True,
                "reject_unauthorized": False,
                "ca": certs.ca,
            }
        )
        sock, fut = await client(watch.port, ca=certs.ca, **certs.other_client.server_options())
        assert await fut == "secure"
        server_side = await asyncio.wait_for(watch.first_secure, 5)
        assert server_side.authorized is False
        assert server_side.authorization_error == "UNABLE_TO_VERIFY_LEAF_SIGNATURE"
        sock.destroy()
        watch.server.close()

    run(main())


# -- SNI --------------------------------------------------------------------------------------
def test_add_context_with_wildcards(run: Run, certs: PKI) -> None:
    async def main() -> None:
        watch = await start(certs.leaf.server_options())
        watch.server.add_context("*.example.com", certs.cn_only.server_options())
        watch.server.add_context("exact.test", certs.self_signed.server_options())
        seen: dict[str, str] = {}
        for name in ("a.example.com", "exact.test", "localhost", "a.b.example.com"):
            sock, fut = await client(watch.port, servername=name, reject_unauthorized=False)
            assert await fut == "secure"
            seen[name] = sock.get_peer_certificate()["subject"]["CN"]
            sock.destroy()
        assert seen == {
            "a.example.com": "agent1",
            "exact.test": "localhost",
            "localhost": "localhost",
            "a.b.example.com": "localhost",
        }
        exact = await client(watch.port, servername="exact.test", reject_unauthorized=False)
        assert await exact[1] == "secure"
        assert exact[0].authorization_error == "DEPTH_ZERO_SELF_SIGNED_CERT"
        exact[0].destroy()
        assert [s.servername for s in watch.secure][:3] == [
            "a.example.com",
            "exact.test",
            "localhost",
        ]
        watch.server.close()

    run(main())


def test_async_sni_callback(run: Run, certs: PKI) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        other = tls.create_secure_context(certs.cn_only.server_options(), is_server=True)
        asked: list[str] = []

        def sni(servername: str, cb: Callable[..., None]) -> None:
            asked.append(servername)
            if servername == "bad.test":
                loop.call_later(0.01, cb, errors.make("ERR_MY_SNI", "no such host"))
            else:
                loop.call_later(0.01, cb, None, other if servername == "agent1" else None)

        watch = await start({**certs.leaf.server_options(), "SNICallback": sni})
        sock, fut = await client(watch.port, servername="agent1", ca=certs.ca)
        assert await fut == "secure"
        assert sock.authorized is True, "agent1 is the CN of the context the callback chose"
        sock.destroy()
        plain, fut2 = await client(watch.port, ca=certs.ca, servername="localhost")
        assert await fut2 == "secure"
        assert plain.get_peer_certificate()["subject"]["CN"] == "localhost"
        plain.destroy()
        unnamed, fut_unnamed = await client(watch.port, ca=certs.ca)  # no SNI: not asked
        assert await fut_unnamed == "secure"
        unnamed.destroy()
        _bad, fut3 = await client(watch.port, servername="bad.test", ca=certs.ca)
        assert isinstance(await fut3, BaseException)
        err = await watch.error()
        assert err.code == "ERR_MY_SNI"
        assert asked == ["agent1", "localhost", "bad.test"]
        assert watch.secure[0].servername == "agent1"
        watch.server.close()

    run(main())


# -- keylog, tickets ------------------------------------------------------------------------------
def test_server_keylog_gets_line_and_socket(run: Run, certs: PKI) -> None:
    async def main() -> None:
        watch = await start(certs.leaf.server_options())
        lines: list[tuple[bytes, tls.TLSSocket]] = []
        watch.server.on("keylog", lambda line, sock: lines.append((line, sock)))
        sock, fut = await client(watch.port, ca=certs.ca)
        assert await fut == "secure"
        await asyncio.wait_for(watch.first_secure, 5)
        assert len(lines) == 5
        assert all(s is watch.secure[0] for _, s in lines)
        sock.destroy()
        watch.server.close()

    run(main())


def test_ticket_keys_rotation(run: Run, certs: PKI) -> None:
    async def main() -> None:
        watch = await start(certs.leaf.server_options())
        keys = watch.server.get_ticket_keys()
        assert isinstance(keys, bytes) and len(keys) == 48
        sessions: list[tls.TLSSession] = []
        sock, fut = await client(watch.port, ca=certs.ca, max_version="TLSv1.2")
        sock.on("session", sessions.append)
        session = once(sock, "session")
        assert await fut == "secure"
        await session
        sock.destroy()
        assert sessions
        again, fut2 = await client(
            watch.port, ca=certs.ca, max_version="TLSv1.2", session=sessions[-1]
        )
        assert await fut2 == "secure" and again.is_session_reused() is True
        again.destroy()
        watch.server.set_ticket_keys(bytes(range(48)))
        assert watch.server.get_ticket_keys() == bytes(range(48))
        rotated, fut3 = await client(
            watch.port, ca=certs.ca, max_version="TLSv1.2", session=sessions[-1]
        )
        assert await fut3 == "secure" and rotated.is_session_reused() is False
        rotated.destroy()
        with pytest.raises(Exception) as info:
            watch.server.set_ticket_keys(b"short")
        assert "48-byte" in str(info.value)
        watch.server.close()

    run(main())


async def _sessions_through(watch: Watch, certs: PKI, version: str, rounds: int = 2) -> list[bool]:
    """Connect ``rounds`` times, each offering the previous connection's session."""
    reused: list[bool] = []
    session: tls.TLSSession | None = None
    for _ in range(rounds):
        got: list[tls.TLSSession] = []
        sock, fut = await client(watch.port, ca=certs.ca, max_version=version, session=session)
        echoed: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        sock.on("session", got.append)
        sock.on("data", lambda d, f=echoed: resolve(f, d))
        assert await fut == "secure"
        reused.append(sock.is_session_reused())
        sock.write(b"x")
        assert await asyncio.wait_for(echoed, 5) == b"echo:x"  # TLS 1.3 tickets are in
        sock.destroy()
        session = got[-1] if got else None
    return reused


@pytest.mark.skipif(not _libssl.available(), reason="needs the libssl bridge")
def test_external_session_store_tls12(run: Run, certs: PKI) -> None:
    """Node's 'newSession'/'resumeSession' (test-tls-session-cache): TLS 1.2 without
    tickets resumes by session id only through the user's store."""

    async def main() -> None:
        options = {**certs.leaf.server_options(), "secure_options": ssl.OP_NO_TICKET}
        plain = await start(options)
        assert await _sessions_through(plain, certs, "TLSv1.2") == [False, False]
        plain.server.close()

        watch = await start(options)
        store: dict[bytes, bytes] = {}
        events: list[str] = []

        def on_new(session_id: bytes, data: bytes, done: Callable[[], None]) -> None:
            events.append(f"new:{len(session_id)}")
            store[session_id] = data
            done()

        def on_resume(session_id: bytes, done: Callable[[object, bytes | None], None]) -> None:
            events.append(f"resume:{session_id in store}")
            asyncio.get_running_loop().call_later(0.01, done, None, store.get(session_id))

        watch.server.on("newSession", on_new)
        watch.server.on("resumeSession", on_resume)
        assert await _sessions_through(watch, certs, "TLSv1.2") == [False, True]
        assert events == ["new:32", "resume:True"]
        # An unknown id: the listener answers None and the handshake is a full one.
        store.clear()
        assert await _sessions_through(watch, certs, "TLSv1.2", rounds=1) == [False]
        watch.server.close()

    run(main())


@pytest.mark.skipif(not _libssl.available(), reason="needs the libssl bridge")
def test_resume_session_answers_are_per_connection(run: Run, certs: PKI) -> None:
    """Two connections offer one session id at once: the one whose listener answered
    with the session resumes; the one told "not found" does a full handshake."""

    async def main() -> None:
        options = {**certs.leaf.server_options(), "secure_options": ssl.OP_NO_TICKET}
        watch = await start(options)
        store: dict[bytes, bytes] = {}
        asked: list[tuple[bytes, Callable[[object, bytes | None], None]]] = []

        def on_new(sid: bytes, data: bytes, done: Callable[[], None]) -> None:
            store[sid] = data
            done()

        watch.server.on("newSession", on_new)
        watch.server.on("resumeSession", lambda sid, done: asked.append((sid, done)))
        first, fut = await client(watch.port, ca=certs.ca, max_version="TLSv1.2")
        sessions: list[tls.TLSSession] = []
        first.on("session", sessions.append)
        session = once(first, "session")
        assert await fut == "secure"
        await session
        first.destroy()
        assert store and sessions
        both_asked = emitted(watch.server, "resumeSession", 2)
        a, fut_a = await client(
            watch.port, ca=certs.ca, max_version="TLSv1.2", session=sessions[-1]
        )
        b, fut_b = await client(
            watch.port, ca=certs.ca, max_version="TLSv1.2", session=sessions[-1]
        )
        await both_asked
        (sid_a, done_a), (sid_b, done_b) = asked
        assert sid_a == sid_b and sid_a in store
        done_a(None, store[sid_a])  # found
        done_b(None, None)  # "not found", while the other handshake is still under way
        assert await fut_a == "secure" and await fut_b == "secure"
        # (which client asked first is up to the scheduler: one resumes, one does not)
        assert sorted([a.is_session_reused(), b.is_session_reused()]) == [False, True]
        a.destroy()
        b.destroy()
        watch.server.close()

    run(main())


@pytest.mark.skipif(not _libssl.available(), reason="needs the libssl bridge")
def test_new_session_callback_holds_the_handshake(run: Run, certs: PKI) -> None:
    """Until the 'newSession' callback runs, the TLS 1.2 server neither finishes its
    handshake nor reports 'secureConnection' (Node's _securePending)."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        options = {**certs.leaf.server_options(), "secure_options": ssl.OP_NO_TICKET}
        watch = await start(options)
        order: list[str] = []
        callbacks: list[Callable[[], None]] = []

        def on_new(_session_id: bytes, _data: bytes, done: Callable[[], None]) -> None:
            order.append("newSession")
            callbacks.append(done)

        watch.server.on("newSession", on_new)
        watch.server.on("secureConnection", lambda _s: order.append("secureConnection"))
        asked = once(watch.server, "newSession")
        sock, fut = await client(watch.port, ca=certs.ca, max_version="TLSv1.2")
        sock.on("secureConnect", lambda: order.append("secureConnect"))
        await asked
        await asyncio.sleep(0.05)  # kept: a window in which the handshake must stay held
        assert order == ["newSession"] and not fut.done()
        loop.call_soon(callbacks[0])
        assert await fut == "secure"
        await asyncio.wait_for(watch.first_secure, 5)
        assert order == ["newSession", "secureConnection", "secureConnect"]
        sock.destroy()
        watch.server.close()

    run(main())


@pytest.mark.skipif(not _libssl.available(), reason="needs the libssl bridge")
def test_session_events_with_tls13_tickets(run: Run, certs: PKI) -> None:
    """TLS 1.3: each ticket is a 'newSession' (after 'secureConnection'); the
    compatibility session id is offered to 'resumeSession'; tickets still resume."""

    async def main() -> None:
        watch = await start(certs.leaf.server_options())
        events: list[str] = []

        def on_new(session_id: bytes, data: bytes, done: Callable[[], None]) -> None:
            assert isinstance(data, bytes) and data
            events.append("new")
            done()

        def on_resume(sid: bytes, done: Callable[[], None]) -> None:
            events.append(f"resume:{len(sid)}")
            done()

        watch.server.on("newSession", on_new)
        watch.server.on("resumeSession", on_resume)
        watch.server.on("secureConnection", lambda _s: events.append("secure"))
        assert await _sessions_through(watch, certs, "TLSv1.3") == [False, True]
        assert events[:4] == ["resume:32", "secure", "new", "new"]
        assert events[4] == "resume:32"
        watch.server.close()

    run(main())


@pytest.mark.skipif(not _libssl.available(), reason="needs the libssl bridge")
def test_late_new_session_callbacks_release_the_output(run: Run, certs: PKI) -> None:
    """TLS 1.3 sends two tickets: two 'newSession' callbacks, each answered later; the
    server's data flows once both were called, not before."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        watch = await start(certs.leaf.server_options())
        callbacks: list[Callable[[], None]] = []
        watch.server.on("newSession", lambda _id, _data, done: callbacks.append(done))
        both_asked = emitted(watch.server, "newSession", 2)
        sock, fut = await client(watch.port, ca=certs.ca)
        got: asyncio.Future[bytes] = loop.create_future()
        sock.on("data", lambda d: resolve(got, d))
        assert await fut == "secure"
        sock.write(b"x")
        await both_asked
        await asyncio.sleep(0.05)  # kept: a window in which the output must stay held
        assert not got.done()  # held
        callbacks[0]()
        callbacks[0]()  # a second call of the same callback counts for nothing
        await asyncio.sleep(0.05)  # kept: the same, with one callback still to come
        assert not got.done()
        loop.call_later(0.01, callbacks[1])
        assert await asyncio.wait_for(got, 5) == b"echo:x"
        sock.destroy()
        watch.server.close()

    run(main())


@pytest.mark.skipif(not _libssl.available(), reason="needs the libssl bridge")
@pytest.mark.parametrize(
    ("answer", "server_code", "client_code"),
    [
        ("b", None, None),
        ("nope", "ERR_TLS_ALPN_CALLBACK_INVALID_RESULT", "ECONNRESET"),
        (None, "ERR_SSL_NO_APPLICATION_PROTOCOL", "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL"),
    ],
)
def test_alpn_callback(
    run: Run, certs: PKI, answer: str | None, server_code: str | None, client_code: str | None
) -> None:
    """Node's ALPNCallback (codes as Node v20 reports them for the same three answers)."""

    async def main() -> None:
        asked: list[dict[str, Any]] = []

        def choose(info: dict[str, Any]) -> str | None:
            asked.append(info)
            return answer

        watch = await start({**certs.leaf.server_options(), "ALPNCallback": choose})
        assert watch.server.alpn_protocols is None
        sock, fut = await client(
            watch.port, ca=certs.ca, servername="localhost", ALPNProtocols=["a", "b", "c"]
        )
        outcome = await fut
        assert asked == [{"servername": "localhost", "protocols": ["a", "b", "c"]}]
        if server_code is None:
            assert outcome == "secure" and sock.alpn_protocol == "b"
            assert (await asyncio.wait_for(watch.first_secure, 5)).alpn_protocol == "b"
        else:
            assert isinstance(outcome, errors.NodeError) and outcome.code == client_code
            err = await watch.error()
            assert err.code == server_code
            if answer == "nope":
                assert str(err) == (
                    "ALPN callback returned a value (nope) that did not match "
                    "any of the client's offered protocols (a, b, c)"
                )
                assert str(outcome) == (
                    "Client network socket disconnected before secure TLS "
                    "connection was established"
                )
        sock.destroy()
        watch.server.close()

    run(main())


@pytest.mark.skipif(not _libssl.available(), reason="needs the libssl bridge")
def test_alpn_callback_on_a_shared_context_leaves_other_servers_alone(run: Run, certs: PKI) -> None:
    async def main() -> None:
        shared = tls.create_secure_context(certs.leaf.server_options(), is_server=True)
        with_cb = await start({"secure_context": shared, "ALPNCallback": lambda _i: "b"})
        plain = await start({"secure_context": shared})
        sock, fut = await client(plain.port, ca=certs.ca, ALPNProtocols=["a", "b"])
        assert await fut == "secure" and sock.alpn_protocol is False
        sock.destroy()
        sock2, fut2 = await client(with_cb.port, ca=certs.ca, ALPNProtocols=["a", "b"])
        assert await fut2 == "secure" and sock2.alpn_protocol == "b"
        sock2.destroy()
        with_cb.server.close()
        plain.server.close()

    run(main())


def test_alpn_callback_and_protocols_are_exclusive(certs: PKI) -> None:
    with pytest.raises(TypeError) as info:
        tls.create_server(
            {**certs.leaf.server_options(), "ALPNCallback": lambda _i: "a", "ALPNProtocols": ["a"]}
        )
    assert getattr(info.value, "code", None) == "ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS"
    assert (
        str(info.value) == "The ALPNCallback and ALPNProtocols TLS options are mutually exclusive"
    )
    with pytest.raises(TypeError) as bad:
        tls.create_server({**certs.leaf.server_options(), "ALPNCallback": "a"})
    assert getattr(bad.value, "code", None) == "ERR_INVALID_ARG_TYPE"


def test_set_secure_context_and_pfx_certificate(run: Run, certs: PKI) -> None:
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    async def main() -> None:
        watch = await start(certs.leaf.server_options())
        both_secure = emitted(watch.server, "secureConnection", 2)
        first, fut = await client(watch.port, ca=certs.ca)
        assert await fut == "secure"
        assert first.get_peer_certificate()["subject"]["CN"] == "localhost"
        pfx = pkcs12.serialize_key_and_certificates(
            b"agent1",
            certs.cn_only.key,
            certs.cn_only.cert,
            None,
            BestAvailableEncryption(b"sample"),
        )
        watch.server.set_secure_context({"pfx": pfx, "passphrase": "sample"})
        second, fut2 = await client(watch.port, ca=certs.ca, servername="agent1")
        assert await fut2 == "secure" and second.authorized is True
        await both_secure
        server_side = watch.secure[1]
        own = server_side.get_certificate()
        assert own["subject"]["CN"] == "agent1"
        assert all(server_side.get_certificate() is own for _ in range(10))
        first.destroy()
        second.destroy()
        watch.server.close()

    run(main())


def test_client_hello_parser_across_records() -> None:
    from nodehttps.tls._hello import NOT_TLS, ClientHello, parse_client_hello

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    out = ssl.MemoryBIO()
    obj = ctx.wrap_bio(ssl.MemoryBIO(), out, server_hostname="example.org")
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    hello = out.read()
    body = hello[5:]

    def record(data: bytes) -> bytes:
        return bytes([22, 3, 1]) + len(data).to_bytes(2, "big") + data

    whole = parse_client_hello(hello)
    assert isinstance(whole, ClientHello)
    assert whole.servername == "example.org"
    assert len(whole.session_id) == 32  # TLS 1.3's middlebox-compatibility id
    assert whole.has_ticket is False  # an empty session_ticket extension: no ticket
    assert parse_client_hello(hello[:60]) is None
    assert parse_client_hello(record(body[:100]) + record(body[100:])) == whole
    assert parse_client_hello(record(body[:100])) is None
    assert parse_client_hello(b"GET / HTTP/1.1\r\n") is NOT_TLS
    assert parse_client_hello(bytes([22, 3, 1, 0, 0]) * 60000) is NOT_TLS
