"""The connect task of a client :class:`~nodehttps.net.Socket`: resolve, bind, connect.

As Node's ``lookupAndConnect``: a host name is resolved (``'lookup'`` is emitted with
the first address), then each address is tried in turn; the last failure is reported
with Node's fields (``connect ECONNREFUSED 127.0.0.1:80``). ``localAddress`` and
``localPort`` bind the socket first (a failure is ``bind EADDRNOTAVAIL ...``). The
transport the loop makes is handed to the ``protocol`` the socket names.
"""

from __future__ import annotations

import asyncio
import socket as _socket
from collections.abc import Callable
from typing import TYPE_CHECKING

from .. import _loop, errors
from ._address import is_ip
from ._bind import BindError, bound_socket

if TYPE_CHECKING:
    from ._socket import Socket

__all__ = ["connect_path", "connect_tcp"]

ProtocolFactory = Callable[[], asyncio.BaseProtocol]


async def connect_path(sock: Socket, path: str, protocol: ProtocolFactory) -> None:
    """Connect ``sock`` to the Unix domain socket at ``path``."""
    try:
        await sock._loop.create_unix_connection(protocol, path)
    except OSError as exc:
        if not sock.destroyed:
            sock.destroy(errors.from_oserror(exc, "connect", path))


async def connect_tcp(
    sock: Socket,
    host: str,
    port: int,
    local: str | None,
    local_port: int | None,
    family: int,
    protocol: ProtocolFactory,
) -> None:
    """Resolve ``host`` and connect ``sock`` to the first address that answers."""
    addresses = await _resolve(sock, host, port, family)
    if not addresses:
        return
    local_family = is_ip(local) if local else 0
    if local_family:  # a socket bound to an IPv4 address cannot reach an IPv6 one
        wanted = _socket.AF_INET6 if local_family == 6 else _socket.AF_INET
        addresses = [a for a in addresses if a[1] == wanted] or addresses
    loop = sock._loop
    last_exc: BaseException | None = None
    last_addr = addresses[0][0]
    for address, fam in addresses:
        if sock.destroyed:
            return
        last_addr = address
        try:
            if local or local_port:
                raw = bound_socket(fam, local, local_port)
                try:
                    await loop.sock_connect(raw, (address, port))
                except BaseException:
                    raw.close()
                    raise
                await loop.create_connection(protocol, sock=raw)
            else:
                await loop.create_connection(protocol, address, port)
            return
        except BindError as exc:
            if not sock.destroyed:
                sock.destroy(errors.from_oserror(exc.error, "bind", exc.address, exc.port))
            return
        except OSError as exc:
            last_exc = exc
    if not sock.destroyed and last_exc is not None:
        sock.destroy(errors.from_oserror(last_exc, "connect", last_addr, port))


async def _resolve(sock: Socket, host: str, port: int, family: int) -> list[tuple[str, int]]:
    """``(address, family)`` pairs for ``host``, in the resolver's order; ``[]`` after
    destroying ``sock`` with the resolver's error."""
    version = is_ip(host)
    if version:
        return [(host, _socket.AF_INET6 if version == 6 else _socket.AF_INET)]
    fam = {4: _socket.AF_INET, 6: _socket.AF_INET6}.get(family, _socket.AF_UNSPEC)
    try:
        infos = await sock._loop.getaddrinfo(host, port, family=fam, type=_socket.SOCK_STREAM)
    except OSError as exc:
        if not sock.destroyed:
            sock.destroy(errors.from_oserror(exc, "getaddrinfo", host))
        return []
    addresses: list[tuple[str, int]] = []
    for fam_i, _, _, _, addr in infos:
        if (str(addr[0]), int(fam_i)) not in addresses:
            addresses.append((str(addr[0]), int(fam_i)))
    first, first_family = addresses[0]
    try:  # in a task: an exception escaping a listener would be lost
        sock.emit("lookup", None, first, 6 if first_family == _socket.AF_INET6 else 4, host)
    except Exception as exc:
        _loop.report_uncaught(exc, sock._loop)
    return addresses
