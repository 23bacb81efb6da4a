"""Node's documentation: ``https.createServer`` with a PFX bundle and its passphrase.

python examples/make_certs.py && python examples/server_pfx.py
"""

from _common import CERTS, PORT

import nodehttps as https

options = {
    "pfx": (CERTS / "test_cert.pfx").read_bytes(),
    "passphrase": "sample",
}


def handler(req, res):
    res.write_head(200)
    res.end("hello world\n")


server = https.create_server(options, handler).listen(PORT)
print(f"listening on https://localhost:{server.address()['port']}/", flush=True)
