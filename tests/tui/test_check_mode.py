"""Check mode driven with the Pilot: to the first ✗ and what the panes say there."""

from __future__ import annotations

from pathlib import Path

from gradstep.core.checker import check_file
from gradstep.tui.check_mode import CheckApp
from textual.widgets import OptionList, Static

ROOT = Path(__file__).resolve().parents[2]


async def test_c_stops_at_the_first_wrong_step_and_says_why() -> None:
    verdict = check_file(
        str(ROOT / "examples" / "hunt.gs"), str(ROOT / "examples" / "engines" / "overwrite.py")
    )
    app = CheckApp(verdict)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        assert app.position == 7
        assert app.query_one("#timeline", OptionList).highlighted == 7
        status = str(app.query_one("#status", Static).render())
        assert "step 7 of 12" in status and "✗ overwrite: n's step set b.grad to -1.00974" in status
        inspector = str(app.query_one("#inspector", Static).render())
        assert "✗ → b" in inspector and "theirs   1 → -1.00974" in inspector
        assert "expected 1 → -0.00973895" in inspector
        await pilot.press("c")  # no later ✗: to the end
        assert app.position == 12
        await pilot.press("C")
        assert app.position == 7
        await pilot.press("N", "N")
        assert app.position == 5
        assert "✓ step 5" in str(app.query_one("#status", Static).render())


async def test_a_problem_before_backward_is_shown_at_the_start() -> None:
    verdict = check_file(
        str(ROOT / "examples" / "hunt.gs"), str(ROOT / "examples" / "engines" / "forward.py")
    )
    app = CheckApp(verdict)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        status = str(app.query_one("#status", Static).render())
        assert "✗ forward: y is 1.80044 in the file, but -1.80044 in your engine" in status


def test_debug_check_true_checks_their_graph_and_opens_check_mode(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import gradstep.tui.check_mode as check_mode
    from gradstep.tui import debug
    from micrograd.engine import Value as MicrogradValue

    opened = []
    monkeypatch.setattr(check_mode, "run_check_app", opened.append)
    a, b = MicrogradValue(2.0), MicrogradValue(-3.0)
    debug(a * b + a, check=True)
    (verdict,) = opened
    assert verdict.ok and verdict.step_count == 4
    assert (a.grad, b.grad) == (-2.0, 2.0)  # their backward ran once, its grads left in place


async def test_every_key_shows_in_the_footer_at_80_columns() -> None:
    verdict = check_file(
        str(ROOT / "examples" / "hunt.gs"), str(ROOT / "examples" / "engines" / "overwrite.py")
    )
    for width in (80, 120):
        app = CheckApp(verdict)
        async with app.run_test(size=(width, 24)) as pilot:
            await pilot.pause()
            footer = app.screen._compositor.render_strips()[-1].text
            keys = ("n next step", "N previous step", "c continue to ✗", "C back to ✗", "r start", "q quit")
            assert all(key in footer for key in keys), (width, footer)
            assert ("palette" in footer) == (width >= 90)
