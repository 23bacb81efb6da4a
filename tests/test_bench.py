"""The benchmark command (bench/run.py) runs end to end in its smallest form.

It checks the harness, not the figures: one scenario, one round of one second, and the
report carries a sample for each system and a ratio. No timing is asserted.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parent.parent / "bench" / "run.py"
MISSING = [tool for tool in ("node", "wrk", "taskset") if shutil.which(tool) is None]


@pytest.mark.skipif(bool(MISSING), reason=f"needs {', '.join(MISSING)}")
def test_one_scenario_reports_both_systems_and_a_ratio(tmp_path: Path) -> None:
    json_file, markdown_file = tmp_path / "bench.json", tmp_path / "bench.md"
    done = subprocess.run(
        [
            sys.executable,
            str(RUN),
            "--quick",
            "--only",
            "server-plain",
            "--seconds",
            "1",
            "--json",
            str(json_file),
            "--markdown",
            str(markdown_file),
        ],
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ratio nodehttps/node:" in done.stdout

    [entry] = json.loads(json_file.read_text())["scenarios"]
    assert entry["key"] == "server-plain"
    assert entry["error"] is None
    assert entry["ratio"] > 0
    for system in ("nodehttps", "node"):
        [run] = entry["systems"][system]["runs"]
        assert run["value"] > 0
        assert run["counts"] == {"errors": 0}

    table = markdown_file.read_text()
    assert table in done.stdout
    assert "| server keep-alive over plain HTTP" in table
    assert "`python bench/run.py --quick --only server-plain --seconds 1`" in table
