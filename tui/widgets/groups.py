"""The graph's labelled nodes as modules: layers, neurons, and each neuron's weights and outputs.

micrograd's demo has 65,818 nodes; a person learning backprop wants "layer 0 → neuron 5 → its
weights' grads" while stepping, and the 100 outputs of that neuron. ``gradstep.core.groups`` reads that
structure from the labels (``L0.N5.w0``); this pane draws it as a tree of rows:

- a group (``▾ L0  params final 0/48 · computed 37/3200 · grads 3/3200``), expandable;
- an entry with one node (``w0 = 0.23  grad -0.012 final``): a node row;
- an entry with many nodes (``▸ out ×100  computed 37/100 · grads 3/100``), expandable into one
  node row per occurrence (``out #37 = 0.5  grad —``), numbered from 1 in creation order.

Like the graph tree it uses the Line API: rows are a flat list rebuilt only when something opens or
closes, and a step redraws the visible lines, each in O(log nodes) (a group's counts are bisected,
not counted), so a step costs O(visible rows) whatever the graph's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from gradstep.core.groups import ModuleTree, Summary
from gradstep.core.ops import format_number
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

EMPTY = (
    "No module labels in this graph.",
    "Labels with dots name modules:",
    "L0.N5.w0 is layer 0, neuron 5,",
    "weight 0 (gradstep.core.nn.MLP labels so).",
)
"""What the pane says when no label holds a dot, a short line each (the pane may be narrow)."""


@dataclass(frozen=True, slots=True)
class Row:
    """One line: ``item``'s own line (``occurrence`` -1) or the line of its ``occurrence``-th node."""

    item: int
    occurrence: int
    depth: int


Parts = list[tuple[str, Style | None]]


class GroupsView(RowCursor, can_focus=True):
    """The module groups of the graph's labels, with counts and numbers at the trace's cursor.

    | Key | Action |
    | :- | :- |
    | `enter` | On a node's line: show it in the graph tree. Else expand or collapse. |
    | `space` | Expand or collapse. |
    | `up` / `down` | Move the cursor. |
    | `left` / `right` | Collapse or go to the enclosing group / expand or go to the first child. |
    | `home` / `end` / `pageup` / `pagedown` | Move the cursor to the first / last line, by a page. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("space", "toggle_item", "Toggle", show=False),
        Binding("left", "collapse_or_parent", "Collapse", show=False),
        Binding("right", "expand_or_child", "Expand", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "groups--guides",
        "groups--cursor",
        "groups--current",
        "groups--receiving",
        "groups--changed",
        "groups--pending",
        "groups--label",
        "groups--count",
        "groups--final",
        "groups--muted",
    }

    DEFAULT_CSS = """
    GroupsView {
        background: $surface;
        & > .groups--guides { color: $foreground 35%; }
        & > .groups--cursor { background: $block-cursor-blurred-background; }
        &:focus > .groups--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: bold;
        }
        & > .groups--current { background: $warning 30%; }
        & > .groups--receiving { background: $success 20%; }
        & > .groups--changed { color: $text-warning; text-style: bold; }
        & > .groups--pending { color: $foreground 45%; }
        & > .groups--label { text-style: bold; }
        & > .groups--count { color: $foreground 70%; }
        & > .groups--final { text-style: bold; }
        & > .groups--muted { color: $foreground 55%; text-style: italic; }
    }
    """

    class NodeHighlighted(NodeMessage):
        """The cursor moved onto the line of ``node`` (the app shows it in the inspector)."""

    class NodeChosen(NodeMessage):
        """Enter on the line of ``node`` (the app shows it in the graph tree)."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._trace: Trace | None = None
        self._modules: ModuleTree | None = None
        self._rows: list[Row] = []
        self._row_of: dict[int, int] = {}
        self.expanded: set[int] = set()
        """The items open now (numbers of ``modules``)."""
        self._wanted_open: set[str] | None = None
        self._rows_dirty = True
        self._widest = 0
        self._marked_position: int | None = None
        self._current: int | None = None
        self._current_items: set[int] = set()
        self._receiving: dict[int, float] = {}
        self._receiving_items: set[int] = set()
        self._forward = False

    # --- what the app tells the view -----------------------------------------------------------

    @property
    def trace(self) -> Trace | None:
        return self._trace

    @property
    def modules(self) -> ModuleTree | None:
        """The module tree, built on first use (loading a graph does not pay for a hidden pane)."""
        if self._modules is None and self._trace is not None:
            self._modules = ModuleTree(self._trace)
            wanted = self._wanted_open
            if wanted is None:
                self.expanded = set(self._modules.roots)  # layers open, neurons closed
            else:
                found = (self._modules.find(path) for path in wanted)
                self.expanded = {item for item in found if item is not None}
            self._rows_dirty = True
        return self._modules

    @property
    def rows(self) -> list[Row]:
        """The rows as currently laid out (read-only use)."""
        self._ensure_rows()
        return self._rows

    @property
    def expanded_paths(self) -> set[str]:
        """The open items by name, to carry over a reload (``set_trace(new, expanded_paths=…)``)."""
        modules = self._modules
        if modules is None:
            return set(self._wanted_open or ())
        return {modules.paths[item] for item in self.expanded}

    def set_trace(self, trace: Trace | None, expanded_paths: set[str] | None = None) -> None:
        """Show a new graph. ``expanded_paths`` (see ``expanded_paths``) opens those items; without
        it the top-level groups are open and the rest closed."""
        self._trace = trace
        self._modules = None
        self._wanted_open = set(expanded_paths) if expanded_paths is not None else None
        self.expanded = set()
        self._rows = []
        self._row_of = {}
        self._rows_dirty = True
        self._widest = 0
        self.forget_cursor_node()
        self._marked_position = None
        self.set_reactive(GroupsView.cursor_line, 0)  # without the watcher, which would build the tree
        self.refresh()

    def show_position(self) -> None:
        """The trace's cursor moved: redraw the visible lines whose counts or marks changed.

        One step (either way) changes only the nodes of the event it applies or undoes: the step's
        node and the nodes receiving grads, which are the ones marked now or marked before. So only
        the visible lines holding them (node lines, and the entries and groups enclosing them) are
        redrawn, found by a scan of the visible rows; a jump redraws every visible line.
        """
        trace = self._trace
        if trace is None:
            return
        shown = self._marked_position
        if self._modules is None or shown is None or abs(trace.position - shown) > 1:
            self._marked_position = None  # marks are worked out afresh when the lines are drawn
            self.refresh()
            return
        nodes = self._marked_nodes()
        items = self._current_items | self._receiving_items
        self._ensure_marks()
        nodes |= self._marked_nodes()
        items |= self._current_items | self._receiving_items
        rows = self.rows
        top = int(self.scroll_y)
        changed = []
        for y in range(top, min(top + self.view_size.height, len(rows))):
            row = rows[y]
            node = self.node_of(row)
            if (node in nodes) if node is not None else row.item in items:
                changed.append(y)
        self.refresh_rows(changed)

    def _marked_nodes(self) -> set[int]:
        """The nodes drawn differently because of the step on screen."""
        nodes = set(self._receiving)
        if self._current is not None:
            nodes.add(self._current)
        return nodes

    @property
    def highlighted_node(self) -> int | None:
        """The node on the cursor's line, or None on a group's or a many-node entry's line."""
        rows = self.rows
        if not rows:
            return None
        return self.node_of(rows[min(self.cursor_line, len(rows) - 1)])

    def reveal(self, node: int) -> bool:
        """Put the cursor on ``node``'s line, opening what encloses it. False if it is not grouped."""
        modules = self.modules
        if modules is None or not 0 <= node < len(modules.item_of) or modules.item_of[node] < 0:
            return False
        entry = modules.item_of[node]
        chain = modules.ancestors(entry)
        opening = set(chain[1:])
        if self._expandable(entry):
            opening.add(entry)
        if not opening <= self.expanded:
            self.expanded |= opening
            self._rows_dirty = True
            self.refresh()
        self._ensure_rows()
        line = self._row_of[entry]
        if self._expandable(entry):
            occurrence = modules.occurrence(node)
            assert occurrence is not None
            line += 1 + occurrence
        self.cursor_line = line
        return True

    # --- rows ----------------------------------------------------------------------------------

    def _expandable(self, item: int) -> bool:
        modules = self._modules
        assert modules is not None
        return bool(modules.children[item]) or len(modules.own_nodes(item)) > 1

    def node_of(self, row: Row) -> int | None:
        """The node ``row`` shows (an occurrence, or a one-node entry), else None."""
        modules = self._modules
        if modules is None:
            return None
        own = modules.own_nodes(row.item)
        if row.occurrence >= 0:
            return own[row.occurrence]
        if len(own) == 1 and not modules.children[row.item]:
            return own[0]
        return None

    def _ensure_rows(self) -> None:
        """Lay out the rows of the open items (a walk with a stack: depth is data)."""
        modules = self.modules
        if not self._rows_dirty:
            return
        self._rows_dirty = False
        previous = self._rows[self.cursor_line] if 0 <= self.cursor_line < len(self._rows) else None
        rows: list[Row] = []
        row_of: dict[int, int] = {}
        if modules is not None:
            stack = [(item, 0) for item in reversed(modules.roots)]
            while stack:
                item, depth = stack.pop()
                row_of[item] = len(rows)
                rows.append(Row(item, -1, depth))
                if item not in self.expanded or not self._expandable(item):
                    continue
                children = modules.children[item]
                own = modules.own_nodes(item)
                if children or len(own) > 1:
                    rows.extend(Row(item, k, depth + 1) for k in range(len(own)))
                stack.extend((child, depth + 1) for child in reversed(children))
        self._rows = rows
        self._row_of = row_of
        self._fit_size()
        line = self.cursor_line if previous is None else self._line_after_relayout(previous)
        if line != self.cursor_line:
            self.cursor_line = line
        elif self.cursor_line >= len(rows):
            self.cursor_line = max(0, len(rows) - 1)

    def _line_after_relayout(self, previous: Row) -> int:
        """Where the cursor's row is now; if it was closed away, its nearest open enclosing item."""
        modules = self._modules
        assert modules is not None
        if previous.item in self._row_of:
            line = self._row_of[previous.item]
            if previous.occurrence < 0:
                return line
            if previous.item in self.expanded:
                return line + 1 + previous.occurrence
            return line
        for item in modules.ancestors(previous.item):
            if item in self._row_of:
                return self._row_of[item]
        return 0

    def _fit_size(self) -> None:
        """Size the scrollable area: a line per row, as wide as the widest line drawn so far (it
        never shrinks while stepping, so a horizontal scrollbar does not come and go)."""
        height = len(self._rows)
        if self._modules is not None and not self._rows:
            height = len(EMPTY)
            self._widest = max(self._widest, *(len(line) for line in EMPTY))
        self.set_virtual_size(Size(max(self._widest, self.view_size.width), height))

    # --- marks ---------------------------------------------------------------------------------

    def _ensure_marks(self) -> None:
        """Which node the step on screen is about and which receive grads, and the items holding
        them: O(label depth), once per cursor position."""
        trace, modules = self._trace, self._modules
        if trace is None or modules is None or self._marked_position == trace.position:
            return
        self._marked_position = trace.position
        self._receiving = {}
        k = trace.current
        self._forward = k is not None and trace.phase(k) == "forward"
        self._current = None if k is None else trace.step_node(k)
        if k is not None and trace.phase(k) == "backward":
            node = self._current
            assert node is not None
            for e in trace.edges(node):
                j = trace.in_ids[e]
                self._receiving[j] = self._receiving.get(j, 0.0) + trace.local[e] * trace.grad[node]
        elif k is not None and trace.phase(k) == "seed":
            self._receiving[trace.output] = 1.0
        self._current_items = self._holding([] if self._current is None else [self._current])
        self._receiving_items = self._holding(list(self._receiving))

    def _holding(self, nodes: list[int]) -> set[int]:
        modules = self._modules
        assert modules is not None
        items: set[int] = set()
        for node in nodes:
            if modules.item_of[node] >= 0:
                items.update(modules.ancestors(modules.item_of[node]))
        return items

    # --- drawing -------------------------------------------------------------------------------

    WHOLE_LINES = ("groups--cursor", "groups--current", "groups--receiving")
    """The components that colour a line's whole width (the rest colour their text only)."""

    def content_segments(self, y: int) -> list[Segment]:
        self._ensure_rows()
        self._ensure_marks()
        scroll_x, scroll_y = self.scroll_offset
        width = self.view_size.width
        base = self.base_style
        index = y + scroll_y
        if self._modules is None:
            return self.blank_row()
        if not self._rows:
            line_style = base
            muted = self.line_styles()["groups--muted"]
            parts: Parts = [(EMPTY[index], muted)] if index < len(EMPTY) else []
        elif index >= len(self._rows):
            return self.blank_row()
        else:
            own_style, parts = self._line_parts(index, self._rows[index])
            line_style = base + own_style
        segments = [Segment(text, line_style + style if style else line_style) for text, style in parts]
        length = sum(cell_len(text) for text, _ in parts)
        if length > self._widest:
            self._widest = length
            self.call_after_refresh(self._fit_size)
        return fit(segments, length, width, line_style, scroll_x=scroll_x)

    def _line_parts(self, index: int, row: Row) -> tuple[Style, Parts]:
        """The line's own style (cursor, current, receiving) and its text in styled parts."""
        modules, trace = self._modules, self._trace
        assert modules is not None and trace is not None
        styles = self.line_styles()
        item = row.item
        node = self.node_of(row)
        line_style = NO_STYLE  # no per-line meta: a click finds its line from where it landed
        if (node == self._current) if node is not None else item in self._current_items:
            line_style += styles["groups--current"]
        elif (node in self._receiving) if node is not None else item in self._receiving_items:
            line_style += styles["groups--receiving"]
        if index == self.cursor_line:
            line_style += styles["groups--cursor"]
        parts: Parts = [("  " * row.depth, None)]
        add = parts.append
        name = escape(modules.names[item])
        if row.occurrence >= 0:
            add(("  ", None))
            add((name, styles["groups--label"]))
            add((f" #{row.occurrence + 1}", styles["groups--count"]))
        elif self._expandable(item):
            add(("▾ " if item in self.expanded else "▸ ", styles["groups--guides"]))
            add((name, styles["groups--label"]))
            own = modules.own_nodes(item)
            if len(own) > 1 and not modules.children[item]:
                add((f" ×{len(own)}", styles["groups--count"]))
            add(("  ", None))
            self._summary_parts(modules.summary(item, trace.position), parts)
            return line_style, parts
        else:
            add(("  ", None))
            add((name, styles["groups--label"]))
        assert node is not None
        self._number_parts(node, parts)
        return line_style, parts

    def _summary_parts(self, summary: Summary, parts: Parts) -> None:
        """``params final 0/48 · computed 37/3200 · grads 3/3200``: parameters matter for their
        final grads; computed nodes for the forward pass reaching them and grads reaching them."""
        styles = self.line_styles()
        counts: list[tuple[str, int, int]] = []
        if summary.leaves:
            counts.append(("params final", summary.leaves_final, summary.leaves))
        if summary.results:
            counts.append(("computed", summary.results_computed, summary.results))
            counts.append(("grads", summary.results_with_grad, summary.results))
        for k, (what, done, total) in enumerate(counts):
            if k:
                parts.append((" · ", styles["groups--guides"]))
            parts.append((f"{what} ", None))
            style = (
                styles["groups--pending"] if done == 0 else styles["groups--final"] if done == total else None
            )
            parts.append((f"{done}/{total}", style))

    def _number_parts(self, node: int, parts: Parts) -> None:
        """`` = 0.23  grad -0.012 final``, with ``·`` / ``—`` for not computed / no grad yet."""
        trace = self._trace
        assert trace is not None
        styles = self.line_styles()
        pending, changed = styles["groups--pending"], styles["groups--changed"]
        value = trace.value(node)
        parts.append((" = ", None))
        if value is None:
            parts.append(("·", pending))
        else:
            parts.append((format_number(value), changed if node == self._current and self._forward else None))
        grad = trace.grad_so_far(node)
        parts.append(("  grad ", None))
        if grad is None:
            parts.append(("—", pending))
        elif node in self._receiving:
            delta = self._receiving[node]
            parts.append((format_number(grad), changed))
            parts.append((f" ({'+' if delta >= 0 else ''}{format_number(delta)})", changed))
        elif trace.is_final(node):
            parts.append((format_number(grad), styles["groups--final"]))
            parts.append((" final", styles["groups--final"]))
        else:
            parts.append((format_number(grad), None))

    # --- cursor and keys -----------------------------------------------------------------------

    def node_at(self, line: int) -> int | None:
        return self.node_of(self.rows[line])

    def cursor_reached(self, node: int) -> None:
        self.post_message(self.NodeHighlighted(node))

    def _on_resize(self, event: events.Resize) -> None:
        self._ensure_rows()
        self._fit_size()
        self.refresh()

    async def _on_click(self, event: events.Click) -> None:
        cell = self.clicked_cell(event)
        if cell is None:
            return
        line, x = cell
        if self._hits_toggle(self.rows[line], x):
            self.cursor_line = line
            self.action_toggle_item()
        elif line == self.cursor_line:
            self.action_select_cursor()
        else:
            self.cursor_line = line

    def _hits_toggle(self, row: Row, x: int) -> bool:
        """Whether column ``x`` of ``row``'s line is its open/close triangle."""
        if row.occurrence >= 0 or not self._expandable(row.item):
            return False
        start = 2 * row.depth  # after the indent
        return start <= x < start + 2

    def _cursor_row(self) -> Row | None:
        rows = self.rows
        return rows[self.cursor_line] if 0 <= self.cursor_line < len(rows) else None

    def _set_open(self, item: int, is_open: bool) -> None:
        if is_open:
            self.expanded.add(item)
        else:
            self.expanded.discard(item)
        self._rows_dirty = True
        self._ensure_rows()
        self.refresh()

    def action_select_cursor(self) -> None:
        """On a node's line, ask the app to show it in the graph; elsewhere expand or collapse."""
        row = self._cursor_row()
        if row is None:
            return
        node = self.node_of(row)
        if node is not None:
            self.post_message(self.NodeChosen(node))
        else:
            self.action_toggle_item()

    def action_toggle_item(self) -> None:
        row = self._cursor_row()
        if row is None or row.occurrence >= 0 or not self._expandable(row.item):
            return
        self._set_open(row.item, row.item not in self.expanded)

    def action_collapse_or_parent(self) -> None:
        """Close the cursor's item if open, else go to the line of the item enclosing it."""
        row = self._cursor_row()
        modules = self._modules
        if row is None or modules is None:
            return
        if row.occurrence < 0 and row.item in self.expanded and self._expandable(row.item):
            self._set_open(row.item, False)
            return
        parent = row.item if row.occurrence >= 0 else modules.parent[row.item]
        if parent >= 0:
            self.cursor_line = self._row_of[parent]

    def action_expand_or_child(self) -> None:
        """Open the cursor's item if closed, else go to its first child's line."""
        row = self._cursor_row()
        if row is None or row.occurrence >= 0 or not self._expandable(row.item):
            return
        if row.item not in self.expanded:
            self._set_open(row.item, True)
        else:
            self.action_cursor_down()

    # --- plain-text view, for tests ------------------------------------------------------------

    def line_texts(self) -> list[str]:
        """Every row as plain text (what the screen shows, without styles)."""
        self._ensure_marks()
        if self._modules is not None and not self.rows:
            return list(EMPTY)
        return ["".join(text for text, _ in self._line_parts(y, row)[1]) for y, row in enumerate(self.rows)]
