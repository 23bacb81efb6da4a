"""Node's documentation: ``https.createServer`` with a PEM key and certificate.

python examples/make_certs.py && python examples/server_pem.py
"""

from _common import CERTS, PORT

import nodehttps as https

options = {
    "key": (CERTS / "private-key.pem").read_bytes(),
    "cert": (CERTS / "certificate.pem").read_bytes(),
}


def handler(req, res):
    res.write_head(200)
    res.end("hello world\n")


server = https.create_server(options, handler).listen(PORT)
print(f"listening on https://localhost:{server.address()['port']}/", flush=True)
