"""The checker gives exactly the verdicts it gave before it was made fast.

``check_golden.json`` holds, for every case below, everything a verdict exposes (the JSON document,
the first problem and every problem with their messages and indices, the names, every step with its
contributions and strays, every node), as the checker before the fast path computed it (commit
2a64ae1): the first problem in full, the rest as a digest. Cases: every example engine on every
example file, micrograd on the files it supports, seeded random programs with every example engine
and every mutant of the correct engine, and engines written in other ways (children in a list or
a set (micrograd), slots without ``_backward``, a ``_backward`` method, steps that call each other,
a stray write between steps, backward twice).

Regenerate (only when a change of verdict is meant): ``python tests/core/test_check_same.py --write``.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from gradstep.core import check
from gradstep.core.checker import Mismatch, Verdict, check_file
from gradstep.core.learner import load_engine

# Every test here runs with the compiled loops and with the Python ones (tests/core/conftest.py).
pytestmark = pytest.mark.usefixtures("both_paths")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
ENGINES = EXAMPLES / "engines"
GOLDEN = Path(__file__).with_name("check_golden.json")
FILES = ("seed", "neuron", "shared", "a_plus_a", "tiny_mlp", "hunt")
RANDOM_PROGRAMS = 30

# The mutations of tests/core/test_check.py (the correct engine with one bug injected).
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
    "order": ("            if v not in visited:", "            if True:"),
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

_OPS = ("+", "-", "*", "/", "tanh", "exp", "relu", "**2", "sigmoid")


def random_program(seed: int) -> str:
    """A program as tests/core/test_check.py's ``programs`` strategy draws them, from a seed."""
    draw = random.Random(seed)
    count = draw.randint(2, 4)
    lines = []
    for i in range(count):
        x = 0.0
        while abs(x) <= 0.1:
            x = draw.uniform(-2, 2)
        lines.append(f"v{i} = Value({x:.3f}, label='v{i}')")
    names = [f"v{i}" for i in range(count)]
    for k in range(draw.randint(1, 8)):
        op = draw.choice(_OPS)
        a = draw.choice(names)
        b = draw.choice(names)
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


# --- engines written in other ways, checked through the Python API ---------------------------------

LIST_ENGINE = """
class Node:
    def __init__(self, data, children=(), op=''):
        self.data = data
        self.grad = 0
        self._children = list(children)
        self.op = op
        self._backward = lambda: None
    def __add__(self, other):
        out = Node(self.data + other.data, (self, other), '+')
        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out
    def __sub__(self, other):
        out = Node(self.data - other.data, (self, other), 'sub')
        def _backward():
            self.grad += out.grad
            other.grad += -out.grad
        out._backward = _backward
        return out
    def __mul__(self, other):
        out = Node(self.data * other.data, [self, other], 'mul')
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

SLOTS_ENGINE = """
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

SLOTS_CLOSURE_ENGINE = """
class Node:
    __slots__ = ("data", "grad", "_prev", "_op", "_backward")
    def __init__(self, data, prev=(), op=""):
        self.data, self.grad, self._prev, self._op = data, 0.0, tuple(prev), op
        self._backward = lambda: None
    def __add__(self, other):
        out = Node(self.data + other.data, (self, other), "+")
        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out
    def __mul__(self, other):
        out = Node(self.data * other.data, (self, other), "*")
        def _backward():
            self.grad += other.data * out.grad
            other.grad = self.data * out.grad  # = for +=
        out._backward = _backward
        return out
    def backward(self):
        topo, seen = [], set()
        def build(v):
            if v not in seen:
                seen.add(v)
                for c in v._prev:
                    build(c)
                topo.append(v)
        build(self)
        self.grad = 1.0
        for v in reversed(topo):
            v._backward()
"""

METHOD_ENGINE = """
class Node:
    def __init__(self, data, prev=(), op=""):
        self.data, self.grad, self._prev, self._op = data, 0.0, tuple(prev), op
    def __add__(self, other):
        return Node(self.data + other.data, (self, other), "+")
    def __mul__(self, other):
        return Node(self.data * other.data, (self, other), "*")
    def _backward(self):
        if self._op == "+":
            a, b = self._prev
            a.grad += self.grad
            b.grad += self.grad
        elif self._op == "*":
            a, b = self._prev
            a.grad += b.data * self.grad
            b.grad += a.data * self.grad * (1 if a is not b else 1)
    def backward(self):
        topo, seen = [], set()
        def build(v):
            if v not in seen:
                seen.add(v)
                for c in v._prev:
                    build(c)
                topo.append(v)
        build(self)
        self.grad = 1.0
        for v in reversed(topo):
            v._backward()
"""

NESTED_ENGINE = """
class Node:
    def __init__(self, data, prev=(), op=""):
        self.data, self.grad, self._prev, self._op = data, 0.0, tuple(prev), op
        self._backward = lambda: None
    def __add__(self, other):
        out = Node(self.data + other.data, (self, other), "+")
        def _backward():
            self.grad += out.grad
            other.grad += out.grad
            self._backward()  # steps call their operands' steps: a tree walk, wrong on shared nodes
            other._backward()
        out._backward = _backward
        return out
    def __mul__(self, other):
        out = Node(self.data * other.data, (self, other), "*")
        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
            self._backward()
            other._backward()
        out._backward = _backward
        return out
    def backward(self):
        self.grad = 1.0
        self._backward()
"""

BETWEEN_ENGINE = LIST_ENGINE.replace(
    "        for node in reversed(order):\n            node._backward()\n",
    "        for node in reversed(order):\n            node._backward()\n"
    "        self._children[0].grad += 0.5\n",
)


SKIPPING_ENGINE = LIST_ENGINE.replace(
    "        for node in reversed(order):\n            node._backward()\n",
    "        for node in reversed(order):\n            if node.op != 'mul':  # products never step\n"
    "                node._backward()\n",
)


def _graphs(cls: type) -> Iterator[tuple[str, Callable[[], Any]]]:
    def shared() -> Any:
        a, b = cls(2.0), cls(-3.0)
        c = a * b
        return (c + a) * (c * b)

    def square() -> Any:
        a = cls(1.5)
        return a * a + a

    def chain() -> Any:
        x = cls(0.5)
        for k in range(12):
            x = x * cls(1.0 + k / 10) + x
        return x

    yield "shared", shared
    yield "square", square
    yield "chain", chain


# --- fingerprints --------------------------------------------------------------------------------


def _plain(x: Any) -> Any:
    """Floats as their repr (NaN and infinities compare), tuples as lists."""
    if isinstance(x, float):
        return repr(x)
    if isinstance(x, (list, tuple)):
        return [_plain(y) for y in x]
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    return x


def _problem(p: Mismatch | None) -> Any:
    if p is None:
        return None
    return [p.kind, p.step, p.node, p.operand, p.expected, p.got, p.message, p.node_index, p.operand_index,
            p.traceback]  # fmt: skip


def fingerprint(verdict: Verdict) -> Any:
    steps = verdict.steps
    failing = steps.failing() if hasattr(steps, "failing") else None
    return _plain(
        {
            "json": verdict.to_json(),
            "first": _problem(verdict.first_mismatch),
            "problems": [_problem(p) for p in verdict.problems],
            "names": list(verdict.names),
            "failing": failing,
            "steps": [
                [
                    s.number,
                    s.node,
                    s.grad,
                    s.expected_grad,
                    s.ok,
                    _problem(s.problem),
                    list(s.strays),
                    [
                        [
                            c.operand,
                            c.uses,
                            c.local,
                            c.expected,
                            c.got,
                            c.before,
                            c.after,
                            c.slot,
                            c.param,
                            list(c.parts),
                            c.grad,
                            c.formula,
                            c.arithmetic,
                            c.ok,
                        ]
                        for c in s.contributions
                    ],
                ]
                for s in steps
            ],
            "nodes": [[n.index, n.label, n.data, n.expected_grad, n.got_grad, n.ok] for n in verdict.nodes],
        }
    )


def _outcome(run: Callable[[], Verdict], folder: Path) -> Any:
    """The first problem in full (readable in a diff) and a digest of the whole fingerprint."""
    try:
        result = fingerprint(run())
    except Exception as error:
        result = {"first": ["raised", type(error).__name__, str(error)]}
    text = json.dumps(result, sort_keys=True).replace(str(folder), "<tmp>").replace(str(ROOT), "<root>")
    return {"first": json.loads(text)["first"], "digest": hashlib.sha256(text.encode()).hexdigest()}


def _digest_kept(name: str) -> bool:
    """micrograd keeps operands in a set, whose order (so its step order) changes from run to run:
    only its first problem is compared."""
    return not name.startswith("micrograd")


def cases(folder: Path) -> Iterator[tuple[str, Callable[[], Verdict]]]:
    """Every case, named, as a function giving its verdict (``folder`` holds the files made here)."""
    engines = {path.stem: str(path) for path in sorted(ENGINES.glob("*.py"))}
    correct = (ENGINES / "correct.py").read_text()
    for kind, (old, new) in sorted(MUTATIONS.items()):
        path = folder / f"mutant_{kind.replace('-', '_')}.py"
        path.write_text(correct.replace(old, new))
        engines[f"mutant_{kind}"] = str(path)
    files = {name: str(EXAMPLES / f"{name}.gs") for name in FILES}
    for seed in range(RANDOM_PROGRAMS):
        path = folder / f"random{seed}.gs"
        path.write_text(random_program(seed))
        files[f"random{seed}"] = str(path)
    for engine, spec in engines.items():
        for name, path in files.items():
            yield f"{engine} {name}", lambda path=path, spec=spec: check_file(path, spec)
    for name in ("seed", "shared", "a_plus_a", "tiny_mlp"):
        yield f"micrograd {name}", lambda name=name: check_file(files[name], "micrograd.engine")
    for title, source in [
        ("list", LIST_ENGINE),
        ("slots", SLOTS_ENGINE),
        ("slots-closure", SLOTS_CLOSURE_ENGINE),
        ("method", METHOD_ENGINE),
        ("nested", NESTED_ENGINE),
        ("between", BETWEEN_ENGINE),
        ("skipping", SKIPPING_ENGINE),
    ]:
        path = folder / f"engine_{title.replace('-', '_')}.py"
        path.write_text(textwrap.dedent(source))
        cls = load_engine(f"{path}:Node").cls
        graphs = [("product", lambda cls=cls: cls(2.0) * cls(3.0))] if title == "slots" else _graphs(cls)
        for graph, make in graphs:
            yield f"{title} {graph}", lambda make=make, title=title: check(make(), engine=title)

    def twice() -> Verdict:
        from micrograd.engine import Value as MicrogradValue  # type: ignore[import-untyped]

        a = MicrogradValue(2.0)
        out = a * a + a  # a is numbered first whatever the sets' order
        check(out)
        return check(out)

    yield "micrograd backward twice", twice


def outcomes(folder: Path) -> dict[str, Any]:
    return {name: _outcome(run, folder) for name, run in cases(folder)}


@pytest.fixture(scope="module")
def now() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        return outcomes(Path(folder))


GOLDEN_CASES = sorted(json.loads(GOLDEN.read_text())) if GOLDEN.exists() else []


def test_the_golden_file_covers_every_case(now: dict[str, Any]) -> None:
    assert sorted(now) == GOLDEN_CASES


@pytest.mark.parametrize("name", GOLDEN_CASES)
def test_the_same_verdict_as_before(name: str, now: dict[str, Any]) -> None:
    expected = json.loads(GOLDEN.read_text())[name]
    assert now[name]["first"] == expected["first"]
    if _digest_kept(name):
        assert now[name]["digest"] == expected["digest"], "the same first problem, but something else differs"


@pytest.fixture(scope="module")
def through_the_log() -> dict[str, Any]:
    """Every case judged by the one pass over the log (the judge's way where steps nest), not step
    by step (its way where they do not, the usual case)."""
    from gradstep.core.checker import _Judge

    saved = _Judge._judge_steps_in_turn
    _Judge._judge_steps_in_turn = lambda self, number: None  # type: ignore[method-assign]
    try:
        with tempfile.TemporaryDirectory() as folder:
            return outcomes(Path(folder))
    finally:
        _Judge._judge_steps_in_turn = saved  # type: ignore[method-assign]


def test_both_ways_of_judging_give_the_same_verdicts(through_the_log: dict[str, Any]) -> None:
    golden = json.loads(GOLDEN.read_text())
    assert sorted(through_the_log) == sorted(golden)
    for name, expected in golden.items():
        assert through_the_log[name]["first"] == expected["first"], name
        if _digest_kept(name):
            assert through_the_log[name]["digest"] == expected["digest"], name


def test_the_cases_reach_every_kind() -> None:
    golden = json.loads(GOLDEN.read_text())
    kinds = {case["first"][0] for case in golden.values() if case["first"]}
    assert kinds >= {"disconnected", "forward", "not-zeroed", "seed", "order", "missing", "overwrite",
                     "local", "stray", "error"}  # fmt: skip


if __name__ == "__main__" and "--write" in sys.argv:
    with tempfile.TemporaryDirectory() as folder:
        data = outcomes(Path(folder))
    GOLDEN.write_text(json.dumps(data, indent=0, sort_keys=True) + "\n")
    print(f"{len(data)} cases written to {GOLDEN}", file=sys.stderr)


def test_graphs_that_cannot_be_read_get_the_same_errors() -> None:
    from gradstep.core.foreign import ForeignGraphError
    from micrograd.engine import Value as MicrogradValue

    a = MicrogradValue(1.0)
    b = a * 2
    a._prev = {b}
    with pytest.raises(ForeignGraphError, match=r"^the graph has a cycle: a node is its own operand$"):
        check(b)
    c = MicrogradValue(1.0)
    d = c + 1
    d._prev = {c, 5}
    with pytest.raises(ForeignGraphError, match=r"^an operand of a node \(data=2.0\) is a int, not a node$"):
        check(d)
    x = MicrogradValue(2.0)
    y = x * 3
    del x.data
    with pytest.raises(
        ForeignGraphError, match=r"^an operand of a node \(data=6.0\) is a Value, not a node$"
    ):
        check(y)
