"""Snapshots of the main states, in the dark and the light theme (pytest-textual-snapshot).

Update after a deliberate change of look with ``pytest tests/tui/test_app_snapshots.py
--snapshot-update``, and look at the new SVGs before committing them.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from gradstep.tui.app import GradstepApp
from textual.pilot import Pilot

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

STATES: dict[str, tuple[str, tuple[str, ...], tuple[int, int]]] = {
    # name: (file, keys, terminal size)
    "start": ("seed.gs", (), (80, 24)),
    # m's backward step has just sent b its first contribution; the cursor moves up to b's ledger.
    "shared_ledger": ("shared.gs", ("n",) * 6 + ("up",), (120, 32)),
    "end": ("neuron.gs", ("c",), (160, 50)),
    "error": ("broken.gs", (), (80, 24)),
}


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
@pytest.mark.parametrize("state", list(STATES))
def test_main_states(
    snap_compare: Callable[..., bool],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    state: str,
    theme: str,
) -> None:
    for example in ("seed.gs", "shared.gs", "neuron.gs"):
        shutil.copy(EXAMPLES / example, tmp_path / example)
    (tmp_path / "broken.gs").write_text("a = Value(2.0, label='a')\nb = a ** a\nb\n")
    monkeypatch.chdir(tmp_path)  # relative paths, so the snapshots do not depend on where tests run
    path, keys, size = STATES[state]

    async def set_theme(pilot: Pilot[int]) -> None:
        pilot.app.theme = theme
        await pilot.pause()

    assert snap_compare(GradstepApp(path), press=keys, terminal_size=size, run_before=set_theme)
