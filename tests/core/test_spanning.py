"""The spanning tree the tree pane draws: each node's home is the first place a depth-first walk
from the output, in operand order, reaches it; checked by hand and against a recursive walk."""

from __future__ import annotations

import sys

import pytest
from gradstep.core.engine import Value
from gradstep.core.spanning import Spanning
from gradstep.core.trace import Trace, trace
from graph_strategies import random_graphs
from hypothesis import given, settings


def recursive_walk(graph: Trace) -> tuple[list[int], list[int], list[int]]:
    """The definition, written plainly: pre-order, operands in order, first visit is home."""
    home = [-1] * graph.size
    parent = [-1] * graph.size
    depth = [0] * graph.size
    placed = {graph.output}

    def visit(i: int) -> None:
        for e in graph.edges(i):
            j = graph.in_ids[e]
            if j not in placed:
                placed.add(j)
                home[j], parent[j], depth[j] = e, i, depth[i] + 1
                visit(j)

    visit(graph.output)
    return home, parent, depth


def test_a_node_used_twice_is_at_home_where_the_walk_first_meets_it() -> None:
    a = Value(2.0, label="a")
    b = a * a
    b.label = "b"
    c = b + a  # a is met first under b (c's first operand), not as c's own second operand
    c.label = "c"
    graph = trace(c)
    spanning = graph.spanning
    a_id, b_id, c_id = graph.labels.index("a"), graph.labels.index("b"), graph.labels.index("c")
    assert spanning.root == c_id and spanning.home_edge[c_id] == -1
    assert spanning.home_edge[b_id] == graph.edges(c_id)[0]
    assert spanning.home_edge[a_id] == graph.edges(b_id)[0]  # b's first operand slot, not c's
    assert list(spanning.parent) == [b_id, c_id, -1] and list(spanning.depth) == [2, 1, 0]
    assert spanning.max_depth == 2
    assert spanning.ancestors(a_id, 5) == [a_id, b_id, c_id]
    assert spanning.ancestors(a_id, 1) == [a_id, b_id]


@settings(max_examples=200, deadline=None)
@given(random_graphs)
def test_the_walk_is_the_recursive_definition_on_random_graphs(output: Value) -> None:
    graph = trace(output)
    home, parent, depth = recursive_walk(graph)
    spanning = Spanning(graph)
    assert list(spanning.home_edge) == home
    assert list(spanning.parent) == parent
    assert list(spanning.depth) == depth
    assert spanning.max_depth == max(depth)


def test_a_deep_chain_needs_no_recursion() -> None:
    s = Value(0.0)
    for k in range(3 * sys.getrecursionlimit()):
        s = s + k
    spanning = trace(s).spanning
    assert spanning.max_depth == 3 * sys.getrecursionlimit()


def test_a_spanning_tree_is_kept_only_by_its_own_graph() -> None:
    small = trace(Value(1.0) * 2)
    other = trace(Value(1.0) * 2 + 3)
    with pytest.raises(ValueError, match="another graph"):
        small.keep_spanning(other.spanning)
    made = Spanning(small)
    small.keep_spanning(made)
    assert small.spanning is made  # taken, not made again
