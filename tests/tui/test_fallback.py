"""Without the Textual internals the panes frame their lines with, Textual's own path draws them.

``LineView`` frames its changed lines itself with ``textual._border.get_box`` and the widget's
styles cache; those are not public API. Where they are missing (another Textual), the panes take
Textual's own rendering path. This test removes them and checks that the app runs and that every
pane shows, line for line and style for style, what the fast path shows.
"""

from __future__ import annotations

import pytest
from gradstep.core import parse, trace
from gradstep.core.examples import SEED
from gradstep.tui.app import GradstepApp
from gradstep.tui.widgets import line_view
from gradstep.tui.widgets.line_view import LineView
from rich.segment import Segment

KEYS = ["n", "n", "n", "n", "n", "N", "c", "C", "n", "n", "b", "n"]

Screen = dict[str, list[list[tuple[str, object]]]]


async def _screens(keys: list[str]) -> tuple[list[Screen], list[bool]]:
    app = GradstepApp(graph=trace(parse(SEED, "seed.gs").output), title="seed")
    screens: list[Screen] = []
    framed: list[bool] = []
    async with app.run_test(size=(120, 40)) as pilot:
        for key in ["", *keys]:
            if key:
                await pilot.press(key)
            await pilot.pause()
            screen: Screen = {}
            for pane in app.query(LineView):
                if not pane.region.area:
                    continue
                region = pane.region.reset_offset
                lines = pane.render_lines(region)
                # As runs of one style: the fast path joins neighbouring segments of one style.
                screen[type(pane).__name__] = [
                    [(s.text, s.style) for s in Segment.simplify(line)] for line in lines
                ]
                framed.append(pane.frame() is not None)
            screens.append(screen)
    return screens, framed


async def test_panes_draw_the_same_without_textual_internals(monkeypatch: pytest.MonkeyPatch) -> None:
    fast, fast_framed = await _screens(KEYS)
    assert any(fast_framed), "the fast path frames some panes itself"
    monkeypatch.setattr(line_view, "get_box", None)
    slow, slow_framed = await _screens(KEYS)
    assert not any(slow_framed), "without get_box no pane frames its own lines"
    assert len(fast) == len(slow)
    for step, (a, b) in enumerate(zip(fast, slow, strict=True)):
        assert a.keys() == b.keys()
        for name in a:
            assert a[name] == b[name], f"{name} differs after key {step}"


def count_frames(app: GradstepApp, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that gains an item each time the app's screen draws a frame."""
    drawn: list[int] = []
    screen = app.screen
    refresh = screen._compositor_refresh
    monkeypatch.setattr(screen, "_compositor_refresh", lambda: (drawn.append(1), refresh())[1])
    return drawn


@pytest.mark.parametrize("draw_now", [True, False])
async def test_a_step_is_drawn_from_its_key_or_else_by_textual(
    draw_now: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``GradstepApp._draw_now`` draws a step's panes from the key's handler with a Textual
    internal; without it (another Textual) Textual draws them on its own time, the same lines."""
    from gradstep.tui import app as app_module

    monkeypatch.setattr(app_module, "_DRAW_NOW", draw_now)
    app = GradstepApp(graph=trace(parse(SEED, "seed.gs").output), title="seed")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        drawn = count_frames(app, monkeypatch)
        app.action_step()
        assert len(drawn) == (1 if draw_now else 0)  # before the app's loop had another turn
        await pilot.pause()
        assert len(drawn) == 1  # one frame either way
    shown, _ = await _screens(KEYS)
    monkeypatch.setattr(app_module, "_DRAW_NOW", True)
    assert shown == (await _screens(KEYS))[0]  # the same lines after every key


async def test_keys_that_arrive_together_are_drawn_together(monkeypatch: pytest.MonkeyPatch) -> None:
    """A step is drawn from its key only when no other key waits: a burst (a key held down, keys
    pasted) is drawn as Textual draws it, once for all the keys that came together, not a frame
    a key (which made 100 keys at once take ten times as long to show)."""
    from textual import events

    app = GradstepApp(graph=trace(parse(SEED, "seed.gs").output), title="seed")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        drawn = count_frames(app, monkeypatch)
        for _ in range(8):
            app.post_message(events.Key("n", "n"))
        await pilot.pause()
        assert app.trace is not None and app.trace.position == 8
        assert 1 <= len(drawn) <= 2, drawn
