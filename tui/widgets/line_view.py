"""The base of gradstep's Line API panes: each changed line costs its own drawing and little more.

A step of the debugger redraws a few dozen lines across the panes. Textual's generic path spends
more on each of those lines than the pane does drawing it: it looks the widget's styles up again
(borders, outline, padding, tint, opacity, hatch: about twenty rule lookups a line), wraps the line
in two or three new strips, and forgets the widget's component styles on every refresh. A
``LineView`` keeps its Rich styles until the stylesheet says they changed, and frames its lines
itself when its box is one it can frame exactly as Textual does (left and right borders, left and
right padding, or a top border without side borders or a title); any other box (a bottom border,
an outline, a tint, opacity, a hatch) goes Textual's own way. Either way the lines live in
Textual's per-widget line cache, so ``refresh`` keeps its meaning.

A ``LineView`` also draws its own scrollbars, in its own lines (see "scrolling" below). Subclasses
draw ``content_segments``, rows ``view_size.width`` wide.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from math import ceil
from typing import ClassVar

from rich.color import Color as RichColor
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.color import Color
from textual.events import MouseEvent
from textual.filter import LineFilter
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip
from textual.widget import Widget

try:  # the pieces Textual frames a line with; without them, Textual's own path is taken
    from textual._border import get_box
    from textual.style import Style as TextualStyle
except ImportError:  # pragma: no cover - another Textual
    get_box = None  # type: ignore[assignment]


MADE_LINES = 256
"""Lines a pane keeps by their content, for rows drawn again: a step back shows the rows the step
forward made, and a row put in above moves the rows below it (~0.6 MB a pane when full)."""

NO_STYLE = Style()
"""A line's own style when it has none: lines that share their styles share Rich's cache of them."""


class Line(Strip):
    """A pane's line for the compositor: a ``Strip`` that never refers to itself.

    The compositor divides every line it is given at the cuts of the screen, and a line no cut
    crosses is divided into itself: ``Strip.divide`` keeps ``[self]`` in the strip's own cache, a
    reference cycle. Every replaced line (its strip, seven caches and segments) then waits for the
    cycle collector instead of going when it is dropped: on the demo, most of the collector's runs
    during a step were for those.
    """

    __slots__ = ()

    def divide(self, cuts: Iterable[int]) -> Sequence[Strip]:
        length = self.cell_length
        cuts = [cut for cut in cuts if cut <= length]
        if cuts == [length]:
            return [self]  # not cached: a fresh list costs less than a cycle
        return super().divide(cuts)


def fit(
    segments: list[Segment],
    length: int,
    width: int,
    pad: Style,
    *,
    scroll_x: int = 0,
    ellipsis: Style | None = None,
) -> list[Segment]:
    """A row of ``segments`` (``length`` cells) as the ``width`` cells from column ``scroll_x``.

    A row that fits is padded in the same list: rows are drawn on every step that changes them,
    and each strip made to extend or crop one costs as much again. A row too long is cut, ending
    in ``…`` in the ``ellipsis`` style if one is given.
    """
    if not scroll_x and length <= width:
        segments.append(Segment(" " * (width - length), pad))
        return segments
    if ellipsis is not None and not scroll_x and width > 1:
        return [*Strip(segments, length).crop(0, width - 1), Segment("…", ellipsis)]
    strip = Strip(segments, length).extend_cell_length(width + scroll_x, pad)
    return list(strip.crop(scroll_x, scroll_x + width))


def _make_line(segments: list[Segment], filters: Sequence[LineFilter], background: Color, width: int) -> Line:
    """A pane's row as the compositor takes it: filtered, and runs of one style as one segment
    (each segment costs its own escape codes in every frame the line is written in)."""
    for line_filter in filters:
        segments = line_filter.apply(segments, background)
    return Line(list(Segment.simplify(segments)), width)


@dataclass(frozen=True)
class Frame:
    """What Textual puts around every content line of the widget: borders and padding."""

    left: tuple[Segment, ...]
    right: tuple[Segment, ...]
    background: Color
    """The background the app's line filters are given."""
    top: Segment | None = None
    """A cell of the top border (None: no top border), drawn across the widget's whole width; the
    content starts below it."""


class LineView(ScrollView):
    """A ``ScrollView`` that draws its changed lines at the cost of drawing them.

    The compositor asks every widget on screen for its lines on every update, and Textual's own
    answer goes through the widget's whole line cache even when no line of it changed: a
    ``LineView`` gives the lines it gave last time until it is refreshed.

    Styles are kept until ``notify_style_update`` (a theme change, a focus change that a
    ``:focus`` rule depends on, a class change): Textual forgets a widget's component styles on
    every ``refresh``, and ``rich_style`` walks every ancestor each time it is read.
    """

    WHOLE_LINES: ClassVar[tuple[str, ...]] = ()
    """Component classes that colour a line's whole width (``line_styles``); the rest colour text."""

    _base: Style | None = None
    _components: dict[tuple[str, bool, bool], Style] | None = None
    _line_styles: dict[str, Style] | None = None
    _frame: Frame | None = None
    _frame_known = False
    _filters: Sequence[LineFilter] | None = None
    """The line filters the kept lines were drawn with."""
    _drawn: tuple[Region, list[Strip]] | None = None
    """The last lines given to the compositor and the crop they were for, until a refresh."""
    _made: dict[tuple[Segment, ...], Line] | None = None
    """Lines already made, by their row's segments (see ``_frame_lines``)."""

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._drawn = None
        self._base = None
        self._components = None
        self._line_styles = None
        self._frame_known = False
        self._pictures = None
        self._made = None

    @property
    def base_style(self) -> Style:
        """The pane's own style (colour and background), as ``rich_style``."""
        if self._base is None:
            self._base = self.rich_style
        return self._base

    def component_style(self, name: str, *, partial: bool = False, on_background: bool = False) -> Style:
        """A component class's Rich style, as ``get_component_rich_style``; ``on_background``: with
        the pane's own background under it (for a part of text drawn into the pane's lines)."""
        if self._components is None:
            self._components = {}
        key = (name, partial, on_background)
        style = self._components.get(key)
        if style is None:
            style = self.get_component_rich_style(name, partial=partial)
            if on_background:
                style += Style(bgcolor=self.base_style.bgcolor)
            self._components[key] = style
        return style

    def line_styles(self) -> dict[str, Style]:
        """Every component class's style by name: full for ``WHOLE_LINES`` (they colour a line's
        whole width), partial (text colours only) for the rest."""
        if self._line_styles is None:
            whole_lines = self.WHOLE_LINES
            self._line_styles = {
                name: self.component_style(name, partial=name not in whole_lines)
                for name in self.COMPONENT_CLASSES
            }
        return self._line_styles

    def blank_row(self) -> list[Segment]:
        """An empty row of the view, in the pane's own colours."""
        return [Segment(" " * self.view_size.width, self.base_style)]

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
        (top, top_color), (right, right_color), (bottom, _), (left, left_color) = styles.border
        padding = styles.padding
        if (
            self.BLANK
            or (top and (left or right or self.border_title))
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
        top_cell = None
        if top:  # as StylesCache.render_line draws it without side borders or a title: one run
            edge = TextualStyle(foreground=base_background + top_color)
            top_cell = get_box(top, inner, outer, edge)[0][1]
        return Frame(tuple(before), tuple(after), background, top_cell)

    def _set_dirty(self, *regions: Region) -> None:
        self._drawn = None
        super()._set_dirty(*regions)

    def render_lines(self, crop: Region) -> list[Strip]:
        drawn = self._drawn
        if drawn is None or drawn[0] != crop:
            frame = self.frame()
            lines = super().render_lines(crop) if frame is None else self._frame_lines(frame, crop)
            drawn = self._drawn = (crop, lines)
        return drawn[1]

    def _frame_lines(self, frame: Frame, crop: Region) -> list[Strip]:
        # A changed line becomes one Strip: its segments, bars, frame and the app's line filters
        # in one list (each Strip costs seven caches of its own, and Textual's way makes four).
        # Kept lines are kept filtered, so a change of filters redraws them all.
        cache = self._styles_cache
        width = self.region.width
        filters = self.get_line_filters()
        made = self._made
        if width != cache._width or filters != self._filters or made is None:
            cache.clear()
            cache._width = width
            self._filters = filters
            made = self._made = {}
        lines: dict[int, Strip] = cache._cache
        dirty: set[int] = cache._dirty_lines
        left, right, background, top = frame.left, frame.right, frame.background, frame.top
        below = 0 if top is None else 1
        strips = []
        for y in crop.line_range:
            strip = lines.get(y)
            if strip is None or y in dirty:
                if top is not None and y < below:  # the border spans the padding too
                    segments = [Segment(top.text * width, top.style)]
                    strip = lines[y] = _make_line(segments, filters, background, width)
                else:
                    # A row drawn before (moved by a row put in above it, a heading, a blank, a
                    # step back) is the line made then: no framing, filtering or escape codes again.
                    segments = self._row_segments(y - below)
                    key = tuple(segments)
                    strip = made.get(key)
                    if strip is None:
                        if left or right:
                            segments = [*left, *segments, *right]
                        strip = _make_line(segments, filters, background, width)
                        if len(made) >= MADE_LINES:  # the older half goes (in the order made)
                            for old in list(islice(made, MADE_LINES // 2)):
                                del made[old]
                        made[key] = strip
                    lines[y] = strip
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

    # --- scrolling: the pane draws its own scrollbars -----------------------------------------

    # Textual's scrollbars are widgets of their own: each is drawn in full (about 400 calls for a
    # pane-high bar) whenever one of its numbers changes, it divides every changed row of the screen
    # once more in the compositor, and one appearing or going lays the whole screen out. A pane's
    # lines already change when its content does, so it draws the bars itself, as the last columns
    # (and rows) of its content, with Textual's scrollbar renderer and colours: a thumb that moves
    # repaints the cells it leaves and lands on, and a bar that appears redraws this pane alone.
    # Textual's ``show_*_scrollbar`` stay False, so Textual never makes or places a bar.

    _shown: tuple[bool, bool] = (False, False)
    """Whether the vertical and the horizontal bar are on show."""
    _bars: tuple[int, int] = (0, 0)
    """Columns of the vertical bar and rows of the horizontal bar on show (0: none)."""
    _pictures: dict[bool, tuple[tuple[object, ...], list[Segment]]] | None = None
    """Per axis (vertical: True): what a bar was drawn from, and its picture, a segment a cell."""
    _bar_hover: bool | None = None
    """The bar under the mouse (vertical: True), if any: drawn in the hover colours."""
    _grab: tuple[bool, float, float] | None = None
    """While a thumb is dragged: its axis, where the mouse took it (screen) and the scroll then."""

    @property
    def shown_scrollbars(self) -> tuple[bool, bool]:
        """Whether the vertical and the horizontal scrollbar are on show."""
        return self._shown

    @property
    def scrollable_content_region(self) -> Region:
        """The content region less the bars drawn in it: where the content is on screen."""
        columns, rows = self._bars
        region = self.content_region
        return Region(region.x, region.y, max(0, region.width - columns), max(0, region.height - rows))

    @property
    def view_size(self) -> Size:
        """The size of the content on screen: the pane's content area less its scrollbars.

        Read on every line drawn, so from the size the last layout gave (a ScrollView's container
        size is its content area), not from ``region``, which asks the screen where the pane is.
        """
        columns, rows = self._bars
        width, height = self.container_size
        return Size(max(0, width - columns), max(0, height - rows))

    @property
    def max_scroll_x(self) -> int:
        return max(0, self.virtual_size.width - self.view_size.width)

    @property
    def max_scroll_y(self) -> int:
        return max(0, self.virtual_size.height - self.view_size.height)

    @property
    def allow_vertical_scroll(self) -> bool:
        return not self._check_disabled() and self._shown[0]

    @property
    def allow_horizontal_scroll(self) -> bool:
        return not self._check_disabled() and self._shown[1]

    def set_virtual_size(self, size: Size) -> None:
        """Give the pane a new virtual (scrollable) size without laying the screen out.

        Assigning ``virtual_size`` asks Textual for a layout of the whole screen, which a step of
        the debugger cannot afford; the pane's region does not depend on it, only its bars do. The
        caller refreshes what its content changed.
        """
        if size == self.virtual_size:
            return
        if not self.is_mounted or not self.container_size:
            self.virtual_size = size  # not laid out yet: the ordinary way
            return
        self.set_reactive(Widget.virtual_size, size)
        self._update_bars()
        self.scroll_x = self.validate_scroll_x(self.scroll_x)
        self.scroll_y = self.validate_scroll_y(self.scroll_y)

    def _refresh_scrollbars(self) -> None:
        # Textual calls this when the pane's size or virtual size changes.
        self._update_bars()

    def _measure_bars(self) -> tuple[bool, bool]:
        """Which bars the overflow rules show, as Textual decides it (one bar narrows the other
        dimension, which may call for the other bar)."""
        styles = self.styles
        width, height = self.container_size
        virtual_width, virtual_height = self.virtual_size

        def needed(overflow: str, content: int, room: int) -> bool:
            return overflow == "scroll" or (overflow == "auto" and content > room)

        vertical = needed(styles.overflow_y, virtual_height, height)
        horizontal = needed(styles.overflow_x, virtual_width, width)
        if vertical and not horizontal:
            horizontal = needed(styles.overflow_x, virtual_width, width - styles.scrollbar_size_vertical)
        if horizontal and not vertical:
            vertical = needed(styles.overflow_y, virtual_height, height - styles.scrollbar_size_horizontal)
        return vertical, horizontal

    def _update_bars(self) -> None:
        """Show or hide the bars as the content needs, and repaint the cells of them that changed."""
        if not self.is_mounted or not self.container_size:
            return
        shown = self._measure_bars()
        if shown != self._shown:
            styles = self.styles
            self._shown = shown
            self._bars = (
                styles.scrollbar_size_vertical if shown[0] else 0,
                styles.scrollbar_size_horizontal if shown[1] else 0,
            )
            self._pictures = None
            self.refresh()  # the content's width or height changed: the whole pane, nothing else
            return
        columns, rows = self._bars
        if not (columns or rows):
            return
        width, height = self.view_size
        if columns:
            before, after = self._picture(True, redraw=True)
            if before is not None and before != after:
                if len(before) != len(after):
                    self.refresh(Region(width, 0, columns, height))
                else:
                    changed = [y for y, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
                    self.refresh(*(Region(width, y, columns, 1) for y in changed))
        if rows:
            before, after = self._picture(False, redraw=True)
            if before is not None and before != after:
                self.refresh(Region(0, height, width + columns, rows))

    def _picture(self, vertical: bool, *, redraw: bool = False) -> tuple[list[Segment] | None, list[Segment]]:
        """A bar's picture (a segment a row, or a column), and the one it replaced if it was drawn
        again over an earlier one (else None).

        It is drawn again only when what it is drawn from changed (sizes, position, colours), and
        then by Textual's own scrollbar renderer, from the numbers Textual's bar would have.
        """
        pictures = self._pictures
        if pictures is None:
            pictures = self._pictures = {}
        kept = pictures.get(vertical)
        if kept is not None and not redraw:
            return None, kept[1]
        width, height = self.view_size
        virtual_width, virtual_height = self.virtual_size
        if vertical:
            length, virtual, position, thickness = height, virtual_height, self.scroll_y, self._bars[0]
        else:
            length, virtual, position, thickness = width, virtual_width, self.scroll_x, self._bars[1]
        back, bar = self._bar_colors(vertical)
        window = length if length < virtual else 0
        if self.screen.styles.scrollbar_color.a == 0:  # as Textual: no thumb drawn
            virtual, window = 100, 0
        key = (length, ceil(virtual), ceil(window), int(position * 8) / 8, thickness, back, bar)
        if kept is not None and kept[0] == key:
            return None, kept[1]
        segments = ScrollBar.renderer.render_bar(
            size=length,
            virtual_size=key[1],
            window_size=key[2],
            position=key[3],
            thickness=thickness,
            vertical=vertical,
            back_color=back,
            bar_color=bar,
        )
        base = self.base_style  # under the bar, as under a ScrollBar widget: the pane's colours
        picture = [Segment(text, base + style) for text, style, _ in segments.segments[:length]]
        pictures[vertical] = (key, picture)
        return (None if kept is None else kept[1]), picture

    def _bar_colors(self, vertical: bool) -> tuple[RichColor, RichColor]:
        """Track and thumb colours, as Textual's ``ScrollBar.render`` picks them."""
        styles = self.styles
        if self._grab is not None and self._grab[0] == vertical:
            background, color = styles.scrollbar_background_active, styles.scrollbar_color_active
        elif self._bar_hover == vertical:
            background, color = styles.scrollbar_background_hover, styles.scrollbar_color_hover
        else:
            background, color = styles.scrollbar_background, styles.scrollbar_color
        if background.a < 1:
            background = self.background_colors[0] + background
        color = background + color
        return background.rich_color, color.rich_color

    def render_line(self, y: int) -> Strip:
        """Content row ``y`` with its bars, for Textual's own way of drawing the widget."""
        return Strip(self._row_segments(y), self.container_size.width)

    def _row_segments(self, y: int) -> list[Segment]:
        """Content row ``y``: the pane's segments, then the vertical bar's cell (or a row of the
        horizontal bar, and the corner)."""
        columns, rows = self._bars
        if not (columns or rows):
            return self.content_segments(y)
        width, height = self.view_size
        if y >= height:  # a row of the horizontal bar, and the corner
            cells = list(self._picture(False)[1]) if rows else []
            drawn = sum(segment.cell_length for segment in cells)
            if drawn < width:  # a window too small for the bar's picture to fill
                cells.append(Segment(" " * (width - drawn), self.base_style))
            if columns:
                corner = self.styles.scrollbar_corner_color
                cells.append(Segment(" " * columns, Style(bgcolor=corner.rich_color)))
            return cells
        segments = self.content_segments(y)
        if columns:
            # The bar's picture may be shorter than the pane during a resize (it is drawn for the
            # size the last layout gave); a row past it gets a blank cell, not an IndexError.
            picture = self._picture(True)[1]
            segments.append(picture[y] if y < len(picture) else Segment(" " * columns, self.base_style))
        return segments

    def content_segments(self, y: int) -> list[Segment]:
        """Row ``y`` of what the pane shows (viewport row): a new list of segments exactly
        ``view_size.width`` cells wide. Subclasses draw it."""
        return self.blank_row()

    def _in_bar(self, event: MouseEvent) -> bool | None:
        """The bar under the mouse (vertical: True), or None."""
        offset = event.get_content_offset(self)
        if offset is None:
            return None
        columns, rows = self._bars
        width, height = self.view_size
        if columns and width <= offset.x < width + columns and offset.y < height:
            return True
        if rows and height <= offset.y < height + rows and offset.x < width:
            return False
        return None

    def in_scrollbar(self, event: MouseEvent) -> bool:
        """Whether the mouse event is on one of the pane's scrollbars (a click there is not a row's)."""
        return self._in_bar(event) is not None

    def _set_bar_state(self, hover: bool | None, grab: tuple[bool, float, float] | None) -> None:
        if (hover, grab is None) == (self._bar_hover, self._grab is None):
            self._grab = grab
            return
        self._bar_hover, self._grab = hover, grab
        self._update_bars()  # the colours changed: both pictures are drawn again

    async def _on_mouse_down(self, event: events.MouseDown) -> None:
        vertical = self._in_bar(event)
        if vertical is None:
            return
        event.stop()
        event.prevent_default()  # not the pane's own handling (links, selection)
        action = event.style.meta.get("@mouse.down")
        if action == "grab":  # the meta Textual's scrollbar renderer puts on the thumb and track
            self.capture_mouse()
            start = event.screen_y if vertical else event.screen_x
            self._set_bar_state(vertical, (vertical, start, self.scroll_y if vertical else self.scroll_x))
        elif action == "scroll_up":
            (self.scroll_page_up if vertical else self.scroll_page_left)(animate=False)
        elif action == "scroll_down":
            (self.scroll_page_down if vertical else self.scroll_page_right)(animate=False)

    async def _on_mouse_move(self, event: events.MouseMove) -> None:
        grab = self._grab
        if grab is None:
            self._set_bar_state(self._in_bar(event), None)
            return
        vertical, start, position = grab
        width, height = self.view_size
        virtual = self.virtual_size.height if vertical else self.virtual_size.width
        window = height if vertical else width
        if window:
            moved = (event.screen_y if vertical else event.screen_x) - start
            target = position + moved * (virtual / window)
            self.scroll_to(**{"y" if vertical else "x": target}, animate=False)  # type: ignore[arg-type]
        event.stop()

    async def _on_mouse_up(self, event: events.MouseUp) -> None:
        if self._grab is not None:
            self.release_mouse()
            self._set_bar_state(self._in_bar(event), None)
            event.stop()
            event.prevent_default()

    def _on_mouse_release(self, event: events.MouseRelease) -> None:
        if self._grab is not None:
            self._set_bar_state(None, None)

    def _on_leave(self, event: events.Leave) -> None:
        if self._grab is None and self._bar_hover is not None:
            self._set_bar_state(None, None)

    def watch_scroll_x(self, old: float, new: float) -> None:
        self._update_bars()  # the thumb
        if round(old) != round(new):
            self.refresh(self.size.region)

    def watch_scroll_y(self, old: float, new: float) -> None:
        self._update_bars()
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
