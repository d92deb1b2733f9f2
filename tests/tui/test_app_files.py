"""Files in the app: errors on open, on `o` and on reload keep the last good graph; reload keeps the step."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from gradstep.core.engine import Value
from gradstep.core.trace import trace
from gradstep.tui.app import GradstepApp
from gradstep.tui.widgets.error_panel import ErrorPanel
from gradstep.tui.widgets.status import StatusBar
from textual.widgets import Input

SIZE = (120, 40)
Rewrite = Callable[[Path, str], Path]

BROKEN = "a = Value(2.0, label='a')\nb = a ** a\nb\n"
"""Line 2 raises `a ** a` (the exponent must be a number): the error names line 2."""


def error_text(app: GradstepApp) -> str:
    panel = app.query_one(ErrorPanel)
    return panel.message if panel.has_class("-visible") else ""


async def test_error_on_open_is_shown_in_the_app_and_fixing_the_file_loads_it(
    tmp_path: Path, rewrite: Rewrite
) -> None:
    path = rewrite(tmp_path / "broken.gs", BROKEN)
    app = GradstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        shown = error_text(app)
        assert shown.startswith(f"{path}:2:")
        assert "a ** a" in shown and "^" in shown
        assert app.trace is None
        assert "no graph yet" in app.query_one(StatusBar).plain
        await pilot.press("n", "c", "N", "C", "r", "b", "slash")  # nothing to drive: nothing breaks
        assert app.trace is None
        rewrite(path, "a = Value(2.0, label='a')\nb = a * a\nb\n")
        app.check_file()
        await pilot.pause()
        assert error_text(app) == ""
        assert app.trace is not None and app.trace.size == 2
        assert app.path == str(path)


async def test_error_on_reload_keeps_the_last_good_graph_and_its_step(
    seed_file: Path, rewrite: Rewrite
) -> None:
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"nnnnn")
        good = app.trace
        assert good is not None and good.position == 5
        lines = app.graph_tree.line_texts()
        rewrite(seed_file, "a = Value(2.0, label='a')\nb = a +\n")
        app.check_file()
        await pilot.pause()
        assert error_text(app).startswith(f"{seed_file}:2:")
        assert app.trace is good and good.position == 5
        assert app.graph_tree.line_texts() == lines
        assert "showing the last good graph" in app.query_one(StatusBar).plain
        # Stepping still works on the last good graph.
        await pilot.press("n")
        assert good.position == 6


async def test_reload_keeps_the_step_and_shows_the_new_numbers(seed_file: Path, rewrite: Rewrite) -> None:
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"nnnnn")
        # Breakpoint on c (rows: L, d, e, a, b, c, f).
        app.graph_tree.cursor_line = 5
        await pilot.press("b")
        assert app.breakpoints == {2}
        rewrite(seed_file, seed_file.read_text().replace("Value(10.0", "Value(11.0"))
        app.check_file()
        await pilot.pause()
        assert app.trace is not None and app.trace.position == 5
        # c = 11: d = -6 + 11 = 5, L = 5 * -2 = -10; after L's step f.grad = d = 5.
        lines = app.graph_tree.line_texts()
        assert any(line.endswith("d (+)  = 5  grad -2 (-2)") for line in lines), lines
        assert any(line.endswith("f  = -2  grad 5 (+5)") for line in lines), lines
        assert app.breakpoints == {2}
        assert any("● c" in line for line in lines)
        assert "step 5 of 11" in app.query_one(StatusBar).plain


async def test_reload_to_a_shorter_graph_clamps_the_step(seed_file: Path, rewrite: Rewrite) -> None:
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        assert app.trace is not None and app.trace.position == 11
        rewrite(seed_file, "a = Value(3.0, label='a')\nb = a + a\nb\n")
        app.check_file()
        await pilot.pause()
        # 1 forward event, the seed, 2 backward steps: 4 events; the old step 11 no longer exists.
        assert len(app.trace) == 4 and app.trace.position == 4


async def test_unchanged_file_is_not_reloaded(seed_file: Path) -> None:
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        before = app.trace
        app.check_file()
        await pilot.pause()
        assert app.trace is before


async def test_a_deleted_file_keeps_the_graph(seed_file: Path) -> None:
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        before = app.trace
        seed_file.unlink()
        app.check_file()
        await pilot.pause()
        assert app.trace is before


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("missing.gs", "no such file"), ("broken.gs", ":2:")],
)
async def test_error_on_open_dialog_keeps_the_current_graph(
    tmp_path: Path, rewrite: Rewrite, seed_file: Path, typed: str, expected: str
) -> None:
    rewrite(tmp_path / "broken.gs", BROKEN)
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", "n")
        good = app.trace
        await pilot.press("o")
        app.screen.query_one(Input).value = str(tmp_path / typed)
        await pilot.press("enter")
        await pilot.pause()
        assert expected in error_text(app)
        assert app.trace is good and good is not None and good.position == 2
        await pilot.press("n")
        assert good.position == 3


async def test_fixing_a_file_opened_with_an_error_loads_it(
    tmp_path: Path, rewrite: Rewrite, seed_file: Path
) -> None:
    broken = rewrite(tmp_path / "broken.gs", BROKEN)
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        assert app.open_path(str(broken)) is False
        assert app.trace is not None and app.trace.size == 7
        rewrite(broken, "a = Value(2.0, label='a')\nb = a * 3\nb\n")
        app.check_file()
        await pilot.pause()
        assert error_text(app) == ""
        assert app.trace.size == 3


async def test_open_dialog_escape_changes_nothing(seed_file: Path) -> None:
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        before = app.trace
        await pilot.press("o", "escape")
        assert app.trace is before and app.path == str(seed_file)


async def test_the_app_never_writes_to_the_file(seed_file: Path) -> None:
    text = seed_file.read_bytes()
    stamp = seed_file.stat().st_mtime_ns
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"nnnnc", "b", "C", "r")
    assert seed_file.read_bytes() == text
    assert seed_file.stat().st_mtime_ns == stamp


def test_debug_traces_without_touching_the_callers_values(monkeypatch: pytest.MonkeyPatch) -> None:
    from gradstep import tui

    shown: list[tuple[object, str]] = []
    monkeypatch.setattr(tui.app, "run_on_trace", lambda graph, title: shown.append((graph, title)) or 0)
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    tui.debug(y, title="mine")
    ((graph, title),) = shown
    assert title == "mine"
    assert x.grad == 0.0 and y.grad == 0.0
    assert graph.grad[0] == 6.0  # d(x*x)/dx = 2x


def test_debug_refuses_what_it_cannot_read() -> None:
    from gradstep import tui
    from gradstep.core.adapter import UnsupportedGraph

    with pytest.raises(UnsupportedGraph, match="cannot debug a str"):
        tui.debug("not a graph")


async def test_debug_app_shows_an_in_memory_graph_without_a_file() -> None:
    x = Value(3.0, label="x")
    y = (x * x).tanh()
    app = GradstepApp(graph=trace(y), title="debug()")
    async with app.run_test(size=SIZE) as pilot:
        assert "debug()" in app.query_one(StatusBar).plain
        await pilot.press("c")
        assert app.trace is not None and app.trace.position == len(app.trace)
        app.check_file()  # no file: nothing to poll


@pytest.mark.parametrize("width", [80, 120])
async def test_a_long_path_does_not_push_the_step_off_the_status_line(tmp_path: Path, width: int) -> None:
    folder = tmp_path / ("a-very-long-folder-name-" * 6)
    folder.mkdir()
    path = folder / "seed.gs"
    path.write_text("a = Value(2.0)\nb = a * a\n")
    app = GradstepApp(str(path))
    async with app.run_test(size=(width, 24)) as pilot:
        await pilot.press("n")
        status = app.query_one(StatusBar)
        top = "".join(segment.text for segment in status.render_line(0)).strip()
        assert len(str(path)) > width  # the whole path cannot fit
        assert top.endswith("step 1 of 4"), top  # b, the seed, b and a
        assert "…" in top and "seed.gs" in top  # cut from the left: the file's name stays
        assert str(path) in status.plain  # the plain status keeps it whole
