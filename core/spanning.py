"""The spanning tree the debugger draws a graph as: each node shown in full once, at its *home*.

A graph is a DAG, and a DAG drawn as a tree repeats shared subgraphs, so the tree pane shows each
node in full only at the first place a depth-first walk from the output (in operand order) reaches
it, and every other use as a one-line back-reference. This is that walk, done once per graph; it
needs only the trace, so a big file's loading process computes it beside the app (``Trace.spanning``).
"""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .trace import Trace

INDEX = "i"
"""As the trace's own tables: C int, 4 bytes a node."""


class Spanning:
    """Each node's home edge, parent and depth in the spanning tree of a trace's graph.

    Computed with an explicit stack (no recursion), O(nodes + edges). ``home_edge[j]`` is the edge
    whose operand slot shows ``j`` in full (-1 for the output); ``parent[j]`` owns that edge.
    """

    __slots__ = ("depth", "home_edge", "max_depth", "parent", "root", "size")

    def __init__(self, trace: Trace) -> None:
        n = trace.size
        root = trace.output
        # Lists for what the walk reads back (reading an array boxes a new number each time).
        in_start = trace.in_start.tolist()
        in_ids = trace.in_ids.tolist()
        owner = trace.edge_owner.tolist()
        home_edge = [-1] * n
        depth = [0] * n
        placed = bytearray(n)
        placed[root] = 1
        # The stack holds edges; popping in operand order gives a pre-order walk, and a node's
        # home is the first of its edges popped, as a reader scanning down would see.
        stack = list(range(in_start[root + 1] - 1, in_start[root] - 1, -1))
        push, pop = stack.append, stack.pop
        while stack:
            e = pop()
            j = in_ids[e]
            if placed[j]:
                continue
            placed[j] = 1
            home_edge[j] = e
            depth[j] = depth[owner[e]] + 1
            first, f = in_start[j], in_start[j + 1]
            while f > first:
                f -= 1
                if not placed[in_ids[f]]:
                    push(f)
        self.root = root
        self.size = n
        self.home_edge = array(INDEX, home_edge)
        self.parent = array(INDEX, [-1 if e < 0 else owner[e] for e in home_edge])
        self.depth = array(INDEX, depth)
        self.max_depth = max(depth)

    def ancestors(self, node: int, limit: int) -> list[int]:
        """``node`` and up to ``limit`` of its ancestors, nearest first."""
        chain = [node]
        parent = self.parent
        while len(chain) <= limit and parent[chain[-1]] >= 0:
            chain.append(parent[chain[-1]])
        return chain

    def __getstate__(self) -> tuple[int, int, array[int], array[int], array[int], int]:
        return (self.root, self.size, self.home_edge, self.parent, self.depth, self.max_depth)

    def __setstate__(self, state: tuple[int, int, array[int], array[int], array[int], int]) -> None:
        self.root, self.size, self.home_edge, self.parent, self.depth, self.max_depth = state
