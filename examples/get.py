"""Node's documentation: ``https.get(url, callback)``."""

import sys

from _common import HOST, PORT

import nodehttps as https


def on_response(res):
    print("statusCode:", res.status_code)
    print("headers:", res.headers)
    res.on("data", lambda d: sys.stdout.buffer.write(d))


https.get(f"https://{HOST}:{PORT}/", on_response).on("error", lambda e: print(e, file=sys.stderr))
