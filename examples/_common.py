"""What the examples share: where the certificates are, and which server to talk to.

Node's documentation talks to public hosts; these examples talk to the local server
that ``server_pem.py`` or ``server_pfx.py`` starts. ``EXAMPLE_PORT`` names its port
(default 8000, as in Node's documentation); trust comes from ``NODE_EXTRA_CA_CERTS``
pointing at ``certs/ca.pem``, as it would in Node.
"""

import os
from pathlib import Path

CERTS = Path(os.environ.get("EXAMPLE_CERTS", Path(__file__).parent / "certs"))
HOST = "localhost"
PORT = int(os.environ.get("EXAMPLE_PORT", "8000"))
