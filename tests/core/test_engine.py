"""The engine against independent references: hand-derived numbers, finite differences, micrograd.

Every expected number here is either worked out by hand in a comment, computed by central finite
differences from the forward pass alone, or taken from the real ``micrograd`` package, so a wrong
local derivative or a lost accumulation in the engine cannot agree with its own reference.
"""

from __future__ import annotations

import gc
import math
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import micrograd.engine
import pytest
from gradstep import core
from gradstep.core import Value, parse, topological_order, trace, zero_grad
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[2]


def central_difference(f: Callable[[list[float]], float], point: list[float], slot: int) -> float:
    """d f / d point[slot] by central differences, with a step scaled to the coordinate."""
    h = 1e-6 * max(1.0, abs(point[slot]))
    up = list(point)
    down = list(point)
    up[slot] += h
    down[slot] -= h
    return (f(up) - f(down)) / (up[slot] - down[slot])


# --- hand-derived values ---------------------------------------------------------------------


def test_seed_expression_grads_by_hand() -> None:
    # e = a*b = -6, d = e + c = 4, L = d*f = -8.
    # dL/dd = f = -2, dL/df = d = 4, dL/de = dL/dc = dL/dd = -2,
    # dL/da = b * dL/de = -3 * -2 = 6, dL/db = a * dL/de = 2 * -2 = -4.
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    d = e + c
    f = Value(-2.0, label="f")
    L = d * f
    assert (e.data, d.data, L.data) == (-6.0, 4.0, -8.0)
    L.backward()
    assert (a.grad, b.grad, c.grad, d.grad, e.grad, f.grad, L.grad) == (6.0, -4.0, -2.0, -2.0, -2.0, 4.0, 1.0)


def test_lecture_neuron_grads() -> None:
    # b is chosen so that n = 0.8813735870195432 and o = tanh(n) = 1/sqrt(2): do/dn = 1 - o**2 = 0.5.
    # do/d(x1*w1) = do/d(x2*w2) = do/db = 0.5; x1.grad = w1 * 0.5 = -1.5, w1.grad = x1 * 0.5 = 1,
    # x2.grad = w2 * 0.5 = 0.5, w2.grad = x2 * 0.5 = 0.
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    assert o.data == pytest.approx(math.sqrt(0.5), abs=1e-12)
    o.backward()
    assert n.grad == pytest.approx(0.5, abs=1e-12)
    assert x1.grad == pytest.approx(-1.5, abs=1e-12)
    assert w1.grad == pytest.approx(1.0, abs=1e-12)
    assert x2.grad == pytest.approx(0.5, abs=1e-12)
    assert w2.grad == 0.0
    assert b.grad == pytest.approx(0.5, abs=1e-12)


def test_node_used_twice_in_one_op_accumulates() -> None:
    a = Value(3.0)
    b = a + a
    b.backward()
    assert b.data == 6.0
    assert a.grad == 2.0  # 1 + 1, not 1 (the seed document's bug)


def test_cube_by_repeated_product_accumulates() -> None:
    x = Value(1.5)
    y = x * x * x
    y.backward()
    assert y.data == 1.5**3
    assert x.grad == pytest.approx(3 * 1.5**2, rel=1e-15)


def test_accumulation_through_two_levels() -> None:
    a = Value(-1.25)
    b = a + a
    c = b + b
    c.backward()
    assert (b.grad, a.grad) == (2.0, 4.0)


def test_a_node_feeding_two_consumers_gets_both_contributions() -> None:
    # examples/shared.gs: L = (a*b) * (b + c) with a=2, b=-3, c=10: e=-6, m=7.
    # dL/db = a*m + e = 2*7 + -6 = 8; dL/da = b*m = -21; dL/dc = e = -6.
    a, b, c = Value(2.0), Value(-3.0), Value(10.0)
    L = (a * b) * (b + c)
    L.backward()
    assert (a.grad, b.grad, c.grad) == (-21.0, 8.0, -6.0)


def test_backward_accumulates_across_passes_until_zero_grad() -> None:
    a = Value(2.0)
    L = a * a
    L.backward()
    assert a.grad == 4.0
    zero_grad(topological_order(L))
    L.backward()
    assert a.grad == 4.0


def test_numbers_mixed_in_become_constant_leaves() -> None:
    a = Value(2.0)
    y = 3 + a
    assert [operand.op for operand in y.operands] == [None, None]
    assert [operand.data for operand in y.operands] == [3.0, 2.0]
    assert y.op is not None and y.op.name == "+"


def test_operands_are_ordered_and_ids_follow_creation() -> None:
    a, b = Value(5.0), Value(2.0)
    d = a - b
    assert d.operands == (a, b)
    assert d.data == 3.0
    assert a.id < b.id < d.id
    r = 1 - a  # reflected: the constant 1 comes first
    assert r.operands[0].data == 1.0 and r.operands[1] is a
    assert r.data == -4.0


def test_power_exponent_must_be_a_number() -> None:
    with pytest.raises(TypeError):
        Value(2.0) ** Value(2.0)  # type: ignore[operator]
    p = Value(2.0) ** 3
    assert p.param == 3.0 and p.data == 8.0


def test_topological_order_puts_operands_first_and_each_node_once() -> None:
    a = Value(1.0)
    b = a * a
    c = b + a
    order = topological_order(c)
    assert order == [a, b, c]


# --- every op and reflected form against finite differences ----------------------------------

SingleInput = Callable[[Any], Any]

ONE_INPUT_CASES: list[tuple[str, SingleInput, float]] = [
    ("2 * a", lambda a: 2 * a, 0.7),
    ("a * 2", lambda a: a * 2, 0.7),
    ("1 - a", lambda a: 1 - a, 0.7),
    ("a - 1", lambda a: a - 1, 0.7),
    ("2 / a", lambda a: 2 / a, 0.7),
    ("a / 2", lambda a: a / 2, 0.7),
    ("3 + a", lambda a: 3 + a, 0.7),
    ("a + 3", lambda a: a + 3, 0.7),
    ("-a", lambda a: -a, 0.7),
    ("+a", lambda a: +a, 0.7),
    ("a ** 3", lambda a: a**3, -1.3),
    ("a ** 2", lambda a: a**2, -1.3),
    ("a ** -0.5", lambda a: a**-0.5, 1.7),
    ("a ** 0.5", lambda a: a**0.5, 1.7),
    ("a ** -1", lambda a: a**-1, -0.4),
    ("tanh", lambda a: a.tanh(), 0.3),
    ("tanh large", lambda a: a.tanh(), -2.5),
    ("exp", lambda a: a.exp(), -0.8),
    ("log", lambda a: a.log(), 0.35),
    ("relu positive", lambda a: a.relu(), 0.9),
    ("relu negative", lambda a: a.relu(), -0.9),
    ("sigmoid", lambda a: a.sigmoid(), 0.4),
    ("sigmoid negative", lambda a: a.sigmoid(), -30.0),
    ("a * a", lambda a: a * a, -0.6),
    ("a / a", lambda a: a / a, -0.6),
    ("a - a", lambda a: a - a, -0.6),
]


def _as_float(x: object) -> float:
    return x.data if isinstance(x, Value) else float(x)  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "build", "x"), ONE_INPUT_CASES, ids=[c[0] for c in ONE_INPUT_CASES])
def test_one_input_op_matches_finite_difference(name: str, build: SingleInput, x: float) -> None:
    a = Value(x)
    out = build(a)
    out.backward()
    # The forward value against plain floats, the gradient against the forward pass alone.
    reference = {
        "tanh": math.tanh,
        "exp": math.exp,
        "log": math.log,
        "sigmoid": lambda v: 1 / (1 + math.exp(-v)),
        "relu": lambda v: max(v, 0.0),
    }
    key = name.split()[0]
    expected_value = reference[key](x) if key in reference else build(x)
    assert out.data == pytest.approx(expected_value, rel=1e-12, abs=1e-300)

    def f(point: list[float]) -> float:
        return _as_float(build(Value(point[0])))

    assert a.grad == pytest.approx(central_difference(f, [x], 0), rel=1e-6, abs=1e-8)


TWO_INPUT_CASES: list[tuple[str, Callable[[Any, Any], Any], float, float]] = [
    ("a + b", lambda a, b: a + b, 0.3, -1.7),
    ("a - b", lambda a, b: a - b, 0.3, -1.7),
    ("a * b", lambda a, b: a * b, 0.3, -1.7),
    ("a / b", lambda a, b: a / b, 0.3, -1.7),
    ("b / a", lambda a, b: b / a, 0.3, -1.7),
]


@pytest.mark.parametrize(("name", "build", "x", "y"), TWO_INPUT_CASES, ids=[c[0] for c in TWO_INPUT_CASES])
def test_two_input_op_matches_finite_difference(
    name: str, build: Callable[[Any, Any], Any], x: float, y: float
) -> None:
    a, b = Value(x), Value(y)
    out = build(a, b)
    out.backward()
    assert out.data == build(x, y)

    def f(point: list[float]) -> float:
        return _as_float(build(Value(point[0]), Value(point[1])))

    assert a.grad == pytest.approx(central_difference(f, [x, y], 0), rel=1e-6)
    assert b.grad == pytest.approx(central_difference(f, [x, y], 1), rel=1e-6)


def test_division_by_a_tiny_number_has_a_finite_derivative() -> None:
    # d(a/b)/db = -a/b**2 = -1e-170 / 1e-340 = -1e170: finite, though b*b underflows to 0.
    a, b = Value(1e-170), Value(1e-170)
    out = a / b
    out.backward()
    assert out.data == 1.0
    assert a.grad == pytest.approx(1e170, rel=1e-12)
    assert b.grad == pytest.approx(-1e170, rel=1e-12)
    recorded = trace(out)
    assert list(recorded.grad) == [a.grad, b.grad, 1.0]
    same = Value(1e-170)
    ratio = same / same
    ratio.backward()
    assert same.grad == 0.0  # d(x/x)/dx = 1/x - x/x**2 = 0


def test_relu_at_zero_has_zero_local_derivative() -> None:
    a = Value(0.0)
    out = a.relu()
    out.backward()
    assert (out.data, a.grad) == (0.0, 0.0)  # micrograd's convention: (out > 0)


# --- random programs -------------------------------------------------------------------------

# A random program is a list of (op, i, j): node i and j (mod the nodes so far) are the operands,
# so later steps reuse earlier nodes freely. Every op keeps a safe domain by construction: divide
# by 1 + y*y, log of 1 + y*y, powers of 1 + y*y, exp of tanh(x), so finite differences are smooth.

SMOOTH_OPS = ("+", "-", "*", "/", "tanh", "exp", "log", "sigmoid", "neg", "sq", "cube", "rsqrt", "const")


def run_program(steps: Sequence[tuple[str, int, int]], leaves: Sequence[Any], one: Any) -> Any:
    """Apply ``steps`` to ``leaves``; works for gradstep Values, micrograd Values and floats."""
    nodes = list(leaves)
    for op, i, j in steps:
        x = nodes[i % len(nodes)]
        y = nodes[j % len(nodes)]
        if op == "+":
            out = x + y
        elif op == "-":
            out = x - y
        elif op == "*":
            out = x * y
        elif op == "/":
            out = x / (y * y + one)
        elif op == "tanh":
            out = x.tanh() if hasattr(x, "tanh") else math.tanh(x)
        elif op == "exp":
            t = x.tanh() if hasattr(x, "tanh") else math.tanh(x)
            out = t.exp() if hasattr(t, "exp") else math.exp(t)
        elif op == "log":
            base = y * y + one
            out = base.log() if hasattr(base, "log") else math.log(base)
        elif op == "sigmoid":
            out = x.sigmoid() if hasattr(x, "sigmoid") else 1 / (1 + math.exp(-x))
        elif op == "neg":
            out = -x
        elif op == "sq":
            out = x**2
        elif op == "cube":
            out = x**3
        elif op == "rsqrt":
            out = (y * y + one) ** -0.5
        elif op == "relu":
            out = x.relu()
        elif op == "const":
            out = 0.5 * x + 1.5
        else:  # pragma: no cover - the strategies only produce the ops above
            raise AssertionError(op)
        nodes.append(out)
    return nodes[-1]


def programs(ops: Sequence[str], max_steps: int) -> st.SearchStrategy[list[tuple[str, int, int]]]:
    step = st.tuples(st.sampled_from(ops), st.integers(0, 50), st.integers(0, 50))
    return st.lists(step, min_size=1, max_size=max_steps)


leaf_values = st.lists(st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False), min_size=1, max_size=4)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=programs(SMOOTH_OPS, 14), point=leaf_values)
def test_random_program_grads_match_finite_differences(
    steps: list[tuple[str, int, int]], point: list[float]
) -> None:
    leaves = [Value(x) for x in point]
    out = run_program(steps, leaves, 1.0)
    assume(abs(out.data) < 1e6)  # repeated cubes can leave the range where differences mean anything
    assert out.data == pytest.approx(run_program(steps, point, 1.0), rel=1e-12, abs=1e-12)
    out.backward()

    def f(values: list[float]) -> float:
        return float(run_program(steps, values, 1.0))

    for slot, leaf in enumerate(leaves):
        expected = central_difference(f, point, slot)
        scale = max(1.0, abs(out.data), abs(expected))
        assert leaf.grad == pytest.approx(expected, rel=1e-4, abs=1e-5 * scale), (slot, steps, point)


# --- the real micrograd ----------------------------------------------------------------------

MICROGRAD_OPS = ("+", "-", "*", "/", "neg", "sq", "cube", "rsqrt", "relu", "const")


def _micrograd_grads_close(ours: list[Value], theirs: list[Any]) -> None:
    scale = max([1.0, *(abs(v.grad) for v in ours)])
    for mine, reference in zip(ours, theirs, strict=True):
        assert math.isclose(mine.grad, reference.grad, rel_tol=1e-12, abs_tol=1e-12 * scale)


@settings(max_examples=200, deadline=None)
@given(steps=programs(MICROGRAD_OPS, 16), point=leaf_values)
def test_random_program_matches_micrograd(steps: list[tuple[str, int, int]], point: list[float]) -> None:
    ours = [Value(x) for x in point]
    theirs = [micrograd.engine.Value(x) for x in point]
    out = run_program(steps, ours, 1.0)
    reference = run_program(steps, theirs, 1.0)
    assume(abs(out.data) < 1e100)
    assert math.isclose(out.data, reference.data, rel_tol=1e-12, abs_tol=1e-12)
    out.backward()
    reference.backward()
    _micrograd_grads_close(ours, theirs)


def test_seed_expression_matches_micrograd() -> None:
    def build(V: Any) -> tuple[list[Any], Any]:
        a, b, c, f = V(2.0), V(-3.0), V(10.0), V(-2.0)
        e = a * b
        d = e + c
        m = b + c  # b used twice
        return [a, b, c, f], d * f * m

    ours, out = build(Value)
    theirs, reference = build(micrograd.engine.Value)
    out.backward()
    reference.backward()
    assert out.data == reference.data
    _micrograd_grads_close(ours, theirs)


# --- determinism -----------------------------------------------------------------------------


def test_same_program_gives_the_same_events() -> None:
    text = (REPO / "examples" / "shared.gs").read_text()
    first = list(trace(parse(text).output).events())
    second = list(trace(parse(text).output).events())
    assert first == second
    assert len(first) > 0


_EVENTS_SCRIPT = """
import sys
from gradstep.core import parse, trace
from gradstep.core.examples import SEED
text = SEED + "m = b * e + c * b; n = m * L + a; n = n * n - b / c; n\\n"
t = trace(parse(text).output)
for event in t.events():
    print(repr(event))
print(list(t.grad), list(t.data), list(t.labels))
"""


def test_events_are_identical_across_processes_and_hash_seeds() -> None:
    outputs = []
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", _EVENTS_SCRIPT],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1] == outputs[2]
    assert "BackwardStep" in outputs[0]


# --- depth is data ---------------------------------------------------------------------------


def test_hundred_thousand_deep_chain_backward_and_trace() -> None:
    x0 = Value(0.75, label="x0")
    x = x0
    for _ in range(100_000):
        x = x * 1.0 + 0.0
    x.backward()
    assert x0.grad == 1.0
    recorded = trace(x)
    assert recorded.size == 400_001
    assert recorded.grad[0] == 1.0
    recorded.to_end()
    assert recorded.grad_so_far(0) == 1.0
    recorded.goto(len(recorded) - 1)
    assert recorded.grad_so_far(0) == 1.0  # the leaf's own (empty) step is last
    recorded.goto(len(recorded) - 2)
    assert recorded.grad_so_far(0) == 1.0


def test_deep_chain_of_unary_ops_backward() -> None:
    x0 = Value(0.5)
    x = x0
    for _ in range(100_000):
        x = -x
    x.backward()
    assert x.data == 0.5
    assert x0.grad == 1.0


# --- no closures, no cycles ------------------------------------------------------------------


def test_nodes_hold_no_closures() -> None:
    node = Value(1.0) * 2.0
    assert not hasattr(node, "__dict__")  # slots only: nowhere to keep a per-node _backward closure
    assert {type(operand) for operand in node.operands} == {Value}


def test_graphs_and_traces_are_freed_without_the_cycle_collector() -> None:
    # With the cycle collector off, anything left for gc.collect() to find was a reference cycle.
    gc.collect()
    gc.disable()
    try:
        x = Value(1.0)
        for _ in range(1000):
            x = (x * 1.0 + 0.5).tanh()
        x.backward()
        recorded = trace(x)
        recorded.to_end()
        recorded.goto(5)
        recorded.ledger(0)
        program = parse((REPO / "examples" / "shared.gs").read_text())
        del x, recorded, program
        assert gc.collect() == 0
    finally:
        gc.enable()


# --- core stays plain Python -----------------------------------------------------------------


def test_importing_core_loads_neither_textual_nor_rich() -> None:
    script = (
        "import pkgutil, importlib, sys\n"
        "import gradstep.core as core\n"
        "for info in pkgutil.iter_modules(core.__path__):\n"
        "    importlib.import_module('gradstep.core.' + info.name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(bad)\n"
        "print(len([m for m in sys.modules if m.startswith('gradstep.core.')]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    )
    bad, count = result.stdout.splitlines()
    assert bad == "[]"
    assert int(count) >= 7  # the modules really were imported


def test_core_exports_the_documented_api() -> None:
    for name in ("Value", "trace", "parse", "load", "ExpressionError", "Trace", "topological_order"):
        assert hasattr(core, name)


def test_core_names_load_on_first_use_and_stay_what_they_are() -> None:
    # The package loads its submodules lazily: after every submodule is imported, each public
    # name must still be the documented object (not a submodule that shares its name: ``trace``).
    script = (
        "import sys, pkgutil, importlib\n"
        "import gradstep.core as core\n"
        "print('gradstep.core.checker' in sys.modules)\n"
        "for info in pkgutil.iter_modules(core.__path__):\n"
        "    importlib.import_module('gradstep.core.' + info.name)\n"
        "import types\n"
        "print(sorted(n for n in core.__all__ if isinstance(getattr(core, n), types.ModuleType)))\n"
        "from gradstep.core import *\n"
        "print(callable(trace), callable(check), Value(2.0).data)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines() == ["False", "[]", "True True 2.0"]
