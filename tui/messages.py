"""App-wide messages: requests that travel up from a widget to the app, which owns the trace."""

from __future__ import annotations

from textual.message import Message


class NodeMessage(Message):
    """A message about one node of the trace: the panes say which node, the app decides what
    follows (inspect it, reveal it, re-root at it)."""

    def __init__(self, node: int) -> None:
        super().__init__()
        self.node = node
        """The node (its number in the trace)."""


class ShowSubtree(NodeMessage):
    """Re-root the graph tree at ``node`` (a breadcrumb was clicked)."""
