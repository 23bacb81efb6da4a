"""A server in its own process, nodehttps's or Node's, for the load, memory and fuzz tests.

Run as ``python serve.py CONFIG_JSON`` (nodehttps) or through :data:`NODE_SERVE_JS`
(``node -e``, Node): both print one line, ``{"port": N}``, once listening, then serve
until killed. ``CONFIG_JSON``: ``{"tls": bool, "key": path, "cert": path}``.

Routes, the same in both: ``/big`` answers 10 MiB at once (one shared buffer),
``/size/N`` answers N bytes, anything else reads the body and answers ``ok``.

:class:`ServerProcess` starts either, and reads its memory (``VmRSS``, ``VmHWM``) and
open file descriptors from ``/proc``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nodehttps import http
    from tls_pki import PKI

BIG_SIZE = 10 * 1024 * 1024

NODE_SERVE_JS = r"""
const http = require('http'), https = require('https'), fs = require('fs');
const config = JSON.parse(process.argv[1]);
const BIG = Buffer.alloc(__BIG__, 'x');
function handler(req, res) {
  if (req.url === '/big') { res.end(BIG); return; }
  if (req.url.startsWith('/size/')) { res.end(Buffer.alloc(Number(req.url.slice(6)), 'y')); return; }
  req.resume();
  req.on('end', () => res.end('ok'));
}
const server = config.tls
  ? https.createServer({key: fs.readFileSync(config.key), cert: fs.readFileSync(config.cert)}, handler)
  : http.createServer(handler);
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({port: server.address().port})));
""".replace("__BIG__", str(BIG_SIZE))


def main(config: dict[str, Any]) -> None:
    """The nodehttps server (script mode: the loop runs after this returns)."""
    import nodehttps as https
    from nodehttps import http

    big = b"x" * BIG_SIZE

    def handler(req: http.IncomingMessage, res: http.ServerResponse) -> None:
        url = req.url or ""
        if url == "/big":
            res.end(big)
        elif url.startswith("/size/"):
            res.end(b"y" * int(url[6:]))
        else:
            req.resume()
            req.on("end", lambda: res.end(b"ok"))

    server: http.Server | https.Server
    if config.get("tls"):
        key, cert = Path(config["key"]).read_text(), Path(config["cert"]).read_text()
        server = https.create_server({"key": key, "cert": cert}, handler)
    else:
        server = http.create_server(handler)

    def listening() -> None:
        print(json.dumps({"port": server.address()["port"]}), flush=True)

    server.listen(0, "127.0.0.1", listening)


class ServerProcess:
    """``serve.py`` (``kind="nodehttps"``) or its Node twin, in a child process."""

    def __init__(self, kind: str, config: dict[str, Any], stderr: Path | None = None) -> None:
        self.kind = kind
        self.config = config
        self.stderr_path = stderr
        self.port = 0
        self.proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> ServerProcess:
        if self.kind == "node":
            from hostile.recorder import NODE

            assert NODE is not None
            argv = [NODE, "-e", NODE_SERVE_JS, json.dumps(self.config)]
        else:
            argv = [sys.executable, str(Path(__file__).resolve()), json.dumps(self.config)]
        err = open(self.stderr_path, "wb") if self.stderr_path else asyncio.subprocess.DEVNULL  # noqa: SIM115
        self.proc = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.PIPE, stderr=err
        )
        if not isinstance(err, int):
            err.close()
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 30)
        self.port = int(json.loads(line)["port"])
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.kill()
        await self.proc.wait()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def status_kb(self, field: str) -> int:
        """A ``/proc/PID/status`` field in kB (``VmRSS``, ``VmHWM``)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise KeyError(field)

    @staticmethod
    def tls_config(pki: PKI, folder: Path) -> dict[str, Any]:
        """The config of a TLS server with ``pki.leaf`` (written into ``folder``)."""
        key, cert = folder / "key.pem", folder / "cert.pem"
        key.write_text(pki.leaf.key_pem)
        cert.write_text(pki.leaf.chain_pem)
        return {"tls": True, "key": str(key), "cert": str(cert)}

    def reset_peak(self) -> bool:
        """Reset ``VmHWM`` to the current RSS (Linux ``clear_refs``); False if refused."""
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
        except OSError:
            return False
        return True

    def open_fds(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main(json.loads(sys.argv[1]))
