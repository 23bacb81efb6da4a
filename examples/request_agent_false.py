"""Node's documentation: ``agent: False``, a throw-away agent for one request."""

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
    "agent": False,
}


def on_response(res):
    print("statusCode:", res.status_code)
    print("connection:", res.headers.get("connection"))
    res.on("data", lambda d: sys.stdout.buffer.write(d))


req = https.request(options, on_response)
req.on("error", lambda e: print(e, file=sys.stderr))
req.end()
