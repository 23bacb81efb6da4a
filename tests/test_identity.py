"""tls.check_server_identity: Node's table of cases, and the same table run by node."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from conftest import NODE, needs_node
from nodehttps import tls

CASES: list[tuple[str, dict[str, Any]]] = [
    ("a.com", {"subject": {"CN": "a.com"}}),
    ("a.com", {"subject": {"CN": "A.COM"}}),
    ("a.com", {"subject": {"CN": "a.com."}}),
    ("a.com.", {"subject": {"CN": "a.com"}}),
    ("a.com", {"subject": {"CN": ".a.com"}}),
    ("a.com", {"subject": {"CN": "b.com"}}),
    ("8.8.8.8", {"subject": {"CN": "8.8.8.8"}}),
    ("8.8.8.8", {"subject": {"CN": "8.8.8.8"}, "subjectaltname": "DNS:8.8.8.8"}),
    ("8.8.8.8", {"subject": {"CN": "8.8.8.8"}, "subjectaltname": "URI:http://8.8.8.8/"}),
    ("8.8.8.8", {"subject": {"CN": "8.8.8.8"}, "subjectaltname": "IP Address:8.8.8.8"}),
    ("8.8.8.8", {"subject": {}, "subjectaltname": "IP Address:8.8.4.4, IP Address:127.0.0.1"}),
    ("::1", {"subject": {}, "subjectaltname": "IP Address:0:0:0:0:0:0:0:1"}),
    ("127.0.0.1", {"subject": {}, "subjectaltname": "IP Address:0:0:0:0:0:0:0:1"}),
    ("b.a.com", {"subject": {"CN": "*.a.com"}}),
    ("a.com", {"subject": {"CN": "*.a.com"}}),
    ("ba.com", {"subject": {"CN": "*.a.com"}}),
    ("c.b.a.com", {"subject": {"CN": "*.a.com"}}),
    ("b.a.com", {"subject": {"CN": "*b.a.com"}}),
    ("a-cb.a.com", {"subject": {"CN": "*b.a.com"}}),
    ("a.b.a.com", {"subject": {"CN": "*b.a.com"}}),
    ("bxb.a.com", {"subject": {"CN": "b*b.a.com"}}),
    ("a.com", {"subject": {"CN": "*"}}),
    ("a.com", {"subject": {"CN": "*.com"}}),
    ("a.co.uk", {"subject": {"CN": "*.co.uk"}}),
    ("xn--bcher-kva.example.com", {"subject": {"CN": "xn--*.example.com"}}),
    ("b.a.com", {"subject": {"CN": "b.a.com"}, "subjectaltname": "DNS:omg.com"}),
    ("b.a.com", {"subject": {"CN": "b.a.com"}, "subjectaltname": "DNS:*.a.com"}),
    ("a.b.a.com", {"subject": {}, "subjectaltname": "DNS:*.a.com, DNS:a.b.a.com"}),
    ("a.com", {"subject": {"CN": ["a.com", "b.com"]}}),
    ("b.com", {"subject": {"CN": ["a.com", "b.com"]}}),
    ("c.com", {"subject": {"CN": ["a.com", "b.com"]}}),
    ("a.com", {"subject": {}}),
    ("a.com", {"subject": {}, "subjectaltname": "URI:http://a.com/"}),
    ("a.com", {"subject": {}, "subjectaltname": "IP Address:127.0.0.1"}),
    (
        "good.example.com",
        {"subject": {"CN": "good.example.com"}, "subjectaltname": "DNS:evil.example.com"},
    ),
    (
        "good.example.com",
        {"subject": {"CN": "good.example.com"}, "subjectaltname": "IP Address:1.2.3.4"},
    ),
    ("a.com", {"subject": {}, "subjectaltname": 'DNS:"a.com\\u002c b.com", DNS:a.com'}),
    ("bad..example.com", {"subject": {"CN": "bad..example.com"}}),
    ("localhost", {"subject": {"CN": "agent1"}}),
]

NODE_SCRIPT = r"""
const tls = require('tls');
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
console.log(JSON.stringify(cases.map(([host, cert]) => {
  const err = tls.checkServerIdentity(host, cert);
  return err ? [err.code, err.reason, err.message] : null;
})));
"""


def _ours() -> list[list[object] | None]:
    out: list[list[object] | None] = []
    for host, cert in CASES:
        err = tls.check_server_identity(host, cert)
        out.append(None if err is None else [err.code, vars(err)["reason"], str(err)])
    return out


def test_returns_error_with_reason_host_and_the_same_cert() -> None:
    cert = {"subject": {"CN": "agent1"}}
    err = tls.check_server_identity("localhost", cert)
    assert err is not None
    assert err.code == "ERR_TLS_CERT_ALTNAME_INVALID"
    assert str(err) == (
        "Hostname/IP does not match certificate's altnames: "
        "Host: localhost. is not cert's CN: agent1"
    )
    fields = vars(err)  # the fields Node's error carries beside its code
    assert fields["reason"] == "Host: localhost. is not cert's CN: agent1"
    assert fields["host"] == "localhost"
    assert fields["cert"] is cert


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("8.8.8.8", "IP: 8.8.8.8 is not in the cert's list: 127.0.0.1, ::1"),
        ("b.a.com", "Host: b.a.com. is not in the cert's altnames: DNS:omg.com"),
    ],
)
def test_reasons(host: str, reason: str) -> None:
    alt = "IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1" if host == "8.8.8.8" else "DNS:omg.com"
    err = tls.check_server_identity(host, {"subject": {"CN": "b.a.com"}, "subjectaltname": alt})
    assert err is not None and vars(err)["reason"] == reason


def test_no_dns_name() -> None:
    err = tls.check_server_identity("a.com", {"subject": {}})
    assert err is not None
    assert vars(err)["reason"] == "Cert does not contain a DNS name"


@needs_node
def test_same_results_as_node() -> None:
    cases = [[host, cert] for host, cert in CASES]
    node = subprocess.run(
        [str(NODE), "-e", NODE_SCRIPT],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    theirs = json.loads(node.stdout)
    ours = _ours()
    diffs = [(CASES[i], ours[i], theirs[i]) for i in range(len(CASES)) if ours[i] != theirs[i]]
    assert not diffs, diffs
    assert sum(1 for r in ours if r is None) >= 10  # the table has both outcomes
