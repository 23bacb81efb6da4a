"""Node's ``tls.connect()``: a client :class:`TLSSocket` over TCP or an existing socket."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import Any

from .. import errors, net
from .._options import normalize
from . import _hooks
from ._socket import TLSSocket

__all__ = ["NodeDeprecationWarning", "connect"]

_IP_SERVERNAME = (
    "Setting the TLS ServerName to an IP address is not permitted by RFC 6066. "
    "This will be ignored in a future version."
)
_INSECURE_ENV = (
    "Setting the NODE_TLS_REJECT_UNAUTHORIZED environment variable to '0' makes "
    "TLS connections and HTTPS requests insecure by disabling certificate "
    "verification."
)
_warned: set[str] = set()


class NodeDeprecationWarning(DeprecationWarning):
    """A Node deprecation (``.code`` is Node's ``DEPxxxx``)."""

    code = "DEP0000"


class _IPServernameWarning(NodeDeprecationWarning):
    code = "DEP0123"


def _connect_args(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[dict[str, Any], Callable[..., Any] | None]:
    """Node's ``normalizeConnectArgs`` for ``(options | port[, host][, options])[, cb]``."""
    rest = list(args)
    callback = rest.pop() if rest and callable(rest[-1]) else None
    opts: dict[str, Any] = {}
    if rest and isinstance(rest[0], dict):
        opts = normalize(rest[0])
    elif rest:
        opts["port"] = rest[0]
        if len(rest) > 1 and isinstance(rest[1], str):
            opts["host"] = rest[1]
            rest = rest[2:]
        else:
            rest = rest[1:]
        if rest and isinstance(rest[0], dict):
            opts = {**normalize(rest[0]), **opts}
    elif rest and rest[0] is not None:
        raise errors.invalid_arg_type("options", "object", rest[0])
    if kwargs:
        opts.update(normalize(kwargs))
    return opts, callback


def _default_reject() -> bool:
    if os.environ.get("NODE_TLS_REJECT_UNAUTHORIZED") == "0":
        if "env" not in _warned:
            _warned.add("env")
            warnings.warn(_INSECURE_ENV, UserWarning, stacklevel=4)
        return False
    return True


def _secure_context(opts: dict[str, Any]) -> Any:
    """The context of the options (``secure_context``, else one made, or cached, from
    them). A session offered from another context resumes through its bytes."""
    given = opts.get("secure_context")
    if given is not None:
        return given
    verify = bool(opts.get("reject_unauthorized")) and not _hooks.exact_verify()
    return _hooks.create_secure_context(opts, is_server=False, verify=verify)


def connect(*args: Any, **kwargs: Any) -> TLSSocket:
    """Node's ``tls.connect(options[, callback])`` / ``connect(port[, host][, options][, cb])``.

    ``callback`` listens to ``'secureConnect'``. Options: ``host``, ``port``, ``socket``
    (TLS over an existing, possibly still connecting, ``net.Socket``), ``servername``
    (the SNI to send: none by default, as Node's ``tls.connect``, where only the https
    Agent defaults it to the host; never an IP; the identity check uses it, else
    ``host``), ``session`` (a :class:`TLSSession`
    from ``get_session()``/``'session'``), ``alpn_protocols``, ``check_server_identity``,
    ``reject_unauthorized`` (default True), ``secure_context``, ``timeout``, and every
    ``create_secure_context`` option.
    """
    opts, callback = _connect_args(args, kwargs)
    if opts.get("reject_unauthorized") is None:
        opts["reject_unauthorized"] = _default_reject()
    host = opts.get("host") or opts.get("hostname") or "localhost"
    opts["host"] = host
    servername = opts.get("servername")
    if servername and net.is_ip(servername):
        warnings.warn(_IP_SERVERNAME, _IPServernameWarning, stacklevel=2)
    sni = servername if servername and not net.is_ip(servername) else None
    session = opts.get("session")
    if session is False:
        session = None
    secure_context = _secure_context(opts)
    lower = opts.get("socket")
    sock = TLSSocket(
        lower,
        {
            **opts,
            "is_server": False,
            "secure_context": secure_context,
            "servername": sni,
            "session": session,
            "connect_options": opts,
        },
    )
    if callback is not None:
        sock.once("secureConnect", callback)
    timeout = opts.get("timeout")
    if timeout:
        sock.set_timeout(timeout)
    if lower is None:
        sock.connect(
            {
                k: opts[k]
                for k in ("port", "host", "path", "local_address", "local_port", "family")
                if k in opts
            }
        )
    return sock
