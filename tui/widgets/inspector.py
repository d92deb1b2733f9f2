"""The inspector: everything about one node at the trace's cursor, above all its ledger.

The ledger lists each grad the node has received so far with the arithmetic that produced it and
the running sum (``grad -6 → -4``), which is where "grads accumulate" stops being a slogan.
"""

from __future__ import annotations

from typing import ClassVar

from gradstep.core.nudge import Nudge
from gradstep.core.ops import format_number
from gradstep.core.text import escape
from gradstep.core.trace import Trace
from gradstep.tui.messages import NodeMessage
from gradstep.tui.widgets.line_view import LineView, fit
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.reactive import reactive

CONSUMER_CAP = 8
"""At most this many consumers are listed: a weight used on 100 forward passes would otherwise push
its ledger (where each of those uses shows up, as it sends its grad) below the fold."""

ROW_CAP = 50
"""At most this many ledger entries are drawn. A node used 3,000 times must not make
every step lay out 3,000 rows of text (Textual's text layout costs ~0.15 ms a row), and nobody
reads more than a screenful in a side pane: the running sum carries the rest."""


LINKS_KEPT = 1024
"""Link styles kept (one a linked node): each is a Style with its own click meta."""


def _signed(x: float) -> str:
    """A contribution as it is added: ``+2``, ``-4``."""
    return format_number(x) if x < 0 else f"+{format_number(x)}"


Part = tuple[str, Style | None]
"""A run of text and its style (None: the pane's own)."""

BOLD = Style(bold=True)


class Lines:
    """Styled text built line by line: ``append`` starts a new line at each ``\\n`` in its text.

    Each line is a list of parts, drawn straight to segments. The inspector redraws on every step;
    this is several times cheaper than building one ``rich.Text`` and splitting, wrapping and
    rendering it.
    """

    def __init__(self) -> None:
        self.lines: list[list[Part]] = [[]]

    def append(self, text: str, style: Style | None = None) -> None:
        first, *rest = text.split("\n")
        if first:
            self.lines[-1].append((first, style))
        for part in rest:
            self.lines.append([(part, style)] if part else [])

    @property
    def plain(self) -> str:
        return "\n".join("".join(text for text, _ in line) for line in self.lines)


def cell_length(line: list[Part]) -> int:
    return sum(cell_len(text) for text, _ in line)


def word_breaks(plain: str, start: int, width: int) -> list[tuple[int, int]]:
    """Greedy word wrap of ``plain[start:]`` into spans of at most ``width`` characters.

    Breaks at the last space that fits (the space itself is dropped); a word longer than the
    width is cut. One character is one cell here (the caller checks the text is ASCII).
    """
    width = max(width, 1)
    spans = []
    end = len(plain)
    while end - start > width:
        cut = plain.rfind(" ", start + 1, start + width + 1)
        if cut <= start:
            spans.append((start, start + width))
            start += width
        else:
            spans.append((start, cut))
            start = cut + 1
    spans.append((start, end))
    return spans


def slice_parts(line: list[Part], start: int, end: int) -> list[Part]:
    """The styled parts covering characters ``start:end`` of the line."""
    sliced = []
    offset = 0
    for text, style in line:
        following = offset + len(text)
        if following > start and offset < end:
            sliced.append((text[max(start - offset, 0) : end - offset], style))
        offset = following
        if offset >= end:
            break
    return sliced


class Inspector(LineView, can_focus=True):
    """Label, op, value, grad, operands, consumers, local derivatives and ledger of one node.

    ``show(trace, node)`` redraws for the trace's current cursor; the app calls it whenever the
    cursor or the selected node changes. A redraw builds O(rows) lines (at most ``CONSUMER_CAP``
    consumers and ``ROW_CAP`` ledger entries) after the trace's O(log uses + ROW_CAP) ledger query;
    only the lines on screen are rendered (Line API), only the lines that changed are redrawn, and
    a new size (more lines) does not lay the screen out again.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "scroll_up", "Scroll up", show=False),
        Binding("down", "scroll_down", "Scroll down", show=False),
    ]
    """
    | Key(s) | Description |
    | :- | :- |
    | up | Scroll the inspector up. |
    | down | Scroll the inspector down. |
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "inspector--heading",
        "inspector--name",
        "inspector--muted",
        "inspector--final",
        "inspector--link",
        "inspector--now",
    }
    """
    | Class | Description |
    | :- | :- |
    | `inspector--heading` | Section headings (Operands, Ledger, ...). |
    | `inspector--name` | The node's own name at the top. |
    | `inspector--muted` | Secondary text: "not computed yet", node numbers. |
    | `inspector--final` | The "final" mark of a grad that can no longer change. |
    | `inspector--link` | Operand and consumer names (clickable). |
    | `inspector--now` | The mark of a ledger entry received at the current step. |
    """

    DEFAULT_CSS = """
    Inspector {
        background: $surface;
        padding: 0 1;
        overflow-x: hidden;
        & > .inspector--heading {
            color: $text-accent;
            text-style: bold;
        }
        & > .inspector--name {
            color: $text-primary;
            text-style: bold;
        }
        & > .inspector--muted {
            color: $text-muted;
        }
        & > .inspector--final {
            color: $text-success;
            text-style: bold;
        }
        & > .inspector--now {
            color: $text-warning;
            text-style: bold;
        }
        & > .inspector--link {
            color: $text-primary;
            text-style: underline;
        }
    }
    """

    node: reactive[int | None] = reactive[int | None](None, init=False, repaint=False)
    """The node on show (set by ``show``), or None."""

    class NodeClicked(NodeMessage):
        """The person clicked an operand or consumer: the app may select that node."""

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._trace: Trace | None = None
        self._nudge: Nudge | None = None
        self._text = Lines()
        self._lines: list[list[Part]] = []
        self._links: dict[int, Style] = {}
        """Each linked node's style (the link's, with its click): made once, not on every step."""

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._links = {}

    @property
    def trace(self) -> Trace | None:
        """The trace last shown, or None."""
        return self._trace

    @property
    def plain(self) -> str:
        """What the inspector shows, as plain text with its own line breaks (before wrapping)."""
        return self._text.plain

    def show(self, trace: Trace | None, node: int | None, nudge: Nudge | None = None) -> None:
        """Redraw for ``node`` at ``trace``'s cursor (or a hint when there is nothing to show).

        ``nudge``, when it is about ``node``, is shown under the grad (the ``u`` key)."""
        previous = self.node
        self._trace = trace
        self._nudge = nudge
        self.node = node if trace is not None and node is not None and 0 <= node < trace.size else None
        if not self.is_mounted:
            return  # drawn on mount
        if trace is None or self.node is None:
            self._text = self._placeholder()
        else:
            self._text = self.render_node(trace, self.node)
        before = self._lines
        self._layout_lines()
        if self.node != previous:
            self.scroll_to(y=0, animate=False, immediate=True)
        self._refresh_changed(before)

    def on_mount(self) -> None:
        # ``show`` may come before the stylesheet is there to colour the text: redraw with it.
        self.show(self._trace, self.node, self._nudge)

    def on_resize(self) -> None:
        self.show(self._trace, self.node, self._nudge)

    def action_pick_node(self, node: int) -> None:
        """A name was clicked: tell the app which node (``Inspector.NodeClicked``)."""
        self.post_message(Inspector.NodeClicked(node))

    # --- lines on screen -----------------------------------------------------------------------

    def _text_width(self) -> int:
        """Columns available to a line, leaving room for a scrollbar that may yet appear."""
        width = self.view_size.width
        if width <= 0:
            return 80  # not laid out yet; the resize handler redraws at the real width
        if not self.shown_scrollbars[0]:
            width -= self.styles.scrollbar_size_vertical
        return width

    def _layout_lines(self) -> None:
        """Wrap the lines that do not fit and size the scrollable area to them."""
        width = self._text_width()
        lines: list[list[Part]] = []
        for line in self._text.lines:
            if cell_length(line) <= width:
                lines.append(line)
            else:
                lines.extend(self._wrap(line, width))
        self._lines = lines
        self.set_virtual_size(Size(self.view_size.width, len(lines)))

    def _wrap(self, line: list[Part], width: int) -> list[list[Part]]:
        """Word-wrap one line; continuation lines hang two columns in from its own indent."""
        plain = "".join(text for text, _ in line)
        indent = len(plain) - len(plain.lstrip(" "))
        if indent + 2 >= width // 2:
            indent = 0
        if not plain.isascii():  # wide characters: let Rich measure cells
            return self._wrap_cells(line, indent, width)
        lines = []
        for k, (start, end) in enumerate(word_breaks(plain, indent, width - indent - 2)):
            hang = " " * (indent + (2 if k else 0))
            lines.append(([(hang, None)] if hang else []) + slice_parts(line, start, end))
        return lines

    def _wrap_cells(self, line: list[Part], indent: int, width: int) -> list[list[Part]]:
        text = Text(end="")
        for part, style in line:
            text.append(part, style)
        wrapped = text[indent:].wrap(self.app.console, width - indent - 2, overflow="fold")
        lines = []
        for k, piece in enumerate(wrapped):
            hang = " " * (indent + (2 if k else 0))
            parts: list[Part] = [(hang, None)] if hang else []
            parts += [(segment.text, segment.style) for segment in piece.render(self.app.console)]
            lines.append(parts)
        return lines

    def _refresh_changed(self, before: list[list[Part]]) -> None:
        """Redraw the visible lines that differ from ``before`` (a scroll redraws them all)."""
        lines = self._lines
        top = int(self.scroll_y)
        drawn, was = len(lines), len(before)
        self.refresh_rows(
            y
            for y in range(top, top + self.view_size.height)
            if (y < drawn and (y >= was or lines[y] != before[y])) or drawn <= y < was
        )

    def content_segments(self, y: int) -> list[Segment]:
        width = self.view_size.width
        base = self.base_style
        index = y + int(self.scroll_y)
        if index >= len(self._lines):
            return self.blank_row()
        parts = self._lines[index]
        segments = [Segment(text, base + style if style else base) for text, style in parts]
        return fit(segments, cell_length(parts), width, base)  # cut only until a resize re-wraps

    def _placeholder(self) -> Lines:
        lines = Lines()
        lines.append("Select a node in the graph to inspect it.", self._style("inspector--muted"))
        return lines

    def _style(self, component: str) -> Style:
        """A component's text style on the pane's own background."""
        if not self.is_mounted:
            return Style()
        return self.component_style(component, on_background=True)

    def render_node(self, trace: Trace, node: int) -> Lines:
        """Everything about ``node`` at the cursor, as lines (user labels never parsed as markup)."""
        heading, muted = self._style("inspector--heading"), self._style("inspector--muted")
        final_style, link = self._style("inspector--final"), self._style("inspector--link")
        name = escape(trace.name(node))
        text = Lines()

        links = self._links

        def link_to(target: int) -> None:
            style = links.get(target)
            if style is None:
                if len(links) >= LINKS_KEPT:
                    links.clear()
                style = links[target] = link + Style(meta={"@click": ("pick_node", (target,))})
            text.append(escape(trace.name(target)), style)

        text.append(name, self._style("inspector--name"))
        text.append(f"  node {node}", muted)
        op = trace.ops[node]
        if op is not None:
            text.append("\n")
            text.append(f"{name} = {escape(trace.expression(node))}")
        text.append("\nop     ")
        text.append(trace.symbol(node) if op is not None else "leaf", None if op is not None else muted)

        value = trace.value(node)
        text.append("\nvalue  ")
        if value is None:
            text.append("not computed yet", muted)
        else:
            text.append(format_number(value))

        grad = trace.grad_so_far(node)
        text.append("\ngrad   ")
        if grad is None:
            text.append("no grad yet", muted)
        else:
            text.append(format_number(grad))
            if trace.is_final(node):
                text.append("  final", final_style)
            else:
                text.append("  so far", muted)

        if self._nudge is not None and self._nudge.node == node:
            self._append_nudge(text, trace, self._nudge)

        edges = trace.edges(node)
        if len(edges):
            text.append("\n\nOperands", heading)
            for e in edges:
                # With the graph's own names (dL/dd = f = -2), never a/b placeholders.
                formula = escape(trace.formula(e))
                text.append("\n  ")
                link_to(trace.in_ids[e])
                text.append(f"\n    {formula}")
                if value is None:
                    text.append("  (known once computed)", muted)
                elif not formula.endswith(f" = {format_number(trace.local[e])}"):  # not "= 1 = 1"
                    text.append(f" = {format_number(trace.local[e])}")

        uses = trace.uses(node)
        text.append("\n\nUsed by", heading)
        text.append(f"  used {uses}×", muted)
        if uses == 0:
            text.append("\n  nothing (the output)" if node == trace.output else "\n  nothing", muted)
        for consumer in trace.consumers(node, limit=CONSUMER_CAP):
            text.append("\n  ")
            link_to(consumer)
            text.append(f" = {escape(trace.expression(consumer))}")
        if uses > CONSUMER_CAP:
            text.append(f"\n  … and {uses - CONSUMER_CAP} more", muted)

        self._append_ledger(text, trace, node)
        return text

    def _append_ledger(self, text: Lines, trace: Trace, node: int) -> None:
        heading, muted = self._style("inspector--heading"), self._style("inspector--muted")
        final_style = self._style("inspector--final")
        name = escape(trace.name(node))
        width = self._text_width()
        text.append("\n\nLedger", heading)
        text.append(f"  {name}.grad, step by step", muted)
        ledger = trace.ledger(node, last=ROW_CAP)
        skipped = trace.received(node) - len(ledger)
        if not ledger:
            expected = "at the seed" if node == trace.output else "when a consumer steps back"
            text.append(f"\n  nothing received yet ({expected})", muted)
            return
        if skipped:
            text.append(f"\n  … {skipped} earlier contributions", muted)
        now = self._style("inspector--now")
        for entry in ledger:
            edge = entry.edge
            text.append(f"\n  grad {format_number(edge.grad_before)} → ")
            text.append(format_number(edge.grad_after), BOLD)
            if entry.source is None:
                text.append("  (seed)")
            text.append(f"  step {entry.index + 1}", muted)
            if entry.index == trace.current:
                text.append("  ◀ now", now)
            if entry.source is None:
                continue
            source = escape(trace.name(entry.source))
            assert entry.number is not None  # every entry but the seed's comes from an edge
            local = escape(trace.local_expression(entry.number, suffix=""))
            received = f"{_signed(edge.contribution)} from {source}: {source}.grad * {local}"
            numbers = f"= {format_number(edge.upstream)} * {format_number(edge.local)}"
            one_line = f"    ({received} {numbers})"
            if len(one_line) <= width:
                text.append(f"\n{one_line}")
            else:  # a narrow pane: break before the numbers rather than wherever the wrap falls
                text.append(f"\n    {received}\n      {numbers}")
        total = trace.grad_so_far(node)
        if total is not None:
            text.append(f"\n  = {format_number(total)}", BOLD)
            if trace.is_final(node):
                text.append("  final", final_style)
            else:
                text.append("  so far", muted)

    def _append_nudge(self, text: Lines, trace: Trace, nudge: Nudge) -> None:
        """The lecture's first derivative: move the node by h, see the output move, divide."""
        heading, muted = self._style("inspector--heading"), self._style("inspector--muted")
        x, out = escape(trace.ref(nudge.node)), escape(trace.ref(trace.output))
        h = format_number(nudge.h)
        text.append("\n\nNudge", heading)
        text.append(f"  {x} by h = {h}", muted)
        text.append(f"\n  {out}({x}) = {format_number(nudge.output)}")
        text.append(f"\n  {out}({x}+h) = ")
        if nudge.error is not None:
            text.append("could not compute", BOLD)
            text.append(f"\n    {escape(nudge.error)}", muted)
            return
        text.append(format_number(nudge.nudged))
        text.append(f"\n  ({out}({x}+h) - {out}({x})) / h = ")
        text.append(format_number(nudge.numeric), BOLD)
        text.append(f"\n  d{out}/d{x} from backprop = ")
        text.append(format_number(nudge.grad), BOLD)
        text.append(f"\n  difference {nudge.difference:.2g}", muted)
        if trace.ops[nudge.node] is not None:
            text.append(f"\n  ({x}'s inputs held; what uses {x} recomputed)", muted)
