"""Node's documentation: the ``'keylog'`` event on ``https.global_agent``.

Each TLS key-log line (NSS format, as Wireshark reads it) is appended to a file that only
its owner can read. Usage: ``python examples/keylog.py [FILE]`` (default: ``ssl-keys.log``).
"""

import os
import sys

from _common import HOST, PORT

import nodehttps as https

path = sys.argv[1] if len(sys.argv) > 1 else "ssl-keys.log"
log_file = os.fdopen(
    os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab", buffering=0
)
https.global_agent.on("keylog", lambda line, tls_socket: log_file.write(line))


def on_response(res):
    print("statusCode:", res.status_code)
    res.resume()


https.get(f"https://{HOST}:{PORT}/", on_response)
