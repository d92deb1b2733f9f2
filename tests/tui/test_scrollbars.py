"""The panes draw their own scrollbars; they must look and work as Textual's own.

The reference is Textual itself: the same lines in a plain ``ScrollView`` (whose scrollbars are
Textual's ``ScrollBar`` widgets) side by side with a ``LineView``, both scrolled alike, must put
the same cells on screen, and the mouse on a bar must scroll as it does on Textual's.
"""

from __future__ import annotations

import pytest
from gradstep.tui.widgets.line_view import LineView
from rich.segment import Segment
from rich.style import Style
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

SIZE = (80, 20)


def text_of(row: int, width: int) -> str:
    return (f"row {row:3d} " + "abcdefghij" * 8)[:width]


def viewport_row(pane: ScrollView, y: int, width: int, style: Style) -> Strip:
    """Row ``y`` of the viewport, ``width`` cells: the same text in both panes."""
    rows, line_width = pane.shape  # type: ignore[attr-defined]
    scroll_x, scroll_y = pane.scroll_offset
    row = y + scroll_y
    text = text_of(row, line_width) if row < rows else ""
    strip = Strip([Segment(text, style)]).extend_cell_length(width + scroll_x, style)
    return strip.crop(scroll_x, scroll_x + width)


class TextualLines(ScrollView):
    """The reference: Textual's ScrollView and its ScrollBar widgets."""

    DEFAULT_CSS = "TextualLines { width: 1fr; background: $surface; }"

    def __init__(self, rows: int, width: int) -> None:
        super().__init__()
        self.shape = (rows, width)

    def on_mount(self) -> None:
        self.virtual_size = Size(self.shape[1], self.shape[0])

    def render_line(self, y: int) -> Strip:
        return viewport_row(self, y, self.scrollable_content_region.width, self.rich_style)


class OwnLines(LineView):
    """The same lines in a LineView, which draws its bars itself."""

    DEFAULT_CSS = "OwnLines { width: 1fr; background: $surface; }"

    def __init__(self, rows: int, width: int) -> None:
        super().__init__()
        self.shape = (rows, width)

    def on_mount(self) -> None:
        self.set_virtual_size(Size(self.shape[1], self.shape[0]))

    def resize_content(self, rows: int, width: int) -> None:
        self.shape = (rows, width)
        self.set_virtual_size(Size(width, rows))
        self.refresh()

    def content_segments(self, y: int) -> list[Segment]:
        return list(viewport_row(self, y, self.view_size.width, self.base_style))


class SideBySide(App[None]):
    def __init__(self, rows: int, width: int) -> None:
        super().__init__()
        self.shape = (rows, width)

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield TextualLines(*self.shape)
            yield OwnLines(*self.shape)


def cells(app: SideBySide) -> tuple[list[list[tuple[str, object]]], list[list[tuple[str, object]]]]:
    """Each pane's part of the screen, cell by cell (character and style), as the compositor made it."""
    strips = app.screen._compositor.render_strips()
    halves = []
    for pane in (app.query_one(TextualLines), app.query_one(OwnLines)):
        x, y, width, height = pane.region
        rows = []
        for strip in strips[y : y + height]:
            row = []
            for segment in strip.crop(x, x + width):
                row += [(character, segment.style) for character in segment.text]
            rows.append(row)
        halves.append(rows)
    return halves[0], halves[1]


def differences(app: SideBySide) -> list[tuple[int, int]]:
    theirs, ours = cells(app)
    return [
        (x, y)
        for y, (a, b) in enumerate(zip(theirs, ours, strict=True))
        for x, (p, q) in enumerate(zip(a, b, strict=True))
        if p != q
    ]


@pytest.mark.parametrize(
    ("rows", "width"),
    [(10, 20), (200, 20), (10, 120), (200, 120), (100_000, 30)],
    ids=["fits", "tall", "wide", "tall-and-wide", "very-tall"],
)
async def test_bars_look_as_textuals(rows: int, width: int) -> None:
    app = SideBySide(rows, width)
    async with app.run_test(size=SIZE) as pilot:
        theirs, ours = app.query_one(TextualLines), app.query_one(OwnLines)
        await pilot.pause()
        assert ours.shown_scrollbars == (theirs.show_vertical_scrollbar, theirs.show_horizontal_scrollbar)
        assert ours.view_size == theirs.scrollable_content_region.size
        assert not differences(app)
        for x, y in [(0, 1), (0, 7), (3, rows // 2), (0, rows), (50, 0), (0, 0)]:
            for pane in (theirs, ours):
                pane.scroll_to(x, y, animate=False, immediate=True)
            await pilot.pause()
            assert ours.scroll_offset == theirs.scroll_offset
            assert not differences(app), f"scrolled to {(x, y)}"


async def test_a_bar_comes_and_goes_with_the_content() -> None:
    app = SideBySide(10, 20)
    async with app.run_test(size=SIZE) as pilot:
        ours = app.query_one(OwnLines)
        await pilot.pause()
        assert ours.shown_scrollbars == (False, False)
        width = ours.view_size.width
        ours.resize_content(500, 20)
        await pilot.pause()
        assert ours.shown_scrollbars == (True, False)
        assert ours.view_size.width == width - ours.styles.scrollbar_size_vertical
        assert ours.allow_vertical_scroll and not ours.allow_horizontal_scroll
        ours.resize_content(10, 20)
        await pilot.pause()
        assert ours.shown_scrollbars == (False, False)
        assert ours.view_size.width == width
        assert ours.scroll_y == 0


async def test_the_mouse_on_a_bar_scrolls_as_on_textuals() -> None:
    app = SideBySide(200, 20)
    async with app.run_test(size=SIZE) as pilot:
        theirs, ours = app.query_one(TextualLines), app.query_one(OwnLines)
        await pilot.pause()
        height = ours.view_size.height
        bar_x = {theirs: theirs.scrollable_content_region.width, ours: ours.view_size.width}
        # A click on the track below the thumb: a page down, on both.
        for pane in (theirs, ours):
            await pilot.click(pane, offset=(bar_x[pane], height - 1))
        await pilot.wait_for_scheduled_animations()  # Textual's bar pages smoothly, ours at once
        await pilot.pause()
        assert ours.scroll_y == theirs.scroll_y > 0
        # Drag the thumb down five rows.
        for pane in (theirs, ours):
            x, top = pane.region.x + bar_x[pane], pane.region.y
            actions = [app.screen.get_style_at(x, top + y).meta.get("@mouse.down") for y in range(height)]
            thumb = actions.index("grab")
            await pilot.mouse_down(pane, offset=(bar_x[pane], thumb))
            await pilot.hover(pane, offset=(bar_x[pane], thumb + 5))
            await pilot.mouse_up(pane, offset=(bar_x[pane], thumb + 5))
            await pilot.wait_for_scheduled_animations()
            await pilot.pause()
        assert ours.scroll_y == pytest.approx(theirs.scroll_y, abs=1)
        assert ours.scroll_y > height
        hovered = cells(app)[1][thumb + 5][bar_x[ours]]
        await pilot.hover(ours, offset=(1, 1))  # off the bars: both in their plain colours
        await pilot.pause()
        assert cells(app)[1][thumb + 5][bar_x[ours]] != hovered  # ours was drawn in hover colours
        assert not differences(app)
