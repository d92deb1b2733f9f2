"""Resizing a Line API widget's scrollable area without laying out the whole screen again."""

from __future__ import annotations

from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.widget import Widget


def set_virtual_size(widget: ScrollView, size: Size) -> None:
    """Give ``widget`` a new virtual (scrollable) size.

    Assigning ``widget.virtual_size`` asks Textual to lay out the whole screen, which a step of the
    debugger cannot afford (the tree's row count changes as it follows the cursor; the inspector's
    with every node). The widget's own region does not depend on its virtual size, only its
    scrollbars do, so this sets the size quietly and runs Textual's scrollbar update: a scrollbar
    that appears or goes still lays the screen out (those are layout reactives), a thumb that only
    moves or resizes repaints the scrollbar alone. The caller refreshes what its content changed.
    """
    if size == widget.virtual_size:
        return
    scroll_update = getattr(widget, "_scroll_update", None)
    if not widget.is_mounted or not widget.container_size or scroll_update is None:
        widget.virtual_size = size  # not laid out yet (or an unknown Textual): the ordinary way
        return
    widget.set_reactive(Widget.virtual_size, size)
    scroll_update(size)
