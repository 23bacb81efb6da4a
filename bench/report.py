"""Medians, spreads and ratios of the samples; the machine they came from; the reports.

The Markdown table is meant to be pasted into the README verbatim: it says when, on
what, and how the figures were made, and shows only figures from this one run.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
import re
import ssl
import statistics
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from processes import LOAD_CORES, SERVER_CORES
from scenarios import SYSTEMS, Sample, Scenario

__all__ = ["Outcome", "machine_facts", "markdown", "summary_lines", "to_json"]

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Outcome:
    """One scenario's samples per system, in round order, or why it could not run."""

    scenario: Scenario
    title: str
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    error: str = ""

    def values(self, system: str) -> list[float]:
        return [s.value for s in self.samples.get(system, [])]

    def median(self, system: str) -> float:
        return statistics.median(self.values(system))

    def spread(self, system: str) -> float:
        """(max - min) / median, in percent: how far the rounds disagree."""
        values = self.values(system)
        return (max(values) - min(values)) / statistics.median(values) * 100

    def ratio(self) -> float:
        return self.median("nodehttps") / self.median("node")

    def round_ratios(self) -> list[float]:
        """nodehttps / node within each round: neighbours in time share the machine's mood."""
        return [ours / node for ours, node in zip(*(self.values(s) for s in SYSTEMS), strict=True)]

    def figure(self, system: str, key: str) -> float:
        return statistics.median(s.figures[key] for s in self.samples[system])

    def counts(self, system: str) -> str:
        """Every round's counts, ``a/b/c`` per round, once when all rounds agree."""
        runs = ["/".join(str(v) for v in s.counts.values()) for s in self.samples[system]]
        return runs[0] if len(set(runs)) == 1 else ", ".join(runs)

    def most_others(self) -> float:
        """The most cores other processes used during one of the measurements."""
        return max(s.others for samples in self.samples.values() for s in samples)

    @property
    def complete(self) -> bool:
        return not self.error and all(self.samples.get(system) for system in SYSTEMS)


def number(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def notes(outcome: Outcome) -> str:
    scenario = outcome.scenario
    parts = []
    for key, label, fmt in scenario.figures:
        ours, node = (fmt.format(outcome.figure(s, key)) for s in SYSTEMS)
        parts.append(f"{label} {ours} vs {node}")
    if scenario.counts_label:
        ours, node = (outcome.counts(s) for s in SYSTEMS)
        parts.append(f"{scenario.counts_label}: {ours} vs {node}")
    ratios = "/".join(f"{r:.2f}" for r in outcome.round_ratios())
    parts.append(f"ratio per round {ratios}")
    parts.append(f"other processes at most {outcome.most_others():.2f} cores")
    return "; ".join(parts)


def direction(scenario: Scenario) -> str:
    return "higher is better" if scenario.higher_is_better else "lower is better"


def summary_lines(outcome: Outcome) -> list[str]:
    """The plain-text verdict printed after each scenario."""
    if not outcome.complete:
        return [f"  not measured: {outcome.error}"]
    unit = outcome.scenario.unit
    lines = [
        f"  {system:9s} {number(outcome.median(system)):>10s} {unit}  "
        f"(median; spread {outcome.spread(system):.1f}%; "
        f"runs {', '.join(number(v) for v in outcome.values(system))})"
        for system in SYSTEMS
    ]
    lines.append(
        f"  ratio nodehttps/node: {outcome.ratio():.2f} "
        f"({direction(outcome.scenario)}; target {outcome.scenario.target})"
    )
    lines.append(f"  notes (nodehttps vs node): {notes(outcome)}")
    return lines


def markdown(outcomes: list[Outcome], facts: dict[str, str], rounds: int, command: str) -> str:
    """The README table: date, machine, method, then one row per scenario."""
    rows = [
        f"Measured {facts['date']} with `{command}`: {facts['cpu']}, {facts['cores']} cores, "
        f"Linux {facts['kernel']}; Python {facts['python']} ({facts['python_openssl']}), "
        f"node {facts['node']} (OpenSSL {facts['node_openssl']}); nodehttps "
        f"{facts['nodehttps']}; {facts['tools']}.",
        "",
        f"Server pinned to core {SERVER_CORES}, load generator or client to core "
        f"{LOAD_CORES}; {rounds} round(s), nodehttps and node alternating; each cell is the "
        "median with its spread ((max - min) / median). Ratios are nodehttps / node from "
        "this one run; absolute figures drift between runs on shared machines. Other "
        f"processes used {facts['others_before']} cores just before the run and "
        f"{facts['others_after']} just after; the notes give the most they used during "
        "one scenario's measurements.",
        "",
        "| scenario | nodehttps | node | nodehttps / node | target | notes |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for outcome in outcomes:
        if not outcome.complete:
            rows.append(
                f"| {outcome.title} | - | - | - | {outcome.scenario.target} | "
                f"not measured: {outcome.error.replace('|', '/')} |"
            )
            continue
        unit = outcome.scenario.unit
        ours, node = (
            f"{number(outcome.median(s))} {unit} ±{outcome.spread(s):.0f}%" for s in SYSTEMS
        )
        rows.append(
            f"| {outcome.title} | {ours} | {node} | **{outcome.ratio():.2f}** | "
            f"{outcome.scenario.target} ({direction(outcome.scenario)}) | {notes(outcome)} |"
        )
    return "\n".join(rows) + "\n"


def to_json(outcomes: list[Outcome], facts: dict[str, str], rounds: int) -> dict[str, Any]:
    scenarios: list[dict[str, Any]] = []
    for outcome in outcomes:
        entry: dict[str, Any] = {
            "key": outcome.scenario.key,
            "title": outcome.title,
            "unit": outcome.scenario.unit,
            "higher_is_better": outcome.scenario.higher_is_better,
            "target": outcome.scenario.target,
            "error": outcome.error or None,
        }
        if outcome.complete:
            entry["ratio"] = outcome.ratio()
            entry["round_ratios"] = outcome.round_ratios()
            entry["systems"] = {
                system: {
                    "median": outcome.median(system),
                    "spread_percent": outcome.spread(system),
                    "runs": [vars(s) for s in outcome.samples[system]],
                }
                for system in SYSTEMS
            }
        scenarios.append(entry)
    pinning = {"server_cores": SERVER_CORES, "load_cores": LOAD_CORES}
    return {"machine": facts, "rounds": rounds, "pinning": pinning, "scenarios": scenarios}


# -- the machine -------------------------------------------------------------------------


def machine_facts() -> dict[str, str]:
    node_version, node_openssl = _output(
        ["node", "-p", "process.version + ' ' + process.versions.openssl"]
    ).split(" ", 1)
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "python_openssl": ssl.OPENSSL_VERSION,
        "node": node_version,
        "node_openssl": node_openssl,
        "nodehttps": _nodehttps_build(),
        "tools": _tool_versions(),
    }


def _output(cmd: list[str]) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (done.stdout or done.stderr).strip() or "?"


def _git(*args: str) -> str:
    """A git command's output in this checkout; empty when there is no git or no checkout."""
    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _nodehttps_build() -> str:
    import nodehttps

    package = Path(nodehttps.__file__).parent
    compiled = sorted(package.rglob("*.so"))
    build = f"compiled ({len(compiled)} modules)" if compiled else "pure Python"
    if not package.is_relative_to(ROOT):
        commit = "an installed copy (not this checkout)"
    else:
        commit = _git("rev-parse", "--short", "HEAD") or "an unknown commit"
        if _git("status", "--porcelain", "src"):
            commit += " with uncommitted changes"
    deps = ", ".join(f"{d} {_version(d)}" for d in ("uvloop", "httptools"))
    return f"{nodehttps.__version__} at {commit}, {build} ({deps})"


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def _tool_versions() -> str:
    found = []
    for name, option, pattern in (
        ("wrk", "-v", r"wrk (\S+)"),
        ("ab", "-V", r"Version (\S+)"),
        ("curl", "--version", r"curl (\S+)"),
    ):
        match = re.search(pattern, _output([name, option]))
        found.append(f"{name} {match.group(1) if match else '?'}")
    return ", ".join(found)
