"""``gradstep hunt``'s command line: its help, and its errors (exit 2, one message, no traceback)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _gradstep(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gradstep.tui.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=60
    )


def test_the_command_exits_2_with_one_message_for_a_file_with_nothing_to_hunt(tmp_path: Path) -> None:
    (tmp_path / "leaf.gs").write_text("a = Value(2.0, label='a')\na\n")
    result = _gradstep("hunt", "leaf.gs", "--seed", "3", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("leaf.gs: error: this file can reveal none of the planted bugs")
    assert "Traceback" not in result.stderr


def test_the_command_reports_a_missing_or_bad_file_with_exit_2(tmp_path: Path) -> None:
    result = _gradstep("hunt", "nothing.gs", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (2, "nothing.gs: error: no such file\n")
    (tmp_path / "bad.gs").write_text("a = Value(2.0, label='a')\nb = a +\n")
    result = _gradstep("hunt", "bad.gs", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("bad.gs:2:8: error: syntax error")
    result = _gradstep("hunt", "--seed", "x", cwd=tmp_path)
    assert result.returncode == 2 and "invalid int value" in result.stderr


def test_hunt_help_names_the_seed_and_the_kinds() -> None:
    result = _gradstep("hunt", "--help")
    assert result.returncode == 0
    words = " ".join(result.stdout.split())  # argparse wraps to the terminal's width
    assert "--seed N" in words and "(overwrite, local, missing, order, seed)" in words
    assert "gradstep hunt [FILE] [--seed N]" in _gradstep("--help").stdout


def _opened(monkeypatch, argv: list[str]):  # type: ignore[no-untyped-def]
    """Run ``gradstep hunt ARGV`` in-process and return the hunt it would open."""
    import gradstep.tui.hunt.app as hunt_app
    from gradstep.tui.cli import main

    opened = []
    monkeypatch.setattr(hunt_app, "run_hunt_app", lambda hunt: opened.append(hunt) or 0)
    assert main(["hunt", *argv]) == 0
    (hunt,) = opened
    return hunt


def test_the_same_seed_opens_the_same_bug_and_no_seed_shows_the_one_used(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)
    first = _opened(monkeypatch, ["examples/hunt.gs", "--seed", "2"])
    again = _opened(monkeypatch, ["examples/hunt.gs", "--seed", "2"])
    assert first.seed == again.seed == 2
    assert first.planted.plant == again.planted.plant
    assert first.planted.plant.name == "overwrite in +"
    unseeded = _opened(monkeypatch, ["examples/hunt.gs"])
    replayed = _opened(monkeypatch, ["examples/hunt.gs", "--seed", str(unseeded.seed)])
    assert replayed.planted.plant == unseeded.planted.plant


def test_without_a_file_it_hunts_in_the_bundled_example(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    hunt = _opened(monkeypatch, ["--seed", "5"])
    assert hunt.path == "examples/hunt.gs" and hunt.planted.verdict.source == "examples/hunt.gs"
    assert hunt.survey.hidden == ()
