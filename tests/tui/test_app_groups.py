"""The modules view (``g``) in the app: it takes the tree's place, follows the steps, and hands
nodes to the inspector, the tree and the breakpoints.

The graph is a labelled MLP (tests/tui/conftest.py); expected numbers come from the trace's own
final grads, which the core tests check against micrograd and finite differences.
"""

from __future__ import annotations

import os
from pathlib import Path

from gradstep.core.ops import format_number
from gradstep.core.trace import Trace
from gradstep.tui.app import GradstepApp
from gradstep.tui.widgets.graph_tree import GraphTree
from gradstep.tui.widgets.groups import GroupsView
from gradstep.tui.widgets.inspector import Inspector

SIZE = (120, 40)


async def test_g_swaps_the_tree_for_the_modules_and_back(small_network: Trace) -> None:
    app = GradstepApp(graph=small_network, title="network")
    async with app.run_test(size=SIZE) as pilot:
        groups, tree = app.query_one(GroupsView), app.query_one(GraphTree)
        assert not groups.display and tree.display
        await pilot.press("g")
        assert app.showing_groups and groups.display and not tree.display
        assert app.focused is groups
        lines = groups.line_texts()
        assert lines[0].startswith("▾ L0  ") and any(line.startswith("▾ L1  ") for line in lines)
        await pilot.press("g")
        assert not app.showing_groups and tree.display and app.focused is tree


async def test_a_parameter_stays_in_the_inspector_while_stepping(small_network: Trace) -> None:
    graph = small_network
    w0 = graph.labels.index("L0.N1.w0")
    app = GradstepApp(graph=graph, title="network")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        groups = app.query_one(GroupsView)
        assert groups.reveal(w0)
        await pilot.pause()
        inspector = app.query_one(Inspector)
        assert inspector.node == w0
        await pilot.press("c")  # to the end: every grad is final
        assert inspector.node == w0
        assert f"grad   {format_number(graph.grad[w0])}  final" in inspector.plain
        line = groups.line_texts()[groups.cursor_line]
        assert line.strip().startswith("w0 = ") and f"grad {format_number(graph.grad[w0])}" in line


async def test_enter_on_a_node_shows_it_in_the_tree(small_network: Trace) -> None:
    graph = small_network
    out = [i for i, label in enumerate(graph.labels) if label == "L1.N2.out"]
    app = GradstepApp(graph=graph, title="network")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        groups = app.query_one(GroupsView)
        assert groups.reveal(out[3])  # the fourth forward pass's output of neuron 2 in layer 1
        await pilot.pause()
        assert groups.line_texts()[groups.cursor_line].strip().startswith("out #4 ")
        await pilot.press("enter")
        assert not app.showing_groups
        assert app.graph_tree.highlighted_node == out[3]
        assert app.query_one(Inspector).node == out[3]


async def test_b_in_the_modules_view_breaks_on_the_selected_node(small_network: Trace) -> None:
    graph = small_network
    b = graph.labels.index("L2.N0.b")
    app = GradstepApp(graph=graph, title="network")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        assert app.query_one(GroupsView).reveal(b)
        await pilot.press("b", "c")
        assert app.breakpoints == {b}
        # c stops at the first step that touches the output neuron's bias: the forward step that
        # reads it (a leaf is touched where it is used, and again when a consumer steps back).
        assert graph.current == graph.touches(b)[0]
        assert graph.phase(graph.current) == "forward"
        assert b in graph.inputs(graph.step_node(graph.current))


def micrograd_tiny_mlp_grads() -> dict[str, float]:
    """examples/tiny_mlp.gs rebuilt with the real micrograd: the parameters' final grads."""
    from micrograd.engine import Value as M

    params = {
        "L0.N0.w0": 0.5, "L0.N0.w1": 0.3, "L0.N0.b": 0.1,
        "L0.N1.w0": -0.8, "L0.N1.w1": 0.4, "L0.N1.b": 0.0,
        "L1.N0.w0": 1.2, "L1.N0.w1": -0.7, "L1.N0.b": 0.2,
    }  # fmt: skip
    p = {name: M(value) for name, value in params.items()}
    loss = M(0.0)
    for (x0, x1), y in [((1.0, 2.0), 1.0), ((-1.5, 0.5), -1.0)]:
        h0 = (p["L0.N0.b"] + p["L0.N0.w0"] * x0 + p["L0.N0.w1"] * x1).relu()
        h1 = (p["L0.N1.b"] + p["L0.N1.w0"] * x0 + p["L0.N1.w1"] * x1).relu()
        score = p["L1.N0.b"] + p["L1.N0.w0"] * h0 + p["L1.N0.w1"] * h1
        loss = loss + (1 - y * score).relu()
    loss.backward()
    return {name: value.grad for name, value in p.items()}


async def test_the_tiny_mlp_example_groups_by_layer_and_neuron() -> None:
    app = GradstepApp("examples/tiny_mlp.gs")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c", "g")
        groups = app.query_one(GroupsView)
        for path in ("L0.N0", "L0.N1", "L1.N0"):
            await pilot.press("slash", *path, ".b", "enter")  # the jump dialog, from the modules view
            await pilot.pause()
        lines = groups.line_texts()
        opened = [line.split()[1] for line in lines if line.lstrip().startswith(("▾", "▸"))]
        assert [name for name in opened if name[0] in "LN"] == ["L0", "N0", "N1", "L1", "N0"]
        assert opened.count("act") == 2 and opened.count("out") == 3  # L1.N0.out is per pass too
        graph = app.trace
        assert graph is not None
        for name, grad in micrograd_tiny_mlp_grads().items():
            node = graph.labels.index(name)
            assert abs(graph.grad[node] - grad) < 1e-12
            leaf = name.rsplit(".", 1)[1]
            assert any(
                line.strip().startswith(f"{leaf} = ") and f"grad {format_number(grad)} final" in line
                for line in lines
            ), (name, lines)


async def test_a_reload_keeps_the_modules_view_and_what_was_open(tmp_path: Path) -> None:
    path = tmp_path / "tiny_mlp.gs"
    text = Path("examples/tiny_mlp.gs").read_text()
    path.write_text(text)
    app = GradstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c", "g")
        groups = app.query_one(GroupsView)
        assert app.trace is not None and groups.reveal(app.trace.labels.index("L0.N1.b"))
        await pilot.pause()
        assert "L0.N1" in groups.expanded_paths  # layer 0's second neuron is open
        before = os.stat(path).st_mtime_ns
        path.write_text(text.replace("Value(-0.8, label='L0.N1.w0')", "Value(-0.9, label='L0.N1.w0')"))
        os.utime(path, ns=(before + 10**9, before + 10**9))
        app.check_file()
        await pilot.pause()
        assert app.showing_groups and "L0.N1" in groups.expanded_paths
        graph = app.trace
        assert graph is not None and graph.position == len(graph)
        w0 = graph.labels.index("L0.N1.w0")
        assert graph.data[w0] == -0.9
        assert any(line.strip().startswith("w0 = -0.9 ") for line in groups.line_texts())
