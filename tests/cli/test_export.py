"""``gradstep export``, run as the real command: goldens for the seed at three steps, each parsed back
and checked against the hand-derived numbers; same bytes on every run; --force; the input is never
written; Graphviz present or not.

The seed by hand: e = a*b = -6, d = e + c = 4, L = d*f = -8; backward: dL/dd = f = -2, dL/df = d = 4,
dd/de = dd/dc = 1, so e and c get -2; de/da = b = -3, de/db = a = 2, so a gets 6 and b gets -4.
Events: 0-2 forward (e, d, L), 3 the seed, 4 L's step, 5 f, 6 d's step, 7 e's step, 8-10 c, b, a.
Step K means K events applied, as the status line counts.

Goldens live in tests/cli/goldens; after a deliberate change, rewrite them with
``GRADSTEP_UPDATE_GOLDENS=1 pytest tests/cli/test_export.py`` and read the diff.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pydot
import pytest

ROOT = Path(__file__).resolve().parents[2]
GOLDENS = Path(__file__).resolve().parent / "goldens"
SEED = "examples/seed.gs"
UPDATE = os.environ.get("GRADSTEP_UPDATE_GOLDENS") == "1"

STEPS = (1, 7, 11)
DATA = {"a": 2.0, "b": -3.0, "c": 10.0, "e": -6.0, "d": 4.0, "f": -2.0, "L": -8.0}
COMPUTED_AT = {"e": 1, "d": 2, "L": 3}  # the position from which a computed node has its value
FINAL = {"a": 6.0, "b": -4.0, "c": -2.0, "d": -2.0, "e": -2.0, "f": 4.0, "L": 1.0}
GRAD_FROM = {"L": 4, "d": 5, "f": 5, "e": 7, "c": 7, "a": 8, "b": 8}  # first position with a grad


def expected_state(k: int) -> dict[str, tuple[float | None, float | None]]:
    """Each node's (data, grad) at step ``k``, from the hand derivation above (None: not yet)."""
    return {
        label: (
            None if COMPUTED_AT.get(label, 0) > k else DATA[label],
            FINAL[label] if GRAD_FROM[label] <= k else None,
        )
        for label in DATA
    }


def gradstep(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gradstep.tui.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def export(*args: str) -> str:
    result = gradstep("export", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def check_golden(name: str, text: str) -> None:
    path = GOLDENS / name
    if UPDATE:
        GOLDENS.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
    assert path.read_text(encoding="utf-8") == text, f"{name} changed: rerun with GRADSTEP_UPDATE_GOLDENS=1"


# --- DOT -----------------------------------------------------------------------------------------


def record_fields(label: str) -> list[str]:
    """A DOT record label's fields, unescaped as Graphviz reads them (``\\X`` is a literal X)."""
    inner = label.strip()
    assert inner.startswith('"') and inner.endswith('"')
    inner = inner[1:-1].replace('\\"', '"').strip()
    assert inner.startswith("{") and inner.endswith("}")
    fields, current, chars = [], "", iter(inner[1:-1])
    for char in chars:
        if char == "\\":
            current += next(chars)
        elif char == "|":
            fields.append(current.strip())
            current = ""
        else:
            current += char
    fields.append(current.strip())
    return fields


def parse_dot(text: str) -> tuple[dict[str, tuple[str, str, str]], dict[str, str], set[tuple[str, str]]]:
    """(records by node id: (label, data field, grad field), op nodes' labels, edges)."""
    graphs = pydot.graph_from_dot_data(text)
    assert graphs is not None and len(graphs) == 1
    graph = graphs[0]
    (defaults,) = graph.get_graph_defaults()
    assert defaults["rankdir"] == "LR"  # left to right, as draw_dot
    records: dict[str, tuple[str, str, str]] = {}
    ops: dict[str, str] = {}
    for node in graph.get_nodes():
        name = node.get_name()
        if name in ("node", "graph", "edge"):
            continue
        if node.get("shape") == "record":
            label, data, grad = record_fields(node.get("label"))
            records[name] = (label, data, grad)
        else:
            ops[name] = node.get("label").strip('"')
    edges = {(e.get_source(), e.get_destination()) for e in graph.get_edges()}
    return records, ops, edges


@pytest.mark.parametrize("k", STEPS)
def test_dot_golden_parses_back_to_the_hand_values(k: int) -> None:
    text = export(SEED, "--to", "dot", "--step", str(k))
    check_golden(f"seed.step{k}.dot", text)
    records, ops, edges = parse_dot(text)
    by_label = {label: (node, data, grad) for node, (label, data, grad) in records.items()}
    assert set(by_label) == set(DATA)
    for label, (data, grad) in expected_state(k).items():
        _, data_field, grad_field = by_label[label]
        assert data_field == ("data ·" if data is None else f"data {data:.4f}")
        assert grad_field == ("grad —" if grad is None else f"grad {grad:.4f}")
    # draw_dot's shape: an op node into each result, each operand into its result's op node.
    node = {label: by_label[label][0] for label in by_label}
    assert {ops[f"{node[r]}op"] for r in ("e", "d", "L")} == {"*", "+"}
    assert ops[f"{node['d']}op"] == "+"
    expected_edges = {(f"{node[r]}op", node[r]) for r in ("e", "d", "L")} | {
        (node["a"], f"{node['e']}op"),
        (node["b"], f"{node['e']}op"),
        (node["e"], f"{node['d']}op"),
        (node["c"], f"{node['d']}op"),
        (node["d"], f"{node['L']}op"),
        (node["f"], f"{node['L']}op"),
    }
    assert edges == expected_edges


def test_dot_labels_with_record_syntax_and_controls_come_back_literally(tmp_path: Path) -> None:
    weird = 'x{1}|<p> "q" \\ end'
    source = tmp_path / "weird.gs"
    source.write_text(f"x = Value(2.0, label={weird!r})\ny = x * 3\ny\n")
    records, _, _ = parse_dot(export(str(source), "--to", "dot"))
    labels = {label for label, _, _ in records.values()}
    assert weird in labels
    # A label from Python (debug()) may hold control characters: they arrive escaped, visibly.
    from gradstep.core import Value, trace
    from gradstep.core.dot import to_dot

    records, _, _ = parse_dot(to_dot(trace(Value(1.0, label="bell\x07\x1b[31m") * 2)))
    assert "bell\\x07\\x1b[31m" in {label for label, _, _ in records.values()}
    assert "\x1b" not in to_dot(trace(Value(1.0, label="\x1b]0;t\x07") * 2))


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_svg_is_graphviz_drawing_the_dot() -> None:
    svg = export(SEED, "--to", "svg", "--step", "7")
    assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
    texts = re.findall(r">([^<>]+)</text>", svg)
    assert "grad &#45;2.0000" in texts and "data &#45;6.0000" in texts and "grad —" in texts
    assert export(SEED, "--to", "svg", "--step", "7") == svg


def test_svg_without_graphviz_says_so(tmp_path: Path) -> None:
    env = dict(os.environ, PATH=str(tmp_path))  # an empty folder: no dot on PATH
    result = gradstep("export", SEED, "--to", "svg", env=env)
    assert result.returncode == 2 and result.stdout == ""
    assert "Graphviz" in result.stderr and "`dot`" in result.stderr and "--to dot" in result.stderr
    assert "Traceback" not in result.stderr


# --- Markdown ------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", STEPS)
def test_md_golden_has_the_walkthrough_up_to_the_step(k: int) -> None:
    text = export(SEED, "--to", "md", "--step", str(k))
    check_golden(f"seed.step{k}.md", text)
    assert text.startswith("# Backprop walkthrough: `examples/seed.gs`\n")
    forward = ["`e` = `a * b` = `-6`", "`d` = `e + c` = `4`", "`L` = `d * f` = `-8`"]
    for n, line in enumerate(forward, 1):
        assert (f"{n}. {line}" in text) == (n <= k)
    edges = {  # the position of each edge's step, its arithmetic and the operand's running sum
        5: ["`d.grad += f.data * L.grad = -2 * 1 = -2`; `d.grad: 0 → -2`",
            "`f.grad += d.data * L.grad = 4 * 1 = 4`; `f.grad: 0 → 4`"],
        7: ["`e.grad += 1 * d.grad = 1 * -2 = -2`; `e.grad: 0 → -2`",
            "`c.grad += 1 * d.grad = 1 * -2 = -2`; `c.grad: 0 → -2`"],
        8: ["`a.grad += b.data * e.grad = -3 * -2 = 6`; `a.grad: 0 → 6`",
            "`b.grad += a.data * e.grad = 2 * -2 = -4`; `b.grad: 0 → -4`"],
    }  # fmt: skip
    for position, lines in edges.items():
        for line in lines:
            assert (f"   - {line}\n" in text) == (position <= k), line
    assert ("4. Seed: `L.grad = 1`" in text) == (k >= 4)
    table = text.split(f"## Values and grads at step {k} of 11\n", 1)[1]
    for label, (data, grad) in expected_state(k).items():
        shown_data = "·" if data is None else f"`{data:g}`"
        shown_grad = "—" if grad is None else f"`{grad:g}`"
        assert re.search(rf"^\| `{label}` \| [^|]* \| {shown_data} \| {shown_grad} \|$", table, re.M), label


def test_md_puts_labels_in_code_spans_that_survive_backticks_and_pipes(tmp_path: Path) -> None:
    source = tmp_path / "ticks.gs"
    source.write_text("x = Value(2.0, label='a`b|*c*')\ny = x * 3\ny\n")
    text = export(str(source), "--to", "md")
    assert "Leaves: ``a`b|*c*`` = `2`, `3` (a constant)\n" in text
    assert "1. `y` = ``a`b|*c* * 3`` = `6`" in text
    assert "| ``a`b\\|*c*`` |" in text


# --- JSON ----------------------------------------------------------------------------------------


def test_json_without_step_is_the_trace_document_byte_for_byte() -> None:
    trace_json = gradstep("trace", "--json", SEED)
    assert trace_json.returncode == 0
    assert export(SEED, "--to", "json") == trace_json.stdout


@pytest.mark.parametrize("k", STEPS)
def test_json_at_a_step_adds_the_state_there(k: int) -> None:
    document = json.loads(export(SEED, "--to", "json", "--step", str(k)))
    assert document["step"] == k
    labels = {node["id"]: node["label"] for node in document["nodes"]}
    state = {labels[entry["id"]]: (entry["value"], entry["grad"]) for entry in document["state"]}
    assert state == expected_state(k)
    assert {node["label"]: node["grad"] for node in document["nodes"]} == FINAL  # the contract holds


# --- asciicast -----------------------------------------------------------------------------------

_MOVE = re.compile(r"\x1b\[(\d+);(\d+)H")
_OTHER = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def screen_rows(frame: str, rows: list[str]) -> list[str]:
    """``rows`` (the screen's text) after a frame: each ``ESC[y;1H`` starts the row it rewrites,
    other sequences (colours) are dropped."""
    rows = list(rows)
    parts = _MOVE.split(frame)
    for at in range(1, len(parts), 3):
        y, text = int(parts[at]), parts[at + 2]
        rows[y - 1] = _OTHER.sub("", text).rstrip("\n")
    return rows


@pytest.mark.parametrize("k", STEPS)
def test_cast_is_asciicast_v2_with_a_frame_per_step_showing_that_step(k: int) -> None:
    text = export(SEED, "--to", "cast", "--step", str(k))
    lines = text.splitlines()
    header = json.loads(lines[0])
    assert header["version"] == 2 and header["width"] == 120 and header["height"] == 36
    assert "timestamp" not in header
    events = [json.loads(line) for line in lines[1:]]
    assert len(events) == k + 1  # step 0 to step k
    assert [e[1] for e in events] == ["o"] * (k + 1)
    times = [e[0] for e in events]
    assert times == sorted(times) and len(set(times)) == len(times)
    rows = [""] * header["height"]
    for position, (_, _, frame) in enumerate(events):
        rows = screen_rows(frame, rows)
        assert all(len(row) == header["width"] for row in rows)  # every cell painted
        assert f"step {position} of 11" in rows[0]
    final = rows
    assert all(len(frame) < len(events[0][2]) for _, _, frame in events[1:])  # the changed rows only
    for label, (data, grad) in expected_state(k).items():
        # The tree's line for the node: ``├─▾ d (+)  = 4  grad -2 (-2)``.
        line = next(row for row in final if re.search(rf"[─▾▸] {label}(?: \([^)]*\))?  = ", row))
        assert f"= {'·' if data is None else f'{data:g}'}" in line, line
        assert f"grad {'—' if grad is None else f'{grad:g}'}" in line, line


# --- the promises: same bytes, no overwriting, never the input ------------------------------------


@pytest.mark.parametrize("to", ["dot", "md", "json", "cast"])
def test_same_file_same_bytes(tmp_path: Path, to: str) -> None:
    first, second = tmp_path / f"one.{to}", tmp_path / f"two.{to}"
    for out in (first, second):
        result = gradstep("export", SEED, "--to", to, "--step", "6", "-o", str(out))
        assert result.returncode == 0 and result.stdout == "", result.stderr
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() == export(SEED, "--to", to, "--step", "6").encode()


def test_an_existing_file_is_kept_without_force_and_replaced_with_it(tmp_path: Path) -> None:
    out = tmp_path / "graph.dot"
    out.write_text("mine")
    refused = gradstep("export", SEED, "--to", "dot", "-o", str(out))
    assert refused.returncode == 2 and "exists" in refused.stderr and "--force" in refused.stderr
    assert out.read_text() == "mine"
    forced = gradstep("export", SEED, "--to", "dot", "-o", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert out.read_text() == export(SEED, "--to", "dot")


def test_the_input_file_is_never_written_even_with_force(tmp_path: Path) -> None:
    source = tmp_path / "seed.gs"
    source.write_bytes((ROOT / SEED).read_bytes())
    link = tmp_path / "link.gs"
    link.symlink_to(source)
    for out in (source, link):
        result = gradstep("export", str(source), "--to", "md", "-o", str(out), "--force")
        assert result.returncode == 2 and "input file" in result.stderr
    assert source.read_bytes() == (ROOT / SEED).read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "dot", "--step", "12"], "--step 12 is outside 0..11"),
        (["--to", "dot", "--step", "-1"], "--step -1 is outside 0..11"),
        (["--to", "png"], "invalid choice"),
        ([], "--to"),
    ],
)
def test_bad_arguments_exit_2_without_a_traceback(args: list[str], message: str) -> None:
    result = gradstep("export", SEED, *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_a_bad_file_reads_as_in_trace(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gs"
    bad.write_text("a = Value(1.0)\nb = a / 0\n")
    for path in (str(bad), str(tmp_path / "missing.gs")):
        exported, traced = gradstep("export", path, "--to", "dot"), gradstep("trace", path)
        assert exported.returncode == traced.returncode == 2
        assert exported.stderr == traced.stderr and exported.stdout == ""


def test_a_directory_as_output_is_refused(tmp_path: Path) -> None:
    result = gradstep("export", SEED, "--to", "dot", "-o", str(tmp_path))
    assert result.returncode == 2 and "directory" in result.stderr
