"""Module groups read from labels: the demo's layers and neurons, ordering, odd labels, and summaries.

Summaries are checked against counts made here from the labels' strings and the trace's per-node
state (``value``, ``grad_so_far``, ``is_final``), never through the tree's own parent links, and
against counts derived by hand on a six-node graph.
"""

from __future__ import annotations

from collections import Counter

import pytest
from gradstep.core import Value, demo, parse
from gradstep.core.groups import ModuleTree, Summary
from gradstep.core.trace import Trace, trace
from hypothesis import given, settings
from hypothesis import strategies as st

FIELDS = (
    "leaves",
    "leaves_with_grad",
    "leaves_final",
    "results",
    "results_computed",
    "results_with_grad",
    "results_final",
)


@pytest.fixture(scope="module")
def demo_trace() -> Trace:
    loss, _ = demo.gradstep_loss()
    return trace(loss)


def brute_force(shown: Trace) -> dict[str, Counter[str]]:
    """Every dotted prefix of every label -> counts over the nodes whose label is it or below it."""
    counts: dict[str, Counter[str]] = {}
    for i, label in enumerate(shown.labels):
        if "." not in label:
            continue
        parts = label.split(".")
        prefixes = [".".join(parts[: k + 1]) for k in range(len(parts))]
        leaf = shown.ops[i] is None
        for prefix in prefixes:
            count = counts.setdefault(prefix, Counter())
            if leaf:
                count["leaves"] += 1
                count["leaves_with_grad"] += shown.grad_so_far(i) is not None
                count["leaves_final"] += shown.is_final(i)
            else:
                count["results"] += 1
                count["results_computed"] += shown.value(i) is not None
                count["results_with_grad"] += shown.grad_so_far(i) is not None
                count["results_final"] += shown.is_final(i)
    return counts


def assert_summaries_match(shown: Trace, modules: ModuleTree) -> None:
    expected = brute_force(shown)
    assert set(expected) == set(modules.paths)
    for path, count in expected.items():
        item = modules.find(path)
        assert item is not None
        summary = modules.summary(item)
        assert summary == modules.summary(item, shown.position)
        got = {name: getattr(summary, name) for name in FIELDS}
        assert got == {name: count[name] for name in FIELDS}, (path, shown.position)


# --- the demo's tree ---------------------------------------------------------------------------


def test_demo_has_three_layers_of_16_16_and_1_neurons(demo_trace: Trace) -> None:
    modules = ModuleTree(demo_trace)
    assert [modules.paths[r] for r in modules.roots] == ["L0", "L1", "L2"]
    sizes = [[modules.names[n] for n in modules.children[layer]] for layer in modules.roots]
    assert sizes == [[f"N{k}" for k in range(16)]] * 2 + [["N0"]]  # N10 after N9, not after N1
    assert all(modules.depth[r] == 0 and modules.parent[r] == -1 for r in modules.roots)


def test_demo_neurons_hold_their_weights_bias_and_100_outputs(demo_trace: Trace) -> None:
    modules = ModuleTree(demo_trace)

    def entries(path: str) -> list[tuple[str, int]]:
        item = modules.find(path)
        assert item is not None
        return [(modules.names[c], len(modules.own_nodes(c))) for c in modules.children[item]]

    assert entries("L0.N5") == [("w0", 1), ("w1", 1), ("b", 1), ("act", 100), ("out", 100)]
    weights = [(f"w{k}", 1) for k in range(16)]
    assert entries("L1.N15") == [*weights, ("b", 1), ("act", 100), ("out", 100)]
    assert entries("L2.N0") == [*weights, ("b", 1), ("out", 100)]  # the last layer is linear
    w0 = modules.find("L0.N5.w0")
    assert w0 is not None
    (node,) = modules.own_nodes(w0)
    assert demo_trace.labels[node] == "L0.N5.w0" and demo_trace.ops[node] is None
    out = modules.find("L0.N5.out")
    assert out is not None
    outs = list(modules.own_nodes(out))
    assert outs == sorted(outs)  # creation order, one per data point
    assert all(demo_trace.labels[i] == "L0.N5.out" for i in outs)
    assert [modules.occurrence(i) for i in outs] == list(range(100))


def test_demo_every_dotted_node_is_in_its_entry_and_nothing_else_is(demo_trace: Trace) -> None:
    modules = ModuleTree(demo_trace)
    for i, label in enumerate(demo_trace.labels):
        item = modules.item_of[i]
        if "." in label:
            assert modules.paths[item] == label
        else:
            assert item == -1
    for label in ("x3[0]", "margin7", "loss", "data_loss", "reg_loss"):
        assert label in demo_trace.labels
        assert modules.find(label) is None
    grouped = sum(len(modules.own_nodes(item)) for item in range(len(modules)))
    assert grouped == sum("." in label for label in demo_trace.labels) == 337 + 100 * (16 + 16 + 16 + 16 + 1)


def test_demo_layer_totals(demo_trace: Trace) -> None:
    modules = ModuleTree(demo_trace)
    layer0, layer1, layer2 = (modules.summary(r, 0) for r in modules.roots)
    assert (layer0.leaves, layer0.results) == (16 * 3, 16 * 200)
    assert (layer1.leaves, layer1.results) == (16 * 17, 16 * 200)
    assert (layer2.leaves, layer2.results) == (17, 100)


def test_demo_summaries_equal_a_count_over_the_nodes(demo_trace: Trace) -> None:
    modules = ModuleTree(demo_trace)
    seed = demo_trace.seed_index
    end = len(demo_trace)
    positions = sorted(
        {0, 1, 500, seed // 3, seed - 1, seed, seed + 1, seed + 2, seed + 700}
        | {seed + (end - seed) * k // 7 for k in range(1, 7)}
        | {end - 400, end - 300, end - 1, end}
    )
    try:
        for position in positions:
            demo_trace.goto(position)
            assert_summaries_match(demo_trace, modules)
        # Not a vacuous comparison: the positions cover every state of the parameters.
        demo_trace.goto(seed + (end - seed) // 2)
        half = modules.summary(modules.roots[0])
        assert 0 < half.results_with_grad < half.results and half.leaves_with_grad == 48
    finally:
        demo_trace.to_start()


# --- small graphs ------------------------------------------------------------------------------


def test_hand_derived_counts_on_a_six_node_graph() -> None:
    w, x = Value(2.0, "n.w"), Value(3.0, "x")
    p = w * x
    p.label = "n.p"
    b = Value(1.0, "n.b")
    out = p + b
    out.label = "n.out"
    loss = out * out
    loss.label = "loss"
    shown = trace(loss)
    # Nodes: w 0, x 1, p 2, b 3, out 4, loss 5. Events: forward p 0, out 1, loss 2; seed 3;
    # backward loss 4 (out gets a grad), out 5 (p, b), b 6, p 7 (w, x), x 8, w 9.
    assert [shown.labels[i] for i in range(6)] == ["n.w", "x", "n.p", "n.b", "n.out", "loss"]
    modules = ModuleTree(shown)
    group = modules.find("n")
    assert group is not None
    assert [modules.names[c] for c in modules.children[group]] == ["w", "p", "b", "out"]
    by_hand = {
        # position: (leaves with grad, leaves final, computed, results with grad, results final)
        0: (0, 0, 0, 0, 0),
        1: (0, 0, 1, 0, 0),
        2: (0, 0, 2, 0, 0),
        4: (0, 0, 2, 0, 0),
        5: (0, 0, 2, 1, 0),
        6: (1, 0, 2, 2, 1),
        7: (1, 1, 2, 2, 1),
        8: (2, 1, 2, 2, 2),
        9: (2, 1, 2, 2, 2),
        10: (2, 2, 2, 2, 2),
    }
    for position, (leaf_grads, leaf_final, computed, grads, final) in by_hand.items():
        shown.goto(position)
        assert modules.summary(group) == Summary(2, leaf_grads, leaf_final, 2, computed, grads, final)
        assert_summaries_match(shown, modules)


def test_children_come_in_order_of_first_appearance() -> None:
    names = ["m.N1.w", "m.N10.w", "m.N2.w", "m.N10.b", "z.a", "m.N1.b", "a.q"]
    total = Value(0.0, "start")
    for name in names:
        total = total + Value(1.0, name)
    modules = ModuleTree(trace(total))
    assert [modules.paths[r] for r in modules.roots] == ["m", "z", "a"]
    m = modules.find("m")
    assert m is not None
    assert [modules.names[c] for c in modules.children[m]] == ["N1", "N10", "N2"]
    n10 = modules.find("m.N10")
    assert n10 is not None
    assert [modules.names[c] for c in modules.children[n10]] == ["w", "b"]
    assert [modules.find(path) for path in modules.paths] == list(range(len(modules)))


def test_a_graph_without_dotted_labels_has_an_empty_tree() -> None:
    shown = trace(parse("a = 2\nb = -3\nc = a * b + a\n").output)
    modules = ModuleTree(shown)
    assert len(modules) == 0 and modules.roots == []
    assert all(item == -1 for item in modules.item_of)
    assert modules.occurrence(0) is None


def test_expression_file_labels_with_dots_are_grouped() -> None:
    # The language has no dotted names, so the labels are set on the Values directly.
    a, b = Value(2.0, "layer.a"), Value(-3.0, "layer.b")
    c = a * b
    c.label = "layer.sub.c"
    d = c + a
    d.label = "layer.sub.c"  # the same label twice: one entry, two nodes
    e = d.tanh()
    e.label = "layer"  # no dot: not grouped, though a group has that name
    shown = trace(e)
    modules = ModuleTree(shown)
    assert modules.paths == ["layer", "layer.a", "layer.b", "layer.sub", "layer.sub.c"]
    entry = modules.find("layer.sub.c")
    assert entry is not None
    assert list(modules.own_nodes(entry)) == [2, 3]
    assert modules.item_of[shown.output] == -1
    assert modules.ancestors(entry) == [entry, modules.find("layer.sub"), modules.find("layer")]


def test_a_label_that_is_also_a_prefix_is_an_entry_and_a_group() -> None:
    a = Value(1.0, "a.b")
    c = a * Value(2.0, "a.b.c")
    c.label = "a..x"  # an empty part is a name like any other
    d = c + Value(3.0, "a.")
    shown = trace(d)
    modules = ModuleTree(shown)
    ab = modules.find("a.b")
    assert ab is not None
    assert len(modules.own_nodes(ab)) == 1 and [modules.names[k] for k in modules.children[ab]] == ["c"]
    assert modules.summary(ab, 0).leaves == 2  # its own node and its child's
    assert modules.find("a.") is not None and modules.find("a..x") is not None
    a_group = modules.find("a")
    assert a_group is not None
    assert [modules.names[k] for k in modules.children[a_group]] == ["b", ""]
    for position in range(len(shown) + 1):
        shown.goto(position)
        assert_summaries_match(shown, modules)


LABELS = ["", "x", "m.a", "m.b", "m.a.w", "n.a", "m.a", "q.r.s.t"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["+", "*", "tanh", "relu"]),
            st.integers(0, 50),
            st.integers(0, 50),
            st.sampled_from(LABELS),
        ),
        min_size=1,
        max_size=25,
    ),
    st.lists(st.sampled_from(LABELS), min_size=2, max_size=5),
)
def test_summaries_match_at_every_position_of_random_graphs(
    steps: list[tuple[str, int, int, str]], leaf_labels: list[str]
) -> None:
    nodes = [Value(0.5 * (k + 1) - 1.2, label) for k, label in enumerate(leaf_labels)]
    for op, first, second, label in steps:
        a, b = nodes[first % len(nodes)], nodes[second % len(nodes)]
        result = a + b if op == "+" else a * b if op == "*" else a.tanh() if op == "tanh" else a.relu()
        result.label = label
        nodes.append(result)
    shown = trace(nodes[-1])
    modules = ModuleTree(shown)
    for position in range(len(shown) + 1):
        shown.goto(position)
        assert_summaries_match(shown, modules)
