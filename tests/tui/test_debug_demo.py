"""``debug(loss)`` on micrograd's demo graph (65,818 nodes): it opens, steps both ways, and the
numbers on screen are micrograd's.

The app is built the way ``gradstep.tui.debug`` builds it (``trace(as_value(loss))``); one test checks
that ``debug`` itself hands the app that trace and leaves the caller's graph alone. Speed is
measured in bench/, not here.
"""

from __future__ import annotations

from typing import Any

import pytest
from gradstep import tui
from gradstep.core import demo
from gradstep.core.adapter import as_value
from gradstep.core.ops import format_number
from gradstep.core.trace import Trace, trace
from gradstep.tui.app import GradstepApp
from gradstep.tui.widgets.status import StatusBar

SIZE = (120, 40)


def status_text(app: GradstepApp) -> str:
    return app.query_one(StatusBar).plain


def line_for(app: GradstepApp, node: int) -> str:
    """The full line of ``node`` in the tree (it must be laid out)."""
    rows = app.graph_tree.rows
    (y,) = [y for y, row in enumerate(rows) if row.node == node and row.full]
    return app.graph_tree.line_texts()[y]


async def jump_to(app: GradstepApp, pilot: Any, label: str) -> int:
    await pilot.press("slash", *label, "enter")
    await pilot.pause()
    node = app.graph_tree.highlighted_node
    assert node is not None
    return node


async def steps_both_ways(app: GradstepApp, pilot: Any, graph: Trace) -> None:
    total = len(graph)
    assert f"step 0 of {total}" in status_text(app)
    await pilot.press("n")
    assert graph.position == 1
    assert f"step 1 of {total}" in status_text(app) and "forward" in status_text(app)
    assert graph.describe(0) in status_text(app)
    await pilot.press("n", "n", "n")
    assert graph.position == 4
    await pilot.press("N")
    assert graph.position == 3 and f"step 3 of {total}" in status_text(app)
    # Into the backward pass: the seed, then the loss's own step.
    app._move_to(graph.seed_index)
    await pilot.pause()
    await pilot.press("n")
    assert "seed" in status_text(app) and graph.grad_so_far(graph.output) == 1.0
    await pilot.press("n")
    assert "backward" in status_text(app)
    await pilot.press("N", "N")
    assert graph.position == graph.seed_index
    assert graph.grad_so_far(graph.output) is None
    await pilot.press("c")
    assert graph.position == total and "done" in status_text(app)
    await pilot.press("N")
    assert graph.position == total - 1
    await pilot.press("C")
    assert graph.position == 0 and f"step 0 of {total}" in status_text(app)


async def test_the_demo_graph_steps_forward_and_back() -> None:
    loss, model = demo.gradstep_loss()
    graph = trace(as_value(loss))
    assert graph.size == 65818
    app = GradstepApp(graph=graph, title="debug()")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await steps_both_ways(app, pilot, graph)
        # At the end, a weight's line shows its final grad, which is micrograd's.
        await pilot.press("c")
        node = await jump_to(app, pilot, "L0.N5.w1")
        assert graph.labels[node] == "L0.N5.w1"
        model.zero_grad()
        loss.backward()
        weight = next(p for p in model.parameters() if p.label == "L0.N5.w1")
        assert graph.grad[node] == weight.grad
        assert f"grad {format_number(weight.grad)}" in line_for(app, node)


async def test_micrograds_demo_graph_through_the_adapter() -> None:
    pytest.importorskip("micrograd")
    _, model = demo.gradstep_loss()
    their_loss, their_model = demo.micrograd_loss(model)
    their_model.zero_grad()
    their_loss.backward()
    graph = trace(as_value(their_loss))
    app = GradstepApp(graph=graph, title="debug()")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await steps_both_ways(app, pilot, graph)
        await pilot.press("c")
        node = await jump_to(app, pilot, "L1.N3.b")
        bias = next(p for p in their_model.parameters() if p.label == "L1.N3.b")
        assert graph.grad[node] == pytest.approx(bias.grad, abs=1e-9)
        assert bias.grad != 0
        assert f"grad {format_number(graph.grad[node])}" in line_for(app, node)


@pytest.mark.parametrize("engine", ["gradstep", "micrograd"])
def test_debug_hands_the_app_the_whole_graph_and_leaves_the_callers_alone(
    engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, model = demo.gradstep_loss()
    if engine == "gradstep":
        loss = demo.gradstep_loss()[0]
    else:
        pytest.importorskip("micrograd")
        loss = demo.micrograd_loss(model)[0]
    opened: list[Trace] = []

    def run_on_trace(graph: Trace, title: str) -> int:
        opened.append(graph)
        return 0

    monkeypatch.setattr(tui.app, "run_on_trace", run_on_trace)
    data, grad = loss.data, loss.grad
    tui.debug(loss)
    (graph,) = opened
    assert graph.size == 65818
    assert graph.data[graph.output] == data
    assert loss.data == data and loss.grad == grad  # nothing was run on the caller's graph
