"""Predict mode: the learner works out each contribution of backprop before it is shown.

Every backward step sends its node's grad to its operands, one edge at a time:
``operand.grad += local * node.grad``. The quiz asks for each edge's contribution (the ``?`` in
``b.grad += ?``) in timeline order, operands in order, checks the answer and keeps the score.
The cursor of the trace is the quiz's clock: a question is about the next backward step after it,
and a step is applied once all its edges were asked. Answers are read by ``evaluate_answer``, a
tiny evaluator over ``ast`` that knows numbers and ``+ - * / **``; nothing is ever executed.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .ops import format_number
from .trace import Trace, unwrap

MAX_ANSWER = 200
"""Characters in one answer. Longer text is refused before it is parsed."""

REL_TOL = 1e-6
"""An answer within this relative distance of the right value is right."""

ABS_TOL = 1e-12
"""...or within this absolute distance, so that a right value of 0 computed as 1e-17 accepts 0."""

NAMED_NUMBERS = {"inf": math.inf, "nan": math.nan}
"""Words an answer may use, because the app writes these numbers so."""


class AnswerError(ValueError):
    """An answer that is not a number or arithmetic on numbers. Not counted: the learner retypes."""


_BINARY: dict[type[ast.operator], Callable[[float, float], object]] = {
    ast.Add: lambda x, y: x + y,
    ast.Sub: lambda x, y: x - y,
    ast.Mult: lambda x, y: x * y,
    ast.Div: lambda x, y: x / y,
    ast.Pow: lambda x, y: x**y,
}
_UNARY: dict[type[ast.unaryop], Callable[[float], float]] = {ast.USub: lambda x: -x, ast.UAdd: lambda x: +x}
_SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


def evaluate_answer(text: str) -> float:
    """The number ``text`` writes: ``-2``, ``1e-3``, ``-2 * 3``, ``(7*2)``, ``2**-1``, ``inf``.

    Numbers, ``+ - * / **``, unary ``-``/``+`` and parentheses only; every number is a float, so
    ``9**9**9`` overflows at once instead of computing a huge integer. Raises ``AnswerError``
    with a sentence saying what is wrong.
    """
    text = text.strip()
    if not text:
        raise AnswerError("type a number, e.g. -2 or 7 * 2")
    if len(text) > MAX_ANSWER:
        raise AnswerError(f"an answer is at most {MAX_ANSWER} characters")
    if "^" in text:
        raise AnswerError("write powers with ** (2**3), not ^")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise AnswerError("not a number or arithmetic: use numbers, + - * / ** and ( )") from None
    # Post-order over an explicit stack: a node's value is computed once its operands' are.
    values: list[float] = []
    stack: list[tuple[ast.AST, bool]] = [(tree.body, False)]
    while stack:
        node, ready = stack.pop()
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise AnswerError(f"{node.value!r} is not a number")
            values.append(float(node.value))
        elif isinstance(node, ast.Name) and node.id in NAMED_NUMBERS:
            values.append(NAMED_NUMBERS[node.id])
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            if not ready:
                stack += [(node, True), (node.right, False), (node.left, False)]
                continue
            right, left = values.pop(), values.pop()
            values.append(_apply(_BINARY[type(node.op)], left, right, _SYMBOL[type(node.op)]))
        elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            if not ready:
                stack += [(node, True), (node.operand, False)]
                continue
            values.append(_UNARY[type(node.op)](values.pop()))
        else:
            raise AnswerError(_refusal(node))
    return values[0]


def _apply(function: Callable[[float, float], object], left: float, right: float, symbol: str) -> float:
    try:
        result = function(left, right)
    except ZeroDivisionError:
        raise AnswerError("division by zero") from None
    except OverflowError:
        raise AnswerError("a number too large for a float") from None
    if not isinstance(result, float):  # (-8) ** 0.5 is a complex number
        base = format_number(left) if left >= 0 else f"({format_number(left)})"
        raise AnswerError(f"{base} {symbol} {format_number(right)} is not a real number")
    return result


def _refusal(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return f"{node.id} is a name; answers are numbers (write the value, e.g. -3 not b)"
    if isinstance(node, ast.Call):
        return "no functions: write the number (numbers, + - * / ** and ( ) only)"
    if isinstance(node, ast.Attribute):
        return "no .data or .grad in an answer: write the number"
    return "not a number or arithmetic: use numbers, + - * / ** and ( )"


def is_right(answer: float, expected: float) -> bool:
    """Right within relative ``REL_TOL`` (or ``ABS_TOL``), or written as the app shows it (6
    significant digits: ``0.761594`` for ``tanh(1)``); ``inf`` and ``nan`` match themselves."""
    if math.isnan(expected) or math.isnan(answer):
        return math.isnan(expected) and math.isnan(answer)
    if answer == expected:
        return True
    if math.isinf(expected) or math.isinf(answer):
        return False
    if math.isclose(answer, expected, rel_tol=REL_TOL, abs_tol=ABS_TOL):
        return True
    return format_number(answer) == format_number(expected)


@dataclass(frozen=True, slots=True)
class Question:
    """``operand.grad += ?`` for edge ``edge`` of the backward step at event ``step``."""

    edge: int
    step: int
    node: int
    operand: int
    expected: float
    grad_before: float
    number: int
    """Which edge of its step, from 0 (``a + a`` asks edges 0 and 1 for one operand)."""
    of: int
    """How many edges the step has."""


Kind = Literal["right", "wrong", "skipped"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """What became of one question: its kind, the numbers compared, and a sentence."""

    kind: Kind
    question: Question
    answer: float | None
    explanation: str
    """The right value and its arithmetic: ``+14 from e: e.grad * a = 7 * 2``."""
    counted: bool
    """False for a question answered again after stepping back: only the first answer scores."""

    @property
    def sentence(self) -> str:
        q = self.question
        if self.kind == "right":
            return f"✓ right: {self.explanation}"
        if self.kind == "skipped":
            return f"skipped: the right value is {format_number(q.expected)} ({self.explanation})"
        assert self.answer is not None
        return (
            f"✗ {format_number(self.answer)} is wrong: the right value is "
            f"{format_number(q.expected)} ({self.explanation})"
        )


def _signed(x: float) -> str:
    return format_number(x) if x < 0 or math.isnan(x) else f"+{format_number(x)}"


def explain(trace: Trace, e: int) -> str:
    """Edge ``e``'s contribution with its arithmetic: ``+14 from e: e.grad * a = 7 * 2``.

    The same words as the inspector's ledger, so what the quiz teaches is what the debugger shows.
    """
    source = trace.name(trace.edge_owner[e])
    local = trace.local_expression(e, suffix="")
    upstream = trace.grad[trace.edge_owner[e]]
    contribution = trace.local[e] * upstream
    return (
        f"{_signed(contribution)} from {source}: {source}.grad * {local}"
        f" = {format_number(upstream)} * {format_number(trace.local[e])}"
    )


def hint(trace: Trace, e: int) -> str:
    """The local derivative's formula with the node names, not its numbers:
    ``dL/dd = f, so d.grad += f * L.grad``."""
    owner, operand = trace.edge_owner[e], trace.in_ids[e]
    local = trace.local_expression(e, suffix="")
    return (
        f"{trace.partial(owner, operand)} = {unwrap(local)}, so "
        f"{trace.ref(operand)}.grad += {local} * {trace.ref(owner)}.grad"
    )


@dataclass(frozen=True, slots=True)
class MissedOp:
    """Of the questions through op ``op``, ``wrong`` were missed (wrong or skipped) of ``asked``."""

    op: str
    wrong: int
    asked: int
    skipped: int

    def __str__(self) -> str:
        skipped = f" ({self.skipped} skipped)" if self.skipped else ""
        return f"{self.op}: {self.wrong} of {self.asked} wrong{skipped}"


class Quiz:
    """Predict mode over one trace: which question is next, the answers, and the score.

    The trace's cursor says where the quiz is: the pending question belongs to the first
    backward step with edges at or after the cursor. ``answer`` and ``skip`` move the cursor past
    that step once all its edges were asked; moving the cursor by other means (stepping back to
    try again) is fine, and only the first answer to each edge counts.
    """

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.results: dict[int, Verdict] = {}
        """The first verdict of every edge asked, by edge number, in the order asked."""
        self.hints = 0
        self._offset = 0
        self._offset_step: int | None = None

    def start(self) -> None:
        """Forward done and the seed set: the quiz begins where backprop's steps begin."""
        if self.trace.position <= self.trace.seed_index:
            self.trace.goto(self.trace.seed_index + 1)

    @property
    def total(self) -> int:
        """How many questions the whole backward pass asks: one per edge."""
        return len(self.trace.in_ids)

    def pending_step(self) -> int | None:
        """The event of the next backward step with edges at or after the cursor, or None."""
        trace = self.trace
        k = max(trace.position, trace.seed_index + 1)
        # Backward steps run from the output down; nodes with edges are the computed ones.
        node = trace.step_node(k) if k < len(trace) else -1
        while node >= 0 and trace.ops[node] is None:
            node -= 1
        return None if node < 0 else trace.backward_index(node)

    def question(self) -> Question | None:
        """The question on screen now, or None when backward has no more edges to ask."""
        step = self.pending_step()
        if step is None:
            return None
        if step != self._offset_step:  # the cursor moved to another step: start at its first edge
            self._offset_step, self._offset = step, 0
        trace = self.trace
        node = trace.step_node(step)
        edges = trace.edges(node)
        e = edges[self._offset]
        upstream = trace.grad[node]
        return Question(
            edge=e,
            step=step,
            node=node,
            operand=trace.in_ids[e],
            expected=trace.local[e] * upstream,
            grad_before=trace.before[e],
            number=self._offset,
            of=len(edges),
        )

    def answer(self, text: str) -> Verdict:
        """Check ``text`` against the pending question and move on. ``AnswerError`` (nothing
        changes) when it is not a number; ``LookupError`` when no question is left."""
        value = evaluate_answer(text)
        question = self._require()
        kind: Kind = "right" if is_right(value, question.expected) else "wrong"
        return self._record(question, kind, value)

    def skip(self) -> Verdict:
        """Give up on the pending question: it counts as asked and not right."""
        return self._record(self._require(), "skipped", None)

    def take_hint(self) -> str:
        """The pending question's local derivative as a formula (does not change the score)."""
        question = self._require()
        self.hints += 1
        return hint(self.trace, question.edge)

    def _require(self) -> Question:
        question = self.question()
        if question is None:
            raise LookupError("no question left: backward is done")
        return question

    def _record(self, question: Question, kind: Kind, value: float | None) -> Verdict:
        counted = question.edge not in self.results
        verdict = Verdict(kind, question, value, explain(self.trace, question.edge), counted)
        if counted:
            self.results[question.edge] = verdict
        self._offset += 1
        if self._offset == question.of:  # every edge asked: show the step
            self.trace.goto(question.step + 1)
            self._offset_step, self._offset = None, 0
            if self.pending_step() is None:
                self.trace.goto(len(self.trace))  # the leaves' last steps: backward is done
        return verdict

    @property
    def finished(self) -> bool:
        return self.pending_step() is None

    @property
    def right(self) -> int:
        return sum(v.kind == "right" for v in self.results.values())

    @property
    def asked(self) -> int:
        return len(self.results)

    @property
    def score(self) -> str:
        """``score K/N``: right first time of asked."""
        return f"score {self.right}/{self.asked}"

    def missed(self) -> list[MissedOp]:
        """Per op, the questions missed, ops in the order first asked; only ops with a miss."""
        table: dict[str, list[int]] = {}
        for verdict in self.results.values():
            counts = table.setdefault(self.trace.symbol(verdict.question.node), [0, 0, 0])
            counts[1] += 1
            counts[0] += verdict.kind != "right"
            counts[2] += verdict.kind == "skipped"
        return [MissedOp(op, wrong, asked, skipped) for op, (wrong, asked, skipped) in table.items() if wrong]
