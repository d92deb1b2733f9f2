"""A step redraws only the lines it changed: what is on screen must equal a full redraw.

The panes keep Textual's rendered lines between frames and mark only changed lines dirty. A
missed line would leave a stale number on screen while every model-level check passes, so these
tests read the lines each pane would hand the compositor now (its cached lines where nothing was
marked) and compare them with the same pane redrawn from scratch.
"""

from __future__ import annotations

import random

import pytest
from textual.geometry import Region
from textual.pilot import Pilot

from core import Value, parse, trace
from core.datasets import make_moons
from core.examples import SEED
from core.nn import MLP
from core.trace import Trace
from tui.app import GradstepApp
from tui.widgets.line_view import LineView

SIZE = (120, 40)


def on_screen(pane: LineView) -> list[list[tuple[str, object]]]:
    """The pane's lines as it would paint them now: each as (text, style) segments."""
    region = Region(0, 0, pane.size.width, pane.size.height)
    return [[(segment.text, segment.style) for segment in strip] for strip in pane.render_lines(region)]


def redrawn(pane: LineView) -> list[list[tuple[str, object]]]:
    pane.refresh()  # every line dirty: rendered afresh
    return on_screen(pane)


async def assert_panes_current(app: GradstepApp, pilot: Pilot[int], what: str) -> None:
    await pilot.pause()
    for pane in app.query(LineView):
        shown = on_screen(pane)
        fresh = redrawn(pane)
        stale = [y for y, (a, b) in enumerate(zip(shown, fresh, strict=True)) if a != b]
        assert not stale, f"{type(pane).__name__}: stale lines {stale} after {what}"


def small_network() -> Trace:
    """A labelled MLP(2, [4, 4, 1]) on six two-moons points: a few hundred nodes, deep enough to
    re-root the tree and wide enough to scroll it."""
    random.seed(3)  # the MLP's weights come from the global generator, as in micrograd
    points, labels = make_moons(6, noise=0.1, rng=random.Random(3))
    model = MLP(2, [4, 4, 1])
    total = Value(0.0, label="total")
    for (x0, x1), y in zip(points, labels, strict=True):
        score = model([Value(x0), Value(x1)])
        assert isinstance(score, Value)
        total = total + (1 + -(2 * y - 1) * score).relu()
    return trace(total)


@pytest.mark.parametrize("graph", ["seed", "network"])
async def test_what_is_on_screen_equals_a_full_redraw(graph: str) -> None:
    shown = trace(parse(SEED, "seed.gs").output) if graph == "seed" else small_network()
    app = GradstepApp(graph=shown, title=graph)
    async with app.run_test(size=SIZE) as pilot:
        await assert_panes_current(app, pilot, "opening")
        keys = ["n"] * 6 + ["N"] * 3 + ["c", "N", "N", "C", "n", "r", "n", "n", "b", "n", "c", "C"]
        for key in keys:
            await pilot.press(key)
            await assert_panes_current(app, pilot, key)
        # Steps from places spread over the whole run, as a person jumping around would.
        rng = random.Random(7)
        for _ in range(12):
            app._move_to(rng.randrange(len(shown) + 1))
            await assert_panes_current(app, pilot, "a jump")
            for key in rng.choice(["n", "N", "nn", "NN", "nN"]):
                await pilot.press(key)
                await assert_panes_current(app, pilot, f"{key} after a jump")
