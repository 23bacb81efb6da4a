"""Node's documentation: a WHATWG ``URL`` as the request's options."""

import sys

from _common import HOST, PORT

import nodehttps as https

options = https.URL(f"https://abc:xyz@{HOST}:{PORT}")


def on_response(res):
    print("statusCode:", res.status_code)
    res.on("data", lambda d: sys.stdout.buffer.write(d))


req = https.request(options, on_response)
req.on("error", lambda e: print(e, file=sys.stderr))
req.end()
