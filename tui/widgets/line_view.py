"""The base of gradstep's Line API panes: each changed line costs its own drawing and little more.

A step of the debugger redraws a few dozen lines across the panes. Textual's generic path spends
more on each of those lines than the pane does drawing it: it looks the widget's styles up again
(borders, outline, padding, tint, opacity, hatch: about twenty rule lookups a line), wraps the line
in two or three new strips, and forgets the widget's component styles on every refresh. A
``LineView`` keeps its Rich styles until the stylesheet says they changed, and frames its lines
itself when its box is one it can frame exactly as Textual does (left and right borders, left and
right padding); any other box (a top border, an outline, a tint, opacity, a hatch) goes Textual's
own way. Either way the lines live in Textual's per-widget line cache, so ``refresh`` keeps its
meaning.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.geometry import Region
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip
from textual.widget import Widget

from tui.widgets.scrolling import update_bar

try:  # the pieces Textual frames a line with; without them, Textual's own path is taken
    from textual._border import get_box
    from textual.style import Style as TextualStyle
except ImportError:  # pragma: no cover - another Textual
    get_box = None  # type: ignore[assignment]


if TYPE_CHECKING:
    _Widget = Widget
else:  # a plain mixin: a Widget base here would reorder the widgets' default CSS (overflow)
    _Widget = object


class KeepsLines(_Widget):
    """A widget that gives the compositor the lines it gave last time until it is refreshed.

    The compositor asks every widget on screen for its lines on every update, and Textual's own
    answer goes through the widget's whole line cache (about 400 calls for a pane-high scrollbar)
    even when no line of it changed.
    """

    _drawn: tuple[Region, list[Strip]] | None = None
    """The last lines given to the compositor and the crop they were for, until a refresh."""

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._drawn = None

    def _set_dirty(self, *regions: Region) -> None:
        self._drawn = None
        super()._set_dirty(*regions)

    def render_lines(self, crop: Region) -> list[Strip]:
        drawn = self._drawn
        if drawn is None or drawn[0] != crop:
            drawn = self._drawn = (crop, self.draw_lines(crop))
        return drawn[1]

    def draw_lines(self, crop: Region) -> list[Strip]:
        """The lines afresh (from the line cache where lines were not refreshed): Textual's way."""
        return super().render_lines(crop)


class KeptScrollBar(KeepsLines, ScrollBar):
    """Textual's scrollbar, keeping its lines until it is refreshed."""


@dataclass(frozen=True)
class Frame:
    """What Textual puts around every content line of the widget: borders and padding."""

    left: tuple[Segment, ...]
    right: tuple[Segment, ...]
    fill: Style
    """The style a short line is padded with (the widget's background)."""
    background: Color
    """The background the app's line filters are given."""


class LineView(KeepsLines, ScrollView):
    """A ``ScrollView`` that draws its changed lines at the cost of drawing them.

    Styles are kept until ``notify_style_update`` (a theme change, a focus change that a
    ``:focus`` rule depends on, a class change): Textual forgets a widget's component styles on
    every ``refresh``, and ``rich_style`` walks every ancestor each time it is read.
    """

    _base: Style | None = None
    _components: dict[tuple[str, bool], Style] | None = None
    _frame: Frame | None = None
    _frame_known = False

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base = None
        self._components = None
        self._frame_known = False

    @property
    def base_style(self) -> Style:
        """The pane's own style (colour and background), as ``rich_style``."""
        if self._base is None:
            self._base = self.rich_style
        return self._base

    def component_style(self, name: str, *, partial: bool = False) -> Style:
        """A component class's Rich style, as ``get_component_rich_style``."""
        if self._components is None:
            self._components = {}
        key = (name, partial)
        style = self._components.get(key)
        if style is None:
            style = self._components[key] = self.get_component_rich_style(name, partial=partial)
        return style

    # --- lines to the compositor ---------------------------------------------------------------

    def frame(self) -> Frame | None:
        """The borders and padding of every line, or None where Textual must draw the box."""
        if not self._frame_known:
            self._frame = self._measure_frame()
            self._frame_known = True
        return self._frame

    def _measure_frame(self) -> Frame | None:
        cache = self._styles_cache
        if get_box is None or not all(hasattr(cache, name) for name in ("_cache", "_dirty_lines", "_width")):
            return None
        styles = self.styles
        (top, _), (right, right_color), (bottom, _), (left, left_color) = styles.border
        padding = styles.padding
        if (
            self.BLANK
            or top
            or bottom
            or any(edge for edge, _ in styles.outline)
            or padding.top
            or padding.bottom
            or styles.tint.a
            or self.opacity != 1
            or styles.text_opacity != 1
            or (styles.has_rule("hatch") and styles.hatch != "none")
        ):
            return None
        base_background, background = self.background_colors
        inner, outer = cache.get_inner_outer(base_background, background)
        fill = inner.rich_style
        # As StylesCache.render_line draws a content line: padding, then the side borders.
        before: list[Segment] = []
        after: list[Segment] = []
        if left:
            edge = TextualStyle(foreground=base_background + left_color)
            before.append(get_box(left, inner, outer, edge)[1][0])
        if padding.left:
            before.append(Segment(" " * padding.left, fill))
        if padding.right:
            after.append(Segment(" " * padding.right, fill))
        if right:
            edge = TextualStyle(foreground=base_background + right_color)
            after.append(get_box(right, inner, outer, edge)[1][2])
        return Frame(tuple(before), tuple(after), fill, background)

    def draw_lines(self, crop: Region) -> list[Strip]:
        frame = self.frame()
        return super().draw_lines(crop) if frame is None else self._frame_lines(frame, crop)

    def _frame_lines(self, frame: Frame, crop: Region) -> list[Strip]:
        cache = self._styles_cache
        width = self.region.width
        if width != cache._width:
            cache.clear()
            cache._width = width
        content_width = self.content_region.width
        lines: dict[int, Strip] = cache._cache
        dirty: set[int] = cache._dirty_lines
        filters = self.get_line_filters()
        left, right, fill, background = frame.left, frame.right, frame.fill, frame.background
        strips = []
        for y in crop.line_range:
            strip = lines.get(y)
            if strip is None or y in dirty:
                strip = self.render_line(y).adjust_cell_length(content_width, fill)
                if left or right:
                    strip = Strip([*left, *strip, *right], width)
                lines[y] = strip
            for line_filter in filters:
                strip = strip.apply_filter(line_filter, background)
            strips.append(strip)
        dirty.difference_update(crop.line_range)
        if crop.column_span != (0, width):
            x1, x2 = crop.column_span
            strips = [strip.crop(x1, x2) for strip in strips]
        if self.auto_links:  # as Textual does: the link under the mouse in its hover style
            hover = self.hover_style
            if hover._link_id and hover._meta and "@click" in hover.meta:
                link_style = self.link_style_hover
                if link_style:
                    strips = [strip.style_links(hover.link_id, link_style) for strip in strips]
        return strips

    # --- scrolling -----------------------------------------------------------------------------

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        if self._vertical_scrollbar is None:
            self._vertical_scrollbar = self._new_bar(vertical=True)
        return self._vertical_scrollbar

    @property
    def horizontal_scrollbar(self) -> ScrollBar:
        if self._horizontal_scrollbar is None:
            self._horizontal_scrollbar = self._new_bar(vertical=False)
        return self._horizontal_scrollbar

    def _new_bar(self, *, vertical: bool) -> ScrollBar:
        """A scrollbar that keeps its lines until it changes (as Widget creates its own)."""
        thickness = self.scrollbar_size_vertical if vertical else self.scrollbar_size_horizontal
        name = "vertical" if vertical else "horizontal"
        bar = KeptScrollBar(vertical=vertical, name=name, thickness=thickness)
        bar.display = False
        self.app._start_widget(self, bar)
        return bar

    def watch_scroll_x(self, old: float, new: float) -> None:
        # As ScrollView's, but the scrollbar is repainted only when its thumb moves on screen.
        if self.show_horizontal_scrollbar:
            update_bar(self.horizontal_scrollbar, position=new)
        if round(old) != round(new):
            self.refresh(self.size.region)

    def watch_scroll_y(self, old: float, new: float) -> None:
        if self.show_vertical_scrollbar:
            update_bar(self.vertical_scrollbar, position=new)
        if round(old) != round(new):
            self.refresh(self.size.region)

    def refresh_rows(self, rows: Iterable[int]) -> None:
        """Redraw the given content rows (virtual y), consecutive ones as one region, in one call.

        A step changes a handful of scattered lines; one ``refresh_line`` each costs a walk up
        the DOM and a region of its own in the compositor's update.
        """
        top = int(self.scroll_y)
        width = max(self.virtual_size.width, self.size.width)
        regions: list[Region] = []
        start = end = None
        for y in sorted(set(rows)):
            if end is not None and y == end:
                end += 1
                continue
            if start is not None and end is not None:
                regions.append(Region(0, start - top, width, end - start))
            start, end = y, y + 1
        if start is not None and end is not None:
            regions.append(Region(0, start - top, width, end - start))
        if regions:
            self.refresh(*regions)
