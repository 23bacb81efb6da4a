"""The load generators (wrk, ab, curl), run on the load core, and their reports parsed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from processes import LOAD_CORES, BenchError, run_tool

__all__ = ["AbResult", "Download", "WrkResult", "ab", "curl_download", "wrk"]


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    errors: int  # socket errors plus non-2xx/3xx answers
    cpu_seconds: float  # wrk's own

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


@dataclass(frozen=True)
class AbResult:
    complete: int
    failed: int
    seconds: float
    cpu_seconds: float  # ab's own


@dataclass(frozen=True)
class Download:
    seconds: float  # from curl's start to the last byte
    first_byte: float  # from curl's start to the first byte of the response


def wrk(url: str, seconds: int, connections: int = 50) -> WrkResult:
    """``wrk -t1 -cN -dS`` (keep-alive): requests completed and errors."""
    run = run_tool(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url], LOAD_CORES, seconds + 60
    )
    out = run.stdout
    found = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
    if not found:
        raise BenchError(f"wrk printed no request count: {out[-300:]}")
    elapsed = float(found.group(2)) / (1000 if found.group(3) == "ms" else 1)
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(non_2xx.group(1)) if non_2xx else 0
    return WrkResult(int(found.group(1)), elapsed, errors, run.cpu_seconds)


def ab(url: str, requests: int, concurrency: int = 50) -> AbResult:
    """``ab -f TLS1.3 -n N -c C``: a new connection and a full handshake per request."""
    run = run_tool(
        ["ab", "-q", "-f", "TLS1.3", "-n", str(requests), "-c", str(concurrency), url],
        LOAD_CORES,
        120,
    )
    out = run.stdout

    def field(name: str) -> str:
        found = re.search(rf"^{name}:\s+([\d.]+)", out, re.MULTILINE)
        if not found:
            raise BenchError(f"ab printed no {name!r}: {out[-300:]}")
        return found.group(1)

    non_2xx = re.search(r"^Non-2xx responses:\s+(\d+)", out, re.MULTILINE)
    failed = int(field("Failed requests")) + int(non_2xx.group(1) if non_2xx else 0)
    seconds = float(field("Time taken for tests"))
    return AbResult(int(field("Complete requests")), failed, seconds, run.cpu_seconds)


def curl_download(url: str, ca_file: str, expected_bytes: int) -> Download:
    """curl fetches ``url`` whole over a new connection (handshake included)."""
    out = run_tool(
        [
            "curl",
            "-sS",
            "--http1.1",
            "--cacert",
            ca_file,
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{size_download} %{time_total} %{time_starttransfer}",
            url,
        ],
        LOAD_CORES,
        120,
    ).stdout
    status, size, seconds, first_byte = out.split()
    if status != "200" or int(size) != expected_bytes:
        raise BenchError(f"curl got status {status} and {size} bytes, not {expected_bytes}")
    return Download(float(seconds), float(first_byte))
