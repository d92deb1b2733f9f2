"""The benchmarks' one documented command runs and prints its table (speed is not judged here)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_debugger_benchmark_runs_and_prints_its_table_and_a_quick_run_writes_nothing() -> None:
    results = ROOT / "bench" / "RESULTS.md"
    before = results.read_bytes(), results.stat().st_mtime_ns
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--ui-only"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert (results.read_bytes(), results.stat().st_mtime_ns) == before  # the committed table stays
    assert "written to" not in done.stdout
    step = re.search(
        r"^\| one step \(n / N\): the app's CPU, median \| ([\d.]+) ms \| ([\d.]+) ms \| ([\d.]+) \|",
        done.stdout,
        re.M,
    )
    assert step, done.stdout
    demo, seed, ratio = (float(group) for group in step.groups())
    assert demo > 0 and seed > 0
    assert abs(ratio - demo / seed) < 0.1  # the ratio is of the two figures shown (each rounded)
    assert "| first paint of debug(loss) |" in done.stdout
    assert "| c: run to the end |" in done.stdout
