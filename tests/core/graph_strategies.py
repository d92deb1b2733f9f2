"""Random graphs for property tests (``random_graphs``): a few leaves, then steps each applying
an op to two earlier nodes picked by number, so nodes are used many times over.

A module of its own, beside the tests that use it (pytest puts this folder on ``sys.path``).
"""

from __future__ import annotations

from collections.abc import Sequence

from gradstep.core import Value
from hypothesis import reject
from hypothesis import strategies as st

STEP_OPS = ("+", "-", "*", "/", "tanh", "exp", "sigmoid", "relu", "neg", "sq", "log")


def build_random_graph(steps: Sequence[tuple[str, int, int]], point: Sequence[float]) -> Value:
    nodes = [Value(x, label=f"x{k}") for k, x in enumerate(point)]
    for op, i, j in steps:
        x, y = nodes[i % len(nodes)], nodes[j % len(nodes)]
        if op == "+":
            out = x + y
        elif op == "-":
            out = x - y
        elif op == "*":
            out = x * y
        elif op == "/":
            out = x / (y * y + 1.0)
        elif op == "log":
            out = (y * y + 1.0).log()
        elif op == "sq":
            out = x**2
        elif op == "neg":
            out = -x
        elif op == "exp" and x.data > 700:
            reject()  # exp of a chain of exps: past float range, which the engine reports as an error
        else:
            out = getattr(x, op)()
        nodes.append(out)
    return nodes[-1]


random_graphs = st.builds(
    build_random_graph,
    st.lists(
        st.tuples(st.sampled_from(STEP_OPS), st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=12
    ),
    st.lists(st.floats(-2, 2, allow_nan=False), min_size=1, max_size=4),
)
