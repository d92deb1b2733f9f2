"""The graph as a tree: the output at the root, each node's operands as its children.

A graph is a DAG, and a DAG drawn as a tree repeats shared subgraphs: ``x1 = x0 + x0; x2 = x1 + x1``
sixty levels deep has 2^60 root-to-leaf paths over 61 nodes. So the tree drawn here is a spanning
tree of the graph: a depth-first walk from the output, in operand order, gives every node one *home*
(the first place that walk reaches it). A node is drawn in full only at its home; every other use is
a one-line back-reference (``↪ b  (used 2×)``) that jumps to the home when selected.

Textual's own ``Tree`` recurses per level and rebuilds every expanded line on each change, which
breaks on a 20,000-deep chain. This widget uses the Line API instead: it keeps a flat list of rows,
renders only the rows on screen, and bounds the drawn depth by *re-rooting* the view at an ancestor
of the node being followed (the breadcrumb above the tree shows the ancestors cut off). Following the
cursor expands only the path to the current node, and that path is let go again when the cursor
moves on; what the person expands stays expanded. A step therefore costs a bounded walk and a redraw
of the visible rows, however large the graph.
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple

from gradstep.core.ops import format_number
from gradstep.core.spanning import Spanning
from gradstep.core.text import escape
from gradstep.core.trace import Trace
from gradstep.tui.messages import NodeMessage
from gradstep.tui.widgets.line_view import NO_STYLE, fit
from gradstep.tui.widgets.row_cursor import RowCursor
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size

EXPAND_ALL_LIMIT = 5_000
"""Rows that ``shift+space`` (expand all) may add at once; a 60,000-node subtree is not readable."""
INITIAL_ROWS = 48
"""Rows opened on load, breadth first, so a small graph is shown whole without a key press."""


class Row(NamedTuple):
    """One line of the tree: ``node`` reached through ``edge`` (-1 for the view's root).

    ``guides`` is the drawn indentation, ``full`` is False for a back-reference line. A named
    tuple: the rows are rebuilt and compared on steps that follow the cursor into a new subtree,
    and tuples are built and compared in C.
    """

    node: int
    edge: int
    depth: int
    guides: str
    full: bool
    last: bool


class GraphTree(RowCursor, can_focus=True):
    """The graph as an expandable tree that follows the trace's cursor.

    | Key | Action |
    | :- | :- |
    | `enter` | Jump to the full node (on a back-reference), else expand or collapse. |
    | `space` | Expand or collapse. |
    | `shift+space` | Expand or collapse everything under the node. |
    | `up` / `down` | Move the cursor. |
    | `left` / `right` | Collapse or go to the parent / expand or go to the first operand. |
    | `shift+left` | Go to the parent (re-rooting the view above its top). |
    | `shift+right` | Go to the next sibling of the parent. |
    | `shift+up` / `shift+down` | Go to the previous / next sibling. |
    | `home` / `end` / `pageup` / `pagedown` | Scroll. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # The app's n and N, taken where the key comes in while the tree has focus: a key not
        # bound with priority goes down to the tree and bubbles up through four containers to the
        # app before its binding runs (a message round trip each, before the step can start).
        # Shown as the app shows them, so the footer reads the same.
        Binding("n", "app.step", "Next", priority=True),
        Binding("N", "app.step_back", "Prev", priority=True),
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("space", "toggle_node", "Toggle", show=False),
        Binding("shift+space", "toggle_expand_all", "Expand or collapse all", show=False),
        Binding("left", "collapse_or_parent", "Collapse", show=False),
        Binding("right", "expand_or_child", "Expand", show=False),
        Binding("shift+left", "cursor_parent", "Cursor to parent", show=False),
        Binding("shift+right", "cursor_parent_next_sibling", "Cursor to next ancestor", show=False),
        Binding("shift+up", "cursor_previous_sibling", "Cursor to previous sibling", show=False),
        Binding("shift+down", "cursor_next_sibling", "Cursor to next sibling", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "graph-tree--guides",
        "graph-tree--cursor",
        "graph-tree--current",
        "graph-tree--receiving",
        "graph-tree--changed",
        "graph-tree--pending",
        "graph-tree--breakpoint",
        "graph-tree--backref",
        "graph-tree--label",
        "graph-tree--op",
        "graph-tree--final",
    }

    DEFAULT_CSS = """
    GraphTree {
        background: $surface;
        & > .graph-tree--guides { color: $foreground 35%; }
        & > .graph-tree--cursor { background: $block-cursor-blurred-background; }
        &:focus > .graph-tree--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: bold;
        }
        & > .graph-tree--current { background: $warning 30%; }
        & > .graph-tree--receiving { background: $success 20%; }
        & > .graph-tree--changed { color: $text-warning; text-style: bold; }
        & > .graph-tree--pending { color: $foreground 45%; }
        & > .graph-tree--breakpoint { color: $text-error; text-style: bold; }
        & > .graph-tree--backref { color: $foreground 60%; text-style: italic; }
        & > .graph-tree--label { text-style: bold; }
        & > .graph-tree--op { color: $text-accent; }
        & > .graph-tree--final { text-style: bold; }
    }
    """

    class NodeHighlighted(NodeMessage):
        """The cursor moved to a line showing ``node`` (full or back-reference)."""

    class ViewRootChanged(NodeMessage):
        """The view was re-rooted at ``node``; the breadcrumb shows its ancestors."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._trace: Trace | None = None
        self._spanning: Spanning | None = None
        self._rows: list[Row] = []
        self._row_of: dict[int, int] = {}
        self.view_root = 0
        self.expanded: set[int] = set()
        """Nodes the person (or the initial layout) opened; never closed by following the cursor."""
        self._followed: set[int] = set()
        self._breakpoints: frozenset[int] = frozenset()
        self._current: int | None = None
        self._receiving: dict[int, float] = {}
        self._forward = False
        self._shown_position: int | None = None
        self._widest = 0
        self._max_depth = 0
        self._rows_dirty = True

    # --- what the app tells the tree -----------------------------------------------------------

    @property
    def trace(self) -> Trace | None:
        return self._trace

    @property
    def spanning(self) -> Spanning | None:
        return self._spanning

    @property
    def rows(self) -> list[Row]:
        """The rows as currently laid out (read-only use)."""
        self._ensure_rows()
        return self._rows

    def set_trace(self, trace: Trace | None, expanded: set[int] | None = None) -> None:
        """Show a new graph. ``expanded`` carries the person's open nodes over a reload."""
        self._trace = trace
        self._widest = 0
        self._spanning = trace.spanning if trace is not None else None
        self._max_depth = self._spanning.max_depth if self._spanning is not None else 0
        self.view_root = trace.output if trace is not None else 0
        self._followed = set()
        self._shown_position = None
        self._current = None
        self._receiving = {}
        self.forget_cursor_node()
        if trace is None:
            self.expanded = set()
        elif expanded is not None:
            self.expanded = {i for i in expanded if 0 <= i < trace.size}
        else:
            self.expanded = self._initial_expansion()
        self._rows_dirty = True
        self.cursor_line = 0
        if trace is not None:
            self.post_message(self.ViewRootChanged(self.view_root))
        self.refresh()

    def set_breakpoints(self, nodes: frozenset[int]) -> None:
        self._breakpoints = nodes
        self._ensure_rows()
        self._fit_width()
        self.refresh()

    def show_position(self) -> None:
        """Follow the trace's cursor: open the path to the step's node, select it, mark what changed.

        One step (``n`` or ``N``) changes the lines of the nodes it marks (the step's node, the
        operands that receive), of the nodes the previous step marked, of the nodes opened or
        closed by following, and the lines whose row moved; only those lines are redrawn (a scroll
        redraws them all). A jump may change any number shown, so it redraws every line.

        The cursor lands on the step's node without a ``NodeHighlighted``: the caller, which moved
        the trace, shows that node itself (``highlighted_node``). Each hop of that message up to
        the app is a message round trip, and the screen is drawn only once they are done. Nor
        does a re-rooting post ``ViewRootChanged``: the caller redraws the breadcrumb from
        ``view_root``. The cursor's two lines are redrawn with the step's (one refresh a step).
        """
        trace = self._trace
        if trace is None:
            return
        one_step = self._shown_position is not None and abs(trace.position - self._shown_position) <= 1
        self._shown_position = trace.position
        marked = self._marked()
        followed = self._followed
        rows = self._rows
        k = trace.current
        self._receiving = {}
        self._forward = k is not None and trace.phase(k) == "forward"
        if k is None:
            node = trace.output
            self._current = None
        else:
            node = trace.step_node(k)
            self._current = node
            phase = trace.phase(k)
            if phase == "backward":
                for e in trace.edges(node):
                    j = trace.in_ids[e]
                    self._receiving[j] = self._receiving.get(j, 0.0) + trace.local[e] * trace.grad[node]
            elif phase == "seed":
                self._receiving[node] = 1.0
        cursor = self.cursor_line
        self._moved_by_caller = True
        try:
            self.reveal(node, follow=True, repaint=not one_step)
        finally:
            self._moved_by_caller = False
        self._fit_width()
        if one_step:
            changed = marked | self._marked() | (followed ^ self._followed)
            self._refresh_changed(rows, changed, {cursor, self.cursor_line})
        else:
            self.refresh()

    def _marked(self) -> set[int]:
        """Nodes drawn differently because of the current step."""
        marked = set(self._receiving)
        if self._current is not None:
            marked.add(self._current)
        return marked

    def _refresh_changed(self, before: list[Row], nodes: set[int], lines: set[int]) -> None:
        """Redraw the visible lines whose row is not the one ``before`` had there, or shows (in
        full or as a back-reference) any of ``nodes``, and ``lines`` (the cursor's)."""
        rows = self._rows
        top = int(self.scroll_y)
        self.refresh_rows(
            y
            for y in range(top, top + self.view_size.height)
            if (y < len(rows) and (y >= len(before) or rows[y] != before[y] or rows[y].node in nodes))
            or len(rows) <= y < len(before)
            or y in lines
        )

    def reveal(self, node: int, *, follow: bool = False, repaint: bool = True) -> None:
        """Put the cursor on ``node``'s full line: open its ancestors, re-root if it is too deep.

        With ``follow`` the opened path (and the node itself, so its operands show) is temporary:
        the next call lets it go. Otherwise the path is added to what the person has opened.
        Without ``repaint`` the caller redraws what changed.
        """
        spanning = self._spanning
        if spanning is None:
            return
        limit = self._depth_limit()
        chain = spanning.ancestors(node, limit)
        if self.view_root not in chain:
            if spanning.depth[node] <= limit:
                new_root = spanning.root
            else:
                new_root = chain[min(limit // 3, len(chain) - 1)]
            chain = chain[: chain.index(new_root) + 1]
            self._set_view_root(new_root)
        else:
            chain = chain[: chain.index(self.view_root) + 1]
        path = set(chain[1:])
        if follow:
            path.add(node)
            if path != self._followed:
                self._followed = path
                self._rows_dirty = True
        elif not path <= self.expanded:
            self.expanded |= path
            self._rows_dirty = True
        rows = self._rows
        self._ensure_rows()
        if repaint and self._rows is not rows:
            self.refresh()
        row = self._row_of.get(node)
        if row is not None:
            self.cursor_line = row

    def set_view_root(self, node: int) -> None:
        """Re-root the view at ``node`` (a breadcrumb was picked) and put the cursor on it."""
        if self._trace is None or not 0 <= node < self._trace.size:
            return
        self._set_view_root(node)
        self._ensure_rows()
        self.cursor_line = 0
        self.refresh()

    @property
    def reroots(self) -> bool:
        """Whether the graph is deeper than the view shows at this width, so the view re-roots."""
        return self._max_depth > self._depth_limit()

    @property
    def highlighted_node(self) -> int | None:
        """The node on the cursor's line."""
        rows = self.rows
        if not rows:
            return None
        return rows[min(self.cursor_line, len(rows) - 1)].node

    # --- layout --------------------------------------------------------------------------------

    def _set_view_root(self, node: int) -> None:
        if node != self.view_root:
            self.view_root = node
            self._rows_dirty = True
            if not self._moved_by_caller:  # else the caller redraws the breadcrumb itself
                self.post_message(self.ViewRootChanged(node))

    def _depth_limit(self) -> int:
        """How many levels fit across the pane (three columns a level, ~40 left for the text)."""
        width = self.view_size.width or 80
        return max(3, min(40, (width - 40) // 3))

    def _is_open(self, node: int) -> bool:
        return node in self.expanded or node in self._followed

    def _initial_expansion(self) -> set[int]:
        """Open nodes breadth first from the output while the rows stay under ``INITIAL_ROWS``."""
        trace, spanning = self._trace, self._spanning
        assert trace is not None and spanning is not None
        opened: set[int] = set()
        rows = 1
        frontier = [trace.output]
        limit = self._depth_limit()
        while frontier:
            next_frontier: list[int] = []
            for p in frontier:
                edges = trace.edges(p)
                if not len(edges) or rows + len(edges) > INITIAL_ROWS or spanning.depth[p] >= limit:
                    continue
                opened.add(p)
                rows += len(edges)
                next_frontier.extend(
                    trace.in_ids[e] for e in edges if spanning.home_edge[trace.in_ids[e]] == e
                )
            frontier = next_frontier
        return opened

    def _ensure_rows(self) -> None:
        if not self._rows_dirty:
            return
        self._rows_dirty = False
        trace, spanning = self._trace, self._spanning
        previous = self._rows[self.cursor_line] if 0 <= self.cursor_line < len(self._rows) else None
        rows: list[Row] = []
        row_of: dict[int, int] = {}
        if trace is not None and spanning is not None:
            in_start, in_ids, home_edge = trace.in_start, trace.in_ids, spanning.home_edge
            stack: list[Row] = [Row(self.view_root, -1, 0, "", True, True)]
            while stack:
                row = stack.pop()
                if row.full:
                    row_of[row.node] = len(rows)
                rows.append(row)
                i = row.node
                if not row.full or not self._is_open(i):
                    continue
                guides = row.guides if row.edge < 0 else row.guides + ("   " if row.last else "│  ")
                start, end = in_start[i], in_start[i + 1]
                for e in range(end - 1, start - 1, -1):
                    j = in_ids[e]
                    stack.append(Row(j, e, row.depth + 1, guides, home_edge[j] == e, e == end - 1))
        if rows != self._rows:  # else keep the old list: its identity says "nothing moved"
            self._rows = rows
            self._row_of = row_of
        self._fit_width()
        if previous is not None:
            same = (
                next((y for y, row in enumerate(rows) if row == previous), None) if len(rows) < 4096 else None
            )
            if same is None:
                same = row_of.get(previous.node)
            if same is not None and same != self.cursor_line:
                self.cursor_line = same
        if self.cursor_line >= len(rows):
            self.cursor_line = max(0, len(rows) - 1)

    def _fit_width(self) -> None:
        """Size the scrollable area to the rows: as many as there are, as wide as the widest line
        drawn since the graph was shown (or the pane resized), and at least the pane.

        Lines are measured as they are drawn (``render_line``), so sizing costs nothing per step.
        The width never shrinks while stepping: a horizontal scrollbar does not come and go with
        the numbers.
        """
        width = max(self._widest, self.view_size.width)
        self.set_virtual_size(Size(width, len(self._rows)))

    # --- drawing -------------------------------------------------------------------------------

    WHOLE_LINES = ("graph-tree--cursor", "graph-tree--current", "graph-tree--receiving")
    """The components that colour a line's whole width (the rest colour their text only)."""

    def content_segments(self, y: int) -> list[Segment]:
        self._ensure_rows()
        scroll_x, scroll_y = self.scroll_offset
        width = self.view_size.width
        base = self.base_style
        index = y + scroll_y
        if index >= len(self._rows) or self._trace is None:
            return self.blank_row()
        line_style, parts = self._line_parts(index, self._rows[index])
        line_style = base + line_style
        segments = [Segment(text, line_style + style if style else line_style) for text, style in parts]
        length = sum(cell_len(text) for text, _ in parts)
        if length > self._widest:
            self._widest = length
            if length > self.virtual_size.width:
                self.call_after_refresh(self._fit_width)  # not mid-render: the scrollbar may appear
        return fit(segments, length, width, line_style, scroll_x=scroll_x)

    def _line_parts(self, index: int, row: Row) -> tuple[Style, list[tuple[str, Style | None]]]:
        """The line's own style (cursor, current, receiving) and its text in styled parts."""
        trace = self._trace
        assert trace is not None
        i = row.node
        styles = self.line_styles()
        # No per-line meta (a click finds its line from where it landed): lines share their styles,
        # so every part's combined style comes from Rich's cache instead of being built anew.
        line_style = NO_STYLE
        if i == self._current and row.full:
            line_style += styles["graph-tree--current"]
        elif i in self._receiving:
            line_style += styles["graph-tree--receiving"]
        if index == self.cursor_line:
            line_style += styles["graph-tree--cursor"]
        parts: list[tuple[str, Style | None]] = []
        add = parts.append
        guides = styles["graph-tree--guides"]
        if row.edge >= 0:
            add((row.guides + ("└─" if row.last else "├─"), guides))
        has_children = trace.in_start[i + 1] > trace.in_start[i]
        if not row.full:
            add(("↪ ", styles["graph-tree--backref"]))
        elif has_children:
            add(("▾ " if self._is_open(i) else "▸ ", guides))
        else:
            add(("─ " if row.edge >= 0 else "  ", guides))
        if i in self._breakpoints:
            add(("● ", styles["graph-tree--breakpoint"]))
        add((escape(trace.name(i)), styles["graph-tree--label"]))
        symbol = trace.symbol(i)
        if symbol:
            add((f" ({symbol})", styles["graph-tree--op"]))
        if not row.full:
            add((f"  used {trace.uses(i)}×", styles["graph-tree--backref"]))
        pending = styles["graph-tree--pending"]
        changed = styles["graph-tree--changed"]
        value = trace.value(i)
        add(("  = ", None))
        if value is None:
            add(("·", pending))
        else:
            add((format_number(value), changed if i == self._current and self._forward else None))
        grad = trace.grad_so_far(i)
        add(("  grad ", None))
        if grad is None:
            add(("—", pending))
        elif i in self._receiving:
            delta = self._receiving[i]
            add((format_number(grad), changed))
            add((f" ({'+' if delta >= 0 else ''}{format_number(delta)})", changed))
        else:
            add((format_number(grad), styles["graph-tree--final"] if trace.is_final(i) else None))
        return line_style, parts

    # --- cursor and keys -----------------------------------------------------------------------

    def node_at(self, line: int) -> int | None:
        return self.rows[line].node

    def cursor_reached(self, node: int) -> None:
        self.post_message(self.NodeHighlighted(node))

    def _on_resize(self, event: events.Resize) -> None:
        self._widest = 0
        self._ensure_rows()
        self._fit_width()
        self.refresh()
        if self._trace is not None:  # whether the view re-roots depends on the width
            self.post_message(self.ViewRootChanged(self.view_root))

    async def _on_click(self, event: events.Click) -> None:
        cell = self.clicked_cell(event)
        if cell is None:
            return
        line, x = cell
        if self._hits_toggle(self.rows[line], x):
            self.cursor_line = line
            self.action_toggle_node()
        elif line == self.cursor_line:
            self.action_select_cursor()
        else:
            self.cursor_line = line
            if not self.rows[line].full:
                self.action_select_cursor()

    def _hits_toggle(self, row: Row, x: int) -> bool:
        """Whether column ``x`` of ``row``'s line is its open/close triangle."""
        if not row.full or not self._has_children(row.node):
            return False
        start = len(row.guides) + 2 if row.edge >= 0 else 0  # after the guides and "├─"
        return start <= x < start + 2

    def _cursor_row(self) -> Row | None:
        rows = self.rows
        return rows[self.cursor_line] if 0 <= self.cursor_line < len(rows) else None

    def _has_children(self, node: int) -> bool:
        trace = self._trace
        return trace is not None and trace.in_start[node + 1] > trace.in_start[node]

    def _set_open(self, node: int, is_open: bool) -> None:
        if is_open:
            self.expanded.add(node)
        else:
            self.expanded.discard(node)
            self._followed.discard(node)
        self._rows_dirty = True
        self._ensure_rows()
        self.refresh()

    def action_select_cursor(self) -> None:
        """On a back-reference, jump to the node's full line; elsewhere, expand or collapse."""
        row = self._cursor_row()
        if row is None:
            return
        if not row.full:
            self.reveal(row.node)
        else:
            self.action_toggle_node()

    def action_toggle_node(self) -> None:
        row = self._cursor_row()
        if row is None or not row.full or not self._has_children(row.node):
            return
        self._set_open(row.node, not self._is_open(row.node))

    def action_toggle_expand_all(self) -> None:
        """Open everything under the cursor's node (up to a bounded number of rows), or close it."""
        row = self._cursor_row()
        trace, spanning = self._trace, self._spanning
        if row is None or not row.full or trace is None or spanning is None:
            return
        subtree: list[int] = []
        stack = [row.node]
        rows = 0
        while stack and rows < EXPAND_ALL_LIMIT:
            p = stack.pop()
            edges = trace.edges(p)
            if not len(edges):
                continue
            subtree.append(p)
            rows += len(edges)
            stack.extend(trace.in_ids[e] for e in edges if spanning.home_edge[trace.in_ids[e]] == e)
        if all(self._is_open(p) for p in subtree):
            self.expanded.difference_update(subtree)
            self._followed.difference_update(subtree)
        else:
            self.expanded.update(subtree)
        self._rows_dirty = True
        self._ensure_rows()
        self.refresh()

    def action_collapse_or_parent(self) -> None:
        row = self._cursor_row()
        if row is None:
            return
        if row.full and self._is_open(row.node) and self._has_children(row.node):
            self._set_open(row.node, False)
        else:
            self.action_cursor_parent()

    def action_expand_or_child(self) -> None:
        row = self._cursor_row()
        if row is None or not row.full or not self._has_children(row.node):
            return
        if not self._is_open(row.node):
            self._set_open(row.node, True)
        else:
            self.action_cursor_down()

    def _parent_line(self, line: int) -> int | None:
        rows = self.rows
        depth = rows[line].depth
        for y in range(line - 1, -1, -1):
            if rows[y].depth < depth:
                return y
        return None

    def action_cursor_parent(self) -> None:
        """Go to the parent line; at the top of a re-rooted view, re-root one level up."""
        row = self._cursor_row()
        if row is None:
            return
        parent = self._parent_line(self.cursor_line)
        if parent is not None:
            self.cursor_line = parent
            return
        spanning = self._spanning
        if spanning is not None and spanning.parent[row.node] >= 0:
            above = spanning.parent[row.node]
            self._set_view_root(above)
            self._ensure_rows()
            self.cursor_line = self._row_of.get(above, 0)
            self.refresh()

    def _sibling_lines(self, line: int) -> list[int]:
        rows = self.rows
        parent = self._parent_line(line)
        if parent is None:
            return [line]
        depth = rows[line].depth
        siblings = []
        for y in range(parent + 1, len(rows)):
            if rows[y].depth < depth:
                break
            if rows[y].depth == depth:
                siblings.append(y)
        return siblings

    def action_cursor_previous_sibling(self) -> None:
        siblings = self._sibling_lines(self.cursor_line)
        at = siblings.index(self.cursor_line)
        if at > 0:
            self.cursor_line = siblings[at - 1]

    def action_cursor_next_sibling(self) -> None:
        siblings = self._sibling_lines(self.cursor_line)
        at = siblings.index(self.cursor_line)
        if at + 1 < len(siblings):
            self.cursor_line = siblings[at + 1]

    def action_cursor_parent_next_sibling(self) -> None:
        parent = self._parent_line(self.cursor_line)
        if parent is None:
            return
        siblings = self._sibling_lines(parent)
        at = siblings.index(parent)
        self.cursor_line = siblings[at + 1] if at + 1 < len(siblings) else parent

    # --- plain-text view, for tests and the screen reader in us all ------------------------------

    def line_texts(self) -> list[str]:
        """Every row as plain text (what the screen shows, without styles)."""
        return ["".join(text for text, _ in self._line_parts(y, row)[1]) for y, row in enumerate(self.rows)]
