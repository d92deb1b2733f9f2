"""The app's keys and actions on the seed's expression, checked against hand-derived numbers.

The seed: a=2, b=-3, c=10, e=a*b=-6, d=e+c=4, f=-2, L=d*f=-8. Backward: L.grad=1, d.grad=f=-2,
f.grad=d=4, e.grad=c.grad=d.grad=-2, a.grad=b*e.grad=6, b.grad=a*e.grad=-4.
Nodes in creation order: a0 b1 c2 e3 d4 f5 L6. Timeline (11 events): 0 e, 1 d, 2 L computed;
3 seed; backward steps 4 L, 5 f, 6 d, 7 e, 8 c, 9 b, 10 a.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gradstep.core.examples import SEED_NAME
from gradstep.tui.app import GradstepApp
from gradstep.tui.screens.help import HelpScreen
from gradstep.tui.screens.jump import JumpScreen
from gradstep.tui.screens.open_file import OpenFileScreen
from gradstep.tui.widgets.breadcrumb import Breadcrumb
from gradstep.tui.widgets.error_panel import ErrorPanel
from gradstep.tui.widgets.inspector import Inspector
from gradstep.tui.widgets.status import StatusBar
from gradstep.tui.widgets.timeline import Timeline
from textual.geometry import Region
from textual.widgets import Input

SIZE = (120, 40)


def tree_lines(app: GradstepApp) -> list[str]:
    return app.graph_tree.line_texts()


def line_of(app: GradstepApp, start: str) -> str:
    """The one tree line whose text (after the guides and toggle) starts with ``start``."""
    found = [line for line in tree_lines(app) if line.lstrip("│├└─▾▸↪ ").startswith(start)]
    assert len(found) == 1, (start, tree_lines(app))
    return found[0]


def status_text(app: GradstepApp) -> str:
    return app.query_one(StatusBar).plain


async def test_builtin_example_opens_with_nothing_computed() -> None:
    app = GradstepApp(None)
    async with app.run_test(size=SIZE):
        assert app.trace is not None
        assert len(app.trace) == 11
        assert SEED_NAME in status_text(app)
        assert "step 0 of 11" in status_text(app)
        # Not computed yet is shown as such, never as 0; leaves have their values from the start.
        assert "= ·  grad —" in line_of(app, "L (*)")
        assert "= ·  grad —" in line_of(app, "d (+)")
        assert line_of(app, "a ").endswith("a  = 2  grad —")
        assert len(tree_lines(app)) == 7


async def test_n_steps_forward_then_backward_with_contributions(seed_file: Path) -> None:
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        assert app.trace is not None and app.trace.position == 1
        assert "forward" in status_text(app) and "step 1 of 11" in status_text(app)
        assert "e = a * b = -6" in status_text(app)
        assert "= -6  grad —" in line_of(app, "e (*)")
        assert "= ·" in line_of(app, "d (+)")
        await pilot.press("n", "n", "n")
        assert app.trace.position == 4
        assert "L: seed, L.grad = 1" in status_text(app)
        assert "= -8  grad 1 (+1)" in line_of(app, "L (*)")
        assert "grad —" in line_of(app, "d (+)")
        await pilot.press("n")
        assert "backward" in status_text(app) and "step 5 of 11" in status_text(app)
        assert "L: backward through *, 2 contributions" in status_text(app)
        assert line_of(app, "d (+)").endswith("= 4  grad -2 (-2)")
        assert line_of(app, "f ").endswith("= -2  grad 4 (+4)")
        assert app.graph_tree.highlighted_node == 6  # the tree follows the step: L's backward step
        await pilot.press("n", "n", "n")
        assert app.trace.position == 8
        assert line_of(app, "a ").endswith("= 2  grad 6 (+6)")
        assert line_of(app, "b ").endswith("= -3  grad -4 (-4)")
        assert app.graph_tree.highlighted_node == 3


async def test_shift_n_steps_back_and_r_restarts(seed_file: Path) -> None:
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"nnnnnn")
        assert app.trace is not None and app.trace.position == 6
        await pilot.press("N")
        assert app.trace.position == 5
        assert "grad —" in line_of(app, "e (*)")
        await pilot.press("N", "N")
        assert app.trace.position == 3
        assert "grad —" in line_of(app, "L (*)")
        await pilot.press("r")
        assert app.trace.position == 0
        assert "step 0 of 11" in status_text(app)
        assert "= ·" in line_of(app, "e (*)")
        await pilot.press("N")
        assert app.trace.position == 0


async def test_c_runs_to_the_end_and_shift_c_to_the_start_without_breakpoints(seed_file: Path) -> None:
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        assert app.trace is not None and app.trace.position == 11
        assert "done" in status_text(app)
        expected = {"L (*)": "1", "d (+)": "-2", "f ": "4", "e (*)": "-2", "c ": "-2", "a ": "6", "b ": "-4"}
        for start, grad in expected.items():
            assert line_of(app, start).split("grad ")[1].split(" ")[0] == grad
        await pilot.press("C")
        assert app.trace.position == 0


async def test_breakpoint_on_e_stops_at_every_step_touching_it(seed_file: Path) -> None:
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        # Tree rows: L, d, e, a, b, c, f; move the cursor to e and set the breakpoint.
        await pilot.press("down", "down")
        assert app.graph_tree.highlighted_node == 3
        await pilot.press("b")
        assert app.breakpoints == {3}
        assert "● e (*)" in line_of(app, "● e")
        assert app.query_one(Timeline).breakpoints == frozenset({3})
        assert "1 breakpoint" in status_text(app)
        # e is touched by event 0 (computed), 1 (d = e + c reads it), 6 (d's step sends it a
        # grad) and 7 (its own step).
        positions = []
        for _ in range(5):
            await pilot.press("c")
            assert app.trace is not None
            positions.append(app.trace.position)
        assert positions == [1, 2, 7, 8, 11]
        positions = []
        for _ in range(5):
            await pilot.press("C")
            positions.append(app.trace.position)
        assert positions == [8, 7, 2, 1, 0]
        # b again on e clears it.
        await pilot.press("r")
        app.graph_tree.reveal(3)
        await pilot.press("b")
        assert app.breakpoints == set()
        assert "●" not in "".join(tree_lines(app))


async def test_shared_node_is_drawn_once_and_the_back_reference_jumps_to_it() -> None:
    app = GradstepApp("examples/shared.gs")
    async with app.run_test(size=SIZE) as pilot:
        lines = tree_lines(app)
        # L = e * m; e = a * b; m = b + c: b's home is under e (reached first), m shows a reference.
        assert [line.lstrip("│├└─▾▸ ") for line in lines] == [
            "L (*)  = ·  grad —",
            "e (*)  = ·  grad —",
            "a  = 2  grad —",
            "b  = -3  grad —",
            "m (+)  = ·  grad —",
            "↪ b  used 2×  = -3  grad —",
            "c  = 10  grad —",
        ]
        await pilot.press("down", "down", "down", "down", "down")
        assert app.graph_tree.cursor_line == 5
        await pilot.press("enter")
        assert app.graph_tree.cursor_line == 3
        assert app.graph_tree.highlighted_node == 1
        # At the end b holds both contributions: m*a + e*1 = 7*2 + (-6) = 8.
        await pilot.press("c")
        assert line_of(app, "b  = -3").endswith("grad 8")


async def test_labels_are_shown_literally_not_as_markup(tmp_path: Path) -> None:
    path = tmp_path / "markup.gs"
    path.write_text("x = Value(1.0, label='[bold]x')\ny = x * 2\ny\n")
    app = GradstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert any("[bold]x" in line for line in tree_lines(app))
        rendered = [app.graph_tree.render_line(y).text for y in range(len(tree_lines(app)))]
        assert any("[bold]x" in line for line in rendered)


async def test_help_screen_opens_and_closes() -> None:
    app = GradstepApp(None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("n")
        assert app.trace is not None and app.trace.position == 1


async def test_jump_to_a_node_by_label() -> None:
    app = GradstepApp(None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        assert isinstance(app.screen, JumpScreen)
        await pilot.press("c", "enter")
        assert not isinstance(app.screen, JumpScreen)
        assert app.graph_tree.highlighted_node == 2
        # Escape leaves the selection alone.
        await pilot.press("slash", "f", "escape")
        assert app.graph_tree.highlighted_node == 2


async def test_q_quits_with_status_zero() -> None:
    app = GradstepApp(None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
    assert app.return_value == 0


async def test_s_saves_an_svg_screenshot(tmp_path: Path) -> None:
    app = GradstepApp(None)
    async with app.run_test(size=SIZE) as pilot:
        app.screenshot_dir = str(tmp_path)
        await pilot.press("s")
        await pilot.pause()
    shots = list(tmp_path.glob("*.svg"))
    assert len(shots) == 1
    assert "<svg" in shots[0].read_text()[:500]


async def test_every_key_is_in_the_command_palette() -> None:
    app = GradstepApp(None)
    async with app.run_test(size=SIZE):
        commands = {command.title: command for command in app.get_system_commands(app.screen)}
        for key in ("(n)", "(N)", "(c)", "(C)", "(r)", "(b)", "(/)", "(o)", "(s)", "(?)"):
            assert any(title.endswith(key) for title in commands), key
        commands["Next step (n)"].callback()
        commands["Next step (n)"].callback()
        assert app.trace is not None and app.trace.position == 2
        commands["Previous step (N)"].callback()
        assert app.trace.position == 1
        commands["Continue (c)"].callback()
        assert app.trace.position == 11
        commands["Restart (r)"].callback()
        assert app.trace.position == 0


async def test_command_palette_runs_an_action() -> None:
    app = GradstepApp(None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"Next step")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.trace is not None and app.trace.position == 1


async def test_timeline_selection_moves_the_cursor() -> None:
    app = GradstepApp(None)
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(Timeline).post_message(Timeline.Selected(7))
        await pilot.pause()
        assert app.trace is not None and app.trace.position == 7
        assert "d: backward through +, 2 contributions" in status_text(app)
        assert app.graph_tree.highlighted_node == 4


async def test_inspector_link_selects_the_node_in_the_tree() -> None:
    app = GradstepApp(None)
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(Inspector).post_message(Inspector.NodeClicked(5))
        await pilot.pause()
        assert app.graph_tree.highlighted_node == 5
        assert app.query_one(Inspector).trace is app.trace


async def test_tree_keys_collapse_expand_and_move(seed_file: Path) -> None:
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        tree = app.graph_tree
        await pilot.press("down")  # d
        await pilot.press("space")
        assert [line.lstrip("│├└─ ")[:2] for line in tree_lines(app)] == ["▾ ", "▸ ", "f "]
        await pilot.press("right")
        assert len(tree_lines(app)) == 7
        await pilot.press("shift+down")  # d's next sibling: f
        assert tree.highlighted_node == 5
        await pilot.press("shift+up")
        assert tree.highlighted_node == 4
        await pilot.press("right")  # already open: go to the first operand
        assert tree.highlighted_node == 3
        await pilot.press("shift+left")
        assert tree.highlighted_node == 4
        await pilot.press("left")  # open: collapse
        assert len(tree_lines(app)) == 3
        await pilot.press("left")  # closed: go to the parent
        assert tree.highlighted_node == 6
        await pilot.press("shift+space")  # expand everything under L
        assert len(tree_lines(app)) == 7
        await pilot.press("end")
        assert tree.highlighted_node == 5
        await pilot.press("home")
        assert tree.highlighted_node == 6


async def test_follow_does_not_close_what_the_person_opened() -> None:
    app = GradstepApp(None)
    async with app.run_test(size=SIZE) as pilot:
        tree = app.graph_tree
        assert tree.expanded == {6, 4, 3}
        await pilot.press(*"nnnnnnnnnn")
        assert tree.expanded == {6, 4, 3}
        assert len(tree_lines(app)) == 7


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
async def test_layout_fits_small_and_large_terminals(size: tuple[int, int]) -> None:
    app = GradstepApp(None)
    async with app.run_test(size=size) as pilot:
        await pilot.press(*"nnnnn")
        tree = app.graph_tree
        assert tree.size.height >= 7  # the seed's whole tree is visible
        assert tree.size.width >= 36
        assert app.query_one(Timeline).size.height >= 4
        assert not app.query_one(Breadcrumb).display
        assert not app.query_one(ErrorPanel).has_class("-visible")


async def test_open_dialog_loads_another_file(seed_file: Path) -> None:
    app = GradstepApp(None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")
        assert isinstance(app.screen, OpenFileScreen)
        app.screen.query_one(Input).value = str(Path("examples/a_plus_a.gs").resolve())
        await pilot.press("enter")
        assert not isinstance(app.screen, OpenFileScreen)
        assert app.trace is not None and app.trace.size == 2
        assert app.path is not None and app.path.endswith("a_plus_a.gs")
        await pilot.press("c")
        # b = a + a: a receives 1 twice.
        assert line_of(app, "a  =").endswith("= 3  grad 2")
        assert line_of(app, "a  used 2×").endswith("= 3  grad 2")


async def test_control_characters_in_a_label_stay_on_one_row() -> None:
    from gradstep.core.engine import Value
    from gradstep.core.trace import trace

    x = Value(2.0, label="evil\n\x1b[31mred")
    y = x * x
    y.label = "y"
    app = GradstepApp(graph=trace(y), title="debug()")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        lines = tree_lines(app)
        assert len(lines) == 3
        assert lines[1].endswith("evil\\x0a\\x1b[31mred  = 2  grad 4")  # d(x*x)/dx = 2x = 4
        assert "\n" not in status_text(app).split("\n", 1)[1]


async def test_clicks_move_the_cursor_and_a_clicked_back_reference_jumps() -> None:
    app = GradstepApp("examples/shared.gs")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#tree", offset=(12, 2))  # the line of a
        assert app.graph_tree.highlighted_node == 0
        await pilot.click("#tree", offset=(12, 5))  # ↪ b under m
        assert app.graph_tree.cursor_line == 3  # b's full line
        await pilot.click("#tree", offset=(3, 4))  # m's toggle: collapse
        assert len(tree_lines(app)) == 5


async def test_breadcrumb_click_re_roots_the_tree() -> None:
    from gradstep.core.engine import Value
    from gradstep.core.trace import trace

    x = Value(1.0, label="x0")
    for k in range(1, 61):
        x = x + x
        x.label = f"x{k}"
    app = GradstepApp(graph=trace(x), title="doubling")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        assert app.graph_tree.view_root != 60
        await pilot.click("#breadcrumb", offset=(3, 0))  # "x60", the first crumb after "↑ "
        assert app.graph_tree.view_root == 60
        assert app.graph_tree.highlighted_node == 60


async def test_lines_wider_than_the_pane_scroll_sideways_to_their_end(tmp_path: Path) -> None:
    long = "activation_of_the_first_hidden_unit_before_the_nonlinearity"
    path = tmp_path / "long.gs"
    path.write_text(f"a = Value(2.0, label='a')\n{long} = a * a\nb = {long} + 1\n")
    app = GradstepApp(str(path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        tree = app.graph_tree
        widest = max(len(line) for line in tree_lines(app))
        assert widest > tree.scrollable_content_region.width  # the case under test
        assert tree.virtual_size.width == widest
        tree.scroll_to(x=widest, animate=False)
        await pilot.pause()
        assert tree.scroll_x == widest - tree.scrollable_content_region.width
        # On screen, the widest line now shows its end: the grad the long-named node received.
        longest = max(tree_lines(app), key=len)
        on_screen = [strip.text.rstrip() for strip in tree.render_lines(Region(0, 0, *tree.size))]
        assert longest.endswith("grad 1")
        assert any(longest.endswith(text.lstrip()) and len(text.strip()) > 10 for text in on_screen)


@pytest.mark.parametrize("path", ["examples/seed.gs", "examples/shared.gs", "examples/neuron.gs"])
async def test_scroll_width_is_measured_from_what_the_lines_show(path: str) -> None:
    app = GradstepApp(path)
    async with app.run_test(size=(80, 24)) as pilot:
        tree = app.graph_tree
        widest = 0
        for keys in ("", "nnnnn", "n", "c", "N", "b"):
            await pilot.press(*keys)
            await pilot.pause()
            lines = tree_lines(app)
            # The widest line seen so far (the scrollbar does not come and go as numbers change
            # width), or the pane's width when every line fits.
            widest = max(widest, *(len(line) for line in lines))
            assert tree.virtual_size.width == max(widest, tree.scrollable_content_region.width)
