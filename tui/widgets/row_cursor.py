"""The keyboard cursor shared by the panes that list rows under one: the graph tree, the modules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from gradstep.tui.widgets.line_view import LineView
from textual.binding import Binding, BindingType
from textual.events import MouseEvent
from textual.geometry import Region
from textual.reactive import reactive


class RowCursor(LineView):
    """A ``LineView`` with a cursor row: moved by the arrow and page keys, kept in view, redrawn
    as two lines (the one it leaves, the one it lands on), and reported when it lands on a node.

    Subclasses give their ``rows`` and say which node a line shows (``node_at``) and what to do
    when the cursor reaches one (``cursor_reached``); their own keys add to these.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("home", "cursor_home", "First line", show=False),
        Binding("end", "cursor_end", "Last line", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
    ]

    cursor_line: reactive[int] = reactive(0, always_update=True, init=False, repaint=False)
    """The row the keyboard cursor is on."""

    _last_highlighted: int | None = None
    _moved_by_caller = False
    """While set, a move of the cursor neither redraws its two lines nor reports the node: the
    code that moved it does both (see ``GraphTree.show_position``)."""

    @property
    def rows(self) -> Sequence[object]:
        raise NotImplementedError

    def node_at(self, line: int) -> int | None:
        """The node line ``line`` shows, or None (a line that is not one node's)."""
        raise NotImplementedError

    def cursor_reached(self, node: int) -> None:
        """The cursor landed on a line of ``node``, coming from another node's line."""
        raise NotImplementedError

    def clicked_cell(self, event: MouseEvent) -> tuple[int, int] | None:
        """The row and column of the content a click landed on, or None (off the rows, or on a
        scrollbar). Lines carry no meta of their own, so that they share their styles."""
        offset = event.get_content_offset(self)
        if offset is None or self.in_scrollbar(event):
            return None
        scroll_x, scroll_y = self.scroll_offset
        line = offset.y + scroll_y
        if not 0 <= line < len(self.rows):
            return None
        return line, offset.x + scroll_x

    def forget_cursor_node(self) -> None:
        """A new graph: the next line the cursor lands on is reported even if its node number
        was the last one reported."""
        self._last_highlighted = None

    def watch_cursor_line(self, previous: int, line: int) -> None:
        rows = self.rows
        if not rows:
            return
        if line < 0 or line >= len(rows):
            self.cursor_line = max(0, min(line, len(rows) - 1))
            return
        top = int(self.scroll_y)
        if self.scroll_x or not top <= line < top + self.view_size.height:  # else it is in view
            self.scroll_to_region(Region(0, line, 1, 1), animate=False, force=True, immediate=True)
        if not self._moved_by_caller:
            self.refresh_rows((previous, line))
        node = self.node_at(line)
        if node != self._last_highlighted:
            self._last_highlighted = node
            if node is not None and not self._moved_by_caller:
                self.cursor_reached(node)

    def action_cursor_up(self) -> None:
        self.cursor_line = max(0, self.cursor_line - 1)

    def action_cursor_down(self) -> None:
        self.cursor_line = min(len(self.rows) - 1, self.cursor_line + 1)

    def action_cursor_home(self) -> None:
        self.cursor_line = 0

    def action_cursor_end(self) -> None:
        self.cursor_line = max(0, len(self.rows) - 1)

    def action_page_up(self) -> None:
        self.cursor_line = max(0, self.cursor_line - max(1, self.view_size.height - 1))

    def action_page_down(self) -> None:
        self.cursor_line = min(len(self.rows) - 1, self.cursor_line + max(1, self.view_size.height - 1))
