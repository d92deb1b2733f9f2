"""Large and deep graphs in the app: correct numbers, and a tree whose drawn size stays bounded.

Speed itself is measured in bench/, not here; these tests check what makes it possible: the rows
laid out stay few however big the graph, and the numbers on them are right.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import micrograd.engine as mg
from gradstep.core.engine import Value
from gradstep.core.trace import trace
from gradstep.tui.app import USES_AFTER, GradstepApp
from gradstep.tui.widgets.breadcrumb import Breadcrumb
from gradstep.tui.widgets.timeline import Timeline

if TYPE_CHECKING:
    from tests.tui.conftest import Loaded

SIZE = (120, 40)
MAX_ROWS = 200
"""More rows than this would mean the tree is laying out the graph, not the view."""


def doubling(levels: int) -> Value:
    """x_k = x_{k-1} + x_{k-1}: ``levels`` + 1 nodes, 2**levels root-to-leaf paths."""
    x = Value(1.0, label="x0")
    for k in range(1, levels + 1):
        x = x + x
        x.label = f"x{k}"
    return x


def line_for(app: GradstepApp, node: int) -> str:
    """The full (not back-reference) line of ``node``, which must be laid out."""
    rows = app.graph_tree.rows
    (y,) = [y for y, row in enumerate(rows) if row.node == node and row.full]
    return app.graph_tree.line_texts()[y]


def grad_on(line: str) -> float:
    return float(line.split("grad ")[1].split(" ")[0])


async def test_two_to_the_sixty_paths_open_with_back_references() -> None:
    graph = trace(doubling(60))
    app = GradstepApp(graph=graph, title="doubling")
    async with app.run_test(size=SIZE) as pilot:
        lines = app.graph_tree.line_texts()
        assert len(lines) <= MAX_ROWS
        assert lines[0].startswith("▾ x60 (+)  = ·")
        assert lines[-1] == "└─↪ x59 (+)  used 2×  = ·  grad —"
        # Each node is drawn in full at most once.
        full = [row.node for row in app.graph_tree.rows if row.full]
        assert len(full) == len(set(full))
        assert len(graph) == 60 + 1 + 61
        await pilot.press("c")
        # x0 is the last step; its grad is 2**60 (6 significant digits on screen).
        assert app.graph_tree.highlighted_node == 0
        assert line_for(app, 0).endswith("x0  = 1  grad 1.15292e+18")
        assert line_for(app, 0).count("│") + line_for(app, 0).count(" ") < 120  # indentation bounded
        crumbs = app.query_one(Breadcrumb)
        assert crumbs.display and crumbs.plain.startswith("↑ x60 › … ")
        root_name = graph.labels[app.graph_tree.view_root]
        assert crumbs.plain.endswith(f"x{int(root_name[1:]) + 1} ›")
        assert len(app.graph_tree.rows) <= MAX_ROWS


async def test_back_reference_into_a_cut_off_ancestor_re_roots_the_view() -> None:
    graph = trace(doubling(60))
    app = GradstepApp(graph=graph, title="doubling")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        top = app.graph_tree.view_root
        # shift+left on the view's top line climbs above it.
        app.graph_tree.cursor_line = 0
        await pilot.press("shift+left")
        assert app.graph_tree.view_root == top + 1
        assert app.graph_tree.highlighted_node == top + 1
        # A breadcrumb request re-roots at the output.
        app.graph_tree.set_view_root(graph.output)
        await pilot.pause()
        assert app.graph_tree.view_root == graph.output
        # The graph re-roots, so its breadcrumb line stays (the tree does not jump a line as
        # stepping re-roots it) and says the view is at the top.
        crumbs = app.query_one(Breadcrumb)
        assert crumbs.display and crumbs.plain == "⌂ x60, the output: the top of the graph"


async def test_a_20000_deep_chain_from_a_file_steps_and_follows(tmp_path: Path, loaded: Loaded) -> None:
    depth = 20_000
    lines = ["x0 = Value(0.5, label='x0')"] + [f"x{k} = x{k - 1} + 1" for k in range(1, depth + 1)]
    path = tmp_path / "chain.gs"
    path.write_text("\n".join(lines) + f"\nx{depth}\n")
    app = GradstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)  # a 300 KB file loads in the background
        graph = app.trace
        assert graph is not None and graph.size == 2 * depth + 1
        assert app.graph_tree.line_texts()[0].startswith(f"▾ x{depth} (+)  = ·  grad —")
        # The first forward step computes x1, 20,000 levels down: the view re-roots near it.
        await pilot.press("n")
        x1 = graph.labels.index("x1")
        assert app.graph_tree.highlighted_node == x1
        assert line_for(app, x1).endswith("x1 (+)  = 1.5  grad —")
        assert app.query_one(Breadcrumb).plain.startswith(f"↑ x{depth} › … ")
        assert len(app.graph_tree.rows) <= MAX_ROWS
        # To the end: every grad is 1 (d x_n / d x_k = 1 along a chain of + 1).
        await pilot.press("c")
        assert graph.position == len(graph)
        assert app.graph_tree.highlighted_node == 0
        assert line_for(app, 0).endswith("x0  = 0.5  grad 1")
        # Back through the last steps: the tree stays small, the cursor follows.
        for _ in range(20):
            await pilot.press("N")
        assert len(app.graph_tree.rows) <= MAX_ROWS
        assert app.graph_tree.highlighted_node == graph.step_node(graph.position - 1)
        # Jump to the middle of the backward pass through the timeline.
        middle = graph.seed_index + 1 + depth
        app.query_one(Timeline).post_message(Timeline.Selected(middle))
        await pilot.pause()
        assert graph.position == middle
        node = graph.step_node(middle - 1)
        assert app.graph_tree.highlighted_node == node
        assert grad_on(line_for(app, node)) == 1
        await pilot.press("r")
        assert app.graph_tree.view_root == graph.output
        assert app.graph_tree.highlighted_node == graph.output


async def test_a_3000_term_sum() -> None:
    terms = [Value(float(k), label=f"t{k}") for k in range(3000)]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    total.label = "s"
    graph = trace(total)
    app = GradstepApp(graph=graph, title="sum")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        assert line_for(app, 0).endswith("t0  = 0  grad 1")
        app.graph_tree.reveal(graph.labels.index("t1500"))
        await pilot.pause()
        assert line_for(app, graph.labels.index("t1500")).endswith("t1500  = 1500  grad 1")
        assert line_for(app, app.graph_tree.view_root)  # the view's root is laid out
        assert len(app.graph_tree.rows) <= MAX_ROWS
        await pilot.press("C")
        assert graph.position == 0


def wide_graph(pairs: int, engine: type) -> tuple[object, list[object]]:
    """(w_i * w_j + 1)**2 for ``pairs`` pairs of 200 weights, summed as a balanced tree.

    Built identically in gradstep and in micrograd (balanced, so micrograd's recursion copes).
    """
    weights = [engine((i % 13) / 10 - 0.6) for i in range(200)]
    layer = [(weights[k % 200] * weights[(7 * k + 3) % 200] + 1) ** 2 for k in range(pairs)]
    while len(layer) > 1:
        layer = [layer[i] + layer[i + 1] if i + 1 < len(layer) else layer[i] for i in range(0, len(layer), 2)]
    return layer[0], weights


async def test_a_60000_node_graph_matches_micrograd() -> None:
    output, weights = wide_graph(12_000, Value)
    for i, weight in enumerate(weights):
        assert isinstance(weight, Value)
        weight.label = f"w{i}"
    assert isinstance(output, Value)
    graph = trace(output)
    assert graph.size >= 60_000
    reference, reference_weights = wide_graph(12_000, mg.Value)
    reference.backward()  # type: ignore[attr-defined]
    app = GradstepApp(graph=graph, title="wide")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        for i in (0, 7, 123, 199):
            node = graph.labels.index(f"w{i}")
            app.graph_tree.reveal(node)
            await pilot.pause()
            expected = reference_weights[i].grad  # type: ignore[attr-defined]
            assert math.isclose(grad_on(line_for(app, node)), expected, rel_tol=1e-5, abs_tol=1e-9)
        assert len(app.graph_tree.rows) <= MAX_ROWS
        for _ in range(30):
            await pilot.press("N")
        assert len(app.graph_tree.rows) <= MAX_ROWS
        assert app.graph_tree.highlighted_node == graph.step_node(graph.position - 1)


async def test_the_table_of_uses_is_made_while_the_app_waits_for_the_first_key() -> None:
    # Made on first use, it would cost the first step on a big graph tens of milliseconds.
    total = Value(0.0, label="x0")
    for k in range(1, 40):  # no node used twice: no pane asks about uses before the first step
        total = total + Value(float(k), label=f"x{k}")
    graph = trace(total)
    assert graph._consumer_table is None
    app = GradstepApp(graph=graph, title="sum")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(USES_AFTER + 0.1)
        assert graph._consumer_table is not None
        await pilot.press("n")
        assert "used 1×" in app.query_one("#inspector").plain  # type: ignore[attr-defined]
