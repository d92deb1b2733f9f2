"""``gradstep trace``'s table: its content against hand-derived numbers, escaping, colour, imports,
and that it streams (rows made as they are written, memory flat).
"""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from gradstep.core import Value, parse, trace
from gradstep.core.text import escape
from gradstep.tui.trace_view import LOOKAHEAD, cells, print_trace, trace_lines, use_colour

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SGR = re.compile(r"\x1b\[[0-9;]*m")


def gradstep(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gradstep.tui.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env=env,
    )


def rows_of(text: str, title: str) -> list[list[str]]:
    """The cells of every row of the table under ``title`` (header and rule skipped)."""
    lines = text.splitlines()
    start = lines.index(title) + 3
    rows = []
    for line in lines[start:]:
        if "│" not in line:
            break
        rows.append([cell.strip() for cell in line.split("│")])
    return rows


# --- content -----------------------------------------------------------------------------------


def test_the_seed_table_shows_hand_derived_values_and_grads() -> None:
    result = gradstep("trace", str(EXAMPLES / "seed.gs"))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.splitlines()[0] == f"gradstep trace {EXAMPLES / 'seed.gs'} — 7 nodes, 11 steps; output L = -8"
    # a=2, b=-3, c=10, f=-2; e = a*b = -6, d = e + c = 4, L = d*f = -8.
    assert rows_of(out, "Forward pass") == [
        ["1", "e", "a * b", "-6"],
        ["2", "d", "e + c", "4"],
        ["3", "L", "d * f", "-8"],
    ]
    # dL/dd = f = -2, dL/df = d = 4; dL/de = dL/dc = dL/dd = -2; dL/da = b * -2 = 6, dL/db = a * -2 = -4.
    assert rows_of(out, "Backward pass") == [
        ["4", "L", "seed: L.grad = 1", "0 → 1"],
        ["5", "L *", "d.grad += f.data * L.grad = -2 * 1 = -2", "0 → -2"],
        ["", "", "f.grad += d.data * L.grad = 4 * 1 = 4", "0 → 4"],
        ["6", "f", "leaf: grad final = 4", ""],
        ["7", "d +", "e.grad += 1 * d.grad = 1 * -2 = -2", "0 → -2"],
        ["", "", "c.grad += 1 * d.grad = 1 * -2 = -2", "0 → -2"],
        ["8", "e *", "a.grad += b.data * e.grad = -3 * -2 = 6", "0 → 6"],
        ["", "", "b.grad += a.data * e.grad = 2 * -2 = -4", "0 → -4"],
        ["9", "c", "leaf: grad final = -2", ""],
        ["10", "b", "leaf: grad final = -4", ""],
        ["11", "a", "leaf: grad final = 6", ""],
    ]
    assert rows_of(out, "Final values and grads") == [
        ["0", "a", "", "2", "6", ""],
        ["1", "b", "", "-3", "-4", ""],
        ["2", "c", "", "10", "-2", ""],
        ["3", "e", "*", "-6", "-2", ""],
        ["4", "d", "+", "4", "-2", ""],
        ["5", "f", "", "-2", "4", ""],
        ["6", "L", "*", "-8", "1", ""],
    ]


def test_accumulation_and_uses_on_a_shared_node() -> None:
    """shared.gs: b feeds m = b + c (grad -6) and e = a * b (+ a * dL/de = 2 * 7 = 14): -6 → 8."""
    out = gradstep("trace", str(EXAMPLES / "shared.gs")).stdout
    backward = rows_of(out, "Backward pass")
    assert ["", "", "b.grad += a.data * e.grad = 2 * 7 = 14", "-6 → 8"] in backward
    grads = {row[1]: row for row in rows_of(out, "Final values and grads")}
    assert grads["b"][4:] == ["8", "2×"]
    assert grads["a"][4:] == ["-21", ""]


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.gs")), ids=lambda p: p.name)
def test_every_row_is_the_traces_own_words(path: Path) -> None:
    """Forward rows say ``Trace.expression``, backward rows ``Trace.arithmetic`` (the table builds
    them faster from names worked out once; these are the definitions)."""
    t = trace(parse(path.read_text(), str(path)).output)
    out = io.StringIO()
    print_trace(t, str(path), out, colour=False)
    forward = rows_of(out.getvalue(), "Forward pass")
    assert [row[2] for row in forward] == [escape(t.expression(i)) for i in t.forward_nodes]
    contributions = [row[2] for row in rows_of(out.getvalue(), "Backward pass")[1:]]
    arithmetic = [escape(t.arithmetic(e)) for i in range(t.size - 1, -1, -1) for e in t.edges(i)]
    assert [c for c in contributions if not c.startswith("leaf:")] == arithmetic


def test_rows_are_aligned_even_with_wide_characters() -> None:
    a = Value(2.0, label="日本")
    b = Value(-3.0, label="b")
    out = io.StringIO()
    print_trace(trace(a * b + a), "wide.gs", out, colour=False)
    lines = out.getvalue().splitlines()
    for title in ("Forward pass", "Backward pass", "Final values and grads"):
        start = lines.index(title) + 1
        end = next(k for k in range(start, len(lines) + 1) if k == len(lines) or not lines[k].strip())
        table = [line for line in lines[start:end] if "│" in line]  # the header and the rows
        assert len(table) > 2
        header = [cells(table[0][:k]) for k, char in enumerate(table[0]) if char == "│"]
        for line in table:
            assert [cells(line[:k]) for k, char in enumerate(line) if char == "│"] == header, (title, line)


# --- outside text is escaped ----------------------------------------------------------------------


def test_hostile_paths_are_shown_escaped(tmp_path: Path) -> None:
    """A file's labels are printable (the language refuses others); its path may hold anything."""
    path = tmp_path / "evil\x1b]0;pwned\x07\u202e.gs"
    path.write_text("a = Value(2.0, label='a')\nb = a * a; b.label = 'b'\nb\n")
    for env in (None, {**os.environ, "NO_COLOR": "1"}):
        result = gradstep("trace", str(path), env=env)
        assert result.returncode == 0, result.stderr
        assert not {"\x1b", "\x07", "\u202e"} & set(result.stdout)
        assert result.stdout.splitlines()[0].startswith(f"gradstep trace {escape(str(path))} — ")
    path.write_text("a = Value(2.0, label='a')\nb = a / 0\n")
    failed = gradstep("trace", str(path))
    assert failed.returncode == 2
    assert not {"\x1b", "\x07", "\u202e"} & set(failed.stderr)
    assert failed.stderr.startswith(f"{escape(str(path))}:2:9: error: division by zero")


def test_hostile_labels_in_colour_leave_only_our_own_codes() -> None:
    a = Value(2.0, label="\x1b[31mred\x1b[0m")
    lines = list(trace_lines(trace(a * a), "p\x1b[5m.gs", colour=True))
    text = "\n".join(lines)
    assert "\\x1b[31mred" in text and "p\\x1b[5m.gs" in text
    assert "\x1b[31m" not in text and "\x1b[5m" not in text
    assert set(SGR.findall(text)) <= {
        "\x1b[0m",
        "\x1b[1m",
        "\x1b[2m",
        "\x1b[3m",
        "\x1b[36m",
        "\x1b[1;33m",
        "\x1b[1;36m",
    }


# --- colour: terminals only, NO_COLOR respected ---------------------------------------------------


def run_in_a_terminal(env: dict[str, str]) -> str:
    """``gradstep trace`` with its stdout a pseudo-terminal; what it wrote there."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "gradstep.tui.cli", "trace", str(EXAMPLES / "shared.gs")],
        stdout=follower,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal's other side closed: the program is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=60) == 0
    return b"".join(chunks).decode()


def test_colour_in_a_terminal_and_none_with_no_color_or_in_a_pipe() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    env["TERM"] = "xterm-256color"
    coloured = run_in_a_terminal(env)
    assert "\x1b[1;33m-6 → 8\x1b[0m" in coloured  # the accumulation highlighted
    assert "highlighted where a node had a grad already" in coloured
    plain = run_in_a_terminal({**env, "NO_COLOR": "1"})
    assert "\x1b" not in plain
    assert SGR.sub("", coloured).replace(", highlighted where a node had a grad already", "") == plain
    piped = gradstep("trace", str(EXAMPLES / "shared.gs"), env=env).stdout
    assert "\x1b" not in piped
    assert piped == plain.replace("\r\n", "\n")


class FakeStream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("tty", "environ", "expected"),
    [
        (True, {}, True),
        (False, {}, False),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": ""}, True),  # no-color.org: set and not empty
        (True, {"TERM": "dumb"}, False),
    ],
)
def test_use_colour(tty: bool, environ: dict[str, str], expected: bool) -> None:
    assert use_colour(FakeStream(tty), environ) is expected


# --- imports -------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["trace", "examples/seed.gs"], ["trace", "--json", "examples/seed.gs"]])
def test_trace_imports_neither_textual_nor_rich(args: list[str]) -> None:
    code = (
        "import sys; from gradstep.tui.cli import main; "
        f"status = main({args!r}); "
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'rich', 'asyncio'}); "
        "sys.stderr.write(f'{status} {loaded}')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.stderr.strip() == "0 []", result.stderr
    assert result.stdout


# --- streaming -----------------------------------------------------------------------------------


def sum_graph(terms: int) -> Value:
    s = Value(0.0, label="s0")
    for k in range(terms):
        s = s + (k % 10 + 0.5)
    return s


def test_rows_are_made_as_they_are_written() -> None:
    """The first rows are out before the last is made: a change to the trace once the first table
    has started shows in the last table (node 0's final grad), which was not made yet."""
    t = trace(sum_graph(4 * LOOKAHEAD))
    lines = trace_lines(t, "sum.gs")
    first = [next(lines) for _ in range(LOOKAHEAD + 10)]
    assert first[2] == "Forward pass" and first[-1].startswith(" ")
    t.grad[0] = 12345.0  # node 0 (s0): its row is the last table's first
    rest = list(lines)
    grads = rows_of("\n".join(first + rest), "Final values and grads")
    assert grads[0] == ["0", "s0", "", "0", "12345", ""]


def test_memory_stays_flat_while_the_table_streams() -> None:
    """Once the first line is out (every node's name worked out: memory in proportion to the
    graph, like the trace's), writing the 3.5 MB of rows adds no more than a look-ahead's worth."""
    t = trace(sum_graph(10_000))
    tracemalloc.start()
    try:
        lines = trace_lines(t, "sum.gs")
        written = len(next(lines))
        after_first = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        for line in lines:
            written += len(line) + 1
        growth = tracemalloc.get_traced_memory()[1] - after_first
    finally:
        tracemalloc.stop()
    assert written > 3_000_000
    assert growth < 1_000_000, growth
