"""The benchmarks' documented command runs and prints its tables (speed is not judged here)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "RESULTS.md"


def figure(table: str, row: str) -> re.Match[str]:
    """The row of ``table`` that starts with ``row``, its cells as groups: figure, ours, theirs, ratio."""
    found = re.search(r"^\| " + re.escape(row) + r" \| ([^|]*) \| ([^|]*) \| ([^|]*) \|", table, re.M)
    assert found, f"no row {row!r} in:\n{table}"
    return found


def milliseconds(cell: str) -> float:
    number, unit = cell.split()[:2]
    return float(number) * (1000 if unit == "s" else 1)


def test_the_debugger_benchmarks_run_print_their_tables_and_a_quick_run_writes_nothing() -> None:
    before = RESULTS.read_bytes(), RESULTS.stat().st_mtime_ns
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--ui-only"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert (RESULTS.read_bytes(), RESULTS.stat().st_mtime_ns) == before  # only a full run writes it
    assert "written to" not in out

    # The app's own CPU per step, headless.
    step = figure(out, "one step (n / N): the app's CPU, median")
    demo, seed = milliseconds(step[1]), milliseconds(step[2])
    assert demo > 0 and seed > 0
    assert abs(float(step[3]) - demo / seed) < 0.1  # the ratio is of the two figures shown (each rounded)
    assert "| first paint of debug(loss) |" in out
    assert "| c: run to the end |" in out

    # Through a terminal, against the minimal app: the ratio is of the figures shown.
    for row in (
        "n / N to the screen changing, the seed (`gradstep`): median",
        "n / N to the screen changing, the demo graph (debug(loss)): median",
        "start to first full screen, `gradstep`: median",
    ):
        found = figure(out, row)
        ours, theirs = milliseconds(found[1]), milliseconds(found[2])
        assert theirs > 0 and 0 < ours < 60_000
        assert abs(float(found[3].rstrip("x")) - ours / theirs) < 0.02 * ours / theirs + 0.06
    frames = figure(out, "… frames per key, bytes written per key (medians)")
    assert re.fullmatch(r"\d+, [\d,]+ B ", frames[1] + " ")  # what was written for a step, counted
    holding = figure(out, "… worst; steps shown / keys sent (all rounds)")
    shown, sent = (int(n) for n in holding[1].split(";")[1].split("/"))
    assert 0 < shown <= sent  # each key sent moved the demo at most one step
    assert "| `gradstep trace --json`: start to exit |" in out
    assert "ast.parse" in out


def test_the_trace_figures_alone_print_and_write_nothing() -> None:
    before = RESULTS.read_bytes(), RESULTS.stat().st_mtime_ns
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--trace"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    assert (RESULTS.read_bytes(), RESULTS.stat().st_mtime_ns) == before
    assert "written to" not in done.stdout
    for row in ("`gradstep trace --json`: start to exit", "`gradstep trace`: start to exit"):
        found = figure(done.stdout, row)
        ours, theirs = milliseconds(found[1]), milliseconds(found[2])
        assert abs(float(found[3].rstrip("x")) - ours / theirs) < 0.02 * ours / theirs + 0.06
    assert "20,000-node sum" in done.stdout
    assert "n / N to the screen changing" not in done.stdout and "graph nodes" not in done.stdout


def test_trace_on_three_kinds_of_file_runs_and_prints_ratios() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.trace_files", "600", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    for name in ("sum_600.gs", "chain_600.gs", "mlp_600.gs"):
        assert name in done.stdout
    rows = re.findall(r"^  gradstep trace(?: --json)? +\d+ ms +([\d.]+)x", done.stdout, re.M)
    assert len(rows) == 6 and all(float(ratio) > 0 for ratio in rows)
