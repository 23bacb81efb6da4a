"""tls.connect / TLSSocket: real handshakes on 127.0.0.1 against our tls.Server."""

from __future__ import annotations

import asyncio
import re
import ssl
import time
import warnings
from collections.abc import Callable
from typing import Any

import pytest

from harness import DataCount, Run, closed, emitted, once, resolve
from nodehttps import errors, net, tls
from nodehttps.tls import _libssl, _reports
from tls_pki import PKI


@pytest.fixture(scope="module")
def certs() -> PKI:
    return PKI()


class Conn:
    """A client TLSSocket and what happened to it."""

    def __init__(self, sock: tls.TLSSocket) -> None:
        self.sock = sock
        self.error: BaseException | None = None
        self.data = bytearray()
        self.events: list[str] = []
        self.sessions: list[tls.TLSSession] = []
        self.keylog: list[bytes] = []
        self.received = DataCount(sock)
        loop = asyncio.get_running_loop()
        self.secure: asyncio.Future[bool] = loop.create_future()
        self.closed: asyncio.Future[bool] = loop.create_future()
        self.session: asyncio.Future[tls.TLSSession] = loop.create_future()
        sock.on("secureConnect", lambda: self._event("secureConnect"))
        sock.on("error", self._on_error)
        sock.on("data", self.data.extend)
        sock.on("end", lambda: self.events.append("end"))
        sock.on("close", self._on_close)
        sock.on("session", self._on_session)

    def _event(self, name: str) -> None:
        self.events.append(name)
        resolve(self.secure, True)

    def _on_session(self, session: tls.TLSSession) -> None:
        self.sessions.append(session)
        resolve(self.session, session)

    async def echoed(self, data: bytes) -> None:
        """Return once the echo server's answer to ``data`` has arrived."""
        await self.received.reach(len(b"echo:" + data))

    def _on_error(self, err: BaseException) -> None:
        self.events.append("error")
        self.error = err

    def _on_close(self, had_error: bool = False) -> None:
        self.events.append("close")
        resolve(self.secure, False)
        resolve(self.closed, had_error)


async def serve(
    options: dict[str, Any], on_secure: Callable[..., Any] | None = None
) -> tuple[tls.Server, int, list[tls.TLSSocket]]:
    accepted: list[tls.TLSSocket] = []

    def listener(sock: tls.TLSSocket) -> None:
        accepted.append(sock)
        if on_secure is not None:
            on_secure(sock)
        else:
            sock.on("data", lambda d: sock.write(b"echo:" + d))
            sock.on("end", sock.end)

    server = tls.create_server(options, listener)
    server.on("tlsClientError", lambda err, sock: None)
    return server, await listen(server), accepted


async def listen(server: net.Server) -> int:
    listening = once(server, "listening")
    server.listen(0, "127.0.0.1")
    await listening
    return int(server.address()["port"])


async def dial(port: int, **options: Any) -> Conn:
    options.setdefault("host", "localhost")
    conn = Conn(tls.connect({"port": port, **options}))
    await conn.secure
    return conn


# -- handshakes and connection facts -------------------------------------------------------
@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_roundtrip_and_connection_facts(run: Run, certs: PKI, version: str) -> None:
    async def main() -> None:
        server, port, accepted = await serve(
            {**certs.chain_leaf.server_options(), "max_version": version}
        )
        conn = await dial(port, ca=certs.ca, servername="localhost")
        sock = conn.sock
        assert conn.events == ["secureConnect"]
        assert sock.encrypted is True and sock.authorized is True
        assert sock.authorization_error is None
        assert sock.get_protocol() == version
        assert sock.alpn_protocol is False
        cipher = sock.get_cipher()
        assert cipher is not None and cipher["version"] == version
        assert cipher["standardName"] == cipher["standard_name"]
        assert cipher["standard_name"].startswith("TLS_")
        leaf = sock.get_peer_certificate()
        assert leaf["subject"]["CN"] == "localhost"
        chain = sock.get_peer_certificate(True)
        assert chain["issuer_certificate"]["subject"]["CN"] == "Test Intermediate"
        root = chain["issuer_certificate"]["issuer_certificate"]
        assert root["subject"]["CN"] == "Test Root"
        assert root["issuer_certificate"] is root
        sock.write(b"ping")
        await conn.echoed(b"ping")
        assert bytes(conn.data) == b"echo:ping"
        assert accepted[0].servername == "localhost"
        if _libssl.available():  # Finished messages: each side's own is the other's peer's
            finished, peer_finished = sock.get_finished(), sock.get_peer_finished()
            assert finished and peer_finished and finished != peer_finished
            assert accepted[0].get_peer_finished() == finished
            assert accepted[0].get_finished() == peer_finished
        sock.end()
        assert await conn.closed is False
        assert conn.events[-2:] == ["end", "close"]
        server.close()

    run(main())


def test_writes_before_the_handshake_are_sent_after_it(run: Run, certs: PKI) -> None:
    async def main() -> None:
        server, port, _ = await serve(certs.leaf.server_options())
        conn = Conn(tls.connect(port, "localhost", {"ca": certs.ca}))
        conn.sock.write(b"early-")
        conn.sock.end(b"bird")
        await conn.closed
        assert bytes(conn.data) == b"echo:early-bird" or bytes(conn.data).startswith(b"echo:")
        assert b"".join(bytes(conn.data).split(b"echo:")) == b"early-bird"
        assert conn.error is None
        server.close()

    run(main())


# -- keylog ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("version", "lines"), [("TLSv1.3", 5), ("TLSv1.2", 1)])
def test_keylog_lines_per_side(run: Run, certs: PKI, version: str, lines: int) -> None:
    async def main() -> None:
        server_lines: dict[int, list[bytes]] = {}
        server, port, _ = await serve({**certs.leaf.server_options(), "max_version": version})
        server.on("keylog", lambda line, sock: server_lines.setdefault(id(sock), []).append(line))
        logged = [emitted(server, "keylog", 2 * lines)]
        conns = []
        for _ in range(2):
            sock = tls.connect({"port": port, "host": "localhost", "ca": certs.ca})
            conn = Conn(sock)
            sock.on("keylog", conn.keylog.append)
            logged.append(emitted(sock, "keylog", lines))
            conns.append(conn)
        for conn in conns:
            assert await conn.secure
        await asyncio.gather(*logged)
        randoms = set()
        for conn in conns:
            assert len(conn.keylog) == lines
            assert all(line.endswith(b"\n") for line in conn.keylog)
            fields = [line.split() for line in conn.keylog]
            assert {f[1] for f in fields} == {fields[0][1]}, "one client random per connection"
            randoms.add(fields[0][1])
            if version == "TLSv1.2":
                assert fields[0][0] == b"CLIENT_RANDOM"
            else:
                assert {f[0] for f in fields} == {
                    b"CLIENT_HANDSHAKE_TRAFFIC_SECRET",
                    b"SERVER_HANDSHAKE_TRAFFIC_SECRET",
                    b"CLIENT_TRAFFIC_SECRET_0",
                    b"SERVER_TRAFFIC_SECRET_0",
                    b"EXPORTER_SECRET",
                }
        assert len(randoms) == 2
        assert len(server_lines) == 2
        for got in server_lines.values():
            assert len(got) == lines
            assert got[0].split()[1] in randoms
        assert sorted(sorted(v) for v in server_lines.values()) == sorted(
            sorted(c.keylog) for c in conns
        )
        for conn in conns:
            conn.sock.destroy()
        server.close()

    run(main())


def test_keylog_client_random_is_the_one_on_the_wire(run: Run, certs: PKI) -> None:
    """Each keylog line names the client random the ClientHello carried (read from the
    bytes between client and server by a relay that is not ours)."""

    async def main() -> None:
        server, port, _ = await serve(certs.leaf.server_options())
        first_flight: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, record: bool) -> None:
            while data := await src.read(65536):
                if record and not first_flight.done():
                    first_flight.set_result(data)
                dst.write(data)
            dst.close()

        async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
            await asyncio.gather(
                pipe(reader, up_writer, True),
                pipe(up_reader, writer, False),
                return_exceptions=True,
            )
            relayed.set_result(None)

        relayed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        proxy = await asyncio.start_server(relay, "127.0.0.1", 0)
        proxy_port = proxy.sockets[0].getsockname()[1]
        sock = tls.connect({"port": proxy_port, "host": "localhost", "ca": certs.ca})
        conn = Conn(sock)
        sock.on("keylog", conn.keylog.append)
        logged = emitted(sock, "keylog", 5)  # TLS 1.3's five secrets
        assert await conn.secure
        await logged
        hello = await first_flight
        assert hello[0] == 22 and hello[5] == 1  # a handshake record holding a ClientHello
        random = hello[11:43].hex().encode()  # after record (5) + handshake (4) + version (2)
        assert conn.keylog and all(line.split()[1] == random for line in conn.keylog)
        sock.destroy()
        await asyncio.wait_for(relayed, 5)
        proxy.close()
        server.close()

    run(main())


# -- sessions ---------------------------------------------------------------------------------
@pytest.mark.parametrize("polling", [False, True], ids=["callback", "polling"])
@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_session_resumption(
    run: Run, certs: PKI, version: str, polling: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if polling:  # the path taken where libssl's new-session callback is unavailable
        monkeypatch.setattr(_reports, "SESSION_CALLBACK", False)

    async def main() -> None:
        server, port, _ = await serve({**certs.chain_leaf.server_options(), "max_version": version})
        first = await dial(port, ca=certs.ca)
        assert first.sock.is_session_reused() is False
        first.sock.write(b"x")  # TLS 1.3 tickets come after the handshake
        await first.echoed(b"x")
        await asyncio.wait_for(first.session, 5)
        assert first.sessions, "a 'session' event"
        session = first.sessions[-1]
        assert isinstance(session, tls.TLSSession)
        assert first.sock.get_session() == session
        first.sock.end()
        await first.closed
        second = await dial(port, ca=certs.ca, session=session)
        assert second.sock.is_session_reused() is True
        assert second.sock.authorized is True
        chain = second.sock.get_peer_certificate(True)
        assert chain["subject"]["CN"] == "localhost"
        assert chain["issuer_certificate"]["subject"]["CN"] == "Test Intermediate"
        assert chain["issuer_certificate"]["issuer_certificate"]["subject"]["CN"] == "Test Root"
        second.sock.destroy()
        third = await dial(port, ca=certs.ca)
        assert third.sock.is_session_reused() is False
        third.sock.destroy()
        server.close()

    run(main())


# -- verification -----------------------------------------------------------------------------
VERIFY_TABLE = [
    ("untrusted_leaf", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "unable to verify the first certificate"),
    ("self_signed", "DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate"),
    ("expired", "CERT_HAS_EXPIRED", "certificate has expired"),
    ("future", "CERT_NOT_YET_VALID", "certificate is not yet valid"),
    (
        "cn_only",
        "ERR_TLS_CERT_ALTNAME_INVALID",
        "Hostname/IP does not match certificate's altnames: Host: localhost. is not cert's CN: agent1",
    ),
]


@pytest.mark.parametrize(("role", "code", "message"), VERIFY_TABLE)
def test_authorization_error_when_not_rejecting(
    run: Run, certs: PKI, role: str, code: str, message: str
) -> None:
    async def main() -> None:
        server, port, _ = await serve(getattr(certs, role).server_options())
        conn = await dial(port, ca=certs.ca, reject_unauthorized=False)
        assert conn.sock.authorized is False
        assert conn.sock.authorization_error == code
        assert conn.error is None
        conn.sock.destroy()
        server.close()

    run(main())


@pytest.mark.parametrize(("role", "code", "message"), VERIFY_TABLE)
def test_rejecting_emits_the_verify_error(
    run: Run, certs: PKI, role: str, code: str, message: str
) -> None:
    async def main() -> None:
        server, port, _ = await serve(getattr(certs, role).server_options())
        conn = await dial(port, ca=certs.ca)
        await conn.closed
        assert "secureConnect" not in conn.events
        assert isinstance(conn.error, errors.NodeError)
        assert conn.error.code == code
        assert str(conn.error) == message
        server.close()

    run(main())


def test_chain_with_unknown_root(run: Run, certs: PKI) -> None:
    async def main() -> None:
        server, port, _ = await serve(certs.chain_leaf.server_options())
        conn = await dial(port, ca=certs.other_root.cert_pem, reject_unauthorized=False)
        assert conn.sock.authorization_error == "UNABLE_TO_GET_ISSUER_CERT_LOCALLY"
        conn.sock.destroy()
        server.close()

    run(main())


def test_revoked_with_crl(run: Run, certs: PKI) -> None:
    async def main() -> None:
        server, port, _ = await serve(certs.revoked.server_options())
        conn = await dial(port, ca=certs.ca, crl=certs.crl, reject_unauthorized=False)
        assert conn.sock.authorization_error == "CERT_REVOKED"
        conn.sock.destroy()
        good, gport, _ = await serve(certs.leaf.server_options())
        ok = await dial(gport, ca=certs.ca, crl=certs.crl)
        assert ok.sock.authorized is True
        ok.sock.destroy()
        server.close()
        good.close()

    run(main())


def test_custom_check_server_identity(run: Run, certs: PKI) -> None:
    async def main() -> None:
        server, port, _ = await serve(certs.leaf.server_options())
        seen: list[tuple[str, dict[str, Any]]] = []
        mine = errors.make("ERR_MY_PIN", "pin mismatch")

        def reject(host: str, cert: dict[str, Any]) -> errors.NodeError:
            seen.append((host, cert))
            return mine

        conn = await dial(port, ca=certs.ca, check_server_identity=reject)
        await conn.closed
        assert conn.error is mine
        assert seen[0][0] == "localhost"
        assert seen[0][1]["issuer_certificate"]["subject"]["CN"] == "Test Root"
        lenient = await dial(
            port,
            ca=certs.ca,
            servername="other.example",
            check_server_identity=lambda host, cert: None,
        )
        assert lenient.sock.authorized is True
        lenient.sock.destroy()
        server.close()

    run(main())


# -- failures -------------------------------------------------------------------------------
async def junk_server(reply: bytes) -> tuple[net.Server, int]:
    def on_conn(sock: net.Socket) -> None:
        sock.on("error", lambda err: None)
        sock.once("data", lambda _d: sock.end(reply))

    server = net.create_server(on_conn)
    return server, await listen(server)


def test_remembered_identity_is_per_host_and_certificate(run: Run, certs: PKI) -> None:
    """The default check remembers successes for (host, leaf); any other pair is checked."""

    async def main() -> None:
        server, port, _ = await serve(certs.chain_leaf.server_options())
        for _ in range(2):
            ok = await dial(port, ca=certs.ca)
            assert ok.sock.authorized is True
            ok.sock.destroy()
        # Same certificate, a name it does not cover: still refused, with the whole chain.
        bad = await dial(port, ca=certs.ca, servername="other.example")
        await bad.closed
        assert isinstance(bad.error, errors.NodeError)
        assert bad.error.code == "ERR_TLS_CERT_ALTNAME_INVALID"
        cert = vars(bad.error)["cert"]  # a field Node's error carries
        assert cert["issuer_certificate"]["subject"]["CN"] == "Test Intermediate"
        lenient = await dial(
            port, ca=certs.ca, servername="other.example", reject_unauthorized=False
        )
        assert lenient.sock.authorized is False
        assert lenient.sock.authorization_error == "ERR_TLS_CERT_ALTNAME_INVALID"
        lenient.sock.destroy()
        server.close()

    run(main())


def test_junk_server_gives_wrong_version_number(run: Run) -> None:
    async def main() -> None:
        server, port = await junk_server(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        conn = await dial(port, host="127.0.0.1")
        await conn.closed
        err = conn.error
        assert isinstance(err, errors.NodeError) and err.code == "ERR_SSL_WRONG_VERSION_NUMBER"
        assert re.search(r"error:0A00010B:SSL routines:[^:]*:wrong version number", str(err))
        assert vars(err)["reason"] == "wrong version number"
        assert isinstance(err, ConnectionError)
        # With a write pending, Node reports the handshake failure as the write's: EPROTO.
        sock = tls.connect({"port": port, "host": "127.0.0.1"})
        writer = Conn(sock)
        sock.write(b"GET / HTTP/1.1\r\n\r\n")
        await writer.closed
        assert isinstance(writer.error, errors.NodeError) and writer.error.code == "EPROTO"
        assert str(writer.error).startswith("write EPROTO ")
        assert "wrong version number" in str(writer.error)
        assert vars(writer.error)["syscall"] == "write"
        server.close()

    run(main())


def test_peer_closing_mid_handshake_is_econnreset(run: Run) -> None:
    async def main() -> None:
        server, port = await junk_server(b"")
        conn = await dial(port, host="127.0.0.1")
        await conn.closed
        err = conn.error
        assert isinstance(err, ConnectionResetError) and isinstance(err, errors.NodeError)
        assert err.code == "ECONNRESET"
        assert str(err) == (
            "Client network socket disconnected before secure TLS connection was established"
        )
        assert (vars(err)["host"], vars(err)["port"]) == ("127.0.0.1", port)
        server.close()

    run(main())


# -- SNI and ALPN ------------------------------------------------------------------------------
def test_servername_rules(run: Run, certs: PKI) -> None:
    async def main() -> None:
        server, port, accepted = await serve(certs.leaf.server_options())
        four = emitted(server, "secureConnection", 4)
        a = await dial(port, ca=certs.ca)
        b = await dial(port, ca=certs.ca, servername="")
        c = await dial(port, host="127.0.0.1", ca=certs.ca)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            d = await dial(port, host="127.0.0.1", ca=certs.ca, servername="127.0.0.1")
        await four
        # Node's tls.connect sends no SNI unless told (only the https Agent sends the host)
        assert [s.servername for s in accepted] == [False, False, False, False]
        # a client's servername is the name it sent, as Node's (false for none)
        assert [x.sock.servername for x in (a, b, c)] == [False, False, False]
        fifth = once(server, "secureConnection")
        named = await dial(port, ca=certs.ca, servername="localhost")
        await fifth
        assert named.sock.servername == "localhost" and accepted[-1].servername == "localhost"
        assert a.sock.authorized is True  # no SNI, yet the identity check uses the host
        assert c.sock.authorized is True  # the IP is checked against the IP SAN
        dep = [w for w in caught if getattr(w.category, "code", None) == "DEP0123"]
        assert dep and str(dep[0].message).startswith(
            "Setting the TLS ServerName to an IP address is not permitted by RFC 6066."
        )
        for conn in (a, b, c, d, named):
            conn.sock.destroy()
        server.close()

    run(main())


def test_alpn(run: Run, certs: PKI) -> None:
    async def main() -> None:
        server, port, accepted = await serve(
            {**certs.leaf.server_options(), "ALPNProtocols": ["http/1.1"]}
        )
        assert server.alpn_protocols == b"\x08http/1.1"
        served = once(server, "secureConnection")
        conn = await dial(port, ca=certs.ca, ALPNProtocols=["h2", "http/1.1"])
        none = await dial(port, ca=certs.ca, alpn_protocols=["h2"])
        await served
        assert conn.sock.alpn_protocol == "http/1.1"
        assert accepted[0].alpn_protocol == "http/1.1"
        assert none.sock.alpn_protocol is False
        conn.sock.destroy()
        none.sock.destroy()
        server.close()

    run(main())


# -- over an existing socket, half-close, ragged EOF -------------------------------------------
@pytest.mark.parametrize("wait_connected", [True, False])
def test_tls_over_an_existing_socket(run: Run, certs: PKI, wait_connected: bool) -> None:
    async def main() -> None:
        server, port, _ = await serve(certs.leaf.server_options())
        raw = net.connect(port, "127.0.0.1")
        if wait_connected:
            await once(raw, "connect")
        conn = Conn(tls.connect({"socket": raw, "servername": "localhost", "ca": certs.ca}))
        assert await conn.secure
        assert conn.sock.authorized is True
        assert conn.sock.remote_port == port
        conn.sock.write(b"tunnel")
        await conn.echoed(b"tunnel")
        assert bytes(conn.data) == b"echo:tunnel"
        conn.sock.pause()  # down to the socket below, and back up
        assert conn.sock.is_paused() and raw.is_paused()
        conn.sock.resume()
        assert not raw.is_paused()
        conn.sock.write(b"again")
        await conn.received.reach(len(b"echo:tunnelecho:again"))
        assert bytes(conn.data) == b"echo:tunnelecho:again"
        conn.sock.end()
        await conn.closed
        await closed(raw)
        assert raw.destroyed
        server.close()

    run(main())


def test_half_close_sends_close_notify_then_fin(run: Run, certs: PKI) -> None:
    async def main() -> None:
        ended: list[str] = []

        def on_secure(sock: tls.TLSSocket) -> None:
            def on_end() -> None:
                ended.append("end")
                sock.end(b"bye")

            sock.on("data", lambda d: None)
            sock.on("end", on_end)

        server, port, _ = await serve(
            {**certs.leaf.server_options(), "allow_half_open": True}, on_secure
        )
        conn = await dial(port, ca=certs.ca, allow_half_open=True)
        conn.sock.end(b"last words")
        assert await conn.closed is False
        assert ended == ["end"]
        assert bytes(conn.data) == b"bye"
        assert conn.error is None
        server.close()

    run(main())


def test_ragged_eof_after_the_handshake_is_a_normal_end(run: Run, certs: PKI) -> None:
    async def main() -> None:
        def on_secure(sock: tls.TLSSocket) -> None:
            sock.write(b"partial")
            # FIN without close_notify, as a peer that just closes its socket.
            transport = sock._transport
            assert transport is not None
            sock._loop.call_later(0.02, transport.close)

        server, port, _ = await serve(certs.leaf.server_options(), on_secure)
        conn = await dial(port, ca=certs.ca)
        assert await conn.closed is False
        assert conn.error is None
        assert bytes(conn.data) == b"partial"
        assert "end" in conn.events
        server.close()

    run(main())


def test_session_option_validation(run: Run) -> None:
    async def main() -> None:
        with pytest.raises(TypeError) as info:
            tls.TLSSocket(None, {"session": "not a session"})
        assert getattr(info.value, "code", None) == "ERR_INVALID_ARG_TYPE"
        assert str(info.value).startswith(
            'The "session" argument must be an instance of TLSSession or Buffer.'
        )

    run(main())


async def first_session(port: int, certs: PKI) -> tls.TLSSession:
    """The session of a first connection, once the server sent it (TLS 1.3 tickets
    come after the handshake, before the echo); the connection is closed."""
    first = await dial(port, ca=certs.ca)
    first.sock.write(b"x")
    await first.echoed(b"x")
    await asyncio.wait_for(first.session, 5)
    session = first.sock.get_session()
    assert session is not None
    first.sock.destroy()
    return session


@pytest.mark.skipif(not _libssl.available(), reason="needs the libssl bridge")
@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_session_as_bytes(run: Run, certs: PKI, version: str) -> None:
    """Node's session Buffer: ``bytes(session)`` resumes through any context (here a
    connection with other options, so another SSLContext); junk bytes mean a full
    handshake, as in Node."""

    async def main() -> None:
        server, port, _ = await serve({**certs.leaf.server_options(), "max_version": version})
        der = bytes(await first_session(port, certs))
        assert der[:1] == b"\x30"  # a DER SEQUENCE
        again = await dial(port, ca=certs.ca, session=der, ciphers="DEFAULT:@SECLEVEL=1")
        assert again.sock.is_session_reused() is True and again.sock.authorized is True
        resumed = again.sock.get_session()
        assert resumed is not None
        raw = await dial(
            port,
            ca=certs.ca,
            ciphers="DEFAULT:@SECLEVEL=1",
            session=resumed.session,
        )
        assert raw.sock.is_session_reused() is True  # an ssl.SSLSession of another context
        raw.sock.destroy()
        again.sock.destroy()
        junk = await dial(port, ca=certs.ca, session=b"junk")
        assert junk.sock.is_session_reused() is False and junk.sock.authorized is True
        junk.sock.destroy()
        server.close()

    run(main())


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
@pytest.mark.skipif(not _libssl.available(), reason="needs the libssl bridge")
def test_a_fresh_session_is_offered_as_a_copy_that_leaves_it_fresh(
    run: Run, certs: PKI, version: str
) -> None:
    """A session of the connection's own context goes to OpenSSL as an
    ``SSL_SESSION_dup`` copy (not through i2d/d2i, as ``wrap_bio(session=)`` would):
    the copy resumes, and the original stays resumable for the next connection."""

    async def main() -> None:
        server, port, _ = await serve({**certs.leaf.server_options(), "max_version": version})
        fresh = await first_session(port, certs)
        # Node's session facts, read through the wrapper
        assert fresh.id == fresh.session.id and fresh.der == bytes(fresh)
        assert fresh.has_ticket is True  # the server keeps no ids: it resumes by ticket
        assert fresh.timeout > 0 and fresh.ticket_lifetime_hint > 0
        assert abs(fresh.time - time.time()) < 60
        twin = tls.TLSSession(fresh.session, fresh.context)
        assert twin == fresh and hash(twin) == hash(fresh) and fresh != object()
        assert repr(fresh).startswith(f"<TLSSession id={fresh.id.hex()[:16]}")
        probe = fresh.context.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO())
        assert _libssl.share_session(probe, fresh.session) is True
        for _ in range(3):  # each connection a copy: the cached session is never used up
            again = await dial(port, ca=certs.ca, session=fresh)
            assert again.sock.is_session_reused() is True and again.sock.authorized is True
            again.sock.destroy()
        server.close()

    run(main())


def test_keys_and_certificates_of_the_connection(run: Run, certs: PKI) -> None:
    async def main() -> None:
        server, port, accepted = await serve(certs.leaf.server_options())
        served = once(server, "secureConnection")
        conn = await dial(port, ca=certs.ca, ecdh_curve="P-256:X25519")
        await served
        await asyncio.wait_for(conn.session, 5)  # TLS 1.3: its ticket comes after 'secure'
        sock, peer = conn.sock, accepted[0]
        info = sock.get_ephemeral_key_info()
        assert info == {"type": "ECDH", "name": "prime256v1", "size": 256}
        assert peer.get_ephemeral_key_info() is None  # Node: null on a server socket
        ours = sock.export_keying_material(32, "EXPORTER-test", b"ctx")
        theirs = peer.export_keying_material(32, "EXPORTER-test", b"ctx")
        assert len(ours) == 32 and ours == theirs
        assert sock.export_keying_material(32, "EXPORTER-other") != ours
        with pytest.raises(TypeError):
            sock.export_keying_material(32, 5)  # wrong on purpose
        # Node's validateUint32(length, 'length', true) and validateBuffer(context)
        for length in (0, 1.5, -1):
            with pytest.raises(errors.NodeError) as bad:
                sock.export_keying_material(length, "x")  # on purpose
            assert bad.value.code == "ERR_OUT_OF_RANGE"
        with pytest.raises(errors.NodeError, match="must be an instance of Buffer") as bad:
            sock.export_keying_material(2, "x", "ctx")  # on purpose
        assert bad.value.code == "ERR_INVALID_ARG_TYPE"
        assert sock.export_keying_material(32, "EXPORTER-test", bytearray(b"ctx")) == ours
        own = peer.get_certificate()
        assert own["fingerprint256"] == sock.get_peer_certificate()["fingerprint256"]
        assert peer.get_certificate() is own, "stable across calls"
        assert sock.get_certificate() == {}, "a client without a certificate"
        session = sock.get_session()
        assert isinstance(session, tls.TLSSession) and session.has_ticket
        assert session == sock.get_session()
        conn.sock.destroy()
        server.close()

    run(main())


def test_connect_argument_forms(run: Run, certs: PKI) -> None:
    async def main() -> None:
        server, port, _ = await serve(certs.leaf.server_options())
        called: list[str] = []
        socks = [
            tls.connect(port, "localhost", {"ca": certs.ca}, lambda: called.append("a")),
            tls.connect(port, {"host": "localhost", "ca": certs.ca}, lambda: called.append("b")),
            tls.connect(
                {"port": port, "host": "localhost", "ca": certs.ca}, lambda: called.append("c")
            ),
            tls.connect(port=port, host="localhost", ca=certs.ca),
        ]
        await asyncio.gather(*(once(s, "secureConnect") for s in socks))
        assert sorted(called) == ["a", "b", "c"]
        assert all(s.authorized for s in socks)
        for s in socks:
            s.destroy()
        server.close()

    run(main())


# -- without the libssl bridge (static builds, other platforms) ---------------------------------
@pytest.fixture
def no_libssl(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setattr(_reports, "AVAILABLE", False)
    monkeypatch.setattr(_reports, "SESSION_CALLBACK", False)
    return {"ecdh_curve": "X25519"}  # fresh contexts, untouched by the bridge's callbacks


def test_fallback_keylog_through_keylog_filename(
    run: Run, certs: PKI, no_libssl: dict[str, str]
) -> None:
    async def main() -> None:
        server, port, _ = await serve({**certs.leaf.server_options(), **no_libssl})
        server_lines: list[bytes] = []
        server.on("keylog", lambda line, sock: server_lines.append(line))
        all_logged = emitted(server, "keylog", 10)
        unwatched = await dial(port, ca=certs.ca, **no_libssl)
        sock = tls.connect({"port": port, "host": "localhost", "ca": certs.ca, **no_libssl})
        conn = Conn(sock)
        sock.on("keylog", conn.keylog.append)
        logged = emitted(sock, "keylog", 5)
        assert await conn.secure
        await asyncio.gather(logged, all_logged)
        assert len(conn.keylog) == 5
        assert len({line.split()[1] for line in conn.keylog}) == 1
        assert len(server_lines) == 10  # both connections, 5 lines each
        assert set(conn.keylog) <= set(server_lines)
        for c in (conn, unwatched):
            c.sock.destroy()
        server.close()

    run(main())


@pytest.mark.parametrize(("role", "code", "message"), VERIFY_TABLE)
def test_fallback_verify_codes_when_rejecting(
    run: Run, certs: PKI, no_libssl: dict[str, str], role: str, code: str, message: str
) -> None:
    async def main() -> None:
        server, port, _ = await serve(getattr(certs, role).server_options())
        conn = await dial(port, ca=certs.ca, **no_libssl)
        await conn.closed
        assert getattr(conn.error, "code", None) == code
        assert str(conn.error) == message
        server.close()

    run(main())


def test_fallback_without_rejecting_cannot_tell(
    run: Run, certs: PKI, no_libssl: dict[str, str]
) -> None:
    async def main() -> None:
        server, port, _ = await serve(certs.leaf.server_options())
        conn = await dial(port, ca=certs.ca, reject_unauthorized=False, **no_libssl)
        assert conn.sock.authorized is False
        assert conn.sock.authorization_error == "UNSPECIFIED"
        good = await dial(port, ca=certs.ca, **no_libssl)
        assert good.sock.authorized is True
        for c in (conn, good):
            c.sock.destroy()
        server.close()

    run(main())


def test_bridge_that_cannot_load_says_feature_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_libssl, "_ok", None)
    monkeypatch.setattr(_libssl, "_lib", _libssl._Unloaded())
    monkeypatch.setitem(_libssl._SIGNATURES, "nodehttps_no_such_symbol", (None, []))
    assert _libssl.available() is False
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    calls: list[Callable[[], object]] = [
        lambda: _libssl.set_groups(ctx, "P-256"),
        lambda: _libssl.set_session_timeout(ctx, 10),
        lambda: _libssl.set_ticket_keys(ctx, bytes(48)),
    ]
    for call in calls:
        with pytest.raises(errors.NodeError) as info:
            call()
        assert info.value.code == "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM"
