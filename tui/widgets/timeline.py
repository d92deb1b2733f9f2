"""The timeline: every event of the trace as one line, the current one marked.

A trace of a 100,000-node graph has 200,000 events, so the timeline is a Line API widget: it
knows only how many entries there are (its virtual height) and renders the handful of rows on
screen from the trace on demand. Nothing is built per entry up front.
"""

from __future__ import annotations

from typing import ClassVar

from gradstep.core.text import escape
from gradstep.core.trace import Trace
from gradstep.tui.widgets.line_view import LineView, fit
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive

CURRENT_MARKER = "▶"
"""Drawn in front of the event on screen (the one just applied)."""

BREAKPOINT_MARKER = "●"
"""Drawn in front of an event that touches a breakpoint node."""

SCROLL_MARGIN = 2
"""Rows kept visible beyond the highlight when scrolling it into view (fewer on a short pane)."""


class Timeline(LineView, can_focus=True):
    """The trace's events as a virtual list: forward events, the seed, then the backward steps.

    The *current* entry (the event just applied at the trace's cursor) is set by the app through
    ``set_position``; the *highlight* is the person's own cursor in the list. Moving the trace's
    cursor moves the highlight to the current entry too, so the highlight never strands the view
    far from where the trace is.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("enter", "select", "Jump here", show=False),
    ]
    """
    | Key(s) | Description |
    | :- | :- |
    | up | Move the highlight to the previous event. |
    | down | Move the highlight to the next event. |
    | pageup | Move the highlight up one page. |
    | pagedown | Move the highlight down one page. |
    | home | Move the highlight to the first event. |
    | end | Move the highlight to the last event. |
    | enter | Jump the trace to the highlighted event (posts `Timeline.Selected`). |
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "timeline--current",
        "timeline--highlight",
        "timeline--breakpoint",
        "timeline--index",
        "timeline--forward",
        "timeline--seed",
        "timeline--backward",
        "timeline--pending",
    }
    """
    | Class | Description |
    | :- | :- |
    | `timeline--current` | The event just applied: the one the trace's cursor is on. |
    | `timeline--highlight` | The person's highlight in the list (moved with the arrow keys). |
    | `timeline--breakpoint` | The marker of an event that touches a breakpoint node. |
    | `timeline--index` | The step number: event k is step k + 1, as in the status line. |
    | `timeline--forward` | The phase word of a forward event. |
    | `timeline--seed` | The phase word of the seed. |
    | `timeline--backward` | The phase word of a backward step. |
    | `timeline--pending` | The words of an event not applied yet (after the cursor). |
    """

    DEFAULT_CSS = """
    Timeline {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        & > .timeline--current {
            background: $primary 40%;
            text-style: bold;
        }
        & > .timeline--highlight {
            background: $foreground 12%;
        }
        &:focus > .timeline--highlight {
            background: $block-cursor-blurred-background;
        }
        &:focus > .timeline--current {
            background: $primary 55%;
        }
        & > .timeline--breakpoint {
            color: $text-error;
            text-style: bold;
        }
        & > .timeline--index {
            color: $foreground-muted;
        }
        & > .timeline--forward {
            color: $text-primary;
        }
        & > .timeline--seed {
            color: $text-warning;
            text-style: bold;
        }
        & > .timeline--backward {
            color: $text-success;
        }
        & > .timeline--pending {
            color: $foreground-muted;
        }
        &:focus {
            background-tint: $foreground 5%;
        }
    }
    """

    highlighted: reactive[int | None] = reactive[int | None](None, init=False, repaint=False)
    """The event index under the person's highlight, or None when the timeline is empty."""

    position: reactive[int] = reactive(0, init=False, repaint=False)
    """The trace's cursor as last set by ``set_position``: events ``0..position-1`` are applied."""

    class Selected(Message):
        """The person picked an entry (Enter or click): the app should move the cursor there."""

        def __init__(self, position: int) -> None:
            super().__init__()
            self.position = position
            """The cursor position that puts the picked event on screen (its index + 1)."""

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
        self._breakpoints: frozenset[int] = frozenset()
        self._index_width = 1
        self._parts: dict[Style, dict[str, Style]] = {}
        """Per line style, each component's style over it (until the stylesheet changes)."""

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._parts = {}

    # --- the contract the app drives -----------------------------------------------------------

    @property
    def trace(self) -> Trace | None:
        """The trace on show, or None."""
        return self._trace

    @property
    def breakpoints(self) -> frozenset[int]:
        """The nodes whose events are marked."""
        return self._breakpoints

    def set_trace(self, trace: Trace | None) -> None:
        """Show ``trace``'s events (or nothing). The current entry follows ``trace.position``."""
        self._trace = trace
        length = 0 if trace is None else len(trace)
        self._index_width = len(str(length))
        self.virtual_size = Size(0, length)
        self.set_reactive(Timeline.position, 0 if trace is None else trace.position)
        if length == 0:
            self.set_reactive(Timeline.highlighted, None)
        else:
            current = self.position - 1
            self.set_reactive(Timeline.highlighted, max(current, 0))
        self._scroll_into_view()
        self.refresh()

    def set_position(self, position: int) -> None:
        """Mark event ``position - 1`` as current, move the highlight onto it and scroll it into view."""
        length = 0 if self._trace is None else len(self._trace)
        before = self.position
        self.position = max(0, min(position, length))
        if length:
            highlighted = max(self.position - 1, 0)
            previous = self.highlighted
            redrawn = {before - 1, self.position - 1}  # the lines the position's watcher redraws
            if (
                previous is not None
                and abs(self.position - before) <= 1
                and {previous, highlighted} <= redrawn
            ):
                # A step: the highlight moves with the current entry, whose two lines the
                # position's watcher redraws already; one refresh a step, not two.
                self.set_reactive(Timeline.highlighted, highlighted)
            else:
                self.highlighted = highlighted
            self._scroll_into_view()

    def set_breakpoints(self, nodes: frozenset[int]) -> None:
        """Mark the entries whose event touches any of ``nodes`` (as the trace's breakpoints do)."""
        self._breakpoints = frozenset(nodes)
        self.refresh()

    # --- watchers and actions ------------------------------------------------------------------

    def watch_position(self, previous: int, position: int) -> None:
        # Events between the two positions changed from applied to pending (or back), and the
        # current marker moved: redraw those lines only (a jump far away scrolls, which redraws all).
        first = max(min(previous, position) - 1, int(self.scroll_y))
        last = min(max(previous, position) - 1, int(self.scroll_y) + self.view_size.height - 1)
        if first <= last:
            self.refresh_lines(first, last - first + 1)

    def validate_highlighted(self, highlighted: int | None) -> int | None:
        length = 0 if self._trace is None else len(self._trace)
        if highlighted is None or length == 0:
            return None
        return max(0, min(highlighted, length - 1))

    def watch_highlighted(self, previous: int | None, highlighted: int | None) -> None:
        self.refresh_rows(y for y in (previous, highlighted) if y is not None)
        if highlighted is not None:
            self._scroll_into_view()

    def _move_highlight(self, delta: int) -> None:
        if self._trace is None or not len(self._trace):
            return
        start = self.highlighted if self.highlighted is not None else max(self.position - 1, 0)
        self.highlighted = start + delta

    def action_cursor_up(self) -> None:
        """Highlight the previous event."""
        self._move_highlight(-1)

    def action_cursor_down(self) -> None:
        """Highlight the next event."""
        self._move_highlight(1)

    def action_page_up(self) -> None:
        """Highlight the event one page up."""
        self._move_highlight(-max(self.view_size.height - 1, 1))

    def action_page_down(self) -> None:
        """Highlight the event one page down."""
        self._move_highlight(max(self.view_size.height - 1, 1))

    def action_first(self) -> None:
        """Highlight the first event."""
        self._move_highlight(-(self.highlighted or 0))

    def action_last(self) -> None:
        """Highlight the last event."""
        if self._trace is not None:
            self._move_highlight(len(self._trace))

    def action_select(self) -> None:
        """Ask the app to move the trace's cursor to the highlighted event."""
        if self.highlighted is not None:
            self.post_message(self.Selected(self.highlighted + 1))

    async def _on_click(self, event: events.Click) -> None:
        await super()._on_click(event)
        offset = event.get_content_offset(self)
        if offset is None or self._trace is None or self.in_scrollbar(event):
            return
        index = self.scroll_offset.y + offset.y
        if 0 <= index < len(self._trace):
            self.highlighted = index
            self.post_message(self.Selected(index + 1))

    def _scroll_into_view(self) -> None:
        if self.highlighted is None:
            return
        if self.view_size.height <= 0:
            # Not laid out yet: the viewport height is unknown until the next refresh.
            self.call_after_refresh(self._scroll_into_view_now)
        else:
            self._scroll_into_view_now()

    def _scroll_into_view_now(self) -> None:
        index = self.highlighted
        height = self.view_size.height
        if index is None or height <= 0:
            return
        # Keep a little context around the highlight: the next events matter as much as the last.
        # Past the margin, scroll the highlight to the middle rather than by one line: stepping
        # then scrolls (and redraws every row) once per half a pane, not on every step.
        margin = min(SCROLL_MARGIN, (height - 1) // 2)
        top = self.scroll_offset.y
        if index - margin < top or index + margin >= top + height:
            self.scroll_to(y=max(index - height // 2, 0), animate=False, immediate=True)

    # --- rendering -----------------------------------------------------------------------------

    def touches_breakpoint(self, index: int) -> bool:
        """Whether event ``index`` touches a breakpoint node, by the trace's own rule.

        The rule is ``Trace.touches``: a forward event touches the node it computes and the
        operands it reads, the seed touches the output, a backward step touches its node and the
        operands it sends grads to.
        So a marked entry is exactly where ``c`` (continue to the next breakpoint) stops. O(1).
        """
        trace, breakpoints = self._trace, self._breakpoints
        if trace is None or not breakpoints:
            return False
        node = trace.step_node(index)
        if node in breakpoints:
            return True
        if index == trace.seed_index:
            return False
        return any(trace.in_ids[e] in breakpoints for e in trace.edges(node))

    def content_segments(self, y: int) -> list[Segment]:
        """Row ``y`` of the viewport: event ``scroll_y + y``, built from the trace on demand."""
        width = self.view_size.width
        base = self.base_style
        index = self.scroll_offset.y + y
        trace = self._trace
        if trace is None or not 0 <= index < len(trace):
            return self.blank_row()
        return self._render_entry(trace, index, width, base)

    def _render_entry(self, trace: Trace, index: int, width: int, base: Style) -> list[Segment]:
        component = self.component_style

        line_style = base
        current = index == self.position - 1
        if index == self.highlighted:
            line_style += component("timeline--highlight")
        if current:
            line_style += component("timeline--current")
        parts = self._parts.get(line_style)
        if parts is None:
            # A part colours its text only; the row keeps the highlight's background. A row has
            # one of a few line styles: their parts' styles are made once, not on every row.
            row_background = Style(bgcolor=line_style.bgcolor)
            parts = self._parts[line_style] = {
                name: line_style + component(name) + row_background for name in self.COMPONENT_CLASSES
            }

        phase = trace.phase(index)
        pending = index >= self.position
        words_style = parts["timeline--pending"] if pending else line_style
        marker = CURRENT_MARKER if current else " "
        breakpoint = BREAKPOINT_MARKER if self.touches_breakpoint(index) else " "
        segments = [
            Segment(marker, line_style),
            Segment(breakpoint, parts["timeline--breakpoint"]),
            Segment(" ", line_style),
            Segment(f"{index + 1:>{self._index_width}} ", parts["timeline--index"]),
            Segment(f"{phase:<8}", parts[f"timeline--{phase}"]),
            Segment("  ", line_style),
            Segment(escape(trace.describe(index)), words_style),
        ]
        length = sum(segment.cell_length for segment in segments)
        return fit(segments, length, width, line_style, ellipsis=words_style)
