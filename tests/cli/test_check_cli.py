"""`gradstep check --json`: the real command as a subprocess, exit codes and stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def gradstep(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gradstep.tui.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_a_correct_engine_exits_0_with_the_document() -> None:
    result = gradstep("check", "--engine", "examples/engines/correct.py", "examples/shared.gs", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["ok"] is True and document["first_mismatch"] is None and document["steps"] == 6
    assert document["engine"] == "examples/engines/correct.py:Value"
    assert document["source"] == "examples/shared.gs"
    grads = {node["label"]: node["got_grad"] for node in document["nodes"]}
    # L = (a*b) * (b + c), a=2, b=-3, c=10: dL/db = a*(b+c) + a*b = 14 - 6 = 8
    assert grads == {"a": -21.0, "b": 8.0, "c": -6.0, "e": 7.0, "m": -6.0, "L": 1.0}


def test_a_mismatch_exits_1_and_their_prints_stay_off_stdout() -> None:
    result = gradstep("check", "--engine", "examples/engines/overwrite.py", "examples/a_plus_a.gs", "--json")
    assert result.returncode == 1, result.stderr
    mismatch = json.loads(result.stdout)["first_mismatch"]
    assert (mismatch["kind"], mismatch["step"], mismatch["node"], mismatch["operand"]) == (
        "overwrite",
        1,
        "b",
        "a",
    )
    assert (mismatch["expected"], mismatch["got"]) == (2.0, 1.0)


def test_their_exception_exits_1_with_their_traceback_on_stderr() -> None:
    result = gradstep("check", "--engine", "examples/engines/error.py", "examples/hunt.gs", "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["first_mismatch"]["kind"] == "error"
    assert "error.py" in result.stderr and "NameError" in result.stderr and "Traceback" in result.stderr


def test_errors_exit_2_with_one_message() -> None:
    tanh = gradstep("check", "--engine", "micrograd.engine", "examples/neuron.gs", "--json")
    assert tanh.returncode == 2 and tanh.stdout == ""
    assert (
        tanh.stderr.strip()
        == "examples/neuron.gs:11:5: error: your Value has no tanh(): the file uses it at line 11"
    )
    missing = gradstep("check", "--engine", "nowhere/engine.py", "examples/seed.gs", "--json")
    assert missing.returncode == 2 and "nowhere/engine.py: no such engine file" in missing.stderr
    no_class = gradstep(
        "check", "--engine", "examples/engines/correct.py:Tensor", "examples/seed.gs", "--json"
    )
    assert no_class.returncode == 2 and "has no class Tensor" in no_class.stderr
    usage = gradstep("check", "examples/seed.gs")
    assert usage.returncode == 2 and "--engine" in usage.stderr
    assert "Traceback" not in tanh.stderr + missing.stderr + no_class.stderr + usage.stderr
