"""The real `gradstep` command, run as a subprocess: exit codes, stderr, the JSON contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def gradstep(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gradstep.tui.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )


def test_trace_json_is_the_documented_contract_with_hand_derived_grads() -> None:
    result = gradstep("trace", "--json", str(EXAMPLES / "seed.gs"))
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    nodes = {node["label"]: node for node in document["nodes"]}
    assert document["output"] == nodes["L"]["id"]
    for node in document["nodes"]:
        assert set(node) == {"id", "label", "op", "data", "grad", "inputs"}
    # By hand: L = d*f, d = e + c, e = a*b with a=2, b=-3, c=10, f=-2.
    expected = {"a": 6.0, "b": -4.0, "c": -2.0, "d": -2.0, "e": -2.0, "f": 4.0, "L": 1.0}
    assert {label: node["grad"] for label, node in nodes.items()} == expected
    assert nodes["e"]["inputs"] == [nodes["a"]["id"], nodes["b"]["id"]]
    assert nodes["e"]["op"] == "*" and nodes["a"]["op"] == ""
    kinds = [event["kind"] for event in document["events"]]
    assert kinds == ["forward"] * 3 + ["seed"] + ["backward"] * 7


def test_trace_json_shows_accumulation_on_a_plus_a() -> None:
    result = gradstep("trace", "--json", str(EXAMPLES / "a_plus_a.gs"))
    document = json.loads(result.stdout)
    step = next(e for e in document["events"] if e["kind"] == "backward" and e["edges"])
    assert [(e["grad_before"], e["grad_after"]) for e in step["edges"]] == [(0.0, 1.0), (1.0, 2.0)]
    assert document["nodes"][0]["grad"] == 2.0


def test_trace_table_shows_each_contributions_arithmetic() -> None:
    result = gradstep("trace", str(EXAMPLES / "seed.gs"))
    assert result.returncode == 0, result.stderr
    assert "b.grad += a.data * e.grad = 2 * -2 = -4" in result.stdout
    assert "a.grad += b.data * e.grad = -3 * -2 = 6" in result.stdout


def test_trace_without_a_file_uses_the_built_in_example() -> None:
    result = gradstep("trace", "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["nodes"][0]["label"] == "a"


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("a = Value(1.0)\nb = a / 0\n", ":2:9:", "division by zero"),
        ("import os\n", ":1:1:", "imports are not allowed"),
        ("a = Value(1.0)\nb = a.__class__\n", ":2:5:", "not allowed"),
    ],
)
def test_trace_errors_exit_2_with_position_and_no_traceback(
    tmp_path: Path, text: str, where: str, message: str
) -> None:
    path = tmp_path / "bad.gs"
    path.write_text(text)
    result = gradstep("trace", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert f"{path}{where}" in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert path.read_text() == text  # nothing written to the user's file


@pytest.mark.parametrize("args", [("trace", "/no/such/file.gs"), ("/no/such/file.gs",)])
def test_missing_file_is_exit_2(args: tuple[str, ...]) -> None:
    result = gradstep(*args)
    assert result.returncode == 2
    assert "no such file" in result.stderr
    assert "Traceback" not in result.stderr


def test_directory_is_exit_2(tmp_path: Path) -> None:
    result = gradstep(str(tmp_path))
    assert result.returncode == 2
    assert "directory" in result.stderr


def test_help_and_version() -> None:
    assert "trace" in gradstep("--help").stdout
    assert gradstep("--version").stdout.startswith("gradstep ")
    assert "--json" in gradstep("trace", "--help").stdout


def test_trace_does_not_import_textual() -> None:
    code = (
        "import sys; from gradstep.tui.cli import main; "
        "main(['trace', '--json', 'examples/seed.gs']); "
        "sys.stderr.write(str('textual' in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.stderr.strip().endswith("False"), result.stderr


@pytest.mark.parametrize("name", ["nope.gs", "."])
def test_the_debugger_and_trace_word_a_bad_path_the_same(tmp_path: Path, name: str) -> None:
    path = str(tmp_path / name)
    opened, traced = gradstep(path), gradstep("trace", path)
    assert opened.returncode == traced.returncode == 2
    assert opened.stderr == traced.stderr and opened.stderr.startswith(f"{tmp_path / name}: error: ")


# --- gradstep trace --gradcheck and gradstep quiz ---------------------------------------------


def test_gradcheck_json_is_exactly_the_contract() -> None:
    result = gradstep("trace", "--gradcheck", str(EXAMPLES / "seed.gs"), "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) == {"ok", "h", "leaves"}
    assert document["ok"] is True and isinstance(document["h"], float)
    assert [leaf["label"] for leaf in document["leaves"]] == ["a", "b", "c", "f"]
    for leaf in document["leaves"]:
        assert set(leaf) == {"label", "grad", "numeric", "rel_error", "ok"}
        assert leaf["ok"] is True and leaf["rel_error"] < 1e-6
    # By hand: dL/da = b * f = 6, dL/db = a * f = -4, dL/dc = f = -2, dL/df = d = 4.
    numeric = {leaf["label"]: leaf["numeric"] for leaf in document["leaves"]}
    assert numeric == pytest.approx({"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0}, rel=1e-6)


def test_gradcheck_table_and_a_relu_kink(tmp_path: Path) -> None:
    result = gradstep("trace", "--gradcheck", str(EXAMPLES / "neuron.gs"))
    assert result.returncode == 0, result.stderr
    assert "relative error" in result.stdout and "✓ every leaf agrees" in result.stdout
    kink = tmp_path / "kink.gs"
    kink.write_text("x = Value(0.0, label='x')\nw = Value(2.0, label='w')\ny = relu(x) * w\ny\n")
    result = gradstep("trace", "--gradcheck", "--json", str(kink))
    assert result.returncode == 0, result.stderr
    leaves = {leaf["label"]: leaf for leaf in json.loads(result.stdout)["leaves"]}
    assert leaves["x"]["ok"] is True and "relu" in leaves["x"]["note"]
    assert "note" not in leaves["w"]
    table = gradstep("trace", "--gradcheck", str(kink))
    assert "not differentiable" in table.stdout


def test_gradcheck_errors_exit_2() -> None:
    result = gradstep("trace", "--gradcheck", "no-such-file.gs")
    assert result.returncode == 2 and "no such file" in result.stderr and not result.stdout


def test_quiz_refuses_a_missing_file() -> None:
    result = gradstep("quiz", "no-such-file.gs")
    assert result.returncode == 2 and "no such file" in result.stderr
    assert "Traceback" not in result.stderr


def test_gradcheck_exits_1_when_a_leaf_disagrees(tmp_path: Path) -> None:
    # 1/x with a pole between x - h and x + h: the central difference is nowhere near -1/x**2.
    pole = tmp_path / "pole.gs"
    pole.write_text("x = Value(1e-7, label='x')\ny = 1 / x\ny\n")
    result = gradstep("trace", "--gradcheck", "--json", str(pole))
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    assert document["ok"] is False
    assert [leaf["ok"] for leaf in document["leaves"] if leaf["label"] == "x"] == [False]
    table = gradstep("trace", "--gradcheck", str(pole))
    assert table.returncode == 1 and "✗" in table.stdout and "disagree" in table.stdout
