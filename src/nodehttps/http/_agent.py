"""Node's ``http.Agent``: hands sockets to requests and takes them back.

Theory of operation
-------------------
Every decision (reuse a free socket, create one, queue the request; pool, hand over or
destroy a socket that finished a request; which queued request gets a freed slot) is
made by the pure :class:`~nodehttps._proto.pool.Pool`, keyed by :meth:`Agent.get_name`.
This module only carries the decisions out with real sockets, as Node's
``_http_agent.js`` does. It never touches the HTTP parser (the request owns it), and
agent and request talk through a few named methods: the request asks with
:meth:`Agent.add_request`, withdraws with :meth:`Agent.cancel_request` and hands its
socket back with :meth:`Agent.release` (Node's ``'free'``); the agent answers through
the :class:`PoolClient` methods ``on_socket`` and ``on_socket_error``. What the agent
keeps about a request or a socket, it keeps in its own tables.

Free sockets are ``unref()``'d, so idle keep-alive sockets do not keep a script alive;
their idle timeout is the agent's ``timeout`` lowered to the server's
``Keep-Alive: timeout=N`` hint minus one second (a hint of one second or less means
"do not reuse").
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from mypy_extensions import mypyc_attr

from .. import net
from .._options import normalize, validate_number, validate_one_of
from .._proto import pool as _pool
from ..events import EventEmitter

__all__ = ["Agent", "PoolClient", "connection_args"]

_HINT = re.compile(r"^timeout=(\d+)")


class PoolClient(Protocol):
    """What the agent needs of a request (Node's ``ClientRequest`` as the agent uses it)."""

    port: Any
    timeout: float | None
    reused_socket: bool

    def get_header(self, name: str) -> Any: ...

    def on_socket(self, sock: Any, reused: bool = False) -> None:
        """The agent assigned ``sock`` (Node's ``req.onSocket(socket)``)."""

    def on_socket_error(self, err: BaseException) -> None:
        """No socket could be made (Node's ``req.onSocket(null, err)``)."""


@mypyc_attr(allow_interpreted_subclasses=True)
class Agent(EventEmitter):
    """Node's ``http.Agent([options])``: socket pooling with keep-alive."""

    default_port = 80
    protocol: str | None = "http:"

    def __init__(self, options: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__()
        opts = normalize(options, kwargs)
        self.options: dict[str, Any] = dict(opts)
        self.options.setdefault("no_delay", True)
        self.options["path"] = None
        if "default_port" in opts and opts["default_port"] is not None:
            self.default_port = opts["default_port"]
        if opts.get("protocol"):
            self.protocol = opts["protocol"]
        self.keep_alive: bool = bool(opts.get("keep_alive", False))
        self.keep_alive_msecs: float = opts.get("keep_alive_msecs") or 1000
        # Node: a falsy maxSockets/maxFreeSockets means the default, with no validation.
        self.max_sockets: float = opts.get("max_sockets") or math.inf
        self.max_free_sockets: float = opts.get("max_free_sockets") or 256
        max_total = opts.get("max_total_sockets")
        self.max_total_sockets: float = (
            math.inf if max_total is None else validate_number(max_total, "maxTotalSockets", 1)
        )
        self.scheduling: str = validate_one_of(
            opts.get("scheduling", "lifo"), "scheduling", ("fifo", "lifo")
        )
        self._pool = _pool.Pool(
            max_sockets=self.max_sockets,
            max_free_sockets=self.max_free_sockets,
            max_total_sockets=self.max_total_sockets,
            scheduling=self.scheduling,
        )
        self._waiting: dict[PoolClient, tuple[str, dict[str, Any]]] = {}  # name, options
        self._names: dict[Any, str] = {}  # each socket's pool name
        self._free_error: dict[Any, Callable[[BaseException], None]] = {}  # idle sockets
        self._hints: dict[Any, str] = {}  # a released socket's Keep-Alive header

    # -- Node's views --------------------------------------------------------------------
    @property
    def sockets(self) -> dict[str, list[Any]]:
        """Node's ``agent.sockets``: busy sockets per name."""
        return self._pool.sockets

    @property
    def free_sockets(self) -> dict[str, list[Any]]:
        """Node's ``agent.freeSockets``: idle keep-alive sockets per name."""
        return self._pool.free_sockets

    @property
    def requests(self) -> dict[str, list[Any]]:
        """Node's ``agent.requests``: requests waiting for a socket, per name."""
        return self._pool.requests

    @property
    def total_socket_count(self) -> int:
        """Node's ``agent.totalSocketCount``."""
        return self._pool.total_socket_count

    def get_name(self, options: dict[str, Any] | None = None) -> str:
        """Node's ``agent.getName([options])``: ``host:port:localAddress[:family]``."""
        return self._http_name(normalize(options))

    @staticmethod
    def _http_name(opts: dict[str, Any]) -> str:
        """:meth:`get_name` of options already in snake_case."""
        name = str(opts.get("host") or "localhost") + ":"
        if opts.get("port"):
            name += str(opts["port"])
        name += ":"
        if opts.get("local_address"):
            name += str(opts["local_address"])
        if opts.get("family") in (4, 6):
            name += f":{opts['family']}"
        if opts.get("socket_path"):
            name += f":{opts['socket_path']}"
        return name

    # -- requests ----------------------------------------------------------------------
    def add_request(self, req: PoolClient, options: dict[str, Any]) -> None:
        """Node's ``agent.addRequest(req, options)``: reuse, create, or queue."""
        opts = {**options, **{k: v for k, v in self.options.items() if v is not None}}
        opts.pop("signal", None)
        opts["host"] = opts.get("hostname") or opts.get("host") or "localhost"
        if not opts.get("port") and not opts.get("socket_path"):
            # Node's ClientRequest writes its port (options.port || defaultPort) back into
            # the options it hands to addRequest; ours keeps it on the request.
            opts["port"] = getattr(req, "port", None) or self.default_port
        self._prepare_socket_options(opts, req)
        name = self.get_name(opts)
        decision = self._pool.add_request(name, req)
        while isinstance(decision, _pool.Reuse) and getattr(decision.socket, "destroyed", False):
            # Node's addRequest skips free sockets already destroyed (their 'close' is
            # still to come): one destroyed while idle is never handed out. Checked only
            # on the socket the pool picks, not by scanning the free list per request.
            self._socket_gone(decision.socket, name)
            decision = self._pool.add_request(name, req)
        if isinstance(decision, _pool.Reuse):
            sock = decision.socket
            self.reuse_socket(sock, req)
            self._set_request_socket(req, sock, reused=True)
        elif isinstance(decision, _pool.Create):
            self._create_for(req, name, opts)
        else:
            self._waiting[req] = (name, opts)

    def _create_for(self, req: PoolClient, name: str, opts: dict[str, Any]) -> None:
        def on_created(err: BaseException | None, sock: Any) -> None:
            if err is not None:
                for action in self._pool.creation_failed(name):
                    self._carry_out(action)
                req.on_socket_error(err)
                return
            self._pool.socket_created(name, sock)
            self._install_listeners(sock, name)
            self._set_request_socket(req, sock)

        self.create_socket(req, opts, on_created)

    def cancel_request(self, req: PoolClient) -> None:
        """A request that waits for a socket went away (aborted, destroyed)."""
        entry = self._waiting.pop(req, None)
        if entry is not None:
            self._pool.remove_request(entry[0], req)

    def _set_request_socket(self, req: PoolClient, sock: Any, reused: bool = False) -> None:
        req.on_socket(sock, reused)
        agent_timeout = self.options.get("timeout") or 0
        if req.timeout is not None and req.timeout != agent_timeout:
            sock.set_timeout(req.timeout)

    def create_socket(
        self,
        req: Any,
        options: dict[str, Any],
        callback: Callable[[BaseException | None, Any], None],
    ) -> None:
        """Node's ``agent.createSocket(req, options, cb)``."""
        opts = {**options, **{k: v for k, v in self.options.items() if v is not None}}
        # Node: the agent's options say path=null, so the request's HTTP path never
        # reaches the connection; socket_path becomes the path to connect to.
        opts["path"] = opts.get("socket_path")
        opts["_agent_key"] = self.get_name(opts)
        if self.keep_alive:
            opts["keep_alive"] = True
            opts["keep_alive_initial_delay"] = self.keep_alive_msecs
        try:
            sock = self.create_connection(opts)
        except Exception as exc:
            callback(exc, None)
            return
        callback(None, sock)

    def _prepare_socket_options(self, opts: dict[str, Any], req: Any) -> None:
        """Hook for ``https.Agent`` (servername, session)."""

    def create_connection(self, *args: Any, **kwargs: Any) -> Any:
        """Node's ``agent.createConnection(options[, callback])``: a ``net.Socket``.

        Also takes ``(port[, host][, options])``, as ``net.createConnection`` does.
        """
        options, callback = connection_args(args, kwargs)
        sock = net.connect(options)  # sets the ``timeout`` option, as Node's
        if callback is not None:
            sock.once("connect", lambda: callback(None, sock))
        return sock

    def _install_listeners(self, sock: Any, name: str) -> None:
        self._names[sock] = name

        def on_close(*_: Any) -> None:
            self._socket_gone(sock, name)

        def on_timeout() -> None:
            if sock in self._pool.free_sockets.get(name, ()):
                sock.destroy()

        def on_remove() -> None:
            self._socket_gone(sock, name)
            sock.remove_listener("close", on_close)
            sock.remove_listener("timeout", on_timeout)
            sock.remove_listener("agentRemove", on_remove)

        sock.on("close", on_close)
        sock.on("timeout", on_timeout)
        sock.on("agentRemove", on_remove)

    def _socket_gone(self, sock: Any, name: str) -> None:
        self._names.pop(sock, None)
        self._free_error.pop(sock, None)
        for action in self._pool.socket_closed(name, sock):
            self._carry_out(action)

    def _carry_out(self, action: _pool.Create) -> None:
        req = action.request
        _name, opts = self._waiting.pop(req)
        self._create_for(req, action.name, opts)

    # -- sockets coming back -------------------------------------------------------------
    def release(self, sock: Any, reusable: bool, keep_alive_hint: str | None = None) -> None:
        """A request is done with ``sock`` (Node's ``'free'``): pool it, hand it to a
        waiting request, or destroy it; then the agent's ``'free'`` event.

        ``reusable``: the request and its response let the connection live on;
        ``keep_alive_hint``: the response's ``Keep-Alive`` header, if any."""
        name = self._names.get(sock)
        if name is None:  # not one of this agent's sockets (or already gone)
            sock.destroy()
            return
        if keep_alive_hint:
            self._hints[sock] = keep_alive_hint
        try:
            self._pool_or_pass_on(sock, name, reusable)
        finally:
            self._hints.pop(sock, None)
        self.emit("free", sock, {"_agent_key": name})

    def _pool_or_pass_on(self, sock: Any, name: str, reusable: bool) -> None:
        if sock.destroyed or not sock.writable:
            sock.destroy()
            return
        outcome = self._pool.socket_free(name, sock, reusable and self.keep_alive)
        if isinstance(outcome, _pool.Assign):
            nxt = outcome.request
            self._waiting.pop(nxt, None)
            self.reuse_socket(sock, nxt)
            self._set_request_socket(nxt, sock, reused=True)
            return
        if isinstance(outcome, _pool.Pooled):
            if not self.keep_socket_alive(sock):
                sock.destroy()  # 'close' takes it out of the pool
                return
            listener = _free_socket_error_listener(sock, self._free_error)
            self._free_error[sock] = listener
            sock.once("error", listener)
            return
        sock.destroy()

    def keep_socket_alive(self, sock: Any) -> bool:
        """Node's ``agent.keepSocketAlive(socket)``: prepare an idle socket; False to close it."""
        sock.set_keep_alive(True, self.keep_alive_msecs)
        sock.unref()
        agent_timeout = self.options.get("timeout") or 0
        keep = True
        hint = self._hints.get(sock)
        if hint:
            match = _HINT.match(hint)
            if match:
                server_timeout = max(int(match.group(1)) * 1000 - 1000, 0)
                if server_timeout == 0:
                    keep = False
                elif server_timeout < agent_timeout:
                    agent_timeout = server_timeout
        if (sock.timeout or 0) != agent_timeout:
            sock.set_timeout(agent_timeout)
        return keep

    def reuse_socket(self, sock: Any, req: PoolClient) -> None:
        """Node's ``agent.reuseSocket(socket, req)``."""
        listener = self._free_error.pop(sock, None)
        if listener is not None:
            sock.remove_listener("error", listener)
        req.reused_socket = True
        sock.ref()

    def destroy(self) -> None:
        """Node's ``agent.destroy()``: destroy every socket, busy or free."""
        for group in (self.free_sockets, self.sockets):
            for socks in list(group.values()):
                for sock in list(socks):
                    sock.destroy()


def _free_socket_error_listener(
    sock: Any, table: dict[Any, Callable[[BaseException], None]]
) -> Callable[[BaseException], None]:
    """Node's ``freeSocketErrorListener`` for ``sock``: an error on an idle socket destroys
    it and takes it out of the pool at once (``'agentRemove'``); nothing is reported."""

    def on_error(_err: BaseException) -> None:
        table.pop(sock, None)
        sock.destroy()
        sock.emit("agentRemove")

    return on_error


def connection_args(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[dict[str, Any], Callable[..., Any] | None]:
    """Node's argument handling in ``agent.createConnection(port, host, options)``."""
    rest = list(args)
    callback = rest.pop() if rest and callable(rest[-1]) else kwargs.pop("callback", None)
    port, host, options = [*rest, None, None, None][:3]
    if isinstance(port, Mapping):
        opts = normalize(port)
    elif isinstance(host, Mapping):
        opts = normalize(host)
    elif isinstance(options, Mapping):
        opts = normalize(options)
    else:
        opts = {}
    if kwargs:
        opts.update(normalize(kwargs))
    if isinstance(port, int) and not isinstance(port, bool):
        opts["port"] = port
    if isinstance(host, str):
        opts["host"] = host
    return opts, callback
