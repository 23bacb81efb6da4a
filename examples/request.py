"""Node's documentation: ``https.request(options, callback)``."""

import sys

from _common import HOST, PORT

import nodehttps as https

options = {
    "hostname": HOST,
    "port": PORT,
    "path": "/",
    "method": "GET",
}


def on_response(res):
    print("statusCode:", res.status_code)
    print("headers:", res.headers)
    res.on("data", lambda d: sys.stdout.buffer.write(d))


req = https.request(options, on_response)
req.on("error", lambda e: print(e, file=sys.stderr))
req.end()
