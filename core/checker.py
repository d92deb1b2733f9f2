"""Checking a learner's engine: their backward, step by step, beside the chain rule.

``check(output)`` reads their graph (``foreign``), runs their ``backward()`` once recorded
(``record``) and returns a ``Verdict``: a frozen value with the first problem found, every step
judged, and every node's grad beside the chain rule's.

Two references. Their graph recomputed with gradstep's op table (each op's value from its operands,
each step's contributions as local derivative x the node's grad), and, for a file, the file's own
meaning: the values and grads gradstep's own engine gives the nodes the file makes.

The order of findings, and so which one is the verdict:

1. what is wrong before backward runs, node by node in creation order: ``disconnected``, then
   ``forward``, then ``not-zeroed``;
2. then their steps in their own order. Each contribution is judged against the node's grad *as
   their engine had it* at that step, so one wrong step is reported once, not again downstream.
   Within a step: ``seed``, then ``order``, then each operand in order (``missing``,
   ``overwrite``, ``local``), then ``stray``;
3. an exception or a hang in their code (``error``) ends the run where it happened;
4. steps that never ran although the chain rule sends something through them (``missing``).

Tolerance: two numbers agree when they differ by at most 1e-9 of the larger magnitude, or by at most
1e-12 (the absolute floor, so that a grad of 1e-17 left by rounding agrees with 0). What a step sent
an operand is its grad after the step less its grad before; that difference may also be off by the
rounding of the subtraction, 4 units in the last place of the grad (``_sent_close``).
"""

from __future__ import annotations

import gc
import itertools
import math
import operator
from array import array
from collections.abc import Callable, Iterable, Iterator, MutableSequence, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from . import speedups
from .build import build
from .engine import Value, topological_order
from .foreign import OP_CODES, OTHER_OP, ForeignGraph, Lazy, close, read
from .learner import load_engine, their_traceback, where_raised
from .ops import ADD, MUL, Op, describe_local, format_number, short_expression
from .record import ABORT, END, START, TIMEOUT, Recording, record
from .trace import Trace

Kind = Literal[
    "disconnected",
    "forward",
    "not-zeroed",
    "seed",
    "order",
    "missing",
    "overwrite",
    "local",
    "stray",
    "error",
]
KINDS: tuple[str, ...] = get_args(Kind)
"""Every kind of problem, a closed set."""

RELATIVE_TOLERANCE = 1e-9
ABSOLUTE_TOLERANCE = 1e-12
SUBTRACTION_ULPS = 4
"""What a step sent is found as the grad after it less the grad before: that difference is also
allowed this many units in the last place of the grad (``_sent_close``)."""
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Mismatch:
    """One problem: what kind, where (their step, 1-based; the node; the operand), the numbers, why.

    ``expected``/``got`` are what was compared: for a contribution, the operand's grad after the
    step; for ``seed`` and ``order`` the node's grad when its step ran; for ``forward`` the value;
    for ``not-zeroed`` the grad before backward.
    """

    kind: Kind
    step: int | None
    node: str | None
    operand: str | None
    expected: float | None
    got: float | None
    message: str
    node_index: int | None = field(default=None, compare=False)
    operand_index: int | None = field(default=None, compare=False)
    traceback: str = field(default="", compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "node": self.node,
            "operand": self.operand,
            "kind": self.kind,
            "expected": _json_number(self.expected),
            "got": _json_number(self.got),
            "message": self.message,
        }


@dataclass(frozen=True)
class Contribution:
    """What one step sent one operand, beside what the chain rule sends it."""

    operand: int
    uses: int
    """How many times the step's node uses the operand (2 for ``a + a``)."""
    local: float
    """The local derivative (summed over uses)."""
    expected: float
    got: float
    before: float
    after: float
    op: Op = field(repr=False)
    slot: int = field(repr=False)
    param: float = field(repr=False)
    parts: tuple[float, ...] = field(repr=False)
    """The local derivative of each use."""
    grad: float = field(repr=False)
    """The node's grad when the step ran."""

    @property
    def formula(self) -> str:
        """``d(a*b)/da = b``: made when asked for (a big graph has a hundred thousand of these)."""
        return describe_local(self.op, self.slot, self.param)

    @property
    def arithmetic(self) -> str:
        """``-3 × 1 = -3``: the local derivative(s) times the node's grad."""
        terms = " + ".join(format_number(x) for x in self.parts)
        if len(self.parts) > 1:
            terms = f"({terms})"
        return f"{terms} × {format_number(self.grad)} = {format_number(self.expected)}"

    @property
    def ok(self) -> bool:
        return _sent_close(self.got, self.expected, max(abs(self.before), abs(self.after)))


@dataclass(frozen=True)
class Step:
    """One of their steps: node ``node``'s ``_backward`` ran, with ``grad`` as its grad then."""

    number: int
    node: int
    grad: float
    expected_grad: float
    """The chain rule's (final) grad of the node."""
    contributions: tuple[Contribution, ...]
    strays: tuple[tuple[int, float, float], ...]
    """Nodes that are not operands whose grad the step changed: (node, before, after)."""
    problem: Mismatch | None

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class NodeGrad:
    """A node's final grad in their engine beside the chain rule's."""

    index: int
    label: str
    data: float
    expected_grad: float
    got_grad: float

    @property
    def ok(self) -> bool:
        return close(self.got_grad, self.expected_grad)


@dataclass(frozen=True)
class Verdict:
    """The result of checking their engine on one graph. ``ok`` means no problem was found."""

    engine: str
    source: str | None
    step_count: int
    first_mismatch: Mismatch | None
    steps: Sequence[Step]
    """Their steps in their order (``steps[k]`` is step k + 1), each made when first read."""
    nodes: Sequence[NodeGrad]
    """Every node of their graph in creation order, their final grad beside the chain rule's."""
    warnings: tuple[str, ...]
    names: Sequence[str] = field(repr=False, compare=False)
    """Every node's name, as ``gradstep trace`` names them (each made when first read)."""
    graph: ForeignGraph = field(repr=False, compare=False)
    problems: tuple[Mismatch, ...] = field(default=(), repr=False, compare=False)
    """Every problem found before backward and at the end, the first one being ``first_mismatch``
    when no step came first (the app marks them all)."""

    @property
    def ok(self) -> bool:
        return self.first_mismatch is None

    def to_json(self) -> dict[str, Any]:
        """The document ``gradstep check --json`` prints (format 1, see README)."""
        return {
            "format": FORMAT_VERSION,
            "ok": self.ok,
            "engine": self.engine,
            "source": self.source,
            "steps": self.step_count,
            "first_mismatch": None if self.first_mismatch is None else self.first_mismatch.to_json(),
            "nodes": [
                {
                    "label": node.label,
                    "data": _json_number(node.data),
                    "expected_grad": _json_number(node.expected_grad),
                    "got_grad": _json_number(node.got_grad),
                }
                for node in self.nodes
            ],
            "warnings": list(self.warnings),
        }


def _json_number(x: float | None) -> float | str | None:
    if x is None:
        return None
    return x if math.isfinite(x) else str(x)


def check(
    output: Any,
    *,
    engine: str | None = None,
    source: str | None = None,
    reference: Sequence[tuple[Value, Any]] = (),
    reference_output: Value | None = None,
    timeout: float = TIMEOUT,
) -> Verdict:
    """Run ``output.backward()`` (their engine) once, recorded, and judge every step.

    ``reference`` pairs gradstep's nodes for a file with theirs (see ``build``), adding the file's
    own meaning as a second reference. Their objects end as their own backward leaves them.
    """
    their_nodes = [theirs for _, theirs in reference]
    collecting = gc.isenabled()
    # Reading and judging make a list or a tuple per node: each batch of them would start a
    # collection, and every few, one that walks all of their graph (micrograd's closures put each
    # node in a reference cycle). Nothing made here is a cycle; the collector is put back after.
    gc.disable()
    try:
        graph = read(output, their_nodes)
        recording = record(graph, timeout)
        return _Judge(
            graph, recording, engine or _engine_name(output), source, reference, reference_output
        ).verdict()
    finally:
        if collecting:
            gc.enable()


def check_file(path: str, engine_spec: str, timeout: float = TIMEOUT) -> Verdict:
    """Build the expression file ``path`` with the engine named by ``engine_spec`` and check it.

    Raises ``ExpressionError`` (the file), ``EngineError`` (loading or building with their class)
    or ``ForeignGraphError`` (their graph cannot be read).
    """
    engine = load_engine(engine_spec)
    built = build(path, engine.cls)
    return check(
        built.theirs,
        engine=engine.spec,
        source=built.path,
        reference=built.pairs,
        reference_output=built.reference,
        timeout=timeout,
    )


def _engine_name(output: Any) -> str:
    cls = type(output)
    return f"{cls.__module__}:{cls.__qualname__}"


def node_names(graph: ForeignGraph, labels: Sequence[str]) -> list[str]:
    """Names as ``gradstep trace`` gives them: the label, a constant's value, ``a*b``, else ``#k``."""
    return [_name_of(graph, labels, k) for k in range(graph.size)]


def _name_of(graph: ForeignGraph, labels: Sequence[str], k: int) -> str:
    """Node ``k``'s name (see ``node_names``)."""
    if labels[k]:
        return labels[k]
    op = graph.ops[k]
    if op is None:
        return format_number(graph.data[k]) if not graph.operands[k] else f"#{k}"
    parts = [
        labels[j] or (format_number(graph.data[j]) if graph.ops[j] is None else "") for j in graph.operands[k]
    ]
    return short_expression(op, graph.symbol(k), parts) or f"#{k}"


class _Names(Lazy[str]):
    """Every node's name (``node_names``), each made when first asked for: a message needs a few,
    the JSON document and the app all of them, ``check(loss)`` on a big graph none."""

    def __init__(self, graph: ForeignGraph, labels: Sequence[str], given: dict[int, str]) -> None:
        self._graph = graph
        self._labels = labels
        self._made: list[str | None] = [None] * graph.size
        for k, name in given.items():
            self._made[k] = name

    def __len__(self) -> int:
        return len(self._made)

    def _item(self, index: int) -> str:
        name = self._made[index]
        if name is None:
            name = self._made[index] = _name_of(self._graph, self._labels, index)
        return name

    def bare(self, k: int) -> bool:
        """True when the name reads as one thing before ``.grad`` (see ``_is_bare``)."""
        return bool(self._labels[k]) or _is_bare(self[k])


class _Judge:
    """Compares one recording with the chain rule and builds the verdict (see the module doc)."""

    def __init__(
        self,
        graph: ForeignGraph,
        recording: Recording,
        engine: str,
        source: str | None,
        reference: Sequence[tuple[Value, Any]],
        reference_output: Value | None,
    ) -> None:
        self.graph = graph
        self.rec = recording
        self.engine = engine
        self.source = source
        n = graph.size
        self.file_value: list[float | None] = [None] * n
        self.file_op: list[Op | bool | None] = [False] * n  # False: not made by the file
        # theirs as they are (each read when first asked for); a copy where the file gives labels
        labels: Sequence[str] = list(graph.labels) if reference else graph.labels
        self.file_grad: list[float | None] = [None] * n
        self.has_file = bool(reference)
        self._expected: list[float] | None = None
        if reference:
            made = [ref for ref, _ in reference]
            for ref in made:
                ref.grad = 0.0
            if reference_output is not None:
                reference_output.backward()
            for ref, theirs in reference:
                k = graph.index.get(id(theirs))
                if k is None:
                    continue
                self.file_value[k] = ref.data
                self.file_op[k] = ref.op
                self.file_grad[k] = ref.grad
                if ref.label:
                    labels[k] = ref.label  # type: ignore[index]
        given: dict[int, str] = {}
        if reference_output is not None:  # the file's nodes are named as `gradstep trace` names them
            traced = Trace(reference_output)
            named = {id(node): traced.name(i) for i, node in enumerate(topological_order(reference_output))}
            for ref, theirs in reference:
                k = graph.index.get(id(theirs))
                if k is not None and id(ref) in named:
                    given[k] = named[id(ref)]
        self.names = _Names(graph, labels, given)
        self._op_tables: tuple[bytearray, list[tuple[float, ...] | None]] | None = None
        self._flat_arrays: tuple[bytes, array[int], array[int], array[float]] | None = None
        self.truth = self._chain_rule()
        self.warnings: list[str] = list(graph.warnings)
        self.step_nodes: Sequence[int] = []
        """The node of each of their steps (-1 for an object outside the graph), in their order."""
        self.places: Sequence[int] = []
        """Where each step began in the recording's log (the number of the triple)."""
        self.finished = bytearray()
        """1 for the steps whose ``_backward`` returned (the one that raised is not among them)."""
        self._number: Callable[[Any, int], int] = lambda obj, default: default
        self._reused: bool | None = None
        """Whether a node is an operand twice (of nodes the output depends on), once counted."""

    # --- references ----------------------------------------------------------------------------

    def _tables(self) -> tuple[bytearray, list[tuple[float, ...] | None]]:
        """For the compiled loops: each node's op code (``_CODES``; 4 for the ops they do not know)
        and, for those, the local derivatives from gradstep's op table."""
        if self._op_tables is None:
            g = self.graph
            codes = g.codes
            if codes is None:
                codes = bytearray(map(OP_CODES.get, map(id, g.ops), itertools.repeat(OTHER_OP)))
            locals_: list[tuple[float, ...] | None] = [None] * g.size
            others = (
                itertools.compress(range(g.size), map(OTHER_OP.__eq__, codes)) if OTHER_OP in codes else ()
            )
            for k in others:
                locals_[k] = tuple(map(float, self.locals(k)))
            self._op_tables = codes, locals_
        return self._op_tables

    def _flat(self) -> tuple[bytes, array[int], array[int], array[float]]:
        """For the compiled loops, made once: each node's operand count, first and second operand
        (-1: none) and value, as arrays."""
        if self._flat_arrays is None:
            compiled = speedups.compiled
            assert compiled is not None
            g = self.graph
            flat: Any = g.operands  # a FlatOperands: where the loops are compiled, read makes it so
            arity, first, second = flat.flat()
            self._flat_arrays = arity, first, second, compiled.doubles(g.data)
        return self._flat_arrays

    def _chain_rule(self) -> list[float]:
        """Every node's grad by the chain rule on their graph, with gradstep's op table."""
        g = self.graph
        compiled = speedups.compiled
        if compiled is not None:
            codes, locals_ = self._tables()
            truth: list[float] | None = compiled.chain_rule(
                g.output, codes, *self._flat(), locals_, g.reachable
            )
            if truth is not None:
                return truth
        ops, operands, data, params, reachable = g.ops, g.operands, g.data, g.params, g.reachable
        grads = [0.0] * g.size
        grads[g.output] = 1.0
        for k in range(g.output, -1, -1):
            grad = grads[k]
            op = ops[k]
            if op is None or grad == 0.0 or not reachable[k]:
                continue
            ins = operands[k]
            if op is ADD:
                a, b = ins
                grads[a] += 1.0 * grad
                grads[b] += 1.0 * grad
            elif op is MUL:
                a, b = ins
                grads[a] += data[b] * grad
                grads[b] += data[a] * grad
            else:
                for j, local in zip(
                    ins, op.local(tuple([data[j] for j in ins]), data[k], params[k]), strict=True
                ):
                    grads[j] += local * grad
        return grads

    def locals(self, k: int) -> tuple[float, ...]:
        g = self.graph
        op = g.ops[k]
        assert op is not None
        args = tuple(g.data[j] for j in g.operands[k])
        return op.local(args, g.data[k], g.params[k])

    def expected_grad(self, k: int) -> float:
        grad = self.file_grad[k]
        return self.truth[k] if grad is None else grad

    def expected_grads(self) -> list[float]:
        """Every node's ``expected_grad``: the file's where it names the node, else the chain rule's."""
        if self._expected is None:
            if self.has_file:
                self._expected = [
                    truth if grad is None else grad
                    for truth, grad in zip(self.truth, self.file_grad, strict=True)
                ]
            else:
                self._expected = self.truth
        return self._expected

    # --- the verdict ---------------------------------------------------------------------------

    def verdict(self) -> Verdict:
        before = self.before_backward()
        steps, during = self.judge_steps()
        after = self.after_backward(steps)
        first = before[0] if before else (during or (after[0] if after else None))
        g = self.graph
        final = self.rec.final
        nodes = _Nodes(g, self.names, self.expected_grads(), final)
        if not self.rec.stepwise:
            self.warnings.append(self.rec.why_not_stepwise)
        self.warnings.extend(self.blind_spots())
        problems = tuple(before) + ((during,) if during else ()) + tuple(after)
        return Verdict(
            self.engine,
            self.source,
            len(self.step_nodes),
            first,
            steps,
            nodes,
            tuple(dict.fromkeys(self.warnings)),
            self.names,
            g,
            problems,
        )

    def before_backward(self) -> list[Mismatch]:
        """``disconnected``, ``forward``, ``not-zeroed``, node by node in creation order."""
        g, found = self.graph, []
        operands, ops, data, params, op_names = g.operands, g.ops, g.data, g.params, g.op_names
        file_ops, file_values, initial = self.file_op, self.file_value, self.rec.initial
        compiled = speedups.compiled
        suspects: Iterable[int] = range(g.size)
        if compiled is not None:  # the nodes where something may be found: surely right elsewhere
            codes, _ = self._tables()
            suspects = compiled.before_suspects(
                codes, self._flat(), operands, file_values, file_ops, op_names, initial
            )
        for k in suspects:
            file_op = file_ops[k]
            ins = operands[k]
            if not ins and (
                isinstance(file_op, Op) or (file_op is False and op_names[k] not in ("", "None"))
            ):
                found.append(self.disconnected(k))
            value = file_values[k]
            here = data[k]
            if value is not None:
                if value != here and not close(here, value):
                    name = self.names[k]
                    found.append(
                        Mismatch(
                            "forward", None, name, None, value, here,
                            f"{name} is {format_number(value)} in the file, but {format_number(here)} "
                            "in your engine",
                            k,
                        )
                    )  # fmt: skip
            elif ins:
                op = ops[k]
                if op is ADD:
                    recomputed = data[ins[0]] + data[ins[1]]
                elif op is MUL:
                    recomputed = data[ins[0]] * data[ins[1]]
                elif op is None:
                    continue
                else:
                    try:
                        recomputed = op.forward(tuple([data[j] for j in ins]), params[k])
                    except (ArithmeticError, ValueError):
                        recomputed = math.nan
                if recomputed != here and not close(recomputed, here):
                    found.append(self.recomputed_differs(k, recomputed))
            grad = initial[k]
            if grad != 0.0 and not close(grad, 0.0):
                name = self.names[k]
                found.append(
                    Mismatch(
                        "not-zeroed", None, name, None, 0.0, grad,
                        f"{self.g(k)} was {format_number(grad)} when backward started, not 0: a grad "
                        "starts at 0 and is zeroed again before each backward(), or what is left adds "
                        "to this one",
                        k,
                    )
                )  # fmt: skip
        return found

    def disconnected(self, k: int) -> Mismatch:
        file_op = self.file_op[k]
        what = file_op.symbol() if isinstance(file_op, Op) else self.graph.op_names[k]
        name = self.names[k]
        return Mismatch(
            "disconnected", None, name, None, None, None,
            f"{name} is computed from operands ({what}), but your node has none in _prev: "
            "backward cannot reach past it",
            k,
        )  # fmt: skip

    def recomputed_differs(self, k: int, recomputed: float) -> Mismatch:
        g, name = self.graph, self.names[k]
        shown = ", ".join(format_number(g.data[j]) for j in g.operands[k])
        return Mismatch(
            "forward", None, name, None, recomputed, g.data[k],
            f"{name} = {g.symbol(k)}({shown}) is {format_number(recomputed)}, but your node holds "
            f"{format_number(g.data[k])}",
            k,
        )  # fmt: skip

    def judge_steps(self) -> tuple[Sequence[Step], Mismatch | None]:
        """Every completed step judged; the first problem among them in their order (or the error).

        In the order things happened: every write updates the running grads, a step's node and
        operands are read when it begins, and its own writes (those made while it was the innermost
        step running) are screened when it ends, with plain arithmetic (the same tests as
        ``judge``). Only a step that fails the screen, and a step someone looks at later, is made
        into a ``Step`` with its contributions (a big graph has a hundred thousand of them).
        Problems are ordered by where their step began, or where their write happened (a write
        outside any step). Step by step where no step ran inside another (``_judge_steps_in_turn``,
        the usual case), else in one pass over the whole log (``_judge_log``); both give the same.
        """
        g = self.graph
        identity = object.__hash__
        table = g._by_node
        if table is None and all(
            getattr(cls, "__hash__", None) is identity for cls in set(map(type, g.objects))
        ):
            table = dict(zip(g.objects, range(g.size), strict=True))
        if table is not None:  # their nodes hash by identity (as micrograd's do): no id() call
            try:
                return self._judge_steps_in_turn(table.get) or self._judge_log(table.get)
            except TypeError:  # something else their code wrote a grad on cannot be hashed
                self.step_nodes, self.places, self.finished = [], [], bytearray()
        index = g.index

        def by_id(key: Any, default: int) -> int:
            return index.get(id(key), default)

        return self._judge_steps_in_turn(by_id) or self._judge_log(by_id)

    def _judge_steps_in_turn(
        self, number: Callable[[Any, int], int]
    ) -> tuple[Sequence[Step], Mismatch | None] | None:
        """``judge_steps`` where no step ran inside another (micrograd, the lecture): step by step,
        each step's writes found from where it began and ended (``Recording.starts``/``ends``),
        the log read only where a step wrote something other than its operands' grads, or where
        something was written between steps. None, having changed nothing, where steps nest."""
        g, rec = self.graph, self.rec
        starts, ends, log = rec.starts, rec.ends, rec.log
        count = len(starts)
        if rec.timed_out or len(ends) != count:
            return None
        compiled = speedups.compiled
        table = self.graph._by_node
        nodes: Sequence[int]
        places: Sequence[int]
        if compiled is not None and table is not None and number == table.get:
            # each step's node and where it began (the number of the triple), in C
            nodes, places = array("q", [0]) * count, array("q", [0]) * count
            in_turn = compiled.steps_in_turn(log, _q(starts), _q(ends), table, END, nodes, places)
            if in_turn is None:
                return None
            finished = in_turn
        else:
            # each step ends before the next begins: 0 <= starts[0] < ends[0] < ends[0] + 3 <= starts[1]
            if count and (
                starts[0] < 0
                or not all(map(operator.lt, starts, ends))
                or not all(map(operator.le, map((3).__add__, itertools.islice(ends, count - 1)), starts[1:]))
            ):
                return None
            # each step's node, where it began (the number of the triple), whether it returned
            began = map(log.__getitem__, map((1).__add__, starts))
            nodes = array("q", map(number, began, itertools.repeat(-1)))
            places = array("q", map((3).__rfloordiv__, starts))
            finished = bytearray(map(operator.is_, map(log.__getitem__, ends), itertools.repeat(END)))
        self.step_nodes, self.places, self.finished = nodes, places, finished
        self._number = number
        operands, objects, ops, data, output = g.operands, g.objects, g.ops, g.data, g.output
        # the running state as arrays: indexed here as lists, read by the compiled loop as C arrays
        cur = array("d", rec.initial) if compiled is None else compiled.doubles(rec.initial)
        pending = self._uses()
        first_step = array("q", [-1]) * g.size
        grads = array("d", [0.0]) * count
        # None where the step wrote each of its operands' grads (judge reads them from the writes)
        befores: list[tuple[float, ...] | None] = [None] * count
        judged: dict[int, Step] = {}
        first: Mismatch | None = None
        previous = 0
        if compiled is not None:
            codes, locals_ = self._tables()
            arity, first_of, second_of, values = self._flat()
            starts_q, ends_q = _q(starts), _q(ends)
        s = -1
        while s + 1 < count:
            s += 1
            if compiled is not None:  # the steps that are surely right, in C; this loop does the others
                s, previous = compiled.screen_steps(
                    s, previous, nodes, starts_q, ends_q, finished, log, objects, arity, first_of,
                    second_of, codes, values, locals_, output, cur, pending, first_step, grads, befores,
                )  # fmt: skip
                if s == count:
                    break
            v, p, q, done = nodes[s], starts[s], ends[s], finished[s]
            if p > previous:  # writes between steps
                problem = self._between(previous, p, cur, s, number)
                first = first or problem
            previous = q + 3
            w = p + 3  # the step's first write
            if v < 0:  # a step of an object outside the graph
                befores[s] = ()
                self._apply(w, q, cur, number)
                continue
            ins = operands[v]
            grad_v = cur[v]
            grads[s] = grad_v
            repeat = first_step[v] >= 0
            if not repeat:
                first_step[v] = s
                for j in ins:
                    pending[j] -= 1
            waiting = pending[v]
            # the step's writes, applied to the running grads: its two operands' (in either order,
            # screened here when the step is a + or a * with nothing else to look at), or any others
            if q - w == 6 and len(ins) == 2 and ins[0] != ins[1]:
                a, b = ins
                key = log[w]
                if key is objects[a] and log[w + 3] is objects[b]:
                    o1, n1, o2, n2 = log[w + 1], log[w + 2], log[w + 4], log[w + 5]
                elif key is objects[b] and log[w + 3] is objects[a]:
                    o2, n2, o1, n1 = log[w + 1], log[w + 2], log[w + 4], log[w + 5]
                else:
                    o1 = n1 = None
                    befores[s] = (cur[a], cur[b])
                if n1 is not None:
                    n1 = n1 if n1.__class__ is float else _num(n1)
                    n2 = n2 if n2.__class__ is float else _num(n2)
                    cur[a] = n1
                    cur[b] = n2
                    op = ops[v]
                    if done and not repeat and waiting <= 0 and v != output and (op is ADD or op is MUL):
                        if op is ADD:
                            due_a = due_b = grad_v
                        else:
                            due_a, due_b = data[b] * grad_v, data[a] * grad_v
                        sent_a = n1 - (o1 if o1.__class__ is float else _num(o1))
                        sent_b = n2 - (o2 if o2.__class__ is float else _num(o2))
                        if _near(sent_a, due_a) and _near(sent_b, due_b):
                            continue  # right: what the screen would find, without a call
                else:
                    self._apply(w, q, cur, number)
            elif q - w == 3 and len(ins) == 1 and log[w] is objects[ins[0]]:
                new = log[w + 2]
                cur[ins[0]] = new if new.__class__ is float else _num(new)
            else:
                befores[s] = tuple([cur[j] for j in ins])
                if q > w:
                    self._apply(w, q, cur, number)
            if not done:
                continue  # the step that raised: its writes count, but it is not judged
            suspect, mine = self._screen(s, v, grad_v, waiting, repeat, w, q, False)
            if suspect:
                step = judged[s] = self._judge_suspect(s, v, grad_v, befores[s], mine, repeat, first_step)
                first = first or step.problem
        if len(log) > previous:
            problem = self._between(previous, len(log), cur, count, number)
            first = first or problem
        error = self.error_problem()
        return _Steps(self, grads, befores, judged), first or error

    def _apply(self, p: int, q: int, cur: MutableSequence[float], number: Callable[[Any, int], int]) -> None:
        """The writes in ``log[p:q]``, applied to the running grads."""
        log = self.rec.log
        for i in range(p, q, 3):
            j = number(log[i], -1)
            if j >= 0:
                cur[j] = _num(log[i + 2])

    def _between(
        self, p: int, q: int, cur: MutableSequence[float], done: int, number: Callable[[Any, int], int]
    ) -> Mismatch | None:
        """The writes in ``log[p:q]``, outside any step (``done`` steps had begun): applied, and
        the first of them that is a problem."""
        log = self.rec.log
        first: Mismatch | None = None
        for i in range(p, q, 3):
            j = number(log[i], -1)
            if j >= 0:
                value = _num(log[i + 2])
                if first is None:
                    first = self.outside(j, cur[j], value, done)
                cur[j] = value
        return first

    def _judge_log(self, number: Callable[[Any, int], int]) -> tuple[Sequence[Step], Mismatch | None]:
        """``judge_steps`` with ``number(obj, -1)`` giving their node's number, -1 for anything else."""
        g, rec = self.graph, self.rec
        self._number = number
        operands = g.operands
        log = rec.log
        cur = list(rec.initial)
        # pending[j]: uses of j by consumers whose step has not begun (an order check per step)
        pending = self._uses()
        first_step = [-1] * g.size
        nodes: list[int] = []
        places: list[int] = []
        self.step_nodes, self.places = nodes, places
        finished = self.finished
        grads: list[float] = []
        befores: list[tuple[float, ...]] = []
        judged: dict[int, Step] = {}
        first: Mismatch | None = None
        first_at = len(log)
        stack: list[tuple[int, int, int]] = []  # the steps running, innermost last: (step, waiting, place)
        nested: set[int] = set()  # steps inside which another step ran
        it = iter(log)
        at = -1
        for key, old, new in zip(it, it, it, strict=False):  # a hung backward may stop mid-triple
            at += 1
            j = number(key, -1)
            if j >= 0:  # a write of a node's grad
                nw = new if new.__class__ is float else _num(new)
                if not stack and at < first_at:
                    problem = self.outside(j, cur[j], nw, len(nodes))
                    if problem is not None:
                        first, first_at = problem, at
                cur[j] = nw
                continue
            if key is START:
                s = len(nodes)
                v = number(old, -1)
                nodes.append(v)
                places.append(at)
                finished.append(0)
                if stack:
                    nested.add(stack[-1][0])
                if v < 0:  # a step of an object outside the graph
                    grads.append(0.0)
                    befores.append(())
                    stack.append((s, 0, at))
                    continue
                ins = operands[v]
                grads.append(cur[v])
                befores.append((cur[ins[0]], cur[ins[1]]) if len(ins) == 2 else tuple([cur[j] for j in ins]))
                if first_step[v] < 0:
                    first_step[v] = s
                    for j in ins:
                        pending[j] -= 1
                stack.append((s, pending[v], at))
                continue
            if key is ABORT:
                if stack:
                    stack.pop()  # the step that raised: its writes count, but it is not judged
                continue
            if key is not END or not stack:
                continue  # a write of an object outside the graph
            s, waiting, start = stack.pop()
            finished[s] = 1
            v = nodes[s]
            if v < 0:
                continue
            grad_v = grads[s]
            repeat = first_step[v] != s
            suspect, mine = self._screen(s, v, grad_v, waiting, repeat, 3 * start + 3, 3 * at, s in nested)
            if suspect:
                step = judged[s] = self._judge_suspect(s, v, grad_v, befores[s], mine, repeat, first_step)
                if step.problem is not None and places[s] < first_at:
                    first, first_at = step.problem, places[s]
        error = self.error_problem()
        return _Steps(self, grads, befores, judged), first or error

    def _judge_suspect(
        self,
        s: int,
        v: int,
        grad_v: float,
        before: tuple[float, ...] | None,
        mine: list[Any] | None,
        repeat: bool,
        first_step: Sequence[int],
    ) -> Step:
        """``judge`` for step ``s``, which ``_screen`` found suspect (``mine``: its own writes, if the
        screen gathered them)."""
        writes = self.own_writes(s) if mine is None else mine
        return self.judge(s, v, grad_v, before, writes, first_step[v] if repeat else None, first_step)

    def _screen(
        self, s: int, v: int, grad_v: float, waiting: int, repeat: bool, p: int, end: int, nested: bool
    ) -> tuple[bool, list[Any] | None]:
        """Step ``s`` (node ``v``) screened with plain arithmetic: True when ``judge`` may find a
        problem in it (the same tests). Its writes are ``log[p:end]`` when no step ran inside it;
        the list of its own writes when they had to be gathered."""
        g, log, objects = self.graph, self.rec.log, self.graph.objects
        ins = g.operands[v]
        suspect = (v == g.output and grad_v != 1.0 and not close(grad_v, 1.0)) or (repeat and bool(ins))
        mine: list[Any] | None = None
        if suspect:
            return True, None
        count = end - p
        if not ins:  # a leaf's step sends nothing: only a write is suspect
            if nested or count:
                mine = self.own_writes(s)
                return self._sent(mine, (-1,))[2], mine
            return False, None
        if waiting > 0:
            return True, None
        op, data = g.ops[v], g.data
        if len(ins) == 2:
            a, b = ins
            first_key = log[p] if count == 6 and a != b else None
            if first_key is objects[a] and log[p + 3] is objects[b]:
                o1, n1, o2, n2 = log[p + 1], log[p + 2], log[p + 4], log[p + 5]
            elif first_key is objects[b] and log[p + 3] is objects[a]:  # b's grad written first
                o2, n2, o1, n1 = log[p + 1], log[p + 2], log[p + 4], log[p + 5]
            else:
                o1 = None
            if o1 is not None:
                o1, n1, o2, n2 = _num(o1), _num(n1), _num(o2), _num(n2)
                sent_a, sent_b = n1 - o1, n2 - o2
                scale_a, scale_b = max(abs(o1), abs(n1)), max(abs(o2), abs(n2))
            else:
                mine = self.own_writes(s)
                sent_a, sent_b, suspect, scale_a, scale_b = self._sent(mine, ins)
                if suspect:
                    return True, mine
            if op is ADD:
                local_a = local_b = 1.0
            elif op is MUL:
                local_a, local_b = data[b], data[a]
            else:
                assert op is not None
                local_a, local_b = op.local((data[a], data[b]), data[v], g.params[v])
            if a == b:  # a + a: both uses' contributions in one
                return not _sent_close(sent_a, (local_a + local_b) * grad_v, scale_a), mine
            due_a, due_b = local_a * grad_v, local_b * grad_v
            return not (_sent_close(sent_a, due_a, scale_a) and _sent_close(sent_b, due_b, scale_b)), mine
        a = ins[0]
        if count == 3 and log[p] is objects[a]:
            o1, n1 = _num(log[p + 1]), _num(log[p + 2])
            sent_a, scale_a = n1 - o1, max(abs(o1), abs(n1))
        else:
            mine = self.own_writes(s)
            sent_a, _, suspect, scale_a, _ = self._sent(mine, ins)
            if suspect:
                return True, mine
        assert op is not None
        due_a = op.local((data[a],), data[v], g.params[v])[0] * grad_v
        return not _sent_close(sent_a, due_a, scale_a), mine

    def _uses(self) -> array[int]:
        """pending[j]: uses of j by consumers (the output depends on) whose step has not begun;
        at first, every such use (an order check per step)."""
        g = self.graph
        compiled = speedups.compiled
        pending = array("q", [0]) * g.size
        if compiled is not None:
            self._reused = bool(compiled.uses(self._flat(), g.operands, g.reachable, pending))
            return pending
        for ins in itertools.compress(g.operands, g.reachable):
            for j in ins:
                pending[j] += 1
        self._reused = max(pending, default=0) > 1
        return pending

    def _sent(self, mine: list[Any], ins: tuple[int, ...]) -> tuple[float, float, bool, float, float]:
        """What one step sent its (up to two) operands, summed over its writes; True when it also
        changed the grad of a node that is not its operand; each operand's grad before and after,
        the larger in magnitude (``_sent_close``)."""
        delta: dict[int, float] = {}
        old_of: dict[int, float] = {}
        new_of: dict[int, float] = {}
        for i in range(0, len(mine), 3):
            j, o, nw = mine[i], mine[i + 1], mine[i + 2]
            if j not in old_of:
                old_of[j] = o
            new_of[j] = nw
            delta[j] = delta.get(j, 0.0) + (nw - o)
        stray = any(j not in ins and not close(old_of[j], new_of[j]) for j in new_of)

        def scale(j: int) -> float:
            return max(abs(old_of[j]), abs(new_of[j])) if j in old_of else 0.0

        return delta.get(ins[0], 0.0), delta.get(ins[-1], 0.0), stray, scale(ins[0]), scale(ins[-1])

    def own_writes(self, s: int) -> list[Any]:
        """Step ``s``'s own writes (``j, old, new, ...``): those made while it was the innermost step."""
        log = self.rec.log
        number = self._number
        mine: list[Any] = []
        depth = 0
        for i in range(3 * self.places[s] + 3, len(log), 3):
            key = log[i]
            if key is START:
                depth += 1
            elif key is END or key is ABORT:
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0:
                j = number(key, -1)
                if j >= 0:
                    mine += (j, _num(log[i + 1]), _num(log[i + 2]))
        return mine

    def step_detail(
        self, s: int, grads: Sequence[float], befores: Sequence[tuple[float, ...] | None]
    ) -> Step:
        """Step ``s`` as a ``Step``, when it was screened as right and someone asks for it."""
        v = self.step_nodes[s]
        if v < 0:
            return Step(s + 1, 0, 0.0, 0.0, (), (), None)
        if not self.finished[s]:
            return Step(s + 1, v, grads[s], self.truth[v], (), (), self.error_problem())
        # screened right: no order problem to find again
        return self.judge(s, v, grads[s], befores[s], self.own_writes(s), None, None)

    def outside(self, j: int, previous: float, value: float, done: int) -> Mismatch | None:
        """A write outside any step (``done`` steps had begun) may itself be a problem."""
        g = self.graph
        if done == 0 and (j == g.output or close(value, 0.0)):
            return None  # the seed, or zeroing before the first step
        if close(previous, value):
            return None
        name = self.names[j]
        when = "before the first step" if done == 0 else f"after step {done}, outside any node's _backward"
        return Mismatch(
            "stray",
            None,
            None,
            name,
            previous,
            value,
            f"{when}, your backward changed {self.g(j)} from {format_number(previous)} to "
            f"{format_number(value)}",
            None,
            j,
        )

    def judge(
        self,
        s: int,
        v: int,
        grad_v: float,
        before_step: tuple[float, ...] | None,
        mine: list[Any],
        repeat: int | None,
        first_step: Sequence[int] | None,
    ) -> Step:
        """Step ``s`` (node ``v``, whose grad was ``grad_v`` when it began, its operands' grads
        ``before_step``, None where the step wrote each of them) with its own writes ``mine``
        (``j, old, new, ...``) as a ``Step``.

        ``repeat`` is the step where ``v``'s step first ran, if this is not it; ``first_step`` the
        first step of every node (-1 for none yet), to find consumers whose step had not begun (None:
        no order check).
        """
        g = self.graph
        if before_step is None:  # each operand's grad was written: its first write says what it held
            befores = dict.fromkeys(g.operands[v], 0.0)
        else:
            befores = dict(zip(g.operands[v], before_step, strict=True))
        delta: dict[int, float] = {}
        old_of: dict[int, float] = {}
        new_of: dict[int, float] = {}
        for i in range(0, len(mine), 3):
            j, o, nw = mine[i], mine[i + 1], mine[i + 2]
            if j not in old_of:
                old_of[j] = o
            new_of[j] = nw
            delta[j] = delta.get(j, 0.0) + (nw - o)
        number = s + 1
        name = self.names[v]
        problem: Mismatch | None = None
        if v == g.output and not close(grad_v, 1.0):
            problem = Mismatch(
                "seed",
                number,
                name,
                None,
                1.0,
                grad_v,
                f"the output {name}'s grad was {format_number(grad_v)} when its step ran, not 1: "
                f"set {self.g(v)} = 1 before the first step",
                v,
            )
        operands = g.operands[v]
        if problem is None and operands:
            if repeat is not None:
                problem = Mismatch(
                    "order",
                    number,
                    name,
                    None,
                    self.truth[v],
                    grad_v,
                    f"{name}'s _backward ran a second time (first at step {repeat + 1}): its operands "
                    "receive its grad twice (build the topological order with a visited set)",
                    v,
                )
            else:
                waiting = (
                    [c for c in g.consumers(v) if not 0 <= first_step[c] <= s]
                    if first_step is not None
                    else []
                )
                if waiting:
                    c = waiting[0]
                    problem = Mismatch(
                        "order",
                        number,
                        name,
                        None,
                        self.truth[v],
                        grad_v,
                        f"{name}'s step ran before the step of {self.names[c]}, which uses it: {self.g(v)} "
                        f"was {format_number(grad_v)}, "
                        + (
                            f"not yet its whole grad {format_number(self.truth[v])}"
                            if not close(grad_v, self.truth[v])
                            else "its whole grad only because the rest happens to be 0"
                        )
                        + " (run the steps in reverse topological order)",
                        v,
                    )
        contributions: list[Contribution] = []
        if operands:
            locals_ = self.locals(v)
            per: dict[int, list[float]] = {}
            for j, local in zip(operands, locals_, strict=True):
                per.setdefault(j, []).append(local)
            op = g.ops[v]
            assert op is not None
            for slot, j in enumerate(operands):
                if j in [c.operand for c in contributions]:
                    continue
                local = sum(per[j])
                expected = local * grad_v
                got = delta.get(j, 0.0)
                before = old_of.get(j, befores.get(j, 0.0))
                after = new_of.get(j, before)
                contribution = Contribution(
                    j,
                    len(per[j]),
                    local,
                    expected,
                    got,
                    before,
                    after,
                    op,
                    slot,
                    g.params[v],
                    tuple(per[j]),
                    grad_v,
                )
                contributions.append(contribution)
                if problem is None and not contribution.ok:
                    problem = self.contribution_problem(number, v, contribution, per[j], grad_v)
        strays = tuple(
            (j, old_of[j], new_of[j]) for j in new_of if j not in befores and not close(old_of[j], new_of[j])
        )
        if problem is None and strays:
            j, old, new = strays[0]
            problem = Mismatch(
                "stray",
                number,
                name,
                self.names[j],
                old,
                new,
                (
                    f"{name}'s step changed its own grad, {self.g(j)}, from {format_number(old)} to "
                    f"{format_number(new)}: a step only adds to its operands' grads"
                    if j == v
                    else f"{name}'s step changed {self.g(j)} from {format_number(old)} to "
                    f"{format_number(new)}, but {self.names[j]} is not an operand of {name}"
                ),
                v,
                j,
            )
        return Step(number, v, grad_v, self.truth[v], tuple(contributions), strays, problem)

    def g(self, k: int) -> str:
        """``x.grad``, ``(x*w).grad``: node ``k``'s grad as written in a message."""
        name = self.names[k]
        return f"{name}.grad" if self.names.bare(k) else f"({name}).grad"

    def contribution_problem(
        self, number: int, v: int, c: Contribution, locals_: list[float], grad_v: float
    ) -> Mismatch:
        name, operand = self.names[v], self.names[c.operand]
        expected_after = c.before + c.expected
        if close(c.got, 0.0):
            return Mismatch(
                "missing",
                number,
                name,
                operand,
                expected_after,
                c.after,
                f"{name}'s step sent nothing to {operand}; the chain rule sends {c.formula}, times "
                f"{self.g(v)}: {c.arithmetic}",
                v,
                c.operand,
            )
        singles = [local * grad_v for local in locals_]
        lost = close(c.after, c.expected) or (c.uses > 1 and any(close(c.after, x) for x in singles))
        if lost and (not close(c.before, 0.0) or c.uses > 1):
            held = (
                f"what it held ({format_number(c.before)}) was lost"
                if not close(c.before, 0.0)
                else f"{name} uses {operand} {c.uses} times and only one use's contribution is left"
            )
            return Mismatch(
                "overwrite",
                number,
                name,
                operand,
                expected_after,
                c.after,
                f"{name}'s step set {self.g(c.operand)} to {format_number(c.after)}: {held}; grads "
                f"accumulate (+=, not =): {format_number(c.before)} + "
                f"{format_number(c.expected)} = {format_number(expected_after)}",
                v,
                c.operand,
            )
        return Mismatch(
            "local",
            number,
            name,
            operand,
            expected_after,
            c.after,
            f"{name}'s step sent {format_number(c.got)} to {operand}; the chain rule sends "
            f"{c.formula}, times {self.g(v)}: {c.arithmetic}",
            v,
            c.operand,
        )

    def error_problem(self) -> Mismatch | None:
        rec = self.rec
        last = self.finished.rfind(0)  # the step that raised, if any (the innermost, which began last)
        s = last if last >= 0 else None
        node = self.step_nodes[s] if s is not None else -1
        name = self.names[node] if node >= 0 else None
        step = None if s is None else s + 1
        if rec.timed_out:
            where = f" (it was in step {step}, {name}'s _backward)" if name else ""
            return Mismatch(
                "error",
                step,
                name,
                None,
                None,
                None,
                f"your backward() did not return within {format_number(TIMEOUT)} s{where}: is there a loop "
                "that never ends?",
                node if node >= 0 else None,
            )
        error = rec.error
        if error is None:
            return None
        at = where_raised(error)
        inside = f" in {name}'s _backward (step {step})" if name else " in backward()"
        return Mismatch(
            "error",
            step,
            name,
            None,
            None,
            None,
            f"your code raised {type(error).__name__}: {error}{inside}" + (f" at {at}" if at else ""),
            node if node >= 0 else None,
            traceback=their_traceback(error),
        )

    def after_backward(self, steps: Sequence[Step]) -> list[Mismatch]:
        """Steps that never ran but should have sent something; then final grads that still differ."""
        g, rec = self.graph, self.rec
        if rec.error is not None or rec.timed_out:
            return []
        found: list[Mismatch] = []
        if rec.stepwise:
            # nodes the output depends on that have operands, and whose step never ran
            compiled = speedups.compiled
            if compiled is not None:
                never: list[int] = compiled.never_ran(g.reachable, self._flat(), g.operands, self.step_nodes)
            else:
                computed = map(operator.and_, g.reachable, map(bool, g.operands))
                ran = set(itertools.compress(range(g.size), computed)).difference(self.step_nodes)
                never = sorted(ran, reverse=True)
            for v in never:
                for j, local in zip(g.operands[v], self.locals(v), strict=True):
                    if not close(local * self.truth[v], 0.0):
                        found.append(
                            Mismatch(
                                "missing",
                                None,
                                self.names[v],
                                self.names[j],
                                self.truth[j],
                                rec.final[j],
                                f"{self.names[v]}'s _backward never ran, so {self.names[j]} never got its "
                                f"contribution {format_number(local * self.truth[v])}",
                                v,
                                j,
                            )
                        )
                        break
                if found:
                    break
        final, expected_grads = rec.final, self.expected_grads()
        for k in _maybe_differing(final, expected_grads):
            got, expected = final[k], expected_grads[k]
            if got != expected and not _near(got, expected) and not close(got, expected):
                name = self.names[k]
                kind: Kind = "missing" if close(rec.final[k], 0.0) else "local"
                found.append(
                    Mismatch(
                        kind,
                        None,
                        name,
                        None,
                        expected,
                        rec.final[k],
                        f"{name}'s final grad is {format_number(rec.final[k])}, the chain rule's is "
                        f"{format_number(expected)}",
                        k,
                    )
                )
                break
        return found

    def blind_spots(self) -> list[str]:
        """What this graph cannot reveal, whatever the engine."""
        g = self.graph
        notes: list[str] = []
        reused = self._reused
        if reused is None:
            used = list(itertools.chain.from_iterable(itertools.compress(g.operands, g.reachable)))
            reused = len(set(used)) < len(used)
        if not reused:  # no node is an operand twice
            notes.append(
                "no node is used twice, so `=` where `+=` belongs cannot show here "
                "(try a file where one node feeds two ops, as examples/shared.gs)"
            )
        compiled = speedups.compiled
        if compiled is not None:
            zero = compiled.zero_inputs(self._flat(), g.operands, self._tables()[0], g.reachable)
            zeros = [self.names[k] for k in zero]
        else:  # inputs (nodes without an op) that are 0: few, if any, so found before the products are
            zero = [
                k
                for k in itertools.compress(range(g.size), map((0.0).__eq__, g.data))
                if g.reachable[k] and g.ops[k] is None
            ]
            zeros = []
            if zero:
                products = map(operator.and_, g.reachable, map(operator.is_, g.ops, itertools.repeat(MUL)))
                in_products = set(itertools.chain.from_iterable(itertools.compress(g.operands, products)))
                zeros = [self.names[k] for k in zero if k in in_products]
        if zeros:
            shown = ", ".join(zeros[:5]) + (" ..." if len(zeros) > 5 else "")
            notes.append(
                f"an input is 0 ({shown}): a product with it sends 0 to its other operand, so a wrong "
                "derivative there cannot show"
            )
        return notes


class _Nodes(Lazy[NodeGrad]):
    """Every node's ``NodeGrad``, made when asked for (a big graph has a hundred thousand)."""

    def __init__(
        self, graph: ForeignGraph, names: Sequence[str], expected: list[float], got: list[float]
    ) -> None:
        self._data = graph.data
        self._names = names
        self._expected = expected
        self._got = got

    def __len__(self) -> int:
        return len(self._data)

    def _item(self, index: int) -> NodeGrad:
        return NodeGrad(index, self._names[index], self._data[index], self._expected[index], self._got[index])


class _Steps(Lazy[Step]):
    """Their steps as ``Step`` values, made when asked for (and kept): see ``judge_steps``."""

    def __init__(
        self,
        judge: _Judge,
        grads: Sequence[float],
        befores: Sequence[tuple[float, ...] | None],
        judged: dict[int, Step],
    ) -> None:
        self._judge = judge
        self._grads = grads
        self._befores = befores
        self._made = judged

    def __len__(self) -> int:
        return len(self._grads)

    def _item(self, index: int) -> Step:
        step = self._made.get(index)
        if step is None:
            step = self._made[index] = self._judge.step_detail(index, self._grads, self._befores)
        return step

    def failing(self) -> list[int]:
        """The 0-based positions of the steps with a problem."""
        return sorted(k for k, step in self._made.items() if step.problem is not None)


def _q(positions: Sequence[int]) -> array[int]:
    """Positions as an array('q'), for the compiled loops: the recording's own where it is one."""
    return positions if isinstance(positions, array) and positions.typecode == "q" else array("q", positions)


def _maybe_differing(got: list[float], expected: list[float]) -> Iterator[int]:
    """The nodes whose two numbers may not be close: every node, or where the compiled loop looks
    first, only those it cannot pass (not both floats, or not close)."""
    compiled = speedups.compiled
    if compiled is None:
        yield from range(len(got))
        return
    k = compiled.first_differing(got, expected, 0)
    while k < len(got):
        yield k
        k = compiled.first_differing(got, expected, k + 1)


def _sent_close(sent: float, due: float, scale: float) -> bool:
    """What a step sent an operand (its grad after the step less its grad before) beside what the
    chain rule sends: ``close``, or within the rounding of that subtraction, at most a few units in
    the last place of the grad (``scale``, the larger of the two). Without it a right step reads as
    wrong where the grad is ten million times what one step sends (1e10 beside 866: the difference
    is rounded by 2e-6, 2e-9 of it)."""
    if sent == due or close(sent, due):
        return True
    return math.isfinite(scale) and abs(sent - due) <= SUBTRACTION_ULPS * math.ulp(scale)


def _near(a: float, b: float) -> bool:
    """Surely within the tolerance (``close``): equal, or finite and near. False for NaN and for
    what is not near, which the exact test then decides."""
    if a == b:
        return True
    d = a - b if a > b else b - a
    m = a if a > 0 else -a
    n = b if b > 0 else -b
    return d <= 1e-12 or d <= 1e-9 * (m if m > n else n)


def _is_bare(name: str) -> bool:
    """A name that reads as one thing before ``.grad``: ``x``, ``#5``, ``tanh(n)``; not ``x*w``."""
    return name.startswith("#") or name.isidentifier() or (name[:1].isalpha() and name.endswith(")"))


def _num(x: Any) -> float:
    if x is None:
        return 0.0
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


__all__ = [
    "KINDS",
    "Contribution",
    "Kind",
    "Mismatch",
    "NodeGrad",
    "Step",
    "Verdict",
    "check",
    "check_file",
    "node_names",
]
