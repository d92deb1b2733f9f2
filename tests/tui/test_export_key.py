"""The app's ``x`` key: a dialog asks for the format and the path; only then is a file written.

What it writes is the same text ``gradstep export --to FMT --step K`` prints (tests/cli/test_export.py
checks those against the hand-derived numbers), so here the file is compared with that function's
output, and the seed's numbers at the step are checked once more by a DOT parser.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pydot
import pytest
from gradstep.core.dot import to_dot
from gradstep.tui.app import GradstepApp
from gradstep.tui.exports import render
from gradstep.tui.screens.export import ExportScreen
from textual.widgets import Input, Label, RadioSet

SIZE = (120, 40)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A current directory of its own: the dialog suggests a name there."""
    folder = tmp_path / "out"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


async def test_x_asks_then_writes_the_current_steps_dot_and_says_where(
    seed_file: Path, workdir: Path
) -> None:
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"nnnnnnn")  # step 7: d's step has sent -2 to e and c
        await pilot.press("x")
        assert isinstance(app.screen, ExportScreen)
        assert app.screen.query_one("#path", Input).value == "seed.step7.dot"
        assert list(workdir.iterdir()) == []  # nothing written before the person says so
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ExportScreen)
        written = workdir / "seed.step7.dot"
        assert written.read_text() == to_dot(app.trace, 7, str(seed_file))  # type: ignore[arg-type]
        assert app.trace is not None and app.trace.position == 7  # the export left the cursor alone
        messages = [n.message for n in app._notifications]
        assert any(str(written) in m and "step 7" in m for m in messages), messages
    (graph,) = pydot.graph_from_dot_data(written.read_text())  # type: ignore[misc]
    labels = {n.get("label") for n in graph.get_nodes() if n.get("shape") == "record"}
    assert '"{ e | data -6.0000 | grad -2.0000 }"' in labels
    assert '"{ a | data 2.0000 | grad — }"' in labels


async def test_picking_a_format_changes_the_suggested_extension(seed_file: Path, workdir: Path) -> None:
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", "n", "n", "n", "x")
        await pilot.press("shift+tab")  # from the path to the formats
        assert isinstance(app.focused, RadioSet)
        await pilot.press("right", "right", "right", "enter")  # dot, svg, md, json
        path = app.screen.query_one("#path", Input)
        assert path.value == "seed.step4.json" and app.focused is path
        await pilot.press("enter")
        await pilot.pause()
    document = json.loads((workdir / "seed.step4.json").read_text())
    assert document["step"] == 4
    assert [(s["value"], s["grad"]) for s in document["state"]][-1] == (-8.0, 1.0)  # L, seeded


async def test_an_existing_file_is_refused_in_the_dialog_and_kept(seed_file: Path, workdir: Path) -> None:
    mine = workdir / "seed.step0.dot"
    mine.write_text("mine")
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)  # still asking
        assert "exists" in str(app.screen.query_one("#problem", Label).render())
        path = app.screen.query_one("#path", Input)
        path.value = "other.md"
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ExportScreen)
    assert mine.read_text() == "mine"
    assert (workdir / "other.md").read_text() == render(app.trace, "md", str(seed_file), 0)  # type: ignore[arg-type]


async def test_escape_writes_nothing(seed_file: Path, workdir: Path) -> None:
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", "x", "escape")
        await pilot.pause()
        assert not isinstance(app.screen, ExportScreen)
    assert list(workdir.iterdir()) == []


async def test_the_input_file_is_refused(seed_file: Path, workdir: Path) -> None:
    before = seed_file.read_bytes()
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        app.screen.query_one("#path", Input).value = str(seed_file)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
    assert seed_file.read_bytes() == before


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
async def test_svg_is_drawn_in_a_thread_and_written(seed_file: Path, workdir: Path) -> None:
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c", "x", "shift+tab", "right", "enter", "enter")  # svg
        await app.workers.wait_for_complete()
        await pilot.pause()
    svg = (workdir / "seed.step11.svg").read_text()
    assert "</svg>" in svg and "grad 6.0000" in svg
    assert os.listdir(workdir) == ["seed.step11.svg"]


async def test_a_debug_graph_suggests_a_neutral_name(workdir: Path) -> None:
    from gradstep.core import Value, trace

    app = GradstepApp(graph=trace(Value(2.0, label="a") * Value(3.0, label="b")), title="debug()")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", "x")
        assert app.screen.query_one("#path", Input).value == "graph.step1.dot"
        await pilot.press("enter")
        await pilot.pause()
    assert '"{ a | data 2.0000 | grad — }"' in (workdir / "graph.step1.dot").read_text()
