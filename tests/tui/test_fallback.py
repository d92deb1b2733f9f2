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
