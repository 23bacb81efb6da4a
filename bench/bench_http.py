"""HTTP(S) server throughput: nodehttps vs node, same handler, same load, one run.

    python bench/bench_http.py [--seconds 5] [--tls] [--rounds 3]

Each server runs in its own process pinned to core 0 (when ``taskset`` exists), wrk on
core 1, 50 keep-alive connections, a 12-byte body. Rounds interleave the servers so
that noise on this shared machine hits both alike; the medians are printed with the
ratio nodehttps/node (SPEC: quote ratios, not absolute figures). Needs ``wrk`` and
``node``; loopback only, bounded in time.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PY_SERVER = r"""
import sys
import nodehttps as https
from nodehttps import http
tls = sys.argv[1] == "tls"
def handler(req, res):
    res.end("hello world\n")
if tls:
    server = https.create_server({"key": open(sys.argv[2], "rb").read(),
                                  "cert": open(sys.argv[3], "rb").read()}, handler)
else:
    server = http.create_server(handler)
server.listen(0, "127.0.0.1")
print(server.address()["port"], flush=True)
"""

NODE_SERVER = r"""
const tls = process.argv[1] === 'tls';
const fs = require('fs');
const handler = (req, res) => res.end('hello world\n');
const server = tls
  ? require('https').createServer({key: fs.readFileSync(process.argv[2]), cert: fs.readFileSync(process.argv[3])}, handler)
  : require('http').createServer(handler);
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
"""


def _pin(core: int) -> list[str]:
    return (
        ["taskset", "-c", str(core)]
        if shutil.which("taskset") and os.cpu_count() and os.cpu_count() > 1
        else []
    )  # type: ignore[operator]


def _start(cmd: list[str]) -> tuple[subprocess.Popen[str], int]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.Popen(_pin(0) + cmd, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    return proc, int(proc.stdout.readline())


def _wrk(url: str, seconds: int) -> float:
    out = subprocess.run(
        [*_pin(1), "wrk", "-t1", "-c50", f"-d{seconds}s", url],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return float(match.group(1)) if match else 0.0


def _certs(folder: Path) -> tuple[str, str]:
    sys.path.insert(0, str(ROOT / "src"))
    from nodehttps.cli._certs import make_self_signed

    key, cert = make_self_signed("localhost")
    (folder / "key.pem").write_bytes(key)
    (folder / "cert.pem").write_bytes(cert)
    return str(folder / "key.pem"), str(folder / "cert.pem")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tls", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk") or not shutil.which("node"):
        sys.exit("needs wrk and node")
    mode = "tls" if args.tls else "plain"
    with tempfile.TemporaryDirectory() as tmp:
        key, cert = _certs(Path(tmp))
        servers = {
            "nodehttps": [sys.executable, "-c", PY_SERVER, mode, key, cert],
            "node": ["node", "-e", NODE_SERVER, mode, key, cert],
        }
        results: dict[str, list[float]] = {name: [] for name in servers}
        scheme = "https" if args.tls else "http"
        for _ in range(args.rounds):
            for name, cmd in servers.items():
                proc, port = _start(cmd)
                try:
                    time.sleep(0.3)
                    results[name].append(_wrk(f"{scheme}://127.0.0.1:{port}/", args.seconds))
                finally:
                    proc.terminate()
                    proc.wait(timeout=10)
    medians = {name: statistics.median(values) for name, values in results.items()}
    print(f"{scheme} keep-alive, 50 connections, {args.rounds} rounds of {args.seconds}s")
    for name, value in medians.items():
        print(f"  {name:10s} {value:10.0f} req/s (median; rounds {results[name]})")
    if medians["node"]:
        print(f"  ratio nodehttps/node: {medians['nodehttps'] / medians['node']:.2f}")


if __name__ == "__main__":
    main()
