"""Node's documentation: TLS options on a request, with a dedicated ``https.Agent``.

The client presents its own certificate (``key``/``cert``); the options also make the
agent (``options['agent'] = https.Agent(options)``), so its sockets and sessions carry them.
"""

import sys

from _common import CERTS, HOST, PORT

import nodehttps as https

options = {
    "hostname": HOST,
    "port": PORT,
    "path": "/",
    "method": "GET",
    "key": (CERTS / "private-key.pem").read_bytes(),
    "cert": (CERTS / "certificate.pem").read_bytes(),
}
options["agent"] = https.Agent(options)


def on_response(res):
    print("statusCode:", res.status_code)
    res.on("data", lambda d: sys.stdout.buffer.write(d))


req = https.request(options, on_response)
req.on("error", lambda e: print(e, file=sys.stderr))
req.end()
