"""The seed features of https end to end: session resumption through the Agent, its key,
eviction after a failed identity check, keylog, pinning, agent=False, argument errors."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Callable
from typing import Unpack

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

import nodehttps as https
from harness import Run, closed, global_agent, once
from nodehttps import consumers, errors, http, tls
from nodehttps.tls._certobj import PeerCertificate
from servers import https_server
from tls_pki import PKI, Cert


async def _server(
    pki: PKI, cert: Cert | None = None, /, **options: Unpack[https.HttpsServerOptions]
) -> tuple[https.Server, int]:
    return await https_server(
        cert or pki.leaf, lambda req, res: res.end(f"hello {req.url}"), **options
    )


async def _get(url: str, options: https.HttpsRequestOptions) -> tuple[http.IncomingMessage, str]:
    res = await https.get(url, options)
    return res, await consumers.text(res)


def test_agent_resumes_sessions_and_max_cached_sessions_0_disables(run: Run, pki: PKI) -> None:
    async def main() -> None:
        server, port = await _server(pki)
        for cached, expect in ((100, [False, True, True]), (0, [False, False, False])):
            agent = https.Agent({"max_cached_sessions": cached, "ca": pki.ca})
            reused = []
            for _ in range(3):
                res, body = await _get(f"https://localhost:{port}/x", {"agent": agent})
                assert body == "hello /x"
                reused.append(res.socket.is_session_reused())
                await closed(res.socket)  # TLS 1.3 tickets arrive after the response
            assert reused == expect
        await server.aclose()

    run(main())


def test_resumed_connection_still_shows_the_peer_chain(run: Run, pki: PKI) -> None:
    async def main() -> None:
        server, port = await _server(pki, pki.chain_leaf)
        agent = https.Agent({"ca": pki.ca})
        for i in range(2):
            res, _ = await _get(f"https://localhost:{port}/", {"agent": agent})
            cert = res.socket.get_peer_certificate(True)
            assert res.socket.is_session_reused() == (i == 1)
            names: list[tuple[str, str]] = []
            while cert is not None and cert.fingerprint256 not in [n[1] for n in names]:
                names.append((cert.subject["CN"], cert.fingerprint256))
                cert = cert.issuer_certificate
            assert [n[0] for n in names] == ["localhost", "Test Intermediate", "Test Root"]
            await closed(res.socket)  # its session is in the agent's cache
        await server.aclose()

    run(main())


def test_failed_identity_check_leaves_no_session_behind(run: Run, pki: PKI) -> None:
    async def main() -> None:
        server, port = await _server(pki, pki.cn_only, max_version="TLSv1.2")
        agent = https.Agent({"ca": pki.ca, "servername": "nodejs.org", "max_version": "TLSv1.2"})
        messages = []
        for _ in range(2):
            with pytest.raises(errors.ERR_TLS_CERT_ALTNAME_INVALID) as info:
                await https.get(f"https://localhost:{port}/", {"agent": agent})
            messages.append(str(info.value))
        assert (
            messages
            == [
                "Hostname/IP does not match certificate's altnames: "
                "Host: nodejs.org. is not cert's CN: agent1"
            ]
            * 2
        )
        assert agent._sessions == {}
        await server.aclose()

    run(main())


def test_get_name_has_every_tls_option_in_nodes_order() -> None:
    agent = https.Agent()
    assert agent.get_name() == "localhost" + ":" * 22
    options = {
        "host": "0.0.0.0",
        "port": 443,
        "local_address": "192.168.1.1",
        "ca": "ca",
        "cert": "cert",
        "client_cert_engine": "dynamic",
        "ciphers": "ciphers",
        "key": "key",
        "pfx": "pfx",
        "reject_unauthorized": False,
        "servername": "localhost",
        "secure_protocol": "secureProtocol",
        "crl": ["c", "r", "l"],
        "honor_cipher_order": False,
        "ecdh_curve": "ecdhCurve",
        "dhparam": "dhparam",
        "secure_options": 0,
        "session_id_context": "sessionIdContext",
        "sigalgs": "sigalgs",
        "private_key_identifier": "privateKeyIdentifier",
        "private_key_engine": "privateKeyEngine",
    }
    assert agent.get_name(options) == (
        "0.0.0.0:443:192.168.1.1:ca:cert:dynamic:ciphers:key:pfx:false:localhost:::"
        'secureProtocol:c,r,l:false:ecdhCurve:dhparam:0:sessionIdContext:"sigalgs":'
        "privateKeyIdentifier:privateKeyEngine"
    )
    camel = {"host": "h", "rejectUnauthorized": True, "minVersion": "TLSv1.2"}
    assert agent.get_name(camel) == "h:::::::::true::TLSv1.2" + ":" * 11  # as node 20 prints


def test_get_name_answers_each_set_of_options_as_its_own() -> None:
    """Names are kept by their inputs (a CA bundle hashed once, not joined per request):
    equal values of other types, hosts that decide the servername, unhashable values
    and many different sets still get Node's own answer."""
    agent = https.Agent()
    base = {"host": "h", "port": 1}
    tail = ":" * 13  # the 13 fields after reject_unauthorized
    for _ in range(2):
        assert agent.get_name({**base, "reject_unauthorized": True}) == "h:1::::::::true" + tail
        assert agent.get_name({**base, "reject_unauthorized": 1}) == "h:1::::::::1" + tail
        assert agent.get_name({**base, "ca": ["x", "y"]}) == "h:1::x,y" + ":" * 19
        assert agent.get_name({**base, "servername": "h"}) == "h:1" + ":" * 21
        assert (
            agent.get_name({"port": 1, "servername": "h"})
            == "localhost:1" + ":" * 9 + "h" + ":" * 12
        )
    for port in range(1, 600):  # past the names kept: still right
        assert agent.get_name({"host": "h", "port": port}).startswith(f"h:{port}:")


def test_keylog_on_the_agent_and_the_server(run: Run, pki: PKI) -> None:
    async def main() -> None:
        server, port = await _server(pki)
        server_lines: list[bytes] = []
        server.on("keylog", lambda line, sock: server_lines.append(line))
        agent = https.Agent({"ca": pki.ca, "keep_alive": True})
        client_lines: list[tuple[bytes, tls.TLSSocket]] = []
        agent.on("keylog", lambda line, sock: client_lines.append((line, sock)))
        for _ in range(2):  # the second request reuses the socket: no new lines
            freed = once(agent, "free")
            await _get(f"https://localhost:{port}/", {"agent": agent})
            await freed
        assert len(client_lines) == 5 and len(server_lines) == 5
        assert all(line.endswith(b"\n") and sock.encrypted for line, sock in client_lines)
        assert sorted(server_lines) == sorted(line for line, _ in client_lines)
        agent.destroy()
        await server.aclose()

    run(main())


def test_pinning_check_server_identity(run: Run, pki: PKI) -> None:
    async def main() -> None:
        server, port = await _server(pki)
        spki = pki.leaf.cert.public_key().public_bytes(
            Encoding.DER, PublicFormat.SubjectPublicKeyInfo
        )
        good_pin = base64.b64encode(hashlib.sha256(spki).digest()).decode()
        mismatch = errors.make("ERR_PIN", "pin mismatch")
        seen: list[tuple[str, str]] = []

        def check(pin: str) -> Callable[[str, PeerCertificate], errors.NodeError | None]:
            def fn(host: str, cert: PeerCertificate) -> errors.NodeError | None:
                seen.append((host, cert["subject"]["CN"]))
                err = tls.check_server_identity(host, cert)
                if err:
                    return err
                return None if tls.pin_sha256(cert) == pin else mismatch

            return fn

        _, body = await _get(
            f"https://localhost:{port}/",
            {"ca": pki.ca, "agent": False, "check_server_identity": check(good_pin)},
        )
        assert body == "hello /"
        with pytest.raises(errors.NodeError) as info:
            await https.get(
                f"https://localhost:{port}/",
                {"ca": pki.ca, "agent": False, "check_server_identity": check("AAAA")},
            )
        assert info.value is mismatch
        assert seen == [("localhost", "localhost")] * 2
        await server.aclose()

    run(main())


def test_agent_false_closes_and_default_rejects_unknown_ca(run: Run, pki: PKI) -> None:
    async def main() -> None:
        server, port = await _server(pki)
        res, _ = await _get(f"https://localhost:{port}/", {"ca": pki.ca, "agent": False})
        assert res.headers["connection"] == "close"
        with pytest.raises(errors.NodeError) as info:
            await https.get(f"https://localhost:{port}/", {"agent": False})
        assert info.value.code == "UNABLE_TO_VERIFY_LEAF_SIGNATURE"
        assert str(info.value) == "unable to verify the first certificate"
        res2, _ = await _get(
            f"https://localhost:{port}/", {"agent": False, "reject_unauthorized": False}
        )
        assert res2.socket.authorized is False
        assert res2.socket.authorization_error == "UNABLE_TO_VERIFY_LEAF_SIGNATURE"
        await server.aclose()

    run(main())


def test_argument_errors() -> None:
    with pytest.raises(TypeError) as info:
        https.request("http://localhost/")
    assert isinstance(info.value, errors.NodeError) and info.value.code == "ERR_INVALID_PROTOCOL"
    assert str(info.value) == 'Protocol "http:" not supported. Expected "https:"'
    with pytest.raises(TypeError) as info2:
        https.Server("foo")  # type: ignore[arg-type]  # wrong on purpose: ERR_INVALID_ARG_TYPE
    assert str(info2.value) == (
        "The \"options\" argument must be of type object. Received type str ('foo')"
    )
    with pytest.raises(TypeError) as info3:
        https.create_server({"key": True})  # type: ignore[arg-type]  # wrong on purpose
    assert str(info3.value) == (
        'The "options.key" property must be of type string or an '
        "instance of Buffer, TypedArray, or DataView. "
        "Received type bool (True)"
    )
    assert global_agent(https).keep_alive is True
    assert global_agent(https).options["timeout"] == 5000
    assert global_agent(https).default_port == 443 and global_agent(https).protocol == "https:"


def test_global_agent_is_reassignable(run: Run, pki: PKI) -> None:
    async def main() -> None:
        server, port = await _server(pki)
        old = global_agent(https)
        try:
            https.global_agent = https.Agent({"ca": pki.ca})  # type: ignore[attr-defined]  # see harness.global_agent
            req = https.get({"host": "localhost", "port": port})
            assert (
                global_agent(https).get_name({"host": "localhost", "port": port, "ca": pki.ca})
                in global_agent(https).sockets
            )
            assert await consumers.text(await req) == "hello /"
        finally:
            https.global_agent = old  # type: ignore[attr-defined]  # see harness.global_agent
        await server.aclose()

    run(main())


def test_plain_http_to_the_tls_port_closes_without_a_reply(run: Run, pki: PKI) -> None:
    async def main() -> None:
        server, port = await _server(pki)
        errs: list[errors.NodeError] = []
        server.on("tlsClientError", lambda err, sock: errs.append(err))
        refused = once(server, "tlsClientError")
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()
        await refused
        assert [e.code for e in errs] == ["ERR_SSL_HTTP_REQUEST"]
        await server.aclose()

    run(main())
