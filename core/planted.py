"""Planted bugs: a lecture-style engine with one canonical bug in it, and which ones a file reveals.

``lecture_engine(plant)`` makes a ``Value`` class written the way learners write it along with the
lecture (``examples/engines/correct.py``: a closure per node, ``+=`` into each operand's grad, a
topological sort then one loop), with ``plant`` in it, or none. The bugs are the check's own kinds:

- ``overwrite`` in one op: ``=`` where ``+=`` belongs;
- ``local`` in one op: a wrong local derivative, the slip learners make in that op (``WRONG``);
- ``missing`` in one op: the ``_backward`` written but never attached to the node;
- ``order``: ``backward()`` walks the topological order the wrong way round;
- ``seed``: ``backward()`` never sets ``out.grad = 1``.

Whether a file can reveal a plant is not guessed from its shape: ``survey`` builds the file with
each planted engine, runs the checker (``checker.check``) and keeps the plants the checker finds with
the planted kind, at a step. A class is made per run, so the checker's hooks on one never reach
another.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from .build import build
from .checker import Verdict, check

PlantKind = Literal["overwrite", "local", "missing", "order", "seed"]
PLANT_KINDS: tuple[PlantKind, ...] = get_args(PlantKind)
"""The canonical bugs, in the order the kind picker lists them."""

ENGINE_NAME = "gradstep's lecture engine"

OPS: tuple[str, ...] = ("+", "*", "-", "/", "**", "tanh", "exp", "log", "ReLU", "sigmoid")
"""Every op of the lecture engine, by the name it gives its nodes (``**`` stands for ``**k``)."""

Locals = Callable[[Any, Any, Any], tuple[float, ...]]
"""An op's local derivatives from (its node, its first operand, its second operand or None)."""


def _pow_k(out: Any) -> float:
    return float(out._op[2:])


RIGHT: dict[str, Locals] = {
    "+": lambda out, a, b: (1.0, 1.0),
    "*": lambda out, a, b: (b.data, a.data),
    "-": lambda out, a, b: (1.0, -1.0),
    "/": lambda out, a, b: (1 / b.data, -a.data / b.data**2),
    "**": lambda out, a, b: (_pow_k(out) * a.data ** (_pow_k(out) - 1),),
    "tanh": lambda out, a, b: (1 - out.data**2,),
    "exp": lambda out, a, b: (out.data,),
    "log": lambda out, a, b: (1 / a.data,),
    "ReLU": lambda out, a, b: (float(out.data > 0),),
    "sigmoid": lambda out, a, b: (out.data * (1 - out.data),),
}
"""The chain rule's local derivatives, as the lecture writes them."""

WRONG: dict[str, tuple[Locals, str]] = {
    "+": (lambda out, a, b: (1.0, -1.0), "`+` sends -out.grad to its second operand, as `-` does"),
    "*": (lambda out, a, b: (a.data, b.data), "`*` sends each operand its own value, not the other's"),
    "-": (lambda out, a, b: (1.0, 1.0), "`-` sends +out.grad to its second operand: the sign is lost"),
    "/": (
        lambda out, a, b: (1 / b.data, a.data / b.data**2),
        "`/` sends its divisor a/b**2 without the minus sign",
    ),
    "**": (
        lambda out, a, b: (_pow_k(out) * a.data ** _pow_k(out),),
        "`**k`'s derivative is written k * x**k: the n - 1 is missing",
    ),
    "tanh": (lambda out, a, b: (1 - out.data,), "tanh's derivative is written 1 - t, not 1 - t**2"),
    "exp": (lambda out, a, b: (a.data,), "exp's derivative is written x, not exp(x)"),
    "log": (lambda out, a, b: (a.data,), "log's derivative is written x, not 1/x"),
    "ReLU": (lambda out, a, b: (out.data,), "relu's derivative is written as its output, not 0 or 1"),
    "sigmoid": (lambda out, a, b: (out.data,), "sigmoid's derivative is written s, not s * (1 - s)"),
}
"""Per op, the wrong local derivative a ``local`` plant uses, and what is wrong with it."""


@dataclass(frozen=True)
class Plant:
    """One bug: its kind, and the op it is in (None for ``order`` and ``seed``)."""

    kind: PlantKind
    op: str | None = None

    @property
    def name(self) -> str:
        """``local in tanh``; ``order``."""
        return self.kind if self.op is None else f"{self.kind} in {self.op}"

    @property
    def how(self) -> str:
        """What the planted engine does wrong, in a sentence."""
        if self.kind == "overwrite":
            return f"`{self.op}` sets its operands' grads (=) instead of adding to them (+=)"
        if self.kind == "local":
            assert self.op is not None
            return WRONG[self.op][1]
        if self.kind == "missing":
            return f"`{self.op}`'s _backward is written but never attached: its step sends nothing"
        if self.kind == "order":
            return "backward() walks the topological order the wrong way round, inputs first"
        return "backward() never sets the output's grad to 1 before the first step"


def lecture_engine(plant: Plant | None = None) -> type:
    """A new lecture-style ``Value`` class, with ``plant`` in it (correct when None)."""
    kind = plant.kind if plant is not None else None
    op_of_plant = plant.op if plant is not None else None

    def locals_of(op: str) -> Locals:
        if kind == "local" and op == op_of_plant:
            return WRONG[op][0]
        return RIGHT[op]

    class Value:
        def __init__(self, data: Any, _children: Sequence[Any] = (), _op: str = "", label: str = "") -> None:
            self.data = data
            self.grad = 0.0
            self._backward: Callable[[], None] = lambda: None
            self._prev = tuple(_children)
            self._op = _op
            self.label = label

        def __repr__(self) -> str:
            return f"Value(data={self.data}, grad={self.grad})"

        def _made(self, data: float, children: tuple[Any, ...], op: str) -> Value:
            out = Value(data, children, op)
            family = "**" if op.startswith("**") else op
            local = locals_of(family)
            overwrite = kind == "overwrite" and family == op_of_plant

            def _backward() -> None:
                second = children[1] if len(children) > 1 else None
                for child, d in zip(children, local(out, children[0], second), strict=True):
                    if overwrite:
                        child.grad = d * out.grad
                    else:
                        child.grad += d * out.grad

            if not (kind == "missing" and family == op_of_plant):
                out._backward = _backward
            return out

        @staticmethod
        def _wrap(other: Any) -> Value:
            return other if isinstance(other, Value) else Value(other)

        def __add__(self, other: Any) -> Value:
            other = self._wrap(other)
            return self._made(self.data + other.data, (self, other), "+")

        def __mul__(self, other: Any) -> Value:
            other = self._wrap(other)
            return self._made(self.data * other.data, (self, other), "*")

        def __sub__(self, other: Any) -> Value:
            other = self._wrap(other)
            return self._made(self.data - other.data, (self, other), "-")

        def __truediv__(self, other: Any) -> Value:
            other = self._wrap(other)
            return self._made(self.data / other.data, (self, other), "/")

        def __pow__(self, k: Any) -> Value:
            assert isinstance(k, (int, float)), "only number powers"
            return self._made(self.data**k, (self,), f"**{k}")

        def __neg__(self) -> Value:
            return self * -1

        def __radd__(self, other: Any) -> Value:
            return self.__add__(other)

        def __rmul__(self, other: Any) -> Value:
            return self.__mul__(other)

        def __rsub__(self, other: Any) -> Value:
            return Value(other) - self

        def __rtruediv__(self, other: Any) -> Value:
            return Value(other) / self

        def tanh(self) -> Value:
            return self._made(math.tanh(self.data), (self,), "tanh")

        def exp(self) -> Value:
            return self._made(math.exp(self.data), (self,), "exp")

        def log(self) -> Value:
            return self._made(math.log(self.data), (self,), "log")

        def relu(self) -> Value:
            return self._made(self.data if self.data > 0 else 0.0, (self,), "ReLU")

        def sigmoid(self) -> Value:
            return self._made(1 / (1 + math.exp(-self.data)), (self,), "sigmoid")

        def backward(self) -> None:
            topo: list[Value] = []
            visited: set[int] = set()
            stack: list[tuple[Value, bool]] = [(self, False)]
            while stack:  # the lecture's recursive build_topo, with a stack
                v, done = stack.pop()
                if done:
                    topo.append(v)
                    continue
                if id(v) in visited:
                    continue
                visited.add(id(v))
                stack.append((v, True))
                stack.extend((child, False) for child in reversed(v._prev))
            if kind != "seed":
                self.grad = 1.0
            for v in topo if kind == "order" else reversed(topo):
                v._backward()

    return Value


@dataclass(frozen=True)
class PlantedRun:
    """A plant and the check's verdict on the file built with it."""

    plant: Plant
    verdict: Verdict

    @property
    def step(self) -> int:
        """The first wrong step (1-based, in the planted engine's order)."""
        problem = self.verdict.first_mismatch
        assert problem is not None and problem.step is not None
        return problem.step


@dataclass(frozen=True)
class Survey:
    """What a file reveals: the correct run, each plant the check finds with its kind, and why
    each kind it cannot reveal stays hidden."""

    path: str
    correct: Verdict
    found: tuple[PlantedRun, ...]
    hidden: tuple[tuple[PlantKind, str], ...]
    """(kind, why the file cannot reveal it), for each kind no plant of which is found."""

    @property
    def kinds(self) -> tuple[PlantKind, ...]:
        """The kinds this file can reveal, in ``PLANT_KINDS`` order."""
        return tuple(k for k in PLANT_KINDS if any(run.plant.kind == k for run in self.found))


def run_with(path: str, plant: Plant | None, name: str | None = None) -> Verdict:
    """Build ``path`` with the lecture engine (``plant`` in it) and check it; ``name`` is the
    file's name in the verdict (default ``path``)."""
    built = build(path, lecture_engine(plant))
    return check(
        built.theirs,
        engine=ENGINE_NAME,
        source=name or built.path,
        reference=built.pairs,
        reference_output=built.reference,
    )


def candidates(ops: Sequence[str]) -> list[Plant]:
    """Every plant worth trying on a graph whose nodes use ``ops`` (lecture names, ``**`` for ``**k``)."""
    used = [op for op in OPS if op in ops]
    plants: list[Plant] = []
    for kind in PLANT_KINDS:
        if kind in ("order", "seed"):
            plants.append(Plant(kind))
        else:
            plants.extend(Plant(kind, op) for op in used)
    return plants


def ops_used(verdict: Verdict) -> list[str]:
    """The lecture op names of the nodes the output depends on, ``**k`` as ``**``."""
    graph = verdict.graph
    names = {
        "**" if name.startswith("**") else name
        for k, name in enumerate(graph.op_names)
        if graph.reachable[k] and graph.operands[k]
    }
    return [op for op in OPS if op in names]


def survey(path: str, name: str | None = None) -> Survey:
    """Try every plant on ``path``; keep those the check finds with the planted kind, at a step.

    Raises what ``build`` raises for a bad file (``ExpressionError``, ``EngineError``).
    """
    correct = run_with(path, None, name)
    graph = correct.graph
    if not any(graph.operands[k] for k in range(graph.size) if graph.reachable[k]):
        # The check would find `seed` (the output's grad left at 0), but there is no backward to
        # step through: nothing to hunt.
        why = "the output is a leaf: there is no op, so backward has no step that could go wrong"
        return Survey(name or path, correct, (), tuple((kind, why) for kind in PLANT_KINDS))
    found: list[PlantedRun] = []
    tried: dict[PlantKind, list[tuple[Plant, Verdict]]] = {k: [] for k in PLANT_KINDS}
    for plant in candidates(ops_used(correct)):
        verdict = run_with(path, plant, name)
        tried[plant.kind].append((plant, verdict))
        problem = verdict.first_mismatch
        if problem is not None and problem.kind == plant.kind and problem.step is not None:
            found.append(PlantedRun(plant, verdict))
    hidden = tuple(
        (kind, _why_hidden(kind, correct, tried[kind]))
        for kind in PLANT_KINDS
        if not any(run.plant.kind == kind for run in found)
    )
    return Survey(name or path, correct, tuple(found), hidden)


def _why_hidden(kind: PlantKind, correct: Verdict, tried: list[tuple[Plant, Verdict]]) -> str:
    """Why no plant of ``kind`` shows on this file, in words a learner can act on."""
    if kind == "overwrite" and not _reused(correct):
        return "no node is used twice, so `=` where `+=` belongs gives the same grads as `+=`"
    if not tried:
        return "the graph has no op to plant it in"
    if kind == "order" and sum(1 for k in range(correct.graph.size) if correct.graph.operands[k]) < 2:
        return "with a single op there is no consumer to run too late"
    outcomes = []
    for plant, verdict in tried:
        problem = verdict.first_mismatch
        seen = "nothing wrong" if problem is None else f"{problem.kind}, not {kind}"
        outcomes.append(f"{plant.op}: {seen}" if plant.op else seen)
    return "planted, the check finds " + "; ".join(outcomes)


def _reused(verdict: Verdict) -> bool:
    graph = verdict.graph
    uses = [0] * graph.size
    for k in range(graph.size):
        if graph.reachable[k]:
            for j in graph.operands[k]:
                uses[j] += 1
    return any(u > 1 for u in uses)
