"""Snapshots of predict mode: the answer bar after a wrong answer, and the summary at the end.

Update after a deliberate change of look with ``pytest tests/tui/test_quiz_snapshots.py
--snapshot-update``, and look at the new SVGs before committing them.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from gradstep.tui.app import GradstepApp

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def keys(*answers: str) -> tuple[str, ...]:
    names = {" ": "space", "*": "asterisk"}
    pressed: list[str] = []
    for answer in answers:
        pressed += [names.get(char, char) for char in answer] + ["enter"]
    return tuple(pressed)


STATES: dict[str, tuple[str, tuple[str, ...], tuple[int, int]]] = {
    # d right, then f wrong: the bar shows the ✗ with the right value's arithmetic, asks for e.
    "prompt": ("seed.gs", keys("-2", "-4"), (80, 24)),
    # The neuron with its tanh question wrong and one skip: the summary names the ops missed.
    "summary": (
        "neuron.gs",
        (*keys("0.7", "0.5", "0.5", "0.5", "0.5"), "ctrl+s", *keys("0", "-1.5", "1")),
        (80, 24),
    ),
}


@pytest.mark.parametrize("state", list(STATES))
def test_quiz_states(
    snap_compare: Callable[..., bool], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, state: str
) -> None:
    for example in ("seed.gs", "neuron.gs"):
        shutil.copy(EXAMPLES / example, tmp_path / example)
    monkeypatch.chdir(tmp_path)
    path, pressed, size = STATES[state]
    assert snap_compare(GradstepApp(path, predict=True), press=pressed, terminal_size=size)
