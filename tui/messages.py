"""App-wide messages: requests that travel up from a widget to the app, which owns the trace."""

from __future__ import annotations

from textual.message import Message


class ShowSubtree(Message):
    """Re-root the graph tree at ``node`` (a breadcrumb was clicked)."""

    def __init__(self, node: int) -> None:
        super().__init__()
        self.node = node
