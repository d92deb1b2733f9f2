"""The module groups pane, driven in a small app of its own on micrograd's demo graph.

References are independent of the pane: counts made here from the labels' strings and the trace's
per-node state, numbers from ``Trace.value`` / ``grad_so_far``, and for the parameters' final grads
the real ``micrograd`` package. What is on screen after steps is compared with a full redraw.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from gradstep.core import demo, parse
from gradstep.core.examples import SEED
from gradstep.core.ops import format_number
from gradstep.core.trace import Trace, trace
from gradstep.tui.widgets.groups import EMPTY, GroupsView
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.pilot import Pilot

SIZE = (120, 40)


class GroupsApp(App[None]):
    """A groups pane on its own, recording the nodes it reports."""

    def __init__(self, shown: Trace | None) -> None:
        super().__init__()
        self.shown = shown
        self.highlighted: list[int] = []
        self.chosen: list[int] = []

    def compose(self) -> ComposeResult:
        yield GroupsView(id="groups")

    def on_mount(self) -> None:
        view = self.query_one(GroupsView)
        view.set_trace(self.shown)
        view.focus()

    def on_groups_view_node_highlighted(self, message: GroupsView.NodeHighlighted) -> None:
        self.highlighted.append(message.node)

    def on_groups_view_node_chosen(self, message: GroupsView.NodeChosen) -> None:
        self.chosen.append(message.node)


@pytest.fixture(scope="module")
def demo_graph() -> tuple[Trace, Any]:
    loss, model = demo.gradstep_loss()
    return trace(loss), model


@pytest.fixture
def shown(demo_graph: tuple[Trace, Any]) -> Trace:
    graph = demo_graph[0]
    graph.to_start()
    return graph


def nodes_labelled(graph: Trace, label: str) -> list[int]:
    return [i for i, name in enumerate(graph.labels) if name == label]


def line_of(view: GroupsView, text: str) -> int:
    """The first row whose text, without its indentation and triangle, starts with ``text``."""
    return next(y for y, line in enumerate(view.line_texts()) if line.lstrip(" ▾▸").startswith(text))


def on_screen(view: GroupsView) -> list[list[tuple[str, object]]]:
    """The pane's lines as it would paint them now: each as (text, style) segments."""
    region = Region(0, 0, view.view_size.width, view.view_size.height)
    return [[(segment.text, segment.style) for segment in strip] for strip in view.render_lines(region)]


def screen_text(view: GroupsView) -> list[str]:
    return ["".join(text for text, _ in line).rstrip() for line in on_screen(view)]


async def assert_current(view: GroupsView, pilot: Pilot[None], what: str) -> None:
    await pilot.pause()
    shown = on_screen(view)
    view.refresh()  # every line dirty: rendered afresh
    fresh = on_screen(view)
    stale = [y for y, (a, b) in enumerate(zip(shown, fresh, strict=True)) if a != b]
    assert not stale, f"stale lines {stale} after {what}"


def counted(graph: Trace, prefix: str) -> dict[str, int]:
    """Counts over the nodes under ``prefix``, from the trace's per-node state."""
    under = [i for i, label in enumerate(graph.labels) if label == prefix or label.startswith(prefix + ".")]
    leaves = [i for i in under if graph.ops[i] is None]
    results = [i for i in under if graph.ops[i] is not None]
    return {
        "params": len(leaves),
        "params final": sum(graph.is_final(i) for i in leaves),
        "results": len(results),
        "computed": sum(graph.value(i) is not None for i in results),
        "grads": sum(graph.grad_so_far(i) is not None for i in results),
    }


def node_text(graph: Trace, name: str, i: int) -> str:
    """A node line as the pane should draw it, when the node receives nothing at this step."""
    value = graph.value(i)
    grad = graph.grad_so_far(i)
    text = f"{name} = {'·' if value is None else format_number(value)}  grad "
    if grad is None:
        return text + "—"
    return text + format_number(grad) + (" final" if graph.is_final(i) else "")


# --- layout ------------------------------------------------------------------------------------


async def test_layers_open_and_neurons_closed_at_first(shown: Trace) -> None:
    app = GroupsApp(shown)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.query_one(GroupsView)
        lines = view.line_texts()
        assert lines[0] == "▾ L0  params final 0/48 · computed 0/3200 · grads 0/3200"
        assert lines[1] == "  ▸ N0  params final 0/3 · computed 0/200 · grads 0/200"
        assert [line.split()[1] for line in lines[1:17]] == [f"N{k}" for k in range(16)]
        assert lines[17] == "▾ L1  params final 0/272 · computed 0/3200 · grads 0/3200"
        assert lines[34] == "▾ L2  params final 0/17 · computed 0/100 · grads 0/100"
        assert lines[35] == "  ▸ N0  params final 0/17 · computed 0/100 · grads 0/100"
        assert len(lines) == 36
        assert screen_text(view)[:36] == lines  # the pane draws what line_texts says
        assert view.highlighted_node is None  # a group's line holds no one node


async def test_expand_and_collapse_with_keys(shown: Trace) -> None:
    app = GroupsApp(shown)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(GroupsView)
        await pilot.press("down", "right")  # open L0.N0
        lines = view.line_texts()
        assert [line.strip().split()[0] for line in lines[2:7]] == ["w0", "w1", "b", "▸", "▸"]
        assert lines[5].strip() == "▸ act ×100  computed 0/100 · grads 0/100"
        assert lines[6].strip() == "▸ out ×100  computed 0/100 · grads 0/100"
        await pilot.press("right")  # open and on a line: go to the first child
        assert view.cursor_line == 2
        await pilot.press("down", "down", "down", "down", "enter")  # enter on out ×100 opens it
        lines = view.line_texts()
        assert len(lines) == 36 + 5 + 100
        assert [line.strip().split()[1] for line in lines[7:107]] == [f"#{k}" for k in range(1, 101)]
        await pilot.press("space")  # and closes it
        assert len(view.line_texts()) == 36 + 5
        await pilot.press("left")  # on a closed entry: to its neuron
        assert view.cursor_line == 1
        await pilot.press("left")  # on an open neuron: close it
        assert len(view.line_texts()) == 36 and view.cursor_line == 1
        await pilot.press("left")  # closed: to its layer
        assert view.cursor_line == 0
        await pilot.press("enter")  # enter on a group toggles it
        assert len(view.line_texts()) == 20 and view.line_texts()[1].startswith("▾ L1")
        await pilot.press("end")
        assert view.cursor_line == 19
        await pilot.press("home", "space")
        assert len(view.line_texts()) == 36


async def test_clicking_the_triangle_toggles(shown: Trace) -> None:
    app = GroupsApp(shown)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(GroupsView)
        await pilot.pause()
        await pilot.click(GroupsView, offset=(2, 3))  # the ▸ of L0.N2
        assert view.cursor_line == 3
        assert view.line_texts()[3].startswith("  ▾ N2")
        assert len(view.line_texts()) == 41


async def test_clicking_a_name_moves_the_cursor_and_a_second_click_opens(shown: Trace) -> None:
    app = GroupsApp(shown)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(GroupsView)
        await pilot.pause()
        rows = len(view.line_texts())
        await pilot.click(GroupsView, offset=(6, 3))  # the name of L0.N2, past its triangle
        assert view.cursor_line == 3
        assert len(view.line_texts()) == rows  # moved there, nothing opened
        await pilot.click(GroupsView, offset=(6, 3))  # on the cursor's line: select = open
        assert view.line_texts()[3].startswith("  ▾ N2")


# --- numbers against the trace -------------------------------------------------------------------


async def test_counts_and_numbers_follow_the_cursor(shown: Trace) -> None:
    app = GroupsApp(shown)
    w0 = nodes_labelled(shown, "L0.N5.w0")[0]
    outs = nodes_labelled(shown, "L0.N5.out")
    seed, end = shown.seed_index, len(shown)
    positions = [
        0,
        shown.forward_index[outs[36]] + 2,
        seed,
        seed + 1,
        seed + (end - seed) // 2,
        end - 16,
        end,
    ]
    # The positions see outputs computed and not, with grads and without, parameters final and not.
    assert shown.forward_index[outs[36]] < positions[1] <= shown.forward_index[outs[37]]
    n5_params = [
        i for i, label in enumerate(shown.labels) if label.startswith("L0.N5.") and shown.ops[i] is None
    ]
    assert (
        min(shown.backward_index(i) for i in n5_params)
        < end - 16
        <= max(map(shown.backward_index, n5_params))
    )
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(GroupsView)
        assert view.reveal(outs[36])
        await pilot.pause()
        assert view.highlighted_node == outs[36] and view.line_texts()[view.cursor_line].strip().startswith(
            "out #37 = "
        )
        for position in positions:
            shown.goto(position)
            view.show_position()
            await pilot.pause()
            lines = view.line_texts()
            expected = counted(shown, "L0.N5")
            assert lines[line_of(view, "N5 ")].strip() == (
                f"▾ N5  params final {expected['params final']}/3"
                f" · computed {expected['computed']}/200 · grads {expected['grads']}/200"
            ), position
            layer = counted(shown, "L0")
            assert lines[0] == (
                f"▾ L0  params final {layer['params final']}/48"
                f" · computed {layer['computed']}/3200 · grads {layer['grads']}/3200"
            )
            out = counted(shown, "L0.N5.out")
            assert lines[line_of(view, "out ×100")].strip() == (
                f"▾ out ×100  computed {out['computed']}/100 · grads {out['grads']}/100"
            )
            if shown.current is not None and shown.phase(shown.current) == "backward":
                receiving = {shown.in_ids[e] for e in shown.edges(shown.step_node(shown.current))}
            else:
                receiving = set()
            if w0 not in receiving:
                assert lines[line_of(view, "w0 ")].strip() == node_text(shown, "w0", w0)
            for k, i in enumerate(outs):
                if i not in receiving:
                    assert lines[line_of(view, f"out #{k + 1} ")].strip() == node_text(
                        shown, f"out #{k + 1}", i
                    )


async def test_parameters_final_grads_equal_micrograds(demo_graph: tuple[Trace, Any]) -> None:
    pytest.importorskip("micrograd")
    graph, model = demo_graph
    their_loss, their_model = demo.micrograd_loss(model)
    their_loss.backward()
    graph.to_end()
    app = GroupsApp(graph)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(GroupsView)
        modules = view.modules
        assert modules is not None
        for layer in modules.roots:
            for neuron in modules.children[layer]:
                view.expanded.add(neuron)
        view.set_trace(graph, expanded_paths=view.expanded_paths)  # the paths carry the opened neurons
        await pilot.pause()
        shown_grads: dict[str, float] = {}
        for row, line in zip(view.rows, view.line_texts(), strict=True):
            node = view.node_of(row)
            if node is not None and graph.ops[node] is None:
                assert line.endswith(" final")
                shown_grads[graph.labels[node]] = float(line.split("grad ")[1].removesuffix(" final"))
        assert len(shown_grads) == 337
        for theirs in their_model.parameters():
            assert shown_grads[theirs.label] == pytest.approx(theirs.grad, rel=1e-5, abs=1e-12), theirs.label
        assert sum(1 for grad in shown_grads.values() if grad != 0) > 200


async def test_marks_the_step_and_the_grads_it_sends(shown: Trace) -> None:
    app = GroupsApp(shown)
    w0 = nodes_labelled(shown, "L0.N5.w0")[0]
    first_out = nodes_labelled(shown, "L0.N5.out")[0]
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(GroupsView)
        await pilot.press("down", "down", "down", "down", "down", "down", "right")  # open N5
        await pilot.press("up")  # the cursor on N4, off the lines checked below
        current = view.component_style("groups--current").bgcolor
        receiving = view.component_style("groups--receiving").bgcolor

        def background(y: int) -> object:
            return on_screen(view)[y][-1][1].bgcolor  # type: ignore[attr-defined]

        # Forward: L0.N5.out's first value is computed; its neuron and layer hold the step.
        shown.goto(shown.forward_index[first_out] + 1)
        view.show_position()
        await pilot.pause()
        n5, n3 = line_of(view, "N5 "), line_of(view, "N3 ")
        assert background(0) == background(n5) == current != background(n3)
        out_line = view.line_texts()[line_of(view, "out ×100")].strip()
        assert out_line == "▸ out ×100  computed 1/100 · grads 0/100"

        # Backward through a consumer of w0 that sends it a grad: shown with what it received.
        def sent(consumer: int) -> float:
            return sum(
                shown.local[e] * shown.grad[consumer] for e in shown.edges(consumer) if shown.in_ids[e] == w0
            )

        consumer = next(c for c in shown.consumers(w0) if sent(c) != 0)
        shown.goto(shown.backward_index(consumer) + 1)
        view.show_position()
        await pilot.pause()
        delta = sent(consumer)
        grad = shown.grad_so_far(w0)
        assert grad is not None
        sign = "+" if delta >= 0 else ""
        w0_line = line_of(view, "w0 ")
        assert view.line_texts()[w0_line].strip() == (
            f"w0 = {format_number(shown.data[w0])}  grad {format_number(grad)} ({sign}{format_number(delta)})"
        )
        assert background(w0_line) == receiving
        assert background(n5) == background(0) == receiving and background(n3) != receiving


# --- messages ------------------------------------------------------------------------------------


async def test_highlight_and_choose_post_the_node(shown: Trace) -> None:
    app = GroupsApp(shown)
    w0 = nodes_labelled(shown, "L0.N0.w0")[0]
    w1 = nodes_labelled(shown, "L0.N0.w1")[0]
    outs = nodes_labelled(shown, "L0.N0.out")
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(GroupsView)
        await pilot.press("down", "right", "down")
        await pilot.pause()
        assert app.highlighted == [w0] and view.highlighted_node == w0
        await pilot.press("enter")
        await pilot.pause()
        assert app.chosen == [w0]
        assert len(view.line_texts()) == 41  # enter on a node does not toggle anything
        await pilot.press("down", "up", "up", "down")  # w1, w0, the neuron (nothing), w0 again
        await pilot.pause()
        assert app.highlighted == [w0, w1, w0, w0]
        await pilot.press("down", "down", "down", "down", "enter")  # open out ×100
        await pilot.press("down", "down", "down")
        await pilot.pause()
        assert view.highlighted_node == outs[2] and app.highlighted[-1] == outs[2]
        await pilot.press("enter")
        await pilot.pause()
        assert app.chosen == [w0, outs[2]]


async def test_reveal_opens_the_way_to_a_node(shown: Trace) -> None:
    app = GroupsApp(shown)
    act = nodes_labelled(shown, "L1.N12.act")[41]
    bias = nodes_labelled(shown, "L2.N0.b")[0]
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(GroupsView)
        assert view.reveal(act)
        await pilot.pause()
        assert view.highlighted_node == act and app.highlighted[-1] == act
        assert view.line_texts()[view.cursor_line].strip().startswith("act #42 = ")
        assert view.reveal(bias) and view.highlighted_node == bias
        assert not view.reveal(shown.output)  # "loss" names no module
        assert view.highlighted_node == bias


# --- redraws -----------------------------------------------------------------------------------


async def test_what_is_on_screen_equals_a_full_redraw(shown: Trace) -> None:
    app = GroupsApp(shown)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(GroupsView)
        await pilot.press("down", "right", "down", "down", "down", "down", "enter", "up", "right")
        await pilot.press("down", "down", "down", "down", "down")  # cursor inside act ×100
        await assert_current(view, pilot, "opening")
        rng = random.Random(5)
        seed, end = shown.seed_index, len(shown)
        starts = [0, 2, seed - 3, seed, end - 5]
        act = nodes_labelled(shown, "L0.N0.act")
        starts += [shown.forward_index[act[k]] - 1 for k in (0, 3)]
        starts += [shown.backward_index(act[k]) - 2 for k in (99, 50)]
        starts += [rng.randrange(end + 1) for _ in range(4)]
        for start in starts:
            shown.goto(start)
            view.show_position()
            await assert_current(view, pilot, f"a jump to {start}")
            for move in rng.choice(["sssbs", "ssss", "bbbs", "sbsb"]):
                shown.step() if move == "s" else shown.back()
                view.show_position()
                await assert_current(view, pilot, f"{move} near {start}")
        await pilot.press("pagedown", "pagedown")
        shown.step()
        view.show_position()
        await assert_current(view, pilot, "a step after scrolling")


# --- other graphs --------------------------------------------------------------------------------


async def test_a_graph_without_module_labels_says_so() -> None:
    graph = trace(parse(SEED, "seed.gs").output)
    app = GroupsApp(graph)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(GroupsView)
        await pilot.press("down", "enter", "space", "left", "right", "end")
        assert screen_text(view)[: len(EMPTY)] == list(EMPTY)
        assert view.line_texts() == list(EMPTY)
        assert view.highlighted_node is None and app.chosen == []
        graph.step()
        view.show_position()
        await pilot.pause()
        assert screen_text(view)[: len(EMPTY)] == list(EMPTY)
        view.set_trace(None)
        await pilot.pause()
        assert screen_text(view)[0] == "" and view.highlighted_node is None
