"""nodehttps against node on this machine, in one run: ``python bench/run.py``.

    python bench/run.py [--quick] [--only KEY,...] [--rounds N] [--seconds S]
                        [--markdown FILE] [--json FILE] [--list]

Makes a throw-away certificate (``python -m nodehttps cert``: P-256, localhost and
127.0.0.1), installs wrk/ab/curl if they are missing (apt-get, as root), then runs each
scenario of ``scenarios.py`` in rounds, nodehttps then node in every round (A B A B),
the server under test pinned to one core and the load to the other. Prints each
scenario's medians, spread and ratio as it finishes, then a Markdown table for the
README. Everything talks to 127.0.0.1 only; every run is bounded in time. See
``bench/README.md`` for what each scenario measures.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import BenchError, busy_cores, ensure_tools
from report import Outcome, machine_facts, markdown, summary_lines, to_json
from scenarios import QUICK, SCENARIOS, SYSTEMS, Bench, Load, Scenario


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="a short smoke run: 1 round, small loads"
    )
    parser.add_argument("--only", help="comma-separated scenario keys (see --list)")
    parser.add_argument("--rounds", type=int, help="rounds per scenario (default 3, --quick 1)")
    parser.add_argument("--seconds", type=int, help="wrk's measured run in seconds")
    parser.add_argument("--markdown", type=Path, help="also write the Markdown table here")
    parser.add_argument("--json", type=Path, help="also write every sample as JSON here")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    return parser.parse_args(argv)


def select(only: str | None) -> list[Scenario]:
    if not only:
        return list(SCENARIOS)
    by_key = {s.key: s for s in SCENARIOS}
    unknown = [key for key in only.split(",") if key not in by_key]
    if unknown:
        sys.exit(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(by_key)}")
    return [by_key[key] for key in only.split(",")]


def reproduce_command(args: argparse.Namespace) -> str:
    """The command line that measures the same things (output files left out)."""
    words = ["python", "bench/run.py"]
    words += ["--quick"] if args.quick else []
    for option in ("only", "rounds", "seconds"):
        if getattr(args, option):
            words += [f"--{option}", str(getattr(args, option))]
    return shlex.join(words)


def make_certificate(folder: Path) -> tuple[str, str]:
    """The key and certificate files of a fresh self-signed localhost certificate."""
    subprocess.run(
        [sys.executable, "-m", "nodehttps", "cert", "--out", str(folder)],
        check=True,
        capture_output=True,
    )
    return str(folder / "private-key.pem"), str(folder / "certificate.pem")


def run_scenario(bench: Bench, scenario: Scenario, rounds: int) -> Outcome:
    """``rounds`` rounds of nodehttps then node; a failure ends the scenario, not the run."""
    outcome = Outcome(scenario, scenario.describe(bench.load), {s: [] for s in SYSTEMS})
    try:
        with scenario.fixture(bench) as fixture:
            for round_no in range(1, rounds + 1):
                for system in SYSTEMS:
                    sample = scenario.measure(bench, system, fixture)
                    outcome.samples[system].append(sample)
                    print(f"  round {round_no} {system:9s} {sample.value:12,.1f} {scenario.unit}")
    except BenchError as exc:
        outcome.error = str(exc)
    return outcome


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.list:
        for scenario in SCENARIOS:
            print(f"{scenario.key:18s} {scenario.describe(Load())}")
        return 0
    scenarios = select(args.only)
    load = QUICK if args.quick else Load()
    if args.seconds:
        load = dataclasses.replace(load, seconds=args.seconds)
    rounds = args.rounds or (1 if args.quick else 3)
    ensure_tools(["node", "taskset", *(t for s in scenarios for t in s.tools)])
    facts = machine_facts()
    facts["busy_before"] = f"{busy_cores():.2f}"
    if float(facts["busy_before"]) > 0.1:
        print(
            f"note: other processes keep {facts['busy_before']} cores busy; figures will be noisy"
        )
    started = time.monotonic()
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="nodehttps-bench-") as tmp:
        bench = Bench(load, *make_certificate(Path(tmp)))
        for number, scenario in enumerate(scenarios, 1):
            print(
                f"[{number}/{len(scenarios)}] {scenario.key}: {scenario.describe(load)}", flush=True
            )
            outcome = run_scenario(bench, scenario, rounds)
            print("\n".join(summary_lines(outcome)), flush=True)
            outcomes.append(outcome)
    facts["busy_after"] = f"{busy_cores():.2f}"
    command = reproduce_command(args)
    table = markdown(outcomes, facts, rounds, command)
    print(f"\n(took {time.monotonic() - started:.0f} s)\n\n{table}")
    if args.markdown:
        args.markdown.write_text(table)
    if args.json:
        args.json.write_text(json.dumps(to_json(outcomes, facts, rounds), indent=2) + "\n")
    return 0 if all(o.complete for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
