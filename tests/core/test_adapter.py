"""The micrograd adapter against the real micrograd package: same values, same grads, nothing changed.

micrograd's own ``backward()`` is the reference for every grad. Nodes are matched across the two
graphs by label: the tests set a ``label`` attribute on every micrograd node they build (the
lecture's ``Value`` has one; the package's accepts it), and the adapter carries labels over.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import pytest
from gradstep.core.adapter import UnsupportedGraph, as_value
from gradstep.core.engine import Value, topological_order
from gradstep.core.trace import trace
from hypothesis import given, settings
from hypothesis import strategies as st

micrograd = pytest.importorskip("micrograd.engine")
MV = micrograd.Value


class LectureValue:
    """The ``Value`` of the micrograd lecture's notebook: micrograd's ops plus ``tanh``, ``exp``, ``label``.

    Written out as in the lecture (not importable from the package), to check that the adapter
    reads any micrograd-shaped class.
    """

    def __init__(self, data: float, _children: tuple[Any, ...] = (), _op: str = "", label: str = "") -> None:
        self.data = data
        self.grad = 0.0
        self._backward: Callable[[], None] = lambda: None
        self._prev = set(_children)
        self._op = _op
        self.label = label

    def __add__(self, other: Any) -> LectureValue:
        other = other if isinstance(other, LectureValue) else LectureValue(other)
        out = LectureValue(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            self.grad += 1.0 * out.grad
            other.grad += 1.0 * out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Any) -> LectureValue:
        other = other if isinstance(other, LectureValue) else LectureValue(other)
        out = LectureValue(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, other: float) -> LectureValue:
        out = LectureValue(self.data**other, (self,), f"**{other}")

        def _backward() -> None:
            self.grad += other * (self.data ** (other - 1)) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> LectureValue:
        out = LectureValue(0 if self.data < 0 else self.data, (self,), "ReLU")

        def _backward() -> None:
            self.grad += (out.data > 0) * out.grad

        out._backward = _backward
        return out

    def tanh(self) -> LectureValue:
        x = self.data
        t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
        out = LectureValue(t, (self,), "tanh")

        def _backward() -> None:
            self.grad += (1 - t**2) * out.grad

        out._backward = _backward
        return out

    def exp(self) -> LectureValue:
        out = LectureValue(math.exp(self.data), (self,), "exp")

        def _backward() -> None:
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def backward(self) -> None:
        topo: list[LectureValue] = []
        visited: set[int] = set()
        stack: list[tuple[LectureValue, bool]] = [(self, False)]
        while stack:  # the lecture's recursive build_topo, as a loop
            node, children_done = stack.pop()
            if children_done:
                topo.append(node)
            elif id(node) not in visited:
                visited.add(id(node))
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()

    def __neg__(self) -> LectureValue:
        return self * -1

    def __radd__(self, other: Any) -> LectureValue:
        return self + other

    def __sub__(self, other: Any) -> LectureValue:
        return self + (-other)

    def __rmul__(self, other: Any) -> LectureValue:
        return self * other

    def __truediv__(self, other: Any) -> LectureValue:
        return self * other**-1


def micrograd_nodes(root: Any) -> list[Any]:
    seen = {id(root): root}
    stack = [root]
    while stack:
        for child in stack.pop()._prev:
            if id(child) not in seen:
                seen[id(child)] = child
                stack.append(child)
    return list(seen.values())


def label_all(root: Any) -> list[Any]:
    """Give every unlabelled micrograd node a unique label; return the nodes."""
    nodes = micrograd_nodes(root)
    for k, node in enumerate(nodes):
        if not getattr(node, "label", ""):
            node.label = f"n{k}"
    return nodes


def assert_same_as_micrograd(root: Any) -> Value:
    """Convert ``root``, then compare every node's value and grad with micrograd's own backward."""
    nodes = label_all(root)
    converted = as_value(root)
    recorded = trace(converted)
    root.backward()
    ours = {node.label: node for node in topological_order(converted)}
    assert len(ours) == len(nodes)
    index = {label: i for i, label in enumerate(recorded.labels)}
    converted.backward()
    for node in nodes:
        mine = ours[node.label]
        assert isinstance(mine.data, float)
        assert mine.data == float(node.data)
        assert mine.grad == pytest.approx(node.grad, rel=1e-12, abs=1e-12)
        assert recorded.grad[index[node.label]] == pytest.approx(node.grad, rel=1e-12, abs=1e-12)
    return converted


def leaves(*numbers: float) -> list[Any]:
    return [MV(x) for x in numbers]


# --- reading ops --------------------------------------------------------------------------------


def test_the_neuron_by_hand() -> None:
    # y = relu(w0*x0 + w1*x1 + b): dy/dw0 = x0 = 2, dy/dx1 = w1 = -1, dy/db = 1 (pre-activation 3 > 0).
    w0, w1, x0, x1, b = leaves(0.5, -1.0, 2.0, -2.0, 0.0)
    y = (w0 * x0 + w1 * x1 + b).relu()
    for node, name in zip((w0, w1, x0, x1, b), ("w0", "w1", "x0", "x1", "b"), strict=True):
        node.label = name
    converted = as_value(y)
    assert converted.data == 3.0
    converted.backward()
    grads = {node.label: node.grad for node in topological_order(converted) if node.label}
    assert grads == {"w0": 2.0, "w1": -2.0, "x0": 0.5, "x1": -1.0, "b": 1.0}


def test_a_plus_a_and_a_times_a_use_the_node_twice() -> None:
    a = MV(3.0)
    s = a + a
    assert len(s._prev) == 1  # what micrograd records: one element for two uses
    converted = as_value(s)
    assert converted.operands[0] is converted.operands[1]
    converted.backward()
    assert converted.operands[0].grad == 2.0
    b = MV(3.0)
    p = b * b
    converted = as_value(p)
    converted.backward()
    assert converted.data == 9.0 and converted.operands[0].grad == 6.0
    assert_same_as_micrograd(MV(-1.5) * MV(2.0) + (MV(4.0) + MV(4.0)))


def test_a_node_used_by_two_consumers_gets_both_contributions() -> None:
    a, b = leaves(2.0, -3.0)
    c = a * b
    d = c * a + c.relu() + (c + 1) * c
    converted = assert_same_as_micrograd(d)
    recorded = trace(converted)
    c_index = recorded.labels.index(c.label)
    assert recorded.uses(c_index) == 4  # c*a, relu(c), c+1, (c+1)*c


@pytest.mark.parametrize("k", [2, 3, 0.5, -1, -2, -0.5, 1.5])
def test_powers_with_integer_fractional_and_negative_exponents(k: float) -> None:
    x = MV(1.7)
    y = (x**k) * MV(0.3) + x
    assert_same_as_micrograd(y)
    converted = as_value(y)
    power = converted.operands[0].operands[0]
    assert power.op is not None and power.op.name == "**" and power.param == float(k)
    # d/dx (0.3 * x**k + x) = 0.3 * k * x**(k-1) + 1, by hand
    converted.backward()
    leaf = next(node for node in topological_order(converted) if node.label == x.label)
    assert leaf.grad == pytest.approx(0.3 * k * 1.7 ** (k - 1) + 1, rel=1e-12)


def test_subtraction_division_and_negation_as_micrograd_writes_them() -> None:
    a, b = leaves(5.0, -4.0)
    assert_same_as_micrograd((a - b) / (a * b) + -a)


@pytest.mark.parametrize("x", [2.0, -2.0, 0.0])
def test_relu_on_both_sides_of_zero(x: float) -> None:
    a = MV(x)
    y = (a * 3).relu() * a
    converted = assert_same_as_micrograd(y)
    relu = converted.operands[0]
    assert relu.op is not None and relu.op.name == "relu"


def test_the_lecture_tanh_exp_and_labels() -> None:
    # The lecture's neuron: o = tanh(x1*w1 + x2*w2 + b), with labels.
    x1 = LectureValue(2.0, label="x1")
    x2 = LectureValue(0.0, label="x2")
    w1 = LectureValue(-3.0, label="w1")
    w2 = LectureValue(1.0, label="w2")
    b = LectureValue(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    e = (o * 2).exp()
    e.label = "e"
    converted = assert_same_as_micrograd(e)
    assert converted.label == "e"
    names = {node.label for node in topological_order(converted)}
    assert {"x1", "x2", "w1", "w2", "b", "n", "o"} <= names
    # The lecture's numbers: do/dx1 = -1.5 and do/dw1 = 1 at o = 0.7071.
    o_only = as_value(o)
    o_only.backward()
    grads = {node.label: node.grad for node in topological_order(o_only)}
    assert grads["x1"] == pytest.approx(-1.5, rel=1e-6)
    assert grads["w1"] == pytest.approx(1.0, rel=1e-6)


def test_integer_data_becomes_float() -> None:
    a = MV(3)
    y = a * 2 + 1
    converted = as_value(y)
    assert converted.data == 7.0 and isinstance(converted.data, float)
    assert all(isinstance(node.data, float) for node in topological_order(converted))


# --- operand order ------------------------------------------------------------------------------


def test_deeper_operand_first_so_a_running_sum_reads_acc_plus_term() -> None:
    w = leaves(1.0, 2.0, 3.0)
    x = leaves(4.0, 5.0, 6.0)
    total = sum((wi * xi for wi, xi in zip(w, x, strict=True)), MV(0.0))
    converted = as_value(total)
    # ((0 + w0*x0) + w1*x1) + w2*x2: at each level the running sum (deeper) comes first
    for _ in range(2):
        acc, term = converted.operands
        assert acc.op is not None and acc.op.name == "+"
        assert term.op is not None and term.op.name == "*"
        converted = acc
    assert as_value(total).data == 32.0


def test_equal_depth_operands_are_ordered_by_label() -> None:
    x = LectureValue(2.0, label="x")
    w = LectureValue(-3.0, label="w")
    for product in (x * w, w * x):
        converted = as_value(product)
        assert [operand.label for operand in converted.operands] == ["w", "x"]


def test_the_numbering_is_the_same_on_every_conversion() -> None:
    a, b, c = (LectureValue(v, label=name) for v, name in ((1.0, "a"), (2.0, "b"), (3.0, "c")))
    y = (a * b + c) * (b + c.tanh())
    first = trace(as_value(y))
    second = trace(as_value(y))
    assert first.labels == second.labels and list(first.in_ids) == list(second.in_ids)


# --- the caller's objects -----------------------------------------------------------------------


def test_the_callers_micrograd_objects_are_unchanged() -> None:
    a, b = leaves(2.0, -3.0)
    c = a * b
    y = (c + a).relu() * c + b**2
    y.backward()  # grads present before the conversion must survive it untouched
    nodes = micrograd_nodes(y)
    before = [(node, node.data, node.grad, node._op, set(node._prev), dict(vars(node))) for node in nodes]
    converted = as_value(y)
    trace(converted)
    converted.backward()
    for node, data, grad, op, prev, attributes in before:
        assert node.data == data and node.grad == grad and node._op == op
        assert node._prev == prev
        assert all(x is y for x, y in zip(sorted(node._prev, key=id), sorted(prev, key=id), strict=True))
        assert vars(node) == attributes


def test_a_gradstep_value_passes_through() -> None:
    v = Value(2.0) * 3
    assert as_value(v) is v


# --- what it cannot read ------------------------------------------------------------------------


def test_an_unknown_op_is_named_in_the_error() -> None:
    a = MV(0.5)
    weird = MV(math.sin(0.5), (a,), "sin")
    with pytest.raises(UnsupportedGraph, match="'sin'"):
        as_value(weird * 2)


def test_a_wrong_operand_count_is_an_error() -> None:
    a, b, c = leaves(1.0, 2.0, 3.0)
    with pytest.raises(UnsupportedGraph, match="'\\+' takes 1 or 2 operands, this one has 3 "):
        as_value(MV(6.0, (a, b, c), "+"))
    with pytest.raises(UnsupportedGraph, match="no op has 2 operands"):
        as_value(MV(6.0, (a, b), ""))
    with pytest.raises(UnsupportedGraph, match="exponent"):
        as_value(MV(1.0, (a,), "**x"))


def test_something_else_is_not_a_graph() -> None:
    with pytest.raises(UnsupportedGraph, match="float"):
        as_value(1.5)


def test_a_cycle_is_reported_not_looped_on() -> None:
    a = MV(1.0)
    b = a + 1
    a._prev = {b}  # not a graph micrograd can build, but a hand-made one can be this
    a._op = "ReLU"
    with pytest.raises(UnsupportedGraph, match="cycle"):
        as_value(b)


# --- random graphs ------------------------------------------------------------------------------

OPS: list[Callable[[Any, Any], Any]] = [
    lambda a, b: a + b,
    lambda a, b: a * b,
    lambda a, b: a - b,
    lambda a, b: a + a,
    lambda a, b: a * a,
    lambda a, b: a.relu(),
    lambda a, b: (a * a + 1) ** 0.5,
    lambda a, b: a * 0.5 + 2,
    lambda a, b: a / (b * b + 1),
    lambda a, b: (a * 0.1).tanh(),
    lambda a, b: (a * 0.1).exp(),
]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(1, 30))
def test_random_graphs_match_micrograd(seed: int, size: int) -> None:
    rng = random.Random(seed)
    make = MV if rng.random() < 0.5 else LectureValue
    ops = OPS if make is LectureValue else OPS[:-2]  # the package has no tanh or exp
    nodes = [make(rng.uniform(-2, 2)) for _ in range(rng.randint(1, 4))]
    for _ in range(size):
        op = rng.choice(ops)
        nodes.append(op(rng.choice(nodes), rng.choice(nodes)))
    output = nodes[-1]
    for node in nodes[:-1]:  # every node reaches the output, some through many paths
        if rng.random() < 0.3:
            output = output + node * 0.25
    assert_same_as_micrograd(output)
