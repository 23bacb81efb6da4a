"""Node's documentation: certificate and public-key pinning with ``check_server_identity``.

Pins come from the command line (``--pubkey BASE64`` and ``--cert AB:CD:...``, as
``python -m nodehttps pin URL`` prints them); each certificate of the chain is printed
with its subject CN, SHA-256 fingerprint and public-key pin.
"""

import argparse
import base64
import hashlib
import sys

from _common import HOST, PORT

import nodehttps as https
from nodehttps import tls

parser = argparse.ArgumentParser()
parser.add_argument("--pubkey", required=True, help="pin-sha256 of the server's public key")
parser.add_argument("--cert", required=True, help="SHA-256 fingerprint of the server's cert")
pins = parser.parse_args()


def sha256(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def check_server_identity(host, cert):
    # Make sure the certificate is issued to the host we are connected to
    err = tls.check_server_identity(host, cert)
    if err:
        return err

    # Pin the public key, similar to HPKP pin-sha256 pinning
    if sha256(cert.pubkey) != pins.pubkey:
        return Exception(
            "Certificate verification error: "
            f"The public key of '{cert.subject['CN']}' "
            "does not match our pinned fingerprint"
        )

    # Pin the exact certificate, rather than the pub key
    if cert.fingerprint256 != pins.cert:
        return Exception(
            "Certificate verification error: "
            f"The certificate of '{cert.subject['CN']}' "
            "does not match our pinned fingerprint"
        )

    # This loop is informational only.
    # Print the certificate and public key fingerprints of all certs in the chain.
    last_print256 = None
    while cert.fingerprint256 != last_print256:
        print("Subject Common Name:", cert.subject["CN"])
        print("  Certificate SHA256 fingerprint:", cert.fingerprint256)
        print("  Public key ping-sha256:", sha256(cert.pubkey))
        last_print256 = cert.fingerprint256
        cert = cert.issuer_certificate
    return None


options = {
    "hostname": HOST,
    "port": PORT,
    "path": "/",
    "method": "GET",
    "check_server_identity": check_server_identity,
}
options["agent"] = https.Agent(options)


def on_response(res):
    print("All OK. Server matched our pinned cert or public key")
    print("statusCode:", res.status_code)
    res.resume()


req = https.request(options, on_response)
req.on("error", lambda e: print(e, file=sys.stderr))
req.end()
