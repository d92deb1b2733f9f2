"""The trace: its events checked by hand, and its cursor checked against a walker written here.

The reference walker below runs backprop itself, one node at a time, with local derivatives written
out in this file (not taken from ``gradstep.core.ops``), so the trace's recorded arithmetic and its cursor
state are compared with something that does not share their code.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gradstep.core import BackwardStep, Contribution, Edge, ForwardEvent, SeedStep, Trace, Value, parse, trace
from gradstep.core.engine import topological_order
from graph_strategies import random_graphs
from hypothesis import given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples").glob("*.gs"))


def seed_trace() -> Trace:
    return trace(parse((REPO / "examples" / "seed.gs").read_text()).output)


def example_trace(name: str) -> Trace:
    return trace(parse((REPO / "examples" / name).read_text()).output)


# --- an independent reference ----------------------------------------------------------------


def local_derivatives(node: Value) -> tuple[float, ...]:
    """d node / d operand, written out here from calculus, not from the op table."""
    assert node.op is not None
    name = node.op.name
    xs = [operand.data for operand in node.operands]
    if name == "+":
        return (1.0, 1.0)
    if name == "-":
        return (1.0, -1.0)
    if name == "*":
        return (xs[1], xs[0])
    if name == "/":
        return (1.0 / xs[1], -xs[0] / xs[1] ** 2)
    if name == "**":
        return (node.param * xs[0] ** (node.param - 1),)
    if name == "neg":
        return (-1.0,)
    if name == "tanh":
        return (1.0 - math.tanh(xs[0]) ** 2,)
    if name == "exp":
        return (math.exp(xs[0]),)
    if name == "log":
        return (1.0 / xs[0],)
    if name == "relu":
        return (1.0 if xs[0] > 0 else 0.0,)
    if name == "sigmoid":
        s = 1.0 / (1.0 + math.exp(-xs[0]))
        return (s * (1.0 - s),)
    raise AssertionError(name)


def reference_states(output: Value) -> Iterator[tuple[list[float | None], list[float | None]]]:
    """(values, grads so far) after each event of the timeline, position 1 to the end.

    Values are None until computed (leaves are known from the start); grads are None until the
    node receives its first contribution.
    """
    order = topological_order(output)
    where = {node.id: i for i, node in enumerate(order)}
    values: list[float | None] = [node.data if node.op is None else None for node in order]
    grads: list[float | None] = [None] * len(order)
    for i, node in enumerate(order):
        if node.op is not None:
            values[i] = node.data
            yield list(values), list(grads)
    grads[-1] = 1.0
    yield list(values), list(grads)
    for i in range(len(order) - 1, -1, -1):
        node = order[i]
        if node.op is not None:
            upstream = grads[i]
            assert upstream is not None
            for operand, local in zip(node.operands, local_derivatives(node), strict=True):
                j = where[operand.id]
                grads[j] = (grads[j] or 0.0) + local * upstream
        yield list(values), list(grads)


def snapshot(t: Trace) -> tuple[Any, ...]:
    """Everything the cursor exposes, so two cursors can be compared exactly."""
    n = t.size
    return (
        t.position,
        t.current,
        [t.value(i) for i in range(n)],
        [t.grad_so_far(i) for i in range(n)],
        [t.is_final(i) for i in range(n)],
        [t.ledger(i) for i in range(n)],
    )


# --- graphs to test on -----------------------------------------------------------------------


def example_outputs() -> list[Value]:
    return [parse(path.read_text()).output for path in EXAMPLES]


# --- events, checked by hand -----------------------------------------------------------------


def test_seed_forward_events_by_hand() -> None:
    t = seed_trace()
    # Nodes in creation order: a0 b1 c2 e3=a*b d4=e+c f5 L6=d*f.
    assert t.size == 7 and t.output == 6
    assert t.labels == ["a", "b", "c", "e", "d", "f", "L"]
    assert len(t) == 3 + 1 + 7
    assert t.seed_index == 3
    assert [t.event(k) for k in range(3)] == [
        ForwardEvent(0, 3, "*", (0, 1), -6.0),
        ForwardEvent(1, 4, "+", (3, 2), 4.0),
        ForwardEvent(2, 6, "*", (4, 5), -8.0),
    ]
    assert t.event(3) == SeedStep(3, 6, 1.0)
    assert [t.event(k).kind for k in range(len(t))] == ["forward"] * 3 + ["seed"] + ["backward"] * 7


def test_seed_backward_steps_by_hand() -> None:
    t = seed_trace()
    steps = [t.event(k) for k in range(4, 11)]
    assert all(isinstance(step, BackwardStep) for step in steps)
    # Reverse creation order: L f d e c b a.
    assert [step.node for step in steps] == [6, 5, 4, 3, 2, 1, 0]  # type: ignore[union-attr]
    L, f, d, e, c, b, a = steps
    # L = d*f: d gets f * 1 = -2, f gets d * 1 = 4.
    assert BackwardStep(4, 6, "*", 1.0, (Edge(4, -2.0, 1.0, 0.0), Edge(5, 4.0, 1.0, 0.0))) == L
    assert f == BackwardStep(5, 5, "", 4.0, ())
    # d = e + c: both get 1 * -2.
    assert d == BackwardStep(6, 4, "+", -2.0, (Edge(3, 1.0, -2.0, 0.0), Edge(2, 1.0, -2.0, 0.0)))
    # e = a*b: a gets b * -2 = 6, b gets a * -2 = -4.
    assert e == BackwardStep(7, 3, "*", -2.0, (Edge(0, -3.0, -2.0, 0.0), Edge(1, 2.0, -2.0, 0.0)))
    assert [edge.contribution for edge in e.edges] == [6.0, -4.0]  # type: ignore[union-attr]
    assert [edge.grad_after for edge in e.edges] == [6.0, -4.0]  # type: ignore[union-attr]
    assert (c.upstream, b.upstream, a.upstream) == (-2.0, -4.0, 6.0)  # type: ignore[union-attr]
    assert list(t.grad) == [6.0, -4.0, -2.0, -2.0, -2.0, 4.0, 1.0]


def test_seed_edge_arithmetic_in_words() -> None:
    t = seed_trace()
    b_edge_of_e = t.in_start[3] + 1
    assert t.in_ids[b_edge_of_e] == 1 and t.edge_owner[b_edge_of_e] == 3
    assert t.arithmetic(b_edge_of_e) == "b.grad += a.data * e.grad = 2 * -2 = -4"
    # With the graph's own names: e = a * b, so de/db = a (no a/b placeholders).
    assert t.formula(b_edge_of_e) == "de/db = a"
    assert t.partial(6, 4) == "dL/dd"


def test_shared_node_edges_show_grad_before_and_after() -> None:
    t = example_trace("shared.gs")
    # a0 b1 c2 e3=a*b m4=b+c L5=e*m; e=-6, m=7. m's step gives b -6, then e's step gives b 2*7 = 14.
    m_step = t.event(t.backward_index(4))
    e_step = t.event(t.backward_index(3))
    assert isinstance(m_step, BackwardStep) and isinstance(e_step, BackwardStep)
    assert m_step.index < e_step.index
    assert m_step.edges[0] == Edge(1, 1.0, -6.0, 0.0)
    assert e_step.edges[1] == Edge(1, 2.0, 7.0, -6.0)
    assert e_step.edges[1].grad_after == 8.0


def test_a_plus_a_edges_accumulate_within_one_step() -> None:
    t = example_trace("a_plus_a.gs")
    step = t.event(t.backward_index(1))
    assert step == BackwardStep(2, 1, "+", 1.0, (Edge(0, 1.0, 1.0, 0.0), Edge(0, 1.0, 1.0, 1.0)))
    assert t.grad[0] == 2.0
    assert t.consumers(0) == (1, 1) and t.uses(0) == 2


def test_event_out_of_range() -> None:
    t = seed_trace()
    with pytest.raises(IndexError):
        t.event(len(t))
    with pytest.raises(IndexError):
        t.event(-1)


def test_trace_leaves_the_values_untouched() -> None:
    program = parse((REPO / "examples" / "seed.gs").read_text())
    trace(program.output)
    assert all(node.grad == 0.0 for node in topological_order(program.output))


@settings(max_examples=80, deadline=None)
@given(random_graphs)
def test_events_on_random_graphs_match_the_reference(output: Value) -> None:
    order = topological_order(output)
    t = trace(output)
    computed = [i for i, node in enumerate(order) if node.op is not None]
    where = {node.id: i for i, node in enumerate(order)}
    assert t.size == len(order)
    assert len(t) == len(computed) + 1 + len(order)
    for k, i in enumerate(computed):
        inputs = tuple(where[operand.id] for operand in order[i].operands)
        assert t.event(k) == ForwardEvent(k, i, order[i].op.symbol(order[i].param), inputs, order[i].data)  # type: ignore[union-attr]
    assert t.event(t.seed_index) == SeedStep(t.seed_index, len(order) - 1)
    backward = [t.event(k) for k in range(t.seed_index + 1, len(t))]
    assert [step.node for step in backward] == list(range(len(order) - 1, -1, -1))
    for step in backward:
        assert isinstance(step, BackwardStep)
        node = order[step.node]
        locals_ = local_derivatives(node) if node.op is not None else ()
        assert [edge.operand for edge in step.edges] == [where[o.id] for o in node.operands]
        for edge, local in zip(step.edges, locals_, strict=True):
            assert edge.local == pytest.approx(local, rel=1e-12, abs=1e-300)
            assert edge.upstream == step.upstream

    # The final grads equal what the engine's own backward() gives.
    output.backward()
    assert list(t.grad) == [node.grad for node in order]


# --- the cursor ------------------------------------------------------------------------------


def check_cursor_against_reference(output: Value) -> None:
    t = trace(output)
    states = list(reference_states(output))
    assert len(states) == len(t)
    assert t.position == 0 and t.current is None
    n = t.size
    leaves_known = [node.data if node.op is None else None for node in topological_order(output)]
    assert [t.value(i) for i in range(n)] == leaves_known
    assert [t.grad_so_far(i) for i in range(n)] == [None] * n
    for position, (values, grads) in enumerate(states, start=1):
        assert t.step()
        assert t.position == position and t.current == position - 1
        assert [t.value(i) for i in range(n)] == values
        for got, expected in zip([t.grad_so_far(i) for i in range(n)], grads, strict=True):
            if expected is None:
                assert got is None
            else:
                assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert not t.step()
    assert t.position == len(t)


def check_goto_equals_stepping(output: Value) -> None:
    stepped = trace(output)
    states = [snapshot(stepped)]
    while stepped.step():
        states.append(snapshot(stepped))
    # Stepping back restores every earlier state exactly.
    for position in range(len(stepped) - 1, -1, -1):
        assert stepped.back()
        assert snapshot(stepped) == states[position]
    assert not stepped.back()
    # goto(k) from anywhere equals stepping k times from the start.
    jumper = trace(output)
    length = len(jumper)
    order = [k for pair in zip(range(length + 1), range(length, -1, -1), strict=True) for k in pair]
    for k in order:
        jumper.goto(k)
        assert snapshot(jumper) == states[k]
    jumper.to_end()
    assert snapshot(jumper) == states[length]
    jumper.to_start()
    assert snapshot(jumper) == states[0]
    jumper.goto(-5)
    assert jumper.position == 0
    jumper.goto(length + 5)
    assert snapshot(jumper) == states[length]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_cursor_on_examples(path: Path) -> None:
    output = parse(path.read_text()).output
    check_cursor_against_reference(output)
    check_goto_equals_stepping(output)


@settings(max_examples=60, deadline=None)
@given(random_graphs)
def test_cursor_on_random_graphs(output: Value) -> None:
    check_cursor_against_reference(output)
    check_goto_equals_stepping(output)


def test_grad_received_as_zero_is_not_none() -> None:
    # relu of a negative passes back 0: the operand has received a grad, and it is 0.
    x = Value(-1.0, label="x")
    y = x.relu()
    t = trace(y)
    t.to_end()
    assert t.grad_so_far(0) == 0.0
    t.goto(t.backward_index(1))
    assert t.grad_so_far(0) is None
    t.step()
    assert t.grad_so_far(0) == 0.0


def test_is_final_after_own_step() -> None:
    t = example_trace("shared.gs")
    b = 1
    t.goto(t.backward_index(b))
    assert not t.is_final(b)
    assert t.grad_so_far(b) == 8.0  # both contributions are in before b's own step
    t.step()
    assert t.is_final(b)


# --- ledgers ---------------------------------------------------------------------------------


def test_ledger_of_a_shared_node() -> None:
    t = example_trace("shared.gs")
    b = 1
    m_event, e_event = t.backward_index(4), t.backward_index(3)
    first = Contribution(m_event, 4, Edge(1, 1.0, -6.0, 0.0))
    second = Contribution(e_event, 3, Edge(1, 2.0, 7.0, -6.0))
    t.goto(m_event)
    assert t.ledger(b) == []
    t.goto(m_event + 1)
    assert t.ledger(b) == [first]
    t.goto(e_event + 1)
    assert t.ledger(b) == [first, second]
    t.to_end()
    ledger = t.ledger(b)
    assert ledger == [first, second]
    assert sum(entry.edge.contribution for entry in ledger) == t.grad[b] == 8.0


def test_ledger_of_a_plus_a_lists_both_uses_in_order() -> None:
    t = example_trace("a_plus_a.gs")
    t.to_end()
    assert t.ledger(0) == [
        Contribution(2, 1, Edge(0, 1.0, 1.0, 0.0)),
        Contribution(2, 1, Edge(0, 1.0, 1.0, 1.0)),
    ]


def test_ledger_of_the_output_starts_with_the_seed() -> None:
    t = seed_trace()
    t.goto(t.seed_index)
    assert t.ledger(t.output) == []
    t.step()
    assert t.ledger(t.output) == [Contribution(t.seed_index, None, Edge(6, 1.0, 1.0, 0.0))]


@settings(max_examples=60, deadline=None)
@given(random_graphs)
def test_ledger_sums_to_the_grad_at_every_position(output: Value) -> None:
    t = trace(output)
    for position in range(len(t) + 1):
        t.goto(position)
        for i in range(t.size):
            ledger = t.ledger(i)
            grad = t.grad_so_far(i)
            if not ledger:
                assert grad is None
                continue
            assert [entry.index for entry in ledger] == sorted(entry.index for entry in ledger)
            running = 0.0
            for entry in ledger:
                assert entry.index < position
                assert entry.edge.grad_before == running
                running = entry.edge.grad_after
            assert running == grad


# --- touches and breakpoints -----------------------------------------------------------------


def touches_by_brute_force(t: Trace, i: int) -> list[int]:
    found = []
    for k in range(len(t)):
        event = t.event(k)
        if (
            event.node == i
            or (isinstance(event, BackwardStep) and any(e.operand == i for e in event.edges))
            or (isinstance(event, ForwardEvent) and i in event.inputs)
        ):
            found.append(k)
    return found


def test_touching_on_the_seed_by_hand() -> None:
    t = seed_trace()
    b = 1
    # e = a*b reads b (event 0); e's step gives b its grad; then b's own step.
    assert list(t.touches(b)) == [0, 7, 9]
    assert t.next_touching([b]) == 1
    t.goto(1)
    assert t.next_touching([b]) == 8
    t.goto(8)
    assert t.next_touching([b]) == 10
    t.goto(10)
    assert t.next_touching([b]) is None
    assert t.previous_touching([b]) == 8
    t.goto(8)
    assert t.previous_touching([b]) == 1
    # e: computed at 0, read by d = e + c at 1, its step at 7, and it receives from d at 6.
    assert list(t.touches(3)) == [0, 1, 6, 7]
    # The case: a breakpoint on c from step 0 stops at the forward step d = e + c.
    t.to_start()
    c = t.labels.index("c")
    assert t.next_touching([c]) == 2 and t.describe(1) == "d = e + c = 4"
    t.to_start()
    assert t.next_touching([b, 3]) == 1


@settings(max_examples=60, deadline=None)
@given(random_graphs, st.data())
def test_touching_matches_brute_force(output: Value, data: st.DataObject) -> None:
    t = trace(output)
    touches = {i: touches_by_brute_force(t, i) for i in range(t.size)}
    for i in range(t.size):
        assert list(t.touches(i)) == touches[i]
    watched = data.draw(st.lists(st.integers(0, t.size - 1), max_size=3))
    events = sorted({k for i in watched for k in touches[i]})
    for position in range(len(t) + 1):
        t.goto(position)
        after = [k for k in events if k >= position]
        before = [k for k in events if k < position - 1]
        assert t.next_touching(watched) == (after[0] + 1 if after else None)
        assert t.previous_touching(watched) == (before[-1] + 1 if before else None)


# --- the work of one step --------------------------------------------------------------------


class CountingGrads(list[float]):
    """The trace's grads with every write counted, to see how much one step changes."""

    writes = 0

    def __setitem__(self, index: Any, value: Any) -> None:
        CountingGrads.writes += 1
        super().__setitem__(index, value)


@pytest.mark.parametrize("width", [3, 30_000])
def test_one_step_writes_at_most_two_grads_whatever_the_size(width: int) -> None:
    leaves = [Value(float(k % 7) - 3.0) for k in range(width)]
    total = leaves[0]
    for leaf in leaves[1:]:
        total = total * leaf.tanh() + leaf
    t = trace(total)
    t.goto(t.seed_index)
    t._grads = CountingGrads(t._grads)  # type: ignore[assignment]
    for _ in range(min(2000, len(t) - t.seed_index)):
        CountingGrads.writes = 0
        t.step()
        assert CountingGrads.writes <= 2
    for _ in range(2000):
        CountingGrads.writes = 0
        t.back()
        assert CountingGrads.writes <= 2


# --- small cases and words -------------------------------------------------------------------


def test_a_single_leaf_has_a_seed_and_its_own_step() -> None:
    t = trace(parse("a = Value(2.0)\na\n").output)
    assert (t.size, len(t), t.seed_index) == (1, 2, 0)
    assert list(t.events()) == [SeedStep(0, 0, 1.0), BackwardStep(1, 0, "", 1.0, ())]
    assert t.value(0) == 2.0 and t.grad_so_far(0) is None
    t.step()
    assert t.grad_so_far(0) == 1.0 and not t.is_final(0)
    t.step()
    assert t.is_final(0)
    assert t.ledger(0) == [Contribution(0, None, Edge(0, 1.0, 1.0, 0.0))]


def test_describe_the_seed_timeline_in_words() -> None:
    t = seed_trace()
    assert [t.describe(k) for k in range(len(t))] == [
        "e = a * b = -6",
        "d = e + c = 4",
        "L = d * f = -8",
        "L: seed, L.grad = 1",
        "L: backward through *, 2 contributions",
        "f: leaf, grad final = 4",
        "d: backward through +, 2 contributions",
        "e: backward through *, 2 contributions",
        "c: leaf, grad final = -2",
        "b: leaf, grad final = -4",
        "a: leaf, grad final = 6",
    ]
    assert [t.phase(k) for k in (0, 3, 4)] == ["forward", "seed", "backward"]
    assert [t.step_node(k) for k in range(len(t))] == [3, 4, 6, 6, 6, 5, 4, 3, 2, 1, 0]


def test_graph_queries_on_the_shared_example() -> None:
    t = example_trace("shared.gs")
    assert t.inputs(5) == (3, 4)
    assert t.consumers(1) == (3, 4)  # b feeds e and m
    assert t.uses(1) == 2 and t.uses(5) == 0
    assert [t.symbol(i) for i in range(t.size)] == ["", "", "", "*", "+", "*"]
    assert t.expression(4) == "b + c"
    assert t.name(3) == "e"
    p = trace(Value(3.0) ** 2)
    assert p.symbol(1) == "**2" and p.name(1) == "3**2"


def test_names_expressions_and_formulas_of_each_op() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    cases: list[tuple[Value, str, str, list[str]]] = [
        (a * b, "a*b", "a * b", ["d(a*b)/da = b", "d(a*b)/db = a"]),
        (a + b, "a+b", "a + b", ["d(a+b)/da = 1", "d(a+b)/db = 1"]),
        (a - b, "a-b", "a - b", ["d(a-b)/da = 1", "d(a-b)/db = -1"]),
        (a / b, "a/b", "a / b", ["d(a/b)/da = 1/b", "d(a/b)/db = -a/b**2"]),
        (-a, "-a", "-a", ["d(-a)/da = -1"]),
        (a**3, "a**3", "a**3", ["d(a**3)/da = 3*a**2"]),
        (a.tanh(), "tanh(a)", "tanh(a)", ["d(tanh(a))/da = 1 - tanh(a)**2"]),
        (a.exp(), "exp(a)", "exp(a)", ["d(exp(a))/da = exp(a)"]),
        (a.log(), "log(a)", "log(a)", ["d(log(a))/da = 1/a"]),
        (2 * a, "2*a", "2 * a", ["d(2*a)/d(2) = a", "d(2*a)/da = 2"]),
        (a.relu(), "relu(a)", "relu(a)", ["d(relu(a))/da = relu(a) > 0"]),
    ]
    for node, name, expression, formulas in cases:
        t = trace(node)
        assert t.name(t.output) == name
        assert t.expression(t.output) == expression
        assert [t.formula(e) for e in t.edges(t.output)] == formulas
    # Too long to be a name, or made from an unnamed result: the node's number.
    long = trace(Value(1.0, label="a_very_long_label_indeed") * Value(2.0, label="another_long_label"))
    assert long.name(2) == "#2"
    nested = trace((a * b).tanh())
    assert nested.name(nested.output) == f"#{nested.output}"
    assert nested.expression(nested.output) == "tanh(a*b)"


def test_tiny_denominators_give_the_true_local_or_inf_never_an_error() -> None:
    # d(x/y)/dy = -x/y**2: -1e200 here, although y*y underflows to 0.
    t = trace(Value(1e-200, label="x") / Value(1e-200, label="y"))
    assert list(t.local) == [1e200, -1e200]
    # Here the true -1e400 is beyond a float: inf, and the trace still records it.
    t = trace(Value(1.0, label="x") / Value(1e-200, label="y"))
    assert list(t.local) == [1e200, -math.inf]


def test_latest_ledger_entries_are_the_tail_of_the_full_ledger_at_every_cursor() -> None:
    x = Value(1.5, label="x")
    y = Value(-2.0, label="y")
    parts = [x * x, x + y, (x * y).tanh(), x - x, y / x]
    total = parts[0]
    for part in parts[1:]:
        total = total + part * x
    shown = trace(total)
    for position in range(len(shown) + 1):
        shown.goto(position)
        for i in range(shown.size):
            full = shown.ledger(i)
            assert shown.received(i) == len(full)
            for limit in (1, 2, 3, 50):
                tail = shown.ledger(i, last=limit)
                skipped = shown.received(i) - len(tail)
                assert tail == full[len(full) - len(tail) :]
                assert len(tail) == min(limit, len(full))
                assert skipped == len(full) - len(tail)
                for entry in tail:  # the edge number locates the contribution
                    if entry.number is not None:
                        assert shown.in_ids[entry.number] == i
                        assert shown.edge_owner[entry.number] == entry.source
                        assert shown.before[entry.number] == entry.edge.grad_before
