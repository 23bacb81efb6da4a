"""nodehttps against node on this machine, in one run: ``python bench/run.py``.

    python bench/run.py [--quick] [--only KEY,...] [--rounds N] [--seconds S]
                        [--max-others CORES] [--retries N] [--patience SECONDS]
                        [--markdown FILE] [--json FILE] [--list]

Makes a throw-away certificate (``python -m nodehttps cert``: P-256, localhost and
127.0.0.1), installs wrk/ab/curl if they are missing (apt-get, as root), then runs each
scenario of ``scenarios.py`` in rounds, nodehttps then node in every round (A B A B),
the server under test pinned to one core and the load to the other. Each measurement
waits for the rest of the machine to be quiet (other processes using at most
``--max-others`` cores) and is repeated (``--retries``) when they were busier during
it, within ``--patience`` seconds of waiting for the whole run.
Prints each scenario's medians, spread and ratio as it finishes, then a Markdown table
for the README. Everything talks to 127.0.0.1 only; every run is bounded in time. See
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
from typing import Any

from processes import BenchError, OtherLoad, ensure_tools, other_cores
from report import Outcome, machine_facts, markdown, summary_lines, to_json
from scenarios import QUICK, SCENARIOS, SYSTEMS, Bench, Load, Sample, Scenario


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
    parser.add_argument(
        "--max-others",
        type=float,
        default=0.25,
        help="repeat a measurement during which other processes used more cores (0.25)",
    )
    parser.add_argument("--retries", type=int, help="how many times to repeat it at most (2)")
    parser.add_argument(
        "--patience",
        type=float,
        help="seconds the run may spend waiting for a quiet machine in all (900, --quick 0)",
    )
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


@dataclasses.dataclass
class Policy:
    """How many rounds, and how a run copes with other processes on the machine."""

    rounds: int
    max_others: float  # cores other processes may use during a measurement
    retries: int  # times a measurement is repeated when they used more
    patience: float  # seconds the whole run may still spend waiting for quiet

    def wait_for_quiet(self) -> None:
        """Wait, within the run's patience, until other processes use at most max_others."""
        started = time.monotonic()
        while time.monotonic() - started < self.patience:
            busy = other_cores(0.5)
            if busy <= self.max_others:
                break
            if time.monotonic() - started < 1:
                print(f"    other processes use {busy:.2f} cores: waiting", flush=True)
        self.patience = max(0.0, self.patience - (time.monotonic() - started))


def measure_quietly(
    bench: Bench, scenario: Scenario, system: str, fixture: Any, policy: Policy
) -> Sample:
    """One measurement on a quiet machine if patience allows: repeated when other
    processes were busy during it; the attempt they disturbed least is kept."""
    attempts = []
    for attempt in range(policy.retries + 1):
        policy.wait_for_quiet()
        with OtherLoad() as others:
            sample = scenario.measure(bench, system, fixture)
        attempts.append(dataclasses.replace(sample, others=others.cores))
        if others.cores <= policy.max_others or attempt == policy.retries or not policy.patience:
            break
        print(f"    other processes used {others.cores:.2f} cores meanwhile: again", flush=True)
    return min(attempts, key=lambda s: s.others)


def run_scenario(bench: Bench, scenario: Scenario, policy: Policy) -> Outcome:
    """Rounds of nodehttps then node; a failure ends the scenario, not the run."""
    outcome = Outcome(scenario, scenario.describe(bench.load), {s: [] for s in SYSTEMS})
    try:
        with scenario.fixture(bench) as fixture:
            for round_no in range(1, policy.rounds + 1):
                for system in SYSTEMS:
                    sample = measure_quietly(bench, scenario, system, fixture, policy)
                    outcome.samples[system].append(sample)
                    print(
                        f"  round {round_no} {system:9s} {sample.value:12,.1f} {scenario.unit}"
                        f"  (other processes: {sample.others:.2f} cores)",
                        flush=True,
                    )
    except BenchError as exc:
        outcome.error = str(exc)
    return outcome


def run_all(scenarios: list[Scenario], load: Load, policy: Policy) -> list[Outcome]:
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="nodehttps-bench-") as tmp:
        bench = Bench(load, *make_certificate(Path(tmp)))
        for number, scenario in enumerate(scenarios, 1):
            title = scenario.describe(load)
            print(f"[{number}/{len(scenarios)}] {scenario.key}: {title}", flush=True)
            outcomes.append(run_scenario(bench, scenario, policy))
            print("\n".join(summary_lines(outcomes[-1])), flush=True)
    return outcomes


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
    policy = Policy(
        rounds=args.rounds or (1 if args.quick else 3),
        max_others=args.max_others,
        retries=2 if args.retries is None else args.retries,
        patience=(0 if args.quick else 900) if args.patience is None else args.patience,
    )
    ensure_tools(["node", "taskset", *(t for s in scenarios for t in s.tools)])
    facts = machine_facts()
    facts["others_before"] = f"{other_cores():.2f}"
    print(f"other processes use {facts['others_before']} cores now", flush=True)
    started = time.monotonic()
    outcomes = run_all(scenarios, load, policy)
    facts["others_after"] = f"{other_cores():.2f}"
    table = markdown(outcomes, facts, policy.rounds, reproduce_command(args))
    print(f"\n(took {time.monotonic() - started:.0f} s)\n\n{table}")
    if args.markdown:
        args.markdown.write_text(table)
    if args.json:
        report = to_json(outcomes, facts, policy.rounds)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0 if all(o.complete for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
