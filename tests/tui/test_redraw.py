"""A step redraws only the lines it changed: what is on screen must equal a full redraw.

The panes keep Textual's rendered lines between frames and mark only changed lines dirty, and
they draw their own scrollbars, repainting only the cells of a bar whose picture changed. A missed
line would leave a stale number (or thumb) on screen while every model-level check passes, so these
tests read the lines each pane would hand the compositor now (the lines it kept where nothing was
marked) and compare them with the same pane redrawn from scratch by Textual's own rendering path
(which the panes' faster framing of lines must match exactly).
"""

from __future__ import annotations

import gc
import random

import pytest
from gradstep.core import parse, trace
from gradstep.core.examples import SEED
from gradstep.core.trace import Trace
from gradstep.tui.app import GradstepApp
from gradstep.tui.widgets.line_view import Line, LineView
from rich.segment import Segment
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widget import Widget

SIZE = (120, 40)


def runs(strip: Strip) -> list[tuple[str, object]]:
    """A line as (text, style) runs, neighbours of one style joined: what the cells show, however
    the line was cut into segments (a pane joins them; Textual's own path does not)."""
    return [(segment.text, segment.style) for segment in Segment.simplify(strip)]


def on_screen(pane: Widget) -> list[list[tuple[str, object]]]:
    """The widget's lines as it would paint them now: each as (text, style) runs (the whole
    widget, borders and padding too, as the compositor asks for it)."""
    region = pane.region.reset_offset
    return [runs(strip) for strip in pane.render_lines(region)]


def redrawn(pane: Widget) -> list[list[tuple[str, object]]]:
    """The same lines rendered afresh, the way Textual itself renders any widget."""
    pane.refresh()  # every line dirty
    region = pane.region.reset_offset
    return [runs(strip) for strip in Widget.render_lines(pane, region)]


async def assert_panes_current(app: GradstepApp, pilot: Pilot[int], what: str) -> None:
    await pilot.pause()
    for pane in app.query(LineView):
        shown = on_screen(pane)
        fresh = redrawn(pane)
        stale = [y for y, (a, b) in enumerate(zip(shown, fresh, strict=True)) if a != b]
        assert not stale, f"{type(pane).__name__}: stale lines {stale} after {what}"


@pytest.mark.parametrize(("graph", "modules"), [("seed", False), ("network", False), ("network", True)])
async def test_what_is_on_screen_equals_a_full_redraw(
    graph: str, modules: bool, small_network: Trace
) -> None:
    shown = trace(parse(SEED, "seed.gs").output) if graph == "seed" else small_network
    app = GradstepApp(graph=shown, title=graph)
    async with app.run_test(size=SIZE) as pilot:
        if modules:  # the modules view in the tree's place, a neuron and an entry opened
            await pilot.press("g", "down", "down", "right", "down", "down", "down", "down", "right")
            assert app.showing_groups
        await assert_panes_current(app, pilot, "opening")
        keys = ["n"] * 6 + ["N"] * 3 + ["c", "N", "N", "C", "n", "r", "n", "n", "b", "n", "c", "C"]
        for key in keys:
            await pilot.press(key)
            await assert_panes_current(app, pilot, key)
        # A smaller terminal, and back: everything laid out again, then steps on the new layout.
        for size in ((80, 24), SIZE):
            await pilot.resize_terminal(*size)
            await assert_panes_current(app, pilot, f"a resize to {size}")
            await pilot.press("N")
            await assert_panes_current(app, pilot, f"N after a resize to {size}")
        # Steps from places spread over the whole run, as a person jumping around would.
        rng = random.Random(7)
        for _ in range(12):
            app._move_to(rng.randrange(len(shown) + 1))
            await assert_panes_current(app, pilot, "a jump")
            for key in rng.choice(["n", "N", "nn", "NN", "nN"]):
                await pilot.press(key)
                await assert_panes_current(app, pilot, f"{key} after a jump")


async def test_a_replaced_line_is_freed_when_dropped(small_network: Trace) -> None:
    """Lines a step replaces go at once, not to the cycle collector: every line a pane that frames
    its own lines hands the compositor is a ``Line``, which the compositor can divide without it
    referring to itself (``Strip.divide`` caches ``[self]``: each replaced line would be garbage)."""
    app = GradstepApp(graph=small_network, title="network")
    async with app.run_test(size=SIZE) as pilot:
        for key in "nnnnNNnn":
            await pilot.press(key)
            await pilot.pause()
            for pane in app.query(LineView):
                if not pane.region.area or pane.frame() is None:
                    continue  # not on show (the modules view), or drawn by Textual (the timeline)
                lines = pane.render_lines(pane.region.reset_offset)
                assert all(type(line) is Line for line in lines), type(pane).__name__
                gc.collect()
                gc.disable()
                try:
                    for line in lines:  # as the compositor does, at the pane's own edges
                        line.divide([line.cell_length])
                    del lines
                    pane.refresh()
                    pane.render_lines(pane.region.reset_offset)  # every line replaced
                    assert gc.collect() == 0, type(pane).__name__
                finally:
                    gc.enable()


def test_a_plain_strip_divided_into_itself_is_a_cycle() -> None:
    """Textual's own strip, divided into itself, is left for the cycle collector; a Line is not."""
    gc.collect()
    strip = Strip([Segment("abc")], 3)
    assert strip.divide([3]) == [strip]
    del strip
    assert gc.collect() > 0
    line = Line([Segment("abc")], 3)
    assert line.divide([3]) == [line]
    assert [piece.text for piece in line.divide([1, 3])] == ["a", "bc"]
    del line
    assert gc.collect() == 0


async def test_a_step_back_shows_the_lines_made_on_the_way_forward(small_network: Trace) -> None:
    """A row drawn again (a step back, a row moved down by one put in above it) is the line made
    the first time, not made again; a new width or theme makes every line afresh."""
    app = GradstepApp(graph=small_network, title="network")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", "n")
        await pilot.pause()
        inspector = app._inspector
        before = inspector.render_lines(inspector.region.reset_offset)
        await pilot.press("n")
        await pilot.pause()
        after = inspector.render_lines(inspector.region.reset_offset)
        assert [runs(line) for line in after] != [runs(line) for line in before]  # another node
        await pilot.press("N")
        await pilot.pause()
        again = inspector.render_lines(inspector.region.reset_offset)
        assert [runs(line) for line in again] == [runs(line) for line in before]
        assert all(a is b for a, b in zip(again, before, strict=True))  # the same lines, kept
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        await pilot.resize_terminal(*SIZE)
        await pilot.pause()
        redone = inspector.render_lines(inspector.region.reset_offset)
        assert [runs(line) for line in redone] == [runs(line) for line in before]
        assert not any(a is b for a, b in zip(redone, before, strict=True))  # made afresh
        await assert_panes_current(app, pilot, "a resize")
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await assert_panes_current(app, pilot, "a new theme")
