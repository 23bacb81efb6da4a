"""nodehttps.net over real sockets on 127.0.0.1, and the Readable stream it stands on.

Echo, back-pressure and ``'drain'``, half-close, ``destroy(err)``, flow control,
``set_encoding``, ``async for``, ``pipe``, idle timeouts, addresses and counters,
connection errors with Node's fields, and ``Server.listen``/``close`` as Node has them.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness import Run, closed, emitted, once, resolve, until
from nodehttps import errors, events, net
from nodehttps.events import EventEmitter


async def listen(server: net.Server) -> int:
    server.listen(0, "127.0.0.1")
    await events.once(server, "listening")
    address = server.address()
    assert address is not None
    return int(address["port"])


async def serving(listener: Callable[[net.Socket], Any] | None = None) -> tuple[net.Server, int]:
    """A server on 127.0.0.1 with ``listener`` for its connections, and its port."""
    server = net.create_server(None, listener)
    return server, await listen(server)


async def connected(port: int, **options: Any) -> net.Socket:
    sock = net.connect(port, "127.0.0.1", **options)
    await events.once(sock, "connect")
    return sock


async def socket_pair() -> tuple[net.Server, net.Socket, net.Socket]:
    """A listening server, a connected client, and the server's side of it."""
    server, port = await serving()
    got = asyncio.ensure_future(accepted(server))
    client = await connected(port)
    return server, client, await got


async def read_all(sock: net.Socket) -> bytes:
    """Collect ``'data'`` until ``'end'``."""
    chunks: list[bytes] = []
    sock.on("data", chunks.append)
    await events.once(sock, "end")
    return b"".join(chunks)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def accepted(server: net.Server) -> net.Socket:
    (sock,) = await events.once(server, "connection")
    assert isinstance(sock, net.Socket)
    return sock


def replying(data: bytes) -> Callable[[net.Socket], None]:
    """A connection listener that reads (so the peer's FIN is seen) and sends ``data``."""

    def on_connection(sock: net.Socket) -> None:
        sock.resume()
        sock.end(data)

    return on_connection


# -- data flow ---------------------------------------------------------------------
def test_echo(run: Run) -> None:
    async def main() -> None:
        # Node's createServer(connectionListener) form, the options omitted:
        server = net.create_server(lambda s: s.pipe(s))
        port = await listen(server)
        client = net.connect(port, "127.0.0.1")
        order: list[str] = []
        client.on("connect", lambda: order.append("connect"))
        client.on("ready", lambda: order.append("ready"))
        assert client.connecting and client.pending
        client.write(b"hello ")
        client.write("world")
        client.end()
        assert await read_all(client) == b"hello world"
        (had_error,) = await events.once(client, "close")
        assert had_error is False and order == ["connect", "ready"]
        assert not client.connecting and not client.pending
        await server.aclose()

    run(main())


def test_writes_made_while_connecting_are_delivered(run: Run) -> None:
    async def main() -> None:
        server, port = await serving()
        got = asyncio.ensure_future(accepted(server))
        client = net.connect({"port": port, "host": "127.0.0.1"})
        assert client.connecting
        assert client.write(b"early ") is True
        client.end(b"bird")
        assert client.writable_length == len(b"early bird")
        sock = await got
        assert await read_all(sock) == b"early bird"
        client.resume()
        await client.wait_closed()
        await server.aclose()

    run(main())


def test_write_back_pressure_then_drain(run: Run) -> None:
    async def main() -> None:
        server, client, peer = await socket_pair()
        peer.pause()  # the peer does not read: the kernel buffers fill up
        chunk = b"x" * 262144
        total = 0
        for _ in range(200):
            total += len(chunk)
            if client.write(chunk) is False:
                break
        else:
            pytest.fail("write() never returned False")
        assert client.writable_need_drain
        assert client.bytes_written == total
        drained = asyncio.ensure_future(events.once(client, "drain"))
        await asyncio.sleep(0.05)  # kept: a window in which no 'drain' may come
        assert not drained.done()
        received = [0]
        peer.on("data", lambda d: received.__setitem__(0, received[0] + len(d)))
        peer.resume()
        assert await drained == []
        assert not client.writable_need_drain
        client.end()
        await events.once(peer, "end")
        assert received[0] == total == peer.bytes_read
        await server.aclose()

    run(main())


def test_end_half_closes_and_peer_ends_its_side(run: Run) -> None:
    async def main() -> None:
        server, client, peer = await socket_pair()
        client.end(b"bye")
        assert not client.writable and client.ready_state == "readOnly"
        assert await read_all(peer) == b"bye"
        # without allow_half_open, 'end' makes the socket end its side too
        assert not peer.writable
        assert await read_all(client) == b""
        await asyncio.gather(client.wait_closed(), peer.wait_closed())
        await server.aclose()

    run(main())


def test_allow_half_open_keeps_writing_after_end(run: Run) -> None:
    async def main() -> None:
        def on_connection(sock: net.Socket) -> None:
            def on_end() -> None:
                assert sock.writable
                sock.write(b"late ")
                sock.end(b"reply")

            sock.on("end", on_end)
            sock.resume()

        server = net.create_server({"allowHalfOpen": True}, on_connection)
        port = await listen(server)
        client = await connected(port)
        client.end(b"question")
        assert await read_all(client) == b"late reply"
        await client.wait_closed()
        await server.aclose()

    run(main())


def test_destroy_with_error_emits_error_then_close(run: Run) -> None:
    async def main() -> None:
        server, port = await serving(lambda s: s.resume())
        client = await connected(port)
        log: list[Any] = []
        client.on("error", lambda e: log.append(("error", e)))
        client.on("close", lambda had_error: log.append(("close", had_error)))
        boom = RuntimeError("boom")
        client.destroy(boom)
        assert client.destroyed and log == []  # emitted on a later turn
        client.destroy(ValueError("again"))  # no-op
        client.end()
        await closed(client)
        assert log == [("error", boom), ("close", True)]
        assert client.closed
        await server.aclose()

    run(main())


def test_write_after_end_destroys_with_the_error(run: Run) -> None:
    """As Node's ``writeAfterEnd``: the callback gets the error, then ``'error'`` and
    ``'close'`` with ``had_error``; the socket is destroyed."""

    async def main() -> None:
        server, client, peer = await socket_pair()
        peer.resume()
        client.end()
        log: list[Any] = []
        client.on("error", lambda e: log.append(("error", e.code)))
        client.on("close", lambda had_error: log.append(("close", had_error)))
        assert client.write(b"x", lambda e: log.append(("cb", e.code))) is False
        await client.wait_closed()
        assert log == [
            ("cb", "ERR_STREAM_WRITE_AFTER_END"),
            ("error", "ERR_STREAM_WRITE_AFTER_END"),
            ("close", True),
        ]
        assert client.destroyed
        await server.aclose()

    run(main())


def test_close_emitted_exactly_once(run: Run) -> None:
    async def main() -> None:
        closes: list[tuple[str, bool]] = []
        server_side: asyncio.Future[net.Socket] = asyncio.get_running_loop().create_future()

        def on_connection(sock: net.Socket) -> None:
            resolve(server_side, sock)
            sock.on("close", lambda h: closes.append(("server", h)))
            sock.resume()
            sock.end(b"x")

        server, port = await serving(on_connection)
        client = await connected(port)
        client.on("close", lambda h: closes.append(("client", h)))
        assert await read_all(client) == b"x"
        await client.wait_closed()
        await closed(await server_side)
        client.destroy()
        client.end()
        await asyncio.sleep(0.05)  # kept: a window in which no second 'close' may come
        assert sorted(closes) == [("client", False), ("server", False)]
        await server.aclose()

    run(main())


def test_pause_and_resume(run: Run) -> None:
    async def main() -> None:
        server, client, peer = await socket_pair()
        peer.resume()
        chunks: list[bytes] = []
        client.on("data", chunks.append)
        assert client.readable_flowing is True
        peer.write(b"one")
        await once(client, "data")
        client.pause()
        assert client.is_paused() and client.readable_flowing is False
        peer.write(b"two")
        await asyncio.sleep(0.05)  # kept: a window in which paused data must not flow
        assert chunks == [b"one"]
        client.resume()
        assert not client.is_paused()
        peer.end()
        await events.once(client, "end")
        assert b"".join(chunks) == b"onetwo"
        await server.aclose()

    run(main())


def test_set_encoding_decodes_split_characters(run: Run) -> None:
    async def main() -> None:
        server, client, peer = await socket_pair()
        peer.resume()
        client.set_encoding("utf8")
        chunks: list[Any] = []
        client.on("data", chunks.append)
        peer.write(b"h\xc3")
        await once(client, "data")  # "h": the split character's first byte is held
        peer.end(b"\xa9llo \xe2\x82\xac")
        await events.once(client, "end")
        assert all(isinstance(c, str) for c in chunks)
        assert "".join(chunks) == "héllo €"
        await server.aclose()

    run(main())


@pytest.mark.parametrize(
    ("encoding", "text"),
    [("hex", "68656c6c6f3eff"), ("base64", "aGVsbG8+/w=="), ("base64url", "aGVsbG8-_w")],
)
def test_binary_text_encodings_both_ways(run: Run, encoding: str, text: str) -> None:
    """Node's hex/base64/base64url: ``write(text, enc)`` sends the bytes the text stands
    for; ``set_encoding(enc)`` turns bytes into that text, also across split chunks."""

    async def main() -> None:
        server, client, peer = await socket_pair()
        peer.resume()
        peer.write(text, encoding)
        peer.end()
        assert await read_all(client) == b"hello>\xff"
        await server.aclose()

        server, client, peer = await socket_pair()
        peer.resume()
        client.set_encoding(encoding)
        chunks: list[Any] = []
        client.on("data", chunks.append)
        peer.write(b"hell")
        await once(client, "data")  # what "hell" encodes to whole; the rest is held
        peer.end(b"o>\xff")
        await events.once(client, "end")
        assert "".join(chunks) == text
        await server.aclose()

    run(main())


def test_async_for_over_an_ended_or_destroyed_stream(run: Run) -> None:
    """As Node's iterator: an ended stream yields nothing at once; one destroyed before
    its end raises ``ERR_STREAM_PREMATURE_CLOSE`` (neither waits for an 'end' long gone)."""

    async def main() -> None:
        server, client, peer = await socket_pair()
        peer.resume()
        peer.end(b"x")
        assert await read_all(client) == b"x"
        assert [chunk async for chunk in client] == []
        server2, client2, peer2 = await socket_pair()
        client2.destroy()
        await closed(client2)
        with pytest.raises(errors.NodeError) as info:
            async for _chunk in client2:
                pass
        assert info.value.code == "ERR_STREAM_PREMATURE_CLOSE"
        peer2.destroy()
        await server.aclose()
        await server2.aclose()

    run(main())


def test_async_for_reads_until_end(run: Run) -> None:
    async def main() -> None:
        def on_connection(sock: net.Socket) -> None:
            sock.resume()
            for i in range(5):
                sock.write(b"%d," % i)
            sock.end()

        server, port = await serving(on_connection)
        client = await connected(port)
        chunks = [chunk async for chunk in client]
        assert all(isinstance(c, bytes) for c in chunks)
        assert b"".join(chunks) == b"0,1,2,3,4,"
        await client.wait_closed()
        await server.aclose()

    run(main())


class SlowSink(EventEmitter):
    """A writable that takes 64 KiB per loop tick, then asks for ``'drain'``."""

    def __init__(self, source: net.Socket) -> None:
        super().__init__()
        self.source = source
        self.received = 0
        self.pending = 0
        self.paused_seen = 0
        self.ended = False
        self.piped: Any = None
        self.on("pipe", lambda src: setattr(self, "piped", src))

    def write(self, chunk: bytes) -> bool:
        self.received += len(chunk)
        self.pending += len(chunk)
        if self.pending < 65536:
            return True
        asyncio.get_running_loop().call_later(0.002, self._drain)
        return False

    def _drain(self) -> None:
        if self.source.is_paused():
            self.paused_seen += 1
        self.pending = 0
        self.emit("drain")

    def end(self) -> None:
        self.ended = True
        self.emit("finish")


def test_pipe_with_back_pressure(run: Run) -> None:
    async def main() -> None:
        size = 2 * 1024 * 1024
        server, port = await serving(replying(b"z" * size))
        client = await connected(port)
        sink = SlowSink(client)
        assert client.pipe(sink) is sink
        assert sink.piped is client
        await events.once(sink, "finish")
        assert sink.ended and sink.received == size == client.bytes_read
        assert sink.paused_seen > 0
        await server.aclose()

    run(main())


# -- timeouts --------------------------------------------------------------------------
def test_timeout_fires_after_idle_not_while_active(run: Run) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        server, client, peer = await socket_pair()
        fired: list[float] = []
        peer.resume()
        peer.set_timeout(100, lambda: fired.append(loop.time()))
        assert peer.timeout == 100
        for _ in range(8):  # 240 ms of activity, gaps well under 100 ms
            client.write(b".")
            await asyncio.sleep(0.03)  # kept: the gaps of activity are the test
        assert fired == []
        last = loop.time()
        await once(peer, "timeout", timeout=2)
        assert fired and fired[0] - last >= 0.06
        client.destroy()
        await server.aclose()

    run(main())


def test_set_timeout_zero_disables(run: Run) -> None:
    async def main() -> None:
        server, port = await serving(lambda s: s.resume())
        client = await connected(port)
        fired: list[str] = []
        client.on("timeout", lambda: fired.append("timeout"))
        assert client.timeout is None  # never set: Node's undefined
        client.set_timeout(50)
        client.set_timeout(0)
        assert client.timeout == 0 and client.timeout is not None  # as Node: 0, not undefined
        await asyncio.sleep(0.2)  # kept: a window in which no 'timeout' may come
        assert fired == []
        client.set_timeout(30)
        await once(client, "timeout")
        await asyncio.sleep(0)  # kept: a loop turn, in which a close it queued would run
        assert fired  # the socket does not close by itself: Node only emits 'timeout'
        assert not client.destroyed
        client.destroy()
        await server.aclose()

    run(main())


def test_eof_with_nothing_buffered_ends_without_consumer(run: Run) -> None:
    async def main() -> None:
        server, port = await serving(lambda s: s.end())
        client = net.connect(port, "127.0.0.1")
        log: list[str] = []
        client.on("end", lambda: log.append("end"))
        client.on("close", lambda had_error: log.append("close"))
        await closed(client)
        assert log == ["end", "close"]
        assert client.readable_flowing is None
        client.destroy()
        await server.aclose()

    run(main())


def test_eof_with_unread_data_waits_for_consumer(run: Run) -> None:
    async def main() -> None:
        server, port = await serving(replying(b"data"))
        client = net.connect(port, "127.0.0.1")
        log: list[str] = []
        client.on("end", lambda: log.append("end"))
        await until(lambda: client.readable_length == 4, what="the data buffered")
        # kept: a window in which the peer's FIN arrives; 'end' must wait for a consumer
        await asyncio.sleep(0.1)
        assert log == [] and client.readable_length == 4
        client.resume()
        await events.once(client, "end")
        assert log == ["end"]
        await client.wait_closed()
        await server.aclose()

    run(main())


def test_write_chunk_and_encoding_errors_as_node(run: Run) -> None:
    """Node's encodings (``latin1``/``binary``, ``ucs2``/``utf16le``) and errors:
    ``ERR_STREAM_NULL_VALUES``, ``ERR_INVALID_ARG_TYPE``, ``ERR_UNKNOWN_ENCODING``."""

    async def main() -> None:
        sock = net.Socket()
        assert sock.write("\xe9", "latin1") and sock.write("\xe9", "binary")
        assert sock.write("a", "ucs2") and sock.write("a", "utf16le")
        assert sock.writable_length == 6
        cases = [
            ((None,), TypeError, "ERR_STREAM_NULL_VALUES", "May not write null values to stream"),
            (
                (123,),
                TypeError,
                "ERR_INVALID_ARG_TYPE",
                'The "chunk" argument must be of type string or an instance of Buffer, '
                "TypedArray, or DataView. Received type int (123)",
            ),
            (("x", "bogus"), TypeError, "ERR_UNKNOWN_ENCODING", "Unknown encoding: bogus"),
        ]
        for args, kind, code, message in cases:
            with pytest.raises(kind) as info:
                sock.write(*args)  # type: ignore[arg-type]  # wrong chunks on purpose
            assert (getattr(info.value, "code", None), str(info.value)) == (code, message)
        with pytest.raises(TypeError) as bad:
            sock.set_encoding("bogus")
        assert getattr(bad.value, "code", None) == "ERR_UNKNOWN_ENCODING"
        sock.destroy()

    run(main())


@pytest.mark.parametrize("value", [-1, "a", None])
def test_set_timeout_validation(run: Run, value: Any) -> None:
    async def main() -> None:
        sock = net.Socket()
        with pytest.raises((TypeError, ValueError)) as info:
            sock.set_timeout(value)
        assert getattr(info.value, "code", None) in {"ERR_INVALID_ARG_TYPE", "ERR_OUT_OF_RANGE"}

    run(main())


# -- addresses and counters -------------------------------------------------------------
def test_addresses_and_byte_counts(run: Run) -> None:
    async def main() -> None:
        server, client, peer = await socket_pair()
        port = server.address()["port"]
        local = client.address()
        assert local["address"] == "127.0.0.1" and local["family"] == "IPv4"
        assert client.local_address == "127.0.0.1" and client.local_port == local["port"]
        assert client.remote_address == "127.0.0.1" and client.remote_port == port
        assert client.remote_family == "IPv4"
        assert peer.remote_port == local["port"] and peer.address()["port"] == port
        assert peer.server is server
        client.resume()
        client.write(b"12345")
        client.end(b"678")
        assert client.bytes_written == 8
        assert await read_all(peer) == b"12345678"
        assert peer.bytes_read == 8 and peer.bytes_written == 0
        await server.aclose()

    run(main())


def test_econnrefused(run: Run) -> None:
    async def main() -> None:
        port = closed_port()
        client = net.connect(port, "127.0.0.1")
        log: list[Any] = []
        client.on("close", lambda had_error: log.append(had_error))
        err: Any
        (err,) = await events.once(client, "error")
        assert err.code == "ECONNREFUSED"
        assert err.errno == errno.ECONNREFUSED
        assert err.syscall == "connect"
        assert err.address == "127.0.0.1" and err.port == port
        assert str(err) == f"connect ECONNREFUSED 127.0.0.1:{port}"
        assert isinstance(err, ConnectionRefusedError)
        assert isinstance(err, errors.NodeError)
        await closed(client)
        assert log == [True]

    run(main())


def test_connect_bad_port_raises_synchronously(run: Run) -> None:
    async def main() -> None:
        for port in (-1, 65536, "x"):
            with pytest.raises(ValueError) as info:
                net.connect(port, "127.0.0.1")
            assert getattr(info.value, "code", None) == "ERR_SOCKET_BAD_PORT"
        with pytest.raises(TypeError) as missing:
            net.connect({"host": "127.0.0.1"})
        assert getattr(missing.value, "code", None) == "ERR_MISSING_ARGS"
        assert str(missing.value) == 'The "options" or "port" or "path" argument must be specified'

    run(main())


def test_signal_option_destroys_the_socket(run: Run) -> None:
    """Node's ``signal`` option of ``net.Socket``: abort -> ``AbortError`` with the
    signal's reason as its ``cause``; an already aborted signal errors on the next turn."""
    from nodehttps._abort import AbortController, AbortSignal

    async def main() -> None:
        server, _client, _peer = await socket_pair()
        port = server.address()["port"]
        controller = AbortController()
        sock = await connected(port, signal=controller.signal)
        assert controller.signal.listener_count("abort") == 1
        controller.abort("enough")
        err: Any
        (err,) = await events.once(sock, "error")
        assert (err.name, err.code, str(err)) == (
            "AbortError",
            "ABORT_ERR",
            "The operation was aborted",
        )
        assert err.cause == "enough"
        await closed(sock)
        assert controller.signal.listener_count("abort") == 0  # removed on 'close'
        early = net.connect(port, "127.0.0.1", signal=AbortSignal.abort())
        (err,) = await events.once(early, "error")
        assert err.code == "ABORT_ERR"
        with pytest.raises(TypeError) as info:
            net.connect(port, "127.0.0.1", signal="stop")
        assert str(info.value) == (
            'The "options.signal" property must be an instance of '
            "AbortSignal. Received type str ('stop')"
        )
        server.close()
        _client.destroy()
        _peer.destroy()

    run(main())


def test_unix_socket_path(run: Run, tmp_path: Path) -> None:
    """``listen(path)`` / ``connect({'path'})``; a missing path is Node's ``ENOENT``."""

    async def main() -> None:
        path = str(tmp_path / "echo.sock")
        server = net.create_server(lambda sock: sock.on("data", sock.end))
        server.listen(path)
        await events.once(server, "listening")
        accepted: asyncio.Future[net.Socket] = asyncio.get_running_loop().create_future()
        server.on("connection", lambda sock: resolve(accepted, sock))
        client = net.connect({"path": path})
        await events.once(client, "connect")
        assert client.remote_address is None
        peer = await accepted
        assert (peer.address(), peer.local_port, peer.remote_address) == ({}, None, None)
        client.write(b"ping")
        assert await read_all(client) == b"ping"
        missing = net.connect({"path": path + ".missing"})
        err: Any
        (err,) = await events.once(missing, "error")
        assert (err.code, err.syscall, err.address) == ("ENOENT", "connect", path + ".missing")
        assert str(err) == f"connect ENOENT {path}.missing"
        server.close()

    run(main())


# -- Server ----------------------------------------------------------------------------
def test_listen_forms(run: Run) -> None:
    async def main() -> None:
        called: list[str] = []
        a = net.create_server()
        assert a.listen(0, "127.0.0.1", 16, lambda: called.append("a")) is a
        addr = a.address()  # available at once, before 'listening'
        assert addr is not None and addr["address"] == "127.0.0.1" and addr["port"] > 0
        assert addr["family"] == "IPv4"
        b = net.create_server(None, lambda sock: sock.resume())
        b.listen({"port": 0, "host": "127.0.0.1", "backlog": 8}, lambda: called.append("b"))
        c = net.create_server()
        c.listen(0, lambda: called.append("c"))
        c_addr = c.address()
        assert c_addr is not None and c_addr["port"] > 0
        assert c_addr["address"] in {"::", "0.0.0.0"}
        d = net.create_server()
        d.listen(port=0, host="127.0.0.1")
        await asyncio.gather(*(once(s, "listening") for s in (a, b, c, d)))  # emitted later
        assert sorted(called) == ["a", "b", "c"]
        assert a.listening and b.listening and c.listening and d.listening
        with pytest.raises(RuntimeError) as info:
            a.listen(0)
        assert getattr(info.value, "code", None) == "ERR_SERVER_ALREADY_LISTEN"
        b_addr = b.address()
        assert b_addr is not None
        sock = await connected(b_addr["port"])
        sock.destroy()
        await asyncio.gather(a.aclose(), b.aclose(), c.aclose(), d.aclose())
        assert a.address() is None

    run(main())


def test_eaddrinuse(run: Run) -> None:
    async def main() -> None:
        first = net.create_server()
        port = await listen(first)
        second = net.create_server()
        second.listen(port, "127.0.0.1")
        (err,) = await events.once(second, "error")
        assert err.code == "EADDRINUSE"
        assert err.syscall == "listen" and err.errno == errno.EADDRINUSE
        assert err.address == "127.0.0.1" and err.port == port
        assert isinstance(err, OSError)
        assert str(err) == f"listen EADDRINUSE: address already in use 127.0.0.1:{port}"
        assert not second.listening
        await first.aclose()

    run(main())


def test_close_waits_for_connections(run: Run) -> None:
    async def main() -> None:
        server, port = await serving(lambda s: s.resume())
        got = asyncio.ensure_future(accepted(server))
        client = await connected(port)
        client.resume()
        await got
        done: list[Any] = []
        server.on("close", lambda: done.append("close event"))
        assert server.close(lambda err: done.append(("cb", err))) is server
        assert not server.listening
        await asyncio.sleep(0.1)  # kept: a window in which close must wait for the client
        assert done == []
        refused = net.connect(port, "127.0.0.1")
        (err,) = await events.once(refused, "error")
        assert err.code == "ECONNREFUSED"
        client.end()
        await events.once(server, "close")
        await asyncio.sleep(0)  # kept: a loop turn, for a callback queued after 'close'
        assert done == [("cb", None), "close event"] or done == ["close event", ("cb", None)]

    run(main())


def test_close_not_running_calls_back_with_error(run: Run) -> None:
    async def main() -> None:
        server = net.create_server()
        got: list[Any] = []
        called: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def callback(err: BaseException | None) -> None:
            got.append(err)
            resolve(called, None)

        server.close(callback)
        await asyncio.wait_for(called, 5)
        assert len(got) == 1
        assert isinstance(got[0], errors.ERR_SERVER_NOT_RUNNING)
        assert got[0].code == "ERR_SERVER_NOT_RUNNING"

    run(main())


def test_close_not_running_emits_close(run: Run) -> None:
    async def main() -> None:
        server = net.create_server()
        got: list[Any] = []
        server.on("close", lambda: got.append("close"))
        closing = once(server, "close")
        server.close()
        await closing
        assert got == ["close"]

    run(main())


def test_get_connections(run: Run) -> None:
    async def main() -> None:
        peers: list[net.Socket] = []

        def on_connection(sock: net.Socket) -> None:
            sock.resume()
            peers.append(sock)

        server, port = await serving(on_connection)
        both = emitted(server, "connection", 2)
        clients = [await connected(port) for _ in range(2)]
        await both
        got: list[tuple[Any, int]] = []

        async def connections() -> None:
            called: asyncio.Future[None] = asyncio.get_running_loop().create_future()

            def callback(err: BaseException | None, n: int) -> None:
                got.append((err, n))
                resolve(called, None)

            server.get_connections(callback)
            await asyncio.wait_for(called, 5)

        await connections()
        assert got == [(None, 2)]
        for c in clients:
            c.destroy()
        await asyncio.gather(*(closed(peer) for peer in peers))
        await connections()
        assert got[-1] == (None, 0)
        await server.aclose()

    run(main())


def test_max_connections_drops_with_nodes_data(run: Run) -> None:
    async def main() -> None:
        server, port = await serving(lambda s: s.resume())
        server.max_connections = 1
        first = await connected(port)
        second = net.connect(port, "127.0.0.1")
        second.on("error", lambda _e: None)
        (data,) = await events.once(server, "drop")
        await events.once(second, "close")
        remote_port = data.pop("remotePort")
        assert isinstance(remote_port, int) and remote_port not in (0, port)
        assert data == {
            "localAddress": "127.0.0.1",
            "localPort": port,
            "localFamily": "IPv4",
            "remoteAddress": "127.0.0.1",
            "remoteFamily": "IPv4",
        }
        first.destroy()
        await server.aclose()

    run(main())


def test_async_with_server(run: Run) -> None:
    async def main() -> None:
        closed: list[str] = []
        server = net.create_server(None, replying(b"hi"))
        server.on("close", lambda: closed.append("close"))
        async with server.listen(0, "127.0.0.1") as srv:
            assert srv is server and srv.listening
            addr = srv.address()
            assert addr is not None
            client = await connected(addr["port"])
            assert await read_all(client) == b"hi"
        assert closed == ["close"] and not server.listening

    run(main())


def test_exception_in_data_listener_reaches_loop_handler(run: Run) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        caught: list[dict[str, Any]] = []
        reported: asyncio.Future[None] = loop.create_future()
        previous: Callable[..., Any] | None = loop.get_exception_handler()

        def handler(_loop: asyncio.AbstractEventLoop, ctx: dict[str, Any]) -> None:
            caught.append(ctx)
            resolve(reported, None)

        loop.set_exception_handler(handler)
        try:
            server, port = await serving()
            got = asyncio.ensure_future(accepted(server))
            client = await connected(port)
            peer = await got
            peer.resume()

            def bad(_chunk: bytes) -> None:
                raise ZeroDivisionError("in a data listener")

            client.on("data", bad)
            peer.write(b"x")
            await asyncio.wait_for(reported, 5)
            assert len(caught) == 1
            assert isinstance(caught[0].get("exception"), ZeroDivisionError)
            client.destroy()
            await server.aclose()
        finally:
            # The error was expected: restore the fixture's handler, which fails the
            # test on any uncaught exception it records.
            loop.set_exception_handler(previous)

    run(main())
