"""The engine checker: every example engine on every example file, micrograd, random graphs, mutations."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Any

import pytest
from gradstep.core import check
from gradstep.core.checker import KINDS, check_file
from gradstep.core.foreign import ForeignGraphError
from gradstep.core.learner import EngineError, load_engine
from hypothesis import given, settings
from hypothesis import strategies as st

# Every test here runs with the compiled loops and with the Python ones (tests/core/conftest.py).
pytestmark = pytest.mark.usefixtures("both_paths")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
ENGINES = EXAMPLES / "engines"
FILES = ("seed", "neuron", "shared", "a_plus_a", "tiny_mlp", "hunt")

# (kind, step, node, operand) of the first mismatch, None where the engine passes. Worked out by hand
# from each engine's one bug and each file's graph (see the comments); steps are 1-based in the
# engine's own order (reverse of its depth-first topological sort over operands kept in a tuple).
VERDICTS: dict[str, dict[str, tuple[str, int | None, str | None, str | None] | None]] = {
    "correct": dict.fromkeys(FILES),
    # `a - b` keeps no operands: only files with a `-` show it (tiny_mlp's `1 - 1.0*p1s` is #28).
    "disconnected": {
        **dict.fromkeys(FILES),
        "hunt": ("disconnected", None, "d", None),
        "tiny_mlp": ("disconnected", None, "#28", None),
    },
    # `1 - d` computed as `d - 1`.
    "forward": {
        **dict.fromkeys(FILES),
        "hunt": ("forward", None, "y", None),
        "tiny_mlp": ("forward", None, "#28", None),
    },
    # every grad starts at 1: the first node made is reported.
    "not_zeroed": {
        "seed": ("not-zeroed", None, "a", None),
        "neuron": ("not-zeroed", None, "x1", None),
        "shared": ("not-zeroed", None, "a", None),
        "a_plus_a": ("not-zeroed", None, "a", None),
        "tiny_mlp": ("not-zeroed", None, "L0.N0.w0", None),
        "hunt": ("not-zeroed", None, "x", None),
    },
    # the output's step runs first, with grad 0.
    "seed": {
        "seed": ("seed", 1, "L", None),
        "neuron": ("seed", 1, "o", None),
        "shared": ("seed", 1, "L", None),
        "a_plus_a": ("seed", 1, "b", None),
        "tiny_mlp": ("seed", 1, "loss", None),
        "hunt": ("seed", 1, "L", None),
    },
    # leaves first (never culprits), then the first node with operands: seed a, b, e.
    "order": {
        "seed": ("order", 3, "e", None),
        "neuron": ("order", 3, "x1w1", None),
        "shared": ("order", 3, "e", None),
        "a_plus_a": None,
        "tiny_mlp": ("order", 7, "L0.N0.w0*x0[0]", None),
        "hunt": ("order", 4, "x*w", None),
    },
    # tanh sends nothing: o's step in the neuron, h's (after L, y*y, y, d) in the hunt.
    "missing": {**dict.fromkeys(FILES), "neuron": ("missing", 1, "o", "n"), "hunt": ("missing", 6, "h", "n")},
    # + writes =: only where a + reaches an operand that already holds a grad (a + a; b in the hunt).
    "overwrite": {
        **dict.fromkeys(FILES),
        "a_plus_a": ("overwrite", 1, "b", "a"),
        "tiny_mlp": ("overwrite", 33, "#17", "L0.N1.b"),
        "hunt": ("overwrite", 7, "n", "b"),
    },
    # tanh's derivative from its input.
    "local": {**dict.fromkeys(FILES), "neuron": ("local", 1, "o", "n"), "hunt": ("local", 6, "h", "n")},
    # + clears its own grad: the first + step of each file.
    "stray": {
        "seed": ("stray", 3, "d", "d"),
        "neuron": ("stray", 2, "n", "n"),
        "shared": ("stray", 2, "m", "m"),
        "a_plus_a": ("stray", 1, "b", "b"),
        "tiny_mlp": ("stray", 1, "loss", "loss"),
        "hunt": ("stray", 1, "L", "L"),
    },
    # exp's backward has a NameError: only the hunt uses exp (e's step is the fifth).
    "error": {**dict.fromkeys(FILES), "hunt": ("error", 5, "e", None)},
}


def test_there_is_one_buggy_engine_per_kind() -> None:
    names = {path.stem.replace("_", "-") for path in ENGINES.glob("*.py")} - {"correct"}
    assert names == set(KINDS)


@pytest.mark.parametrize("engine", sorted(VERDICTS))
@pytest.mark.parametrize("name", FILES)
def test_every_example_engine_on_every_example_file(engine: str, name: str) -> None:
    verdict = check_file(str(EXAMPLES / f"{name}.gs"), str(ENGINES / f"{engine}.py"))
    problem = verdict.first_mismatch
    got = None if problem is None else (problem.kind, problem.step, problem.node, problem.operand)
    assert got == VERDICTS[engine][name], problem and problem.message
    assert verdict.ok is (problem is None)
    if problem is not None and problem.kind == "error":
        assert "error.py:" in problem.message and "NameError" in problem.message


def test_the_hunt_grads_agree_with_finite_differences() -> None:
    def loss(x: float, w: float, b: float) -> float:
        y = 1 - (math.tanh(x * w + b) - math.exp(x))
        return y * y + b

    verdict = check_file(str(EXAMPLES / "hunt.gs"), str(ENGINES / "correct.py"))
    nodes = {node.label: node for node in verdict.nodes}
    point = {"x": 0.5, "w": -1.5, "b": 2.0}
    for name in point:
        up, down = dict(point), dict(point)
        up[name] += 1e-6
        down[name] -= 1e-6
        numeric = (loss(**up) - loss(**down)) / 2e-6
        assert nodes[name].expected_grad == pytest.approx(numeric, rel=1e-6)
        assert nodes[name].got_grad == pytest.approx(numeric, rel=1e-6)


def test_messages_give_the_formula_and_the_numbers() -> None:
    verdict = check_file(str(EXAMPLES / "hunt.gs"), str(ENGINES / "local.py"))
    problem = verdict.first_mismatch
    assert problem is not None
    # n = 0.5 * -1.5 + 2 = 1.25; h.grad = dL/dh = -2y with y = 1 - tanh(1.25) + exp(0.5)
    y = 1 - math.tanh(1.25) + math.exp(0.5)
    local = 1 - math.tanh(1.25) ** 2
    assert "1 - tanh(a)**2" in problem.message
    assert problem.expected == pytest.approx(local * -2 * y)
    assert problem.got == pytest.approx((1 - 1.25**2) * -2 * y)


def test_the_json_document_has_the_documented_shape() -> None:
    verdict = check_file(str(EXAMPLES / "a_plus_a.gs"), str(ENGINES / "overwrite.py"))
    document = verdict.to_json()
    assert list(document) == [
        "format",
        "ok",
        "engine",
        "source",
        "steps",
        "first_mismatch",
        "nodes",
        "warnings",
    ]
    assert document["format"] == 1 and document["ok"] is False and document["steps"] == 2
    assert document["engine"].endswith("overwrite.py:Value")
    assert document["first_mismatch"] == {
        "step": 1,
        "node": "b",
        "operand": "a",
        "kind": "overwrite",
        "expected": 2.0,
        "got": 1.0,
        "message": document["first_mismatch"]["message"],
    }
    assert document["nodes"] == [
        {"label": "a", "data": 3.0, "expected_grad": 2.0, "got_grad": 1.0},
        {"label": "b", "data": 6.0, "expected_grad": 1.0, "got_grad": 1.0},
    ]


# --- the real micrograd -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["seed", "shared", "a_plus_a", "tiny_mlp"])
def test_micrograd_passes_on_the_files_it_supports(name: str) -> None:
    verdict = check_file(str(EXAMPLES / f"{name}.gs"), "micrograd.engine")
    assert verdict.ok, verdict.first_mismatch
    assert verdict.engine == "micrograd.engine:Value"


def test_micrograd_gets_a_clear_error_on_tanh() -> None:
    with pytest.raises(EngineError) as caught:
        check_file(str(EXAMPLES / "neuron.gs"), "micrograd.engine")
    assert str(caught.value) == (
        f"{EXAMPLES / 'neuron.gs'}:11:5: error: your Value has no tanh(): the file uses it at line 11"
    )


def test_micrograd_subtraction_is_a_different_graph_with_the_same_grads(tmp_path: Path) -> None:
    path = tmp_path / "sub.gs"
    path.write_text("a = Value(2.0, label='a')\nb = Value(-3.0, label='b')\nd = a - b\nL = d * a / b\nL\n")
    verdict = check_file(str(path), "micrograd.engine")
    assert verdict.ok, verdict.first_mismatch
    grads = {node.label: node.got_grad for node in verdict.nodes}
    # L = (a - b) * a / b: dL/da = (2a - b)/b = 7/-3, dL/db = -a/b - (a-b)*a*(-1/b**2)... by hand:
    a, b = 2.0, -3.0
    assert grads["a"] == pytest.approx((2 * a - b) / b)
    assert grads["b"] == pytest.approx(-a / b - (a - b) * a / b**2)


def test_python_api_on_micrograd_backward_twice_is_not_zeroed() -> None:
    from micrograd.engine import Value as MicrogradValue

    a, b = MicrogradValue(2.0), MicrogradValue(-3.0)
    out = a * b + a
    first = check(out)
    assert first.ok and first.step_count == 4
    assert (a.grad, b.grad) == (-2.0, 2.0)  # their own backward's result is left in place
    second = check(out)
    assert second.first_mismatch is not None and second.first_mismatch.kind == "not-zeroed"
    twin_a, twin_b = MicrogradValue(2.0), MicrogradValue(-3.0)
    twin = twin_a * twin_b + twin_a
    twin.backward()
    twin.backward()
    assert (a.grad, b.grad) == (twin_a.grad, twin_b.grad)  # as micrograd leaves them after two calls
    assert "_backward" in vars(out)  # their closure, as they left it
    assert "grad" not in vars(MicrogradValue) and "_backward" not in vars(MicrogradValue)  # hooks off


# --- engines written in other ways ---------------------------------------------------------------


def _engine(tmp_path: Path, source: str, name: str = "engine.py") -> type:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return load_engine(f"{path}:Node").cls


LIST_ENGINE = """
    class Node:
        def __init__(self, data, children=(), op=''):
            self.data = data
            self.grad = 0
            self._children = list(children)
            self.op = op
            self._backward = lambda: None
        def __sub__(self, other):
            out = Node(self.data - other.data, (self, other), 'sub')
            def _backward():
                self.grad += out.grad
                other.grad += -out.grad
            out._backward = _backward
            return out
        def __mul__(self, other):
            out = Node(self.data * other.data, {self, other}, 'mul')
            def _backward():
                self.grad += other.data * out.grad
                other.grad += self.data * out.grad
            out._backward = _backward
            return out
        def backward(self):
            order, seen, stack = [], set(), [(self, False)]
            while stack:
                node, done = stack.pop()
                if done:
                    order.append(node)
                elif node not in seen:
                    seen.add(node)
                    stack.append((node, True))
                    stack.extend((c, False) for c in node._children)
            self.grad = 1
            for node in reversed(order):
                node._backward()
"""


def test_children_in_a_list_op_in_op_and_op_names_inferred(tmp_path: Path) -> None:
    Node = _engine(tmp_path, LIST_ENGINE)
    a, b = Node(5.0), Node(3.0)
    out = (a - b) * a
    verdict = check(out)
    assert verdict.ok, verdict.first_mismatch
    assert any("'sub'" in w and "read as -" in w for w in verdict.warnings)
    assert any("'mul'" in w and "read as *" in w for w in verdict.warnings)
    assert (a.grad, b.grad) == (2 * 5.0 - 3.0, -5.0)


def test_an_op_name_nothing_fits_names_the_op_and_the_node(tmp_path: Path) -> None:
    Node = _engine(
        tmp_path,
        LIST_ENGINE.replace(
            "self.data * other.data, {self, other}", "self.data * other.data + 1, {self, other}"
        ),
    )
    out = Node(2.0) * Node(4.0)
    out.label = "prod"
    with pytest.raises(ForeignGraphError, match=r"cannot read op 'mul' of node 'prod' \(data=9"):
        check(out)


def test_operand_order_of_subtraction_is_recovered_from_a_set(tmp_path: Path) -> None:
    Node = _engine(
        tmp_path, LIST_ENGINE.replace("self._children = list(children)", "self._children = set(children)")
    )
    a, b = Node(5.0), Node(3.0)
    verdict = check((a - b) * b)
    assert verdict.ok, verdict.first_mismatch
    assert (a.grad, b.grad) == (3.0, -3.0 + 2.0)


def test_a_hang_is_reported_not_waited_for(tmp_path: Path) -> None:
    # A backward that outlives the timeout, then ends on its own: no thread left spinning afterwards.
    Node = _engine(
        tmp_path,
        LIST_ENGINE.replace("self.grad = 1\n", "self.grad = 1\n            __import__('time').sleep(3)\n"),
    )
    out = Node(2.0) * Node(3.0)
    verdict = check(out, timeout=0.3)
    assert verdict.first_mismatch is not None and verdict.first_mismatch.kind == "error"
    assert "did not return within" in verdict.first_mismatch.message
    assert "grad" not in vars(Node)  # the hooks are off again


def test_an_exception_points_at_their_file_and_line(tmp_path: Path) -> None:
    Node = _engine(
        tmp_path, LIST_ENGINE.replace("self.grad += other.data * out.grad", "self.grad += other.data / 0")
    )
    verdict = check(Node(2.0) * Node(3.0))
    problem = verdict.first_mismatch
    assert problem is not None and problem.kind == "error" and problem.step == 1
    lines = (tmp_path / "engine.py").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "other.data / 0" in text)
    assert "ZeroDivisionError" in problem.message and f"{tmp_path / 'engine.py'}:{line}" in problem.message
    assert "engine.py" in problem.traceback


def test_their_import_error_is_an_engine_error_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    path.write_text("x = 1\nraise RuntimeError('oops')\n")
    with pytest.raises(
        EngineError, match=r"broken.py:2: error: importing your engine raised RuntimeError: oops"
    ):
        load_engine(str(path))


# --- random graphs pass with a correct engine; injected bugs are caught with their kind -----------

_OPS = ("+", "-", "*", "/", "tanh", "exp", "relu", "**2", "sigmoid")


@st.composite
def programs(draw: Any) -> str:
    count = draw(st.integers(2, 4))
    lines = [
        f"v{i} = Value({draw(st.floats(-2, 2).filter(lambda x: abs(x) > 0.1)):.3f}, label='v{i}')"
        for i in range(count)
    ]
    names = [f"v{i}" for i in range(count)]
    for k in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(_OPS))
        a = draw(st.sampled_from(names))
        b = draw(st.sampled_from(names))
        expression = {
            "tanh": f"tanh({a})",
            "exp": f"exp({a}) * 0.1",
            "relu": f"relu({a})",
            "**2": f"{a}**2",
            "sigmoid": f"sigmoid({a})",
            "/": f"{a} / ({b}**2 + 1)",
        }.get(op, f"{a} {op} {b}")
        lines.append(f"t{k} = {expression}")
        names.append(f"t{k}")
    lines.append(" + ".join(names[-3:]))
    return "\n".join(lines) + "\n"


@settings(max_examples=40, deadline=None)
@given(programs())
def test_random_graphs_pass_with_the_correct_engine(source: str) -> None:
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".gs", delete=False) as handle:
        handle.write(source)
    try:
        verdict = check_file(handle.name, str(ENGINES / "correct.py"))
    except Exception as error:  # a value out of range (exp overflow...) is the file's problem, not ours
        pytest.skip(str(error))
    finally:
        Path(handle.name).unlink()
    assert verdict.ok, (source, verdict.first_mismatch)


MUTATIONS = {
    "overwrite": (
        "            self.grad += other.data * out.grad",
        "            self.grad = other.data * out.grad",
    ),
    "local": (
        "            self.grad += out.grad / other.data",
        "            self.grad += out.grad * other.data",
    ),
    "missing": ("            other.grad -= out.grad\n", "            pass\n"),
    "order": (
        "            if v not in visited:",
        "            if True:  # no visited set: a shared node's step runs twice",
    ),
    "seed": ("        self.grad = 1.0\n        for v", "        self.grad = 2.0\n        for v"),
    "stray": (
        "            self.grad += out.data * out.grad",
        "            self.grad += out.data * out.grad\n            out.grad = 0",
    ),
    "forward": (
        'out = Value(math.exp(self.data), (self,), "exp")',
        'out = Value(math.exp(self.data) + 1, (self,), "exp")',
    ),
    "disconnected": (
        'out = Value(self.data / other.data, (self, other), "/")',
        'out = Value(self.data / other.data, (), "/")',
    ),
    "not-zeroed": (
        "        self.grad = 0.0\n        self._backward",
        "        self.grad = 0.5\n        self._backward",
    ),
    "error": (
        "            self.grad += (1 - t**2) * out.grad",
        "            self.grad += (1 - t**2) * out.grad[0]",
    ),
}

MUTANT_FILE = """\
a = Value(1.5, label='a')
b = Value(-0.5, label='b')
c = Value(2.0, label='c')
q = a / c
r = exp(b) * q
s = tanh(r) - q
t = a * s + a * b
t
"""


@pytest.mark.parametrize("kind", sorted(MUTATIONS))
def test_each_injected_bug_is_caught_with_its_kind(kind: str, tmp_path: Path) -> None:
    source = (ENGINES / "correct.py").read_text()
    old, new = MUTATIONS[kind]
    assert source.count(old) == 1, old
    engine = tmp_path / f"mutant_{kind.replace('-', '_')}.py"
    engine.write_text(source.replace(old, new))
    program = tmp_path / "mutant.gs"
    program.write_text(MUTANT_FILE)
    assert check_file(str(program), str(ENGINES / "correct.py")).ok
    verdict = check_file(str(program), str(engine))
    assert verdict.first_mismatch is not None
    assert verdict.first_mismatch.kind == kind, verdict.first_mismatch.message


NO_BACKWARD_ENGINE = """
    class Node:
        __slots__ = ("data", "grad", "_prev", "_op")
        def __init__(self, data, prev=(), op=""):
            self.data, self.grad, self._prev, self._op = data, 0.0, tuple(prev), op
        def __mul__(self, other):
            return Node(self.data * other.data, (self, other), "*")
        def backward(self):
            self.grad = 1.0
            a, b = self._prev
            a.grad += b.data
            b.grad += a.data * 2  # wrong
"""


def test_without_a_backward_per_node_only_final_grads_are_compared_and_said_so(tmp_path: Path) -> None:
    Node = _engine(tmp_path, NO_BACKWARD_ENGINE)
    a, b = Node(2.0), Node(3.0)
    verdict = check(a * b)
    assert verdict.step_count == 0
    assert any("only final grads are compared" in w for w in verdict.warnings)
    problem = verdict.first_mismatch
    assert problem is not None and problem.kind == "local" and problem.step is None
    assert (problem.expected, problem.got) == (2.0, 4.0)


def test_a_grad_changed_between_steps_is_a_stray_after_that_step(tmp_path: Path) -> None:
    Node = _engine(
        tmp_path,
        LIST_ENGINE.replace(
            "            for node in reversed(order):\n                node._backward()\n",
            "            for node in reversed(order):\n                node._backward()\n"
            "            self._children[0].grad += 0.5\n",
        ),
    )
    a, b = Node(2.0), Node(3.0)
    a.label, b.label = "a", "b"
    verdict = check(a - b)  # - keeps its operands in a list: a is _children[0]
    problem = verdict.first_mismatch
    assert verdict.step_count == 3  # a - b, then a and b (leaves)
    assert problem is not None and problem.kind == "stray" and problem.operand == "a"
    assert problem.message.startswith(
        "after step 3, outside any node's _backward, your backward changed a.grad"
    )
    assert (problem.step, problem.node, problem.expected, problem.got) == (None, None, 1.0, 1.5)


def test_a_value_that_is_not_its_op_on_its_operands_is_forward() -> None:
    from micrograd.engine import Value as MicrogradValue

    a, b = MicrogradValue(2.0), MicrogradValue(-3.0)
    product = a * b
    product.data = 99.0  # what a forward bug leaves behind
    verdict = check(product + a)
    problem = verdict.first_mismatch
    assert problem is not None and problem.kind == "forward" and problem.step is None
    assert (problem.expected, problem.got) == (-6.0, 99.0)
    assert "is -6, but your node holds 99" in problem.message


class Ordered:
    """A lecture-style engine with operands in a tuple, so the order of steps is fixed."""

    def __init__(self, data: float, children: tuple[Ordered, ...] = (), op: str = "") -> None:
        self.data, self.grad, self._prev, self._op = data, 0.0, children, op
        self._backward: Any = lambda: None

    def __add__(self, other: Ordered) -> Ordered:
        out = Ordered(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Ordered) -> Ordered:
        out = Ordered(self.data * other.data, (self, other), "*")
        out._backward = _product_step(self, other, out, 1.0)
        return out

    def backward(self) -> None:
        order: list[Ordered] = []
        seen: set[int] = set()

        def visit(node: Ordered) -> None:
            if id(node) not in seen:
                seen.add(id(node))
                for child in node._prev:
                    visit(child)
                order.append(node)

        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()


def _product_step(a: Ordered, b: Ordered, out: Ordered, factor: float) -> Any:
    """The step of ``out = a * b``, sending ``a`` its derivative times ``factor`` (1: right)."""

    def _backward() -> None:
        a.grad += b.data * factor * out.grad
        b.grad += a.data * out.grad

    return _backward


def test_what_a_step_sent_is_judged_within_the_rounding_of_the_grads() -> None:
    """b's grad is 1e12 when p's step sends it 0.7: the grad after less the grad before is 0.7 give
    or take 1.2e-4 (a unit in the last place of 1e12), far past a relative 1e-9 of 0.7. A right step
    is right; a wrong local derivative at that scale is still found."""

    def graph(factor: float) -> Ordered:
        b, c, big = Ordered(3.0), Ordered(0.7), Ordered(1e12)
        p = b * c
        p._backward = _product_step(b, c, p, factor)
        return p + b * big  # steps: L, b*big (b.grad = 1e12), p (b.grad += 0.7)

    assert check(graph(1.0)).ok
    verdict = check(graph(1.001))
    assert verdict.first_mismatch is not None
    assert (verdict.first_mismatch.kind, verdict.first_mismatch.operand) == ("local", "3")
