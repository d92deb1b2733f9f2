"""The ancestors of the tree's view root, so a re-rooted tree still says where it is."""

from __future__ import annotations

from gradstep.core.text import escape
from gradstep.core.trace import Trace
from gradstep.tui.messages import ShowSubtree
from gradstep.tui.widgets.line_view import LineView, fit
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events

SHOWN_CRUMBS = 4
"""Nearest ancestors named; the rest are counted, so a 20,000-deep chain costs four lookups."""

Crumb = tuple[str, int | None]
"""A piece of the line: its text, and the node a click on it re-roots the tree at (or None)."""


class Breadcrumb(LineView, can_focus=False):
    """``L › d › … 19,970 more › x31 ›`` — click a name to re-root the tree there.

    The line changes on most steps of a deep graph (the tree re-roots as the steps move), so it is
    drawn straight from its pieces as a ``LineView`` line, not through a Rich ``Text`` and
    Textual's ``Static``, which rebuild the line through several representations.
    """

    DEFAULT_CSS = """
    Breadcrumb {
        height: 1;
        padding: 0 1;
        overflow: hidden hidden;
        background: $boost;
        color: $text-muted;
        display: none;
    }
    Breadcrumb.-visible { display: block; }
    """

    _crumbs: tuple[Crumb, ...] = ()

    @property
    def plain(self) -> str:
        """The crumbs as plain text."""
        return "".join(text for text, _ in self._crumbs)

    def show(self, trace: Trace | None, chain: list[int], depth: int, *, keep_line: bool = False) -> None:
        """``chain`` is the view root's nearest ancestors (nearest first); ``depth`` its depth.

        ``keep_line``: the graph is deep enough for the view to re-root, so the line stays while
        the view is at the top too (the tree does not jump by a line as stepping re-roots it).
        """
        if trace is None or (depth == 0 and not keep_line):
            self.set_class(False, "-visible")
            self._set_crumbs(())
            return
        self.set_class(True, "-visible")
        if depth == 0:
            top = escape(trace.name(trace.output))
            self._set_crumbs(((f"⌂ {top}, the output: the top of the graph", None),))
            return
        named = chain[1:][:SHOWN_CRUMBS]
        root = trace.output
        links: list[Crumb] = []
        if root not in named:
            links.append((escape(trace.name(root)), root))
            hidden = depth - len(named) - 1
            if hidden > 0:
                links.append((f"… {hidden:,} more", None))
        links += [(escape(trace.name(node)), node) for node in reversed(named)]
        crumbs: list[Crumb] = [("↑ ", None)]
        for k, link in enumerate(links):
            if k:
                crumbs.append((" › ", None))
            crumbs.append(link)
        crumbs.append((" ›", None))
        self._set_crumbs(tuple(crumbs))

    def _set_crumbs(self, crumbs: tuple[Crumb, ...]) -> None:
        if crumbs != self._crumbs:
            self._crumbs = crumbs
            self.refresh()  # one line high, whatever it says: no layout

    def content_segments(self, y: int) -> list[Segment]:
        width = self.view_size.width
        base = self.base_style
        if y or width <= 0:
            return self.blank_row()
        segments = list(  # one segment for each run of plain text, as Rich's Text renders it
            Segment.simplify(
                Segment(text, base if node is None else base + Style(underline=True, meta={"crumb": node}))
                for text, node in self._crumbs
            )
        )
        length = sum(cell_len(text) for text, _ in self._crumbs)
        return fit(segments, length, width, base, ellipsis=base)  # as a Text with overflow="ellipsis"

    async def _on_click(self, event: events.Click) -> None:
        node = event.style.meta.get("crumb")
        if node is not None:
            self.post_message(ShowSubtree(int(node)))
