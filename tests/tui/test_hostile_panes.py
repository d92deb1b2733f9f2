"""Hostile labels, paths and messages through every pane, every size, and a crash, with the Pilot.

What reaches the terminal is read from the screen's compositor (the strips Textual writes): no
character in them may be a control, a format character or a line separator. The sizes go through
a grid from 1x1 up, in both directions, with each pane on show.
"""

from __future__ import annotations

import asyncio
import functools
import unicodedata
from pathlib import Path

import pytest
from gradstep.core.engine import Value
from gradstep.core.trace import Trace, trace
from gradstep.tui.app import GradstepApp
from gradstep.tui.check_mode import CheckApp
from gradstep.tui.crash import DebuggerFailed, run_or_raise
from gradstep.tui.screens.export import ExportScreen
from gradstep.tui.screens.jump import JumpScreen
from gradstep.tui.widgets.error_panel import ErrorPanel
from hypothesis import given, settings
from hypothesis import strategies as st
from textual.app import App, ComposeResult
from textual.widgets import Input, Static

C0 = [chr(c) for c in (*range(0x00, 0x20), 0x7F)]
C1 = [chr(c) for c in range(0x80, 0xA0)]
BIDI = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
SEQUENCES = [
    "\x1b[2J\x1b[H",
    "\x1b[32mOK\x1b[0m",
    "\x1b]2;PWNED\x1b\\",
    "\x1b]52;c;cm0gLXJmIH4=\x07",
    "\x1bP1$r0m\x1b\\",
    "\x9b2J",
    "\x9d2;PWNED\x9c",
]
HOSTILE = C0 + C1 + BIDI + ZERO_WIDTH + SEQUENCES + ["\u2028", "\u2029", "\ue000", "x[i]", "[/]", "[bold]"]
UNSAFE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def screen_lines(app: App[object]) -> list[str]:
    """The text of every row of every screen on the stack, as the compositor hands it out."""
    lines: list[str] = []
    for screen in app.screen_stack:
        lines += [strip.text for strip in screen._compositor.render_strips()]
    return lines


def assert_inert(app: App[object]) -> str:
    """No row on screen holds a character a terminal would act on; the screen as one text."""
    lines = screen_lines(app)
    bad = [(y, c) for y, line in enumerate(lines) for c in line if unicodedata.category(c) in UNSAFE]
    assert bad == [], bad[:5]
    return "\n".join(lines)


def hostile_graph() -> Trace:
    """A sum of one leaf per hostile text, each labelled with it; a chain on top for depth."""
    total: Value | None = None
    for k, text in enumerate(HOSTILE):
        leaf = Value(float(k + 1), label=f"L{k}{text}")
        total = leaf if total is None else total + leaf
        if k % 10 == 9:
            total = total * 1.0
            total.label = f"S{k}{text}"
    assert total is not None
    out = total.tanh()
    out.label = "out\x1b]2;PWNED\x07"
    return trace(out)


async def test_every_pane_shows_hostile_labels_inert(tmp_path: Path) -> None:
    app = GradstepApp(graph=hostile_graph(), title="t\x1b]2;PWNED\x07\u202e")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = assert_inert(app)
        assert "out\\x1b]2;PWNED\\x07" in screen  # shown, visibly, in the tree and the inspector
        for key in ("c", "C", "n", "n", "n", "c"):
            await pilot.press(key)
            assert_inert(app)
        graph = app.trace
        assert graph is not None
        for node in range(0, graph.size, 7):  # the inspector, tree and breadcrumb on each
            app._select(node)
            await pilot.pause()
            assert_inert(app)
        await pilot.press("b")  # a notification naming the node
        await pilot.pause()
        assert "Breakpoint set on" in assert_inert(app)
        await pilot.press("u")  # the nudge
        await pilot.pause()
        assert_inert(app)
        await pilot.press("g")  # the modules view
        await pilot.pause()
        assert_inert(app)
        await pilot.press("g", "p")  # predict mode: the quiz bar names an operand
        await pilot.pause()
        assert_inert(app)
        await pilot.press("p", "slash")  # the jump dialog lists the labels
        await pilot.pause()
        assert isinstance(app.screen, JumpScreen)
        assert "\\x9" in assert_inert(app)  # C1 labels listed, shown visibly
        app.screen.query_one(Input).value = "\x1b"
        await pilot.pause()
        assert_inert(app)
        await pilot.press("escape", "x")  # the export dialog names the source
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        assert "t\\x1b]2;PWNED\\x07\\u202e" in assert_inert(app)
        await pilot.press("escape", "question_mark")
        await pilot.pause()
        assert_inert(app)


@pytest.mark.parametrize("label", ["x[i]", "[/]", "[bold red]x", "a\\", "[link=file:///etc]x[/link]"])
async def test_a_breakpoint_on_a_label_with_brackets_says_it_exactly(label: str) -> None:
    a = Value(2.0, label=label)
    out = a * a
    out.label = "out"
    app = GradstepApp(graph=trace(out), title="debug()")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        app._select(0)
        await pilot.press("b")
        await pilot.pause()
        assert app.breakpoints == {0}
        (notification,) = app._notifications
        assert notification.message == f"Breakpoint set on {label}"
        assert not notification.markup
        assert f"Breakpoint set on {label}" in assert_inert(app)
        await pilot.press("b")
        assert app.breakpoints == set()


@pytest.mark.parametrize("hostile", [*SEQUENCES, "\u202e", "\x85"], ids=ascii)
async def test_the_error_panel_and_status_show_a_hostile_file_inert(tmp_path: Path, hostile: str) -> None:
    path = tmp_path / f"f{hostile}.gs"
    path.write_text(f"a = Value(2.0, label='a')  # {hostile}\nb = a * nope  # {hostile}\n", encoding="utf-8")
    app = GradstepApp(str(path))
    async with app.run_test(size=(200, 30)) as pilot:  # wide: the error's first line on one row
        await pilot.pause()
        panel = app.query_one(ErrorPanel)
        assert "nope" in panel.message
        screen = assert_inert(app)
        assert "is not defined" in screen
        await pilot.press("o")  # the open dialog starts in the file's folder
        await pilot.pause()
        assert_inert(app)


@pytest.mark.parametrize("label", [5, 2.5, None, ("t", 1), b"\x1b]2;T\x07"])
async def test_a_label_that_is_not_a_string_is_shown_as_text(label: object) -> None:
    a = Value(2.0, label=label)  # type: ignore[arg-type]
    app = GradstepApp(graph=trace(a * a), title="debug()")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("c")
        app._select(0)
        await pilot.pause()
        screen = assert_inert(app)
        if label is not None:
            assert str(label).replace("\x1b", "\\x1b").replace("\x07", "\\x07")[:6] in screen


async def test_check_mode_shows_hostile_labels_inert() -> None:
    import micrograd.engine as mg
    from gradstep.core.checker import check

    leaves = [mg.Value(float(k + 1)) for k in range(len(SEQUENCES))]
    for leaf, text in zip(leaves, SEQUENCES, strict=True):
        leaf.label = f"v{text}"
    total = leaves[0]
    for leaf in leaves[1:]:
        total = total * leaf + leaf
    total.label = "out\u202e\x1b]2;PWNED\x07"
    app = CheckApp(check(total))
    async with app.run_test(size=(120, 40)) as pilot:
        for key in ("n", "n", "c", "N"):
            await pilot.press(key)
            assert_inert(app)


# --- sizes ---------------------------------------------------------------------------------------

WIDTHS = [1, 2, 3, 4, 5, 6, 12, 40, 200]
HEIGHTS = [1, 2, 3, 4, 5, 6, 12, 40]
ALSO = [(4, 40), (1, 40), (200, 3), (5, 40), (1, 1), (200, 40), (3, 2), (120, 40), (80, 24)]
"""After the grid (each width through every height): the sizes that crashed, and big jumps."""


@pytest.mark.parametrize("state", ["tree", "groups", "predict", "error", "jump", "help"])
async def test_every_pane_survives_every_size_from_1x1_up(state: str, tmp_path: Path) -> None:
    if state == "error":
        path = tmp_path / "f.gs"
        path.write_text("a = Value(2.0)\nb = a * nope  # \x1b]2;T\x07\n")
        app = GradstepApp(str(path))
    else:
        app = GradstepApp(graph=hostile_graph(), title="debug()")
    async with app.run_test(size=(80, 24)) as pilot:
        keys = {"tree": "c", "groups": "cg", "predict": "p", "error": "", "jump": "/", "help": "?"}[state]
        for key in keys:
            await pilot.press({"/": "slash", "?": "question_mark"}.get(key, key))
        for w, h in [*((w, h) for w in WIDTHS for h in HEIGHTS), *ALSO]:
            await pilot.resize_terminal(w, h)  # (it waits for the screen to settle)
            assert app.size == (w, h)
            assert_inert(app)
        if state == "tree":
            await pilot.press("n", "b", "N")  # still answers keys after all that
            assert app.breakpoints


# --- a crash: non-zero, one line, no traceback ---------------------------------------------------


class _Failing(App[int]):
    def compose(self) -> ComposeResult:
        yield Static("x")

    def on_mount(self) -> None:
        raise ValueError("boom \x1b]2;PWNED\x07")


def test_an_app_that_fails_raises_debugger_failed_with_a_short_escaped_message() -> None:
    with pytest.raises(DebuggerFailed) as caught:
        run_or_raise(_Failing(), headless=True)
    message = str(caught.value)
    assert message.startswith("gradstep: error: the debugger stopped unexpectedly: ValueError: boom \\x1b]2;")
    assert "\n" not in message and "\x1b" not in message
    assert isinstance(caught.value.__cause__, ValueError)
    saved = caught.value.traceback_path
    assert saved is not None and f"traceback in {saved}" in message
    text = Path(saved).read_text()
    assert "ValueError" in text and "on_mount" in text
    Path(saved).unlink()


def test_debug_raises_when_the_debugger_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    from gradstep.tui import debug

    def fail(self: GradstepApp) -> None:
        raise RuntimeError("inspector broke")

    monkeypatch.setattr(GradstepApp, "on_mount", fail)
    monkeypatch.setattr(GradstepApp, "run", functools.partialmethod(App.run, headless=True))
    a = Value(2.0, label="a")
    with pytest.raises(DebuggerFailed, match="RuntimeError: inspector broke") as caught:
        debug(a * a)
    if caught.value.traceback_path:
        Path(caught.value.traceback_path).unlink()


def test_an_app_that_quits_normally_returns_its_status() -> None:
    class Quits(App[int]):
        def on_mount(self) -> None:
            self.exit(0)

    assert run_or_raise(Quits(), headless=True) == 0


@given(st.lists(st.text(min_size=1, max_size=8), min_size=2, max_size=6))
@settings(max_examples=25, deadline=None)
def test_any_labels_reach_the_panes_inert(labels: list[str]) -> None:
    """Generated labels (any code points) through the tree, inspector, breadcrumb, timeline and
    status line, on one app that is given a new graph per example."""
    leaves = [Value(float(k + 1), label=label) for k, label in enumerate(labels)]
    total = leaves[0]
    for leaf in leaves[1:]:
        total = total * leaf + leaf
    total.label = labels[-1]

    async def run() -> None:
        app = GradstepApp(graph=trace(total), title=labels[0])
        async with app.run_test(size=(90, 30)) as pilot:
            for key in ("n", "c", "N"):
                await pilot.press(key)
                assert_inert(app)
            app._select(0)
            await pilot.pause()
            assert_inert(app)

    asyncio.run(run())
