"""Scrolling a Line API widget without repainting or laying out more than what changed.

Textual repaints a scrollbar whenever one of its numbers changes, and lays the screen out when a
widget's virtual size is assigned. On a step of the debugger both happen for nothing most of the
time: the timeline of a 130,000-event trace scrolls by one row, which moves its thumb by a
hundred-thousandth of a cell; the inspector's length changes with every node. Here the numbers are
set quietly and a scrollbar is repainted only when what it draws changes, so a step costs what it
changes on screen, not what the graph's size makes the scrollbars compute.
"""

from __future__ import annotations

from math import ceil

from rich.segment import Segment
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.widget import Widget


def set_virtual_size(widget: ScrollView, size: Size) -> None:
    """Give ``widget`` a new virtual (scrollable) size.

    Assigning ``widget.virtual_size`` asks Textual to lay out the whole screen, which a step of the
    debugger cannot afford. The widget's own region does not depend on its virtual size, only its
    scrollbars do, so this sets the size quietly and updates the scrollbars as Textual's
    ``_scroll_update`` does, repainting a bar only when its picture changes. A scrollbar that
    appears or goes still lays the screen out (those are layout reactives). The caller refreshes
    what its content changed.
    """
    if size == widget.virtual_size:
        return
    refresh_scrollbars = getattr(widget, "_refresh_scrollbars", None)
    if not widget.is_mounted or not widget.container_size or refresh_scrollbars is None:
        widget.virtual_size = size  # not laid out yet (or an unknown Textual): the ordinary way
        return
    widget.set_reactive(Widget.virtual_size, size)
    refresh_scrollbars()
    width, height = widget.container_size
    if widget.show_vertical_scrollbar and widget.styles.scrollbar_size_vertical:
        update_bar(
            widget.vertical_scrollbar,
            virtual=size.height,
            window=height - widget.scrollbar_size_horizontal,
        )
    if widget.show_horizontal_scrollbar and widget.styles.scrollbar_size_horizontal:
        update_bar(
            widget.horizontal_scrollbar,
            virtual=size.width,
            window=width - widget.scrollbar_size_vertical,
        )
    widget.scroll_x = widget.validate_scroll_x(widget.scroll_x)
    widget.scroll_y = widget.validate_scroll_y(widget.scroll_y)


def update_bar(
    bar: ScrollBar,
    *,
    position: float | None = None,
    virtual: int | None = None,
    window: int | None = None,
) -> None:
    """Set a scrollbar's numbers; repaint it only if that changes what it draws."""
    before = drawing(bar)
    if position is not None:
        bar.set_reactive(ScrollBar.position, bar.validate_position(position))
    if virtual is not None:
        bar.set_reactive(ScrollBar.window_virtual_size, virtual)
    if window is not None:
        bar.set_reactive(ScrollBar.window_size, window)
    after = drawing(bar)
    if after != before and picture(bar, after) != picture(bar, before):
        bar.refresh()


Drawing = tuple[int, int, int, int, float] | tuple[int, int]
"""What a bar's picture is drawn from: its length and thickness, and (for a bar with a thumb) the
virtual and window sizes and the position, as ``ScrollBar._render_bar`` hands them on."""


def drawing(bar: ScrollBar) -> Drawing:
    # As the renderer measures itself: along the bar, and across it.
    width, height = bar.size
    length, thickness = (height, width) if bar.vertical else (width, height)
    virtual, window = bar.window_virtual_size, bar.window_size
    if not window or window >= virtual:  # the content fits: an empty track, whatever the numbers
        return (length, thickness)
    return (length, thickness, ceil(virtual), ceil(window), bar.position)


def picture(bar: ScrollBar, drawing: Drawing) -> list[Segment]:
    """The bar as its renderer draws it from ``drawing`` (colours aside: the numbers do not change them)."""
    length, thickness, *thumb = drawing
    virtual, window, position = thumb if thumb else (0, 0, 0.0)
    segments = bar.renderer.render_bar(
        size=length,
        virtual_size=virtual,
        window_size=window,
        position=position,
        thickness=thickness,
        vertical=bar.vertical,
    )
    return list(segments.segments)
