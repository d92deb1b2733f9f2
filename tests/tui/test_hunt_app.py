"""The hunt driven with the Pilot: step, mark, pick the kind, see right or wrong and the comparison.

Seed 2 on examples/hunt.gs plants `overwrite in +` (first wrong step 7: n's + sets b.grad, losing the
1 from L); seed 1 on examples/seed.gs plants `missing in +` (step 3: d's step sends e and c nothing).
"""

from __future__ import annotations

from pathlib import Path

from gradstep.core.hunt import start
from gradstep.core.planted import PLANT_KINDS
from gradstep.tui.hunt.app import HuntApp, HuntHelpScreen
from gradstep.tui.hunt.picker import KindPicker
from gradstep.tui.hunt.result import ComparisonScreen
from textual.widgets import OptionList, Static, Tree

ROOT = Path(__file__).resolve().parents[2]
HUNT = str(ROOT / "examples" / "hunt.gs")
SEED = str(ROOT / "examples" / "seed.gs")


def visible_text(app: HuntApp) -> str:
    """Everything the run's panes say: status, inspector, every timeline line, every tree label."""
    timeline = app.query_one("#timeline", OptionList)
    lines = [str(app.query_one(f"#{pane}", Static).render()) for pane in ("status", "inspector")]
    lines += [str(timeline.get_option_at_index(i).prompt) for i in range(timeline.option_count)]
    tree: Tree[int] = app.query_one("#tree", Tree)
    stack = [tree.root]
    while stack:
        node = stack.pop()
        lines.append(str(node.label))
        stack.extend(node.children)
    lines += [str(tree.border_title), str(timeline.border_title)]
    return "\n".join(lines)


async def pick(pilot, kind: str) -> None:  # type: ignore[no-untyped-def]
    for _ in range(PLANT_KINDS.index(kind)):  # type: ignore[arg-type]
        await pilot.press("down")
    await pilot.press("enter")
    await pilot.pause()


async def test_a_whole_hunt_answered_right() -> None:
    hunt = start(HUNT, 2)
    assert (hunt.planted.plant.name, hunt.step) == ("overwrite in +", 7)
    app = HuntApp(hunt)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*["n"] * 7)
        assert app.position == 7
        inspector = str(app.query_one("#inspector", Static).render())
        assert "step 7: n.grad was -1.00974" in inspector and "→ b: grad 1 → -1.00974" in inspector
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, KindPicker) and app.screen.step == 7
        await pick(pilot, "overwrite")
        assert app.judgement is not None and app.judgement.right
        screen = app.screen
        assert isinstance(screen, ComparisonScreen)
        assert "✓ Right: step 7 is the first wrong step, and the bug is overwrite." in screen.plain
        assert "planted: overwrite in +" in screen.plain
        assert "the check: ✗ overwrite at step 7: n's step set b.grad to -1.00974" in screen.plain
        # side by side: the planted run lost b's 1, the correct one kept it
        assert "b.grad 1 → -1.00974" in screen.planted_text.plain
        assert "b.grad 1 → -0.00973895" in screen.correct_text.plain
        assert str(screen.query_one("#planted-run").border_title) == "the planted run: overwrite in +"
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ComparisonScreen)
        # revealed: check mode's marks and its status line
        text = visible_text(app)
        assert "✗ overwrite: n's step set b.grad to -1.00974" in text
        assert "✓ Right: step 7" in text
        await pilot.press("r", "c")
        assert app.position == 7  # c now stops at the ✗
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, ComparisonScreen)


async def test_a_whole_hunt_answered_wrong() -> None:
    hunt = start(SEED, 1)
    assert (hunt.planted.plant.name, hunt.step) == ("missing in +", 3)
    app = HuntApp(hunt)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n", "n")
        await pilot.press("m")
        await pilot.pause()
        await pick(pilot, "local")
        assert app.judgement is not None and app.judgement.outcome == "wrong"
        screen = app.screen
        assert isinstance(screen, ComparisonScreen)
        assert "✗ Wrong: the first wrong step is 3, not 2, and the bug is missing, not local." in screen.plain
        assert "the check: ✗ missing at step 3: d's step sent nothing to e" in screen.plain
        # the planted d sends nothing; the correct d sends -2 to e and to c
        assert "e.grad 0 → 0" in screen.planted_text.plain
        assert "e.grad 0 → -2" in screen.correct_text.plain
        assert screen.planted_line > 0 and screen.correct_line == screen.planted_line
        await pilot.press("escape", "m")  # answered: m does nothing more
        await pilot.pause()
        assert not isinstance(app.screen, KindPicker)


async def test_half_right_says_which_half() -> None:
    app = HuntApp(start(SEED, 1))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n", "n", "n", "m")
        await pilot.pause()
        await pick(pilot, "order")
        assert app.judgement is not None
        assert app.judgement.message == (
            "Half right: step 3 is the first wrong step, but the bug is missing, not order."
        )


async def test_nothing_before_the_answer_gives_the_wrong_step_away() -> None:
    hunt = start(HUNT, 2)
    problem = hunt.planted.verdict.first_mismatch
    assert problem is not None
    app = HuntApp(hunt)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for position in range(len(hunt.planted.verdict.steps) + 1):
            assert app.position == position
            text = visible_text(app)
            assert "✗" not in text and "✓" not in text, position
            assert problem.message not in text and "chain rule:" not in text and "overwrite" not in text
            assert "first problem" not in text and "expected" not in text
            await pilot.press("n")
        await pilot.press("r")
        await pilot.press("c")  # continue to ✗ is off until the answer
        assert app.position == 0
        svg = app.export_screenshot()
        assert "✗" not in svg and "overwrite" not in svg


async def test_m_at_the_start_asks_for_a_step_and_escape_in_the_picker_marks_nothing() -> None:
    app = HuntApp(start(HUNT, 2))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m")
        await pilot.pause()
        assert not isinstance(app.screen, KindPicker)
        assert any("step first" in n.message for n in app._notifications)
        await pilot.press("n", "m")
        await pilot.pause()
        assert isinstance(app.screen, KindPicker)
        await pilot.press("escape")
        await pilot.pause()
        assert app.judgement is None and not isinstance(app.screen, KindPicker)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HuntHelpScreen)


async def test_a_file_without_reuse_says_what_it_cannot_reveal() -> None:
    app = HuntApp(start(SEED, 1))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        status = str(app.query_one("#status", Static).render())
        assert "this file cannot reveal overwrite: no node is used twice" in status
        await pilot.press("n", "m")
        await pilot.pause()
        notes = str(app.screen.query_one("#kind-notes", Static).render())
        assert "this file cannot reveal overwrite: no node is used twice" in notes


async def test_labels_are_shown_as_text_never_as_markup(tmp_path: Path) -> None:
    path = tmp_path / "markup.gs"
    path.write_text("a = Value(2.0, label='[b]a[/b]')\nb = Value(-1.5, label='b')\nL = a*b + a\nL\n")
    hunt = start(str(path), 0)
    app = HuntApp(hunt)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        assert "[b]a[/b]" in visible_text(app)
        await pilot.press("m", "enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ComparisonScreen)
        assert "[b]a[/b].grad" in screen.planted_text.plain + screen.correct_text.plain
