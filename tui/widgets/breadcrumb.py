"""The ancestors of the tree's view root, so a re-rooted tree still says where it is."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import events
from textual.widgets import Static

from core.trace import Trace
from tui.messages import ShowSubtree

SHOWN_CRUMBS = 4
"""Nearest ancestors named; the rest are counted, so a 20,000-deep chain costs four lookups."""


class Breadcrumb(Static):
    """``L › d › … 19,970 more › x31 ›`` — click a name to re-root the tree there."""

    DEFAULT_CSS = """
    Breadcrumb {
        height: 1;
        padding: 0 1;
        background: $boost;
        color: $text-muted;
        display: none;
    }
    Breadcrumb.-visible { display: block; }
    """

    plain: str = ""
    """The crumbs as plain text."""

    def show(self, trace: Trace | None, chain: list[int], depth: int, *, keep_line: bool = False) -> None:
        """``chain`` is the view root's nearest ancestors (nearest first); ``depth`` its depth.

        ``keep_line``: the graph is deep enough for the view to re-root, so the line stays while
        the view is at the top too (the tree does not jump by a line as stepping re-roots it).
        """
        if trace is None or (depth == 0 and not keep_line):
            self.set_class(False, "-visible")
            self.plain = ""
            self.update("", layout=False)
            return
        self.set_class(True, "-visible")
        if depth == 0:
            top = Text(no_wrap=True, overflow="ellipsis")
            top.append(f"⌂ {trace.name(trace.output)}, the output: the top of the graph")
            self.plain = top.plain
            self.update(top, layout=False)
            return
        text = Text(no_wrap=True, overflow="ellipsis")
        ancestors = chain[1:]
        named = ancestors[:SHOWN_CRUMBS]
        root = trace.output
        parts: list[Text] = []
        if root not in named:
            parts.append(Text(trace.name(root), Style(meta={"crumb": root}, underline=True)))
            hidden = depth - len(named) - 1
            if hidden > 0:
                parts.append(Text(f"… {hidden:,} more"))
        for node in reversed(named):
            parts.append(Text(trace.name(node), Style(meta={"crumb": node}, underline=True)))
        text.append("↑ ")
        text.append_text(Text(" › ").join(parts))
        text.append(" ›")
        self.plain = text.plain
        self.update(text, layout=False)  # one line high, whatever it says

    async def _on_click(self, event: events.Click) -> None:
        node = event.style.meta.get("crumb")
        if node is not None:
            self.post_message(ShowSubtree(int(node)))
