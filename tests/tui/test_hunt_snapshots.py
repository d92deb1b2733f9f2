"""A snapshot of the hunt's result: right, the planted run beside the correct one, the verdict.

Update after a deliberate change of look with ``pytest tests/tui/test_hunt_snapshots.py
--snapshot-update``, and look at the new SVG before committing it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from gradstep.core.hunt import start
from gradstep.tui.hunt.app import HuntApp

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_the_result_screen(
    snap_compare: Callable[..., bool], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(EXAMPLES / "hunt.gs", tmp_path / "hunt.gs")
    monkeypatch.chdir(tmp_path)  # a relative path, so the snapshot does not depend on where tests run
    # seed 2 plants `overwrite in +`: step 7 marked, overwrite (the first kind in the list) picked
    app = HuntApp(start("hunt.gs", 2))
    assert snap_compare(app, press=["n"] * 7 + ["m", "enter"], terminal_size=(120, 36))
