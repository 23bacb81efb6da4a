"""Option bags as ``TypedDict`` s, each key in Node's spelling and in snake_case.

GENERATED from ``_option_table.py`` by ``python -m nodehttps._option_gen``: do not edit.
``total=False``: every option may be left out. At run time any mapping is accepted and
unknown keys are ignored, as Node ignores them; the type checker is what refuses a
misspelt key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypedDict

if TYPE_CHECKING:
    from ._abort import AbortSignal
    from .http._agent import Agent
    from .http._incoming import IncomingMessage as _IncomingMessage
    from .http._response import ServerResponse as _ServerResponse
    from .tls._certobj import PeerCertificate
    from .tls._context import SecureContext
    from .tls._session import TLSSession

__all__ = [
    "Headers",
    "HttpAgentOptions",
    "HttpRequestOptions",
    "HttpServerOptions",
    "HttpsAgentOptions",
    "HttpsRequestOptions",
    "HttpsServerOptions",
    "KeyMaterials",
    "KeyObject",
    "Material",
    "Materials",
    "PfxMaterials",
    "PfxObject",
]

#: PEM text or bytes (also ``bytearray``/``memoryview``), as Node's string or Buffer.
Material: TypeAlias = str | bytes | bytearray | memoryview
#: One or several, as Node's ``ca``/``cert``/``crl`` take them.
Materials: TypeAlias = Material | Sequence[Material]


class KeyObject(TypedDict, total=False):
    """An item of the ``key`` list: a key with its own passphrase."""

    pem: Material
    passphrase: str


class PfxObject(TypedDict, total=False):
    """An item of the ``pfx`` list: a PKCS#12 bundle with its own passphrase."""

    buf: Material
    passphrase: str


KeyMaterials: TypeAlias = Material | Sequence[Material | KeyObject]
PfxMaterials: TypeAlias = Material | Sequence[Material | PfxObject]
#: A dict of header names to values, or Node's flat list of names and values.
Headers: TypeAlias = (
    Mapping[str, str | int | float | Sequence[str] | None]
    | Sequence[str]
    | Sequence[tuple[str, str]]
)


class HttpRequestOptions(TypedDict, total=False):
    """Options of ``http.request()`` and ``http.get()``. Node: ``http.request(url[, options][,
    callback])``.
    """

    agent: Agent | Literal[False] | None
    protocol: str | None
    defaultPort: int | None
    default_port: int | None
    port: int | str | None
    hostname: str | None
    host: str | None
    setHost: bool | None
    set_host: bool | None
    socketPath: str | None
    socket_path: str | None
    timeout: float
    method: str | None
    maxHeaderSize: int | None
    max_header_size: int | None
    insecureHTTPParser: bool | None
    insecure_http_parser: bool | None
    path: str | None
    headers: Headers | None
    auth: str | None
    signal: AbortSignal | None
    createConnection: Callable[..., Any] | None
    create_connection: Callable[..., Any] | None
    family: Literal[0, 4, 6] | None
    localAddress: str | None
    local_address: str | None
    localPort: int | None
    local_port: int | None
    highWaterMark: int | None
    high_water_mark: int | None


class HttpsRequestOptions(TypedDict, total=False):
    """Options of ``https.request()`` and ``https.get()``: ``http.request``'s and the TLS
    options of ``tls.connect``. Node: ``https.request(url[, options][, callback])``.
    """

    agent: Agent | Literal[False] | None
    protocol: str | None
    defaultPort: int | None
    default_port: int | None
    port: int | str | None
    hostname: str | None
    host: str | None
    setHost: bool | None
    set_host: bool | None
    socketPath: str | None
    socket_path: str | None
    timeout: float
    method: str | None
    maxHeaderSize: int | None
    max_header_size: int | None
    insecureHTTPParser: bool | None
    insecure_http_parser: bool | None
    path: str | None
    headers: Headers | None
    auth: str | None
    signal: AbortSignal | None
    createConnection: Callable[..., Any] | None
    create_connection: Callable[..., Any] | None
    family: Literal[0, 4, 6] | None
    localAddress: str | None
    local_address: str | None
    localPort: int | None
    local_port: int | None
    highWaterMark: int | None
    high_water_mark: int | None
    rejectUnauthorized: bool | None
    reject_unauthorized: bool | None
    servername: str | None
    checkServerIdentity: Callable[[str, PeerCertificate], BaseException | None] | None
    check_server_identity: Callable[[str, PeerCertificate], BaseException | None] | None
    ALPNProtocols: Sequence[str | bytes] | bytes | None
    alpn_protocols: Sequence[str | bytes] | bytes | None
    session: TLSSession | bytes | None
    secureContext: SecureContext | None
    secure_context: SecureContext | None
    secureProtocol: str | None
    secure_protocol: str | None
    minVersion: Literal["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] | None
    min_version: Literal["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] | None
    maxVersion: Literal["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] | None
    max_version: Literal["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] | None
    ciphers: str | None
    honorCipherOrder: bool | None
    honor_cipher_order: bool | None
    ca: Materials | None
    crl: Materials | None
    cert: Materials | None
    key: KeyMaterials | None
    passphrase: str | None
    pfx: PfxMaterials | None
    ecdhCurve: str | None
    ecdh_curve: str | None
    dhparam: Material | None
    secureOptions: int | None
    secure_options: int | None
    sessionIdContext: str | None
    session_id_context: str | None
    sigalgs: str | None


class HttpAgentOptions(TypedDict, total=False):
    """Options of ``http.Agent()``. Node: ``new http.Agent([options])``."""

    keepAlive: bool | None
    keep_alive: bool | None
    keepAliveMsecs: float | None
    keep_alive_msecs: float | None
    maxSockets: float | None
    max_sockets: float | None
    maxTotalSockets: float | None
    max_total_sockets: float | None
    maxFreeSockets: float | None
    max_free_sockets: float | None
    scheduling: Literal["fifo", "lifo"] | None
    timeout: float | None
    noDelay: bool | None
    no_delay: bool | None
    localAddress: str | None
    local_address: str | None
    family: Literal[0, 4, 6] | None


class HttpsAgentOptions(TypedDict, total=False):
    """Options of ``https.Agent()``: ``http.Agent``'s, ``max_cached_sessions``, and TLS options
    applied to every connection it makes (checked there, as Node does). Node: ``new
    https.Agent([options])``.
    """

    keepAlive: bool | None
    keep_alive: bool | None
    keepAliveMsecs: float | None
    keep_alive_msecs: float | None
    maxSockets: float | None
    max_sockets: float | None
    maxTotalSockets: float | None
    max_total_sockets: float | None
    maxFreeSockets: float | None
    max_free_sockets: float | None
    scheduling: Literal["fifo", "lifo"] | None
    timeout: float | None
    noDelay: bool | None
    no_delay: bool | None
    localAddress: str | None
    local_address: str | None
    family: Literal[0, 4, 6] | None
    maxCachedSessions: int | None
    max_cached_sessions: int | None
    rejectUnauthorized: bool | None
    reject_unauthorized: bool | None
    servername: str | None
    checkServerIdentity: Callable[[str, PeerCertificate], BaseException | None] | None
    check_server_identity: Callable[[str, PeerCertificate], BaseException | None] | None
    ALPNProtocols: Sequence[str | bytes] | bytes | None
    alpn_protocols: Sequence[str | bytes] | bytes | None
    session: TLSSession | bytes | None
    secureContext: SecureContext | None
    secure_context: SecureContext | None
    secureProtocol: str | None
    secure_protocol: str | None
    minVersion: Literal["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] | None
    min_version: Literal["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] | None
    maxVersion: Literal["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] | None
    max_version: Literal["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] | None
    ciphers: str | None
    honorCipherOrder: bool | None
    honor_cipher_order: bool | None
    ca: Materials | None
    crl: Materials | None
    cert: Materials | None
    key: KeyMaterials | None
    passphrase: str | None
    pfx: PfxMaterials | None
    ecdhCurve: str | None
    ecdh_curve: str | None
    dhparam: Material | None
    secureOptions: int | None
    secure_options: int | None
    sessionIdContext: str | None
    session_id_context: str | None
    sigalgs: str | None


class HttpServerOptions(TypedDict, total=False):
    """Options of ``http.create_server()`` and ``http.Server()``. Node:
    ``http.createServer([options][, requestListener])``.
    """

    IncomingMessage: type[_IncomingMessage] | None
    ServerResponse: type[_ServerResponse] | None
    requestTimeout: int | None
    request_timeout: int | None
    headersTimeout: int | None
    headers_timeout: int | None
    keepAliveTimeout: int | None
    keep_alive_timeout: int | None
    connectionsCheckingInterval: int | None
    connections_checking_interval: int | None
    maxHeaderSize: int | None
    max_header_size: int | None
    insecureHTTPParser: bool | None
    insecure_http_parser: bool | None
    requireHostHeader: bool | None
    require_host_header: bool | None
    maxHeadersCount: int | None
    max_headers_count: int | None
    maxRequestsPerSocket: int | None
    max_requests_per_socket: int | None
    allowHalfOpen: bool | None
    allow_half_open: bool | None


class HttpsServerOptions(TypedDict, total=False):
    """Options of ``https.create_server()`` and ``https.Server()``: ``tls.create_server``'s,
    ``tls.create_secure_context``'s and ``http.create_server``'s. Node:
    ``https.createServer([options][, requestListener])``.
    """

    IncomingMessage: type[_IncomingMessage] | None
    ServerResponse: type[_ServerResponse] | None
    requestTimeout: int | None
    request_timeout: int | None
    headersTimeout: int | None
    headers_timeout: int | None
    keepAliveTimeout: int | None
    keep_alive_timeout: int | None
    connectionsCheckingInterval: int | None
    connections_checking_interval: int | None
    maxHeaderSize: int | None
    max_header_size: int | None
    insecureHTTPParser: bool | None
    insecure_http_parser: bool | None
    requireHostHeader: bool | None
    require_host_header: bool | None
    maxHeadersCount: int | None
    max_headers_count: int | None
    maxRequestsPerSocket: int | None
    max_requests_per_socket: int | None
    allowHalfOpen: bool | None
    allow_half_open: bool | None
    handshakeTimeout: float | None
    handshake_timeout: float | None
    SNICallback: Callable[[str, Callable[..., Any]], Any] | None
    sni_callback: Callable[[str, Callable[..., Any]], Any] | None
    requestCert: bool | None
    request_cert: bool | None
    rejectUnauthorized: bool | None
    reject_unauthorized: bool | None
    ALPNProtocols: Sequence[str | bytes] | bytes | None
    alpn_protocols: Sequence[str | bytes] | bytes | None
    ALPNCallback: Callable[[dict[str, Any]], str | None] | None
    alpn_callback: Callable[[dict[str, Any]], str | None] | None
    sessionTimeout: int | None
    session_timeout: int | None
    ticketKeys: bytes | None
    ticket_keys: bytes | None
    secureContext: SecureContext | None
    secure_context: SecureContext | None
    secureProtocol: str | None
    secure_protocol: str | None
    minVersion: Literal["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] | None
    min_version: Literal["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] | None
    maxVersion: Literal["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] | None
    max_version: Literal["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] | None
    ciphers: str | None
    honorCipherOrder: bool | None
    honor_cipher_order: bool | None
    ca: Materials | None
    crl: Materials | None
    cert: Materials | None
    key: KeyMaterials | None
    passphrase: str | None
    pfx: PfxMaterials | None
    ecdhCurve: str | None
    ecdh_curve: str | None
    dhparam: Material | None
    secureOptions: int | None
    secure_options: int | None
    sessionIdContext: str | None
    session_id_context: str | None
    sigalgs: str | None
