"""A trace's memory per node stays bounded, and a trace pickles (the app receives big files' traces
from a child process) with its ops the very ops (issue 14, big files' memory).

The bound, ``BYTES_PER_NODE``: a node of a long sum is one leaf or one ``+`` with two edges, so the
trace holds per node about 78 bytes of arrays (``memory_bytes``: data, grad, params, the cursor's
grads, 8 bytes each; edges' local and before values, 8 bytes per edge, one edge a node on average;
the 4-byte operand, owner, event and consumer tables) and two list slots (labels, ops: 8 bytes
each, the label strings and ops being shared). 100 bytes leaves room for the Trace itself and
nothing per node more: one Python object a node (a float is 24 bytes) would break it.
"""

from __future__ import annotations

import gc
import pickle
import tracemalloc

from gradstep.core import demo
from gradstep.core.engine import Value
from gradstep.core.ops import ADD
from gradstep.core.trace import trace

BYTES_PER_NODE = 100
NODES = 20_001


def test_a_trace_keeps_under_100_bytes_a_node_once_its_graph_is_gone() -> None:
    gc.collect()
    tracemalloc.start()
    try:
        s = Value(0.0, label="s0")
        for k in range((NODES - 1) // 2):
            s = s + (k % 10 + 0.5)
        graph = trace(s)
        assert graph.uses(0) == 1  # the consumer table (the panes build it) is counted too
        del s
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert graph.size == NODES
    assert graph.memory_bytes / NODES > 70  # the arrays alone: the measure sees them
    assert held / NODES < BYTES_PER_NODE


def test_a_trace_pickles_with_its_ops_by_identity() -> None:
    original = trace(demo.small_network_loss())
    copy = pickle.loads(pickle.dumps(original, protocol=pickle.HIGHEST_PROTOCOL))
    assert copy.size == original.size and len(copy) == len(original)
    assert all(a is b for a, b in zip(copy.ops, original.ops, strict=True))
    assert any(op is ADD for op in copy.ops)
    assert copy.labels == original.labels and copy.grad == original.grad
    events = range(len(original))
    assert [copy.describe(k) for k in events] == [original.describe(k) for k in events]
    middle = len(copy) // 2
    copy.goto(middle)
    original.goto(middle)
    nodes = range(original.size)
    assert [copy.grad_so_far(i) for i in nodes] == [original.grad_so_far(i) for i in nodes]
    assert copy.ledger(0) == original.ledger(0)
