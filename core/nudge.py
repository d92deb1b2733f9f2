"""The derivative as the lecture first shows it: nudge a value by ``h`` and watch the output move.

``nudge`` moves one node (a leaf or an intermediate one, whose inputs are then held) and
recomputes only the nodes that depend on it, with the op table's forward functions, in creation
order (a topological order: no recursion). ``gradcheck`` compares every leaf's grad with a central
difference ``(L(x+h) - L(x-h)) / 2h``, as PyTorch's ``gradcheck`` does, and says where a leaf sits
on a kink (``relu`` at 0), where no derivative exists to compare.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import compress
from typing import Any

from .ops import RELU, format_number
from .trace import Trace

NUDGE_H = 0.001
"""The debugger's default nudge, the lecture's ``h``."""

GRADCHECK_H = 1e-6
"""The central difference's step (PyTorch's ``eps``): its error is about h**2 (the function's
curvature) plus 1e-16/h (rounding), so about 1e-10 for well-scaled values."""

RTOL = 1e-3
ATOL = 1e-5
"""A leaf agrees when ``|grad - numeric| <= ATOL + RTOL * |numeric|`` (PyTorch's defaults)."""

Rebuild = Callable[[Mapping[int, float]], float]
"""Another way to compute the output with some leaves moved: given ``{leaf id: new value}``, the
output's value. ``gradcheck`` uses the trace's own forward functions unless given one (to check an
engine by rebuilding the file with its own class, say)."""


class ForwardFailure(ArithmeticError):
    """The nudged forward pass left an op's domain (``log`` of a negative, a division by 0)."""

    def __init__(self, node: int, message: str) -> None:
        super().__init__(message)
        self.node = node


def recompute(trace: Trace, changes: Mapping[int, float]) -> tuple[list[float], bytearray]:
    """Every node's value with the nodes in ``changes`` set to the given values.

    A changed node holds its own inputs (nothing upstream of it moves); every node that depends on
    a changed one is recomputed from its inputs by its op, in creation order, and marked in the
    returned mask. Raises ``ForwardFailure`` where an op cannot compute its value.
    """
    data = trace.data.tolist()
    moved = bytearray(trace.size)
    if not changes:
        return data, moved
    for i, value in changes.items():
        data[i] = value
        moved[i] = 1
    # What depends on the changed nodes: their consumers, theirs, ... (an explicit stack).
    out_start, out_edges, owner = trace.out_start, trace.out_edges, trace.edge_owner
    dependents: set[int] = set()
    stack = list(changes)
    while stack:
        i = stack.pop()
        for e in out_edges[out_start[i] : out_start[i + 1]]:
            j = owner[e]
            if j not in dependents and j not in changes:
                dependents.add(j)
                stack.append(j)
    ops, params, in_start, in_ids = trace.ops, trace.params, trace.in_start, trace.in_ids
    for i in sorted(dependents):  # creation order: operands before results
        op = ops[i]
        assert op is not None  # a consumer is computed
        args = tuple(data[j] for j in in_ids[in_start[i] : in_start[i + 1]])
        try:
            data[i] = op.forward(args, params[i])
        except (ArithmeticError, ValueError) as error:
            reason = str(error) or type(error).__name__
            raise ForwardFailure(i, f"{trace.name(i)} = {trace.expression(i)}: {reason}") from None
        moved[i] = 1
    return data, moved


@dataclass(frozen=True, slots=True)
class Nudge:
    """``(L(x+h) - L(x)) / h`` for node ``node`` beside its grad from backprop."""

    node: int
    h: float
    output: float
    """L(x): the output as recorded."""
    nudged: float
    """L(x+h): the output with the node moved by h (nan when the forward pass failed)."""
    grad: float
    """dL/dx from backprop (the final grad)."""
    error: str | None = None
    """Why L(x+h) could not be computed, or None."""

    @property
    def numeric(self) -> float:
        return (self.nudged - self.output) / self.h

    @property
    def difference(self) -> float:
        """numeric - grad: about h times the curvature for a smooth function."""
        return self.numeric - self.grad


def nudge(trace: Trace, node: int, h: float = NUDGE_H) -> Nudge:
    """Move ``node`` by ``h`` and recompute the output (only what depends on the node)."""
    if not (math.isfinite(h) and h != 0):
        raise ValueError("h must be a finite, non-zero number")
    output = trace.data[trace.output]
    try:
        data, _ = recompute(trace, {node: trace.data[node] + h})
    except ForwardFailure as failure:
        return Nudge(node, h, output, math.nan, trace.grad[node], str(failure))
    return Nudge(node, h, output, data[trace.output], trace.grad[node])


@dataclass(frozen=True, slots=True)
class LeafCheck:
    """One leaf's grad against its central difference."""

    node: int
    label: str
    grad: float
    numeric: float
    rel_error: float
    """|grad - numeric| / max(|grad|, |numeric|); 0 when both are 0."""
    ok: bool
    note: str | None = None
    """Set when the leaf could not be judged: it sits on a kink, or a nudge left an op's domain.
    Such a leaf is ``ok``: there is no derivative there to disagree with."""


@dataclass(frozen=True, slots=True)
class GradCheck:
    """The verdict of ``gradcheck``: every leaf, and whether all agree."""

    ok: bool
    h: float
    leaves: tuple[LeafCheck, ...]

    def to_json(self) -> dict[str, Any]:
        """``{"ok", "h", "leaves": [{"label", "grad", "numeric", "rel_error", "ok"}]}``; a leaf
        that could not be judged also has ``"note"``. Non-finite numbers are strings (``"nan"``)."""
        leaves = []
        for leaf in self.leaves:
            entry: dict[str, Any] = {
                "label": leaf.label,
                "grad": _number(leaf.grad),
                "numeric": _number(leaf.numeric),
                "rel_error": _number(leaf.rel_error),
                "ok": leaf.ok,
            }
            if leaf.note is not None:
                entry["note"] = leaf.note
            leaves.append(entry)
        return {"ok": self.ok, "h": self.h, "leaves": leaves}


def _number(x: float) -> float | str:
    return x if math.isfinite(x) else str(x)


def relative_error(grad: float, numeric: float) -> float:
    scale = max(abs(grad), abs(numeric))
    if scale == 0:
        return 0.0
    return abs(grad - numeric) / scale


def agrees(grad: float, numeric: float) -> bool:
    """PyTorch's test: ``|grad - numeric| <= ATOL + RTOL * |numeric|`` (both finite)."""
    return abs(grad - numeric) <= ATOL + RTOL * abs(numeric)


def leaves(trace: Trace) -> list[int]:
    """The graph's leaves in creation order, constants included (a grad reaches them too)."""
    return [i for i in range(trace.size) if trace.ops[i] is None]


def gradcheck(trace: Trace, h: float = GRADCHECK_H, rebuild: Rebuild | None = None) -> GradCheck:
    """Check every leaf's grad against ``(L(x+h) - L(x-h)) / 2h``.

    ``rebuild`` computes the output with a leaf moved (default: the trace's own op table). Kinks
    are found with the op table either way: a ``relu`` whose input reaches 0 between x-h and x+h
    has no derivative there, and its leaf is reported with a note instead of as a failure.
    """
    if not (math.isfinite(h) and h > 0):
        raise ValueError("h must be a finite number > 0")
    checks = []
    for i in leaves(trace):
        x = trace.data[i]
        grad = trace.grad[i]
        label = trace.name(i)
        note: str | None = None
        try:
            plus, moved = recompute(trace, {i: x + h})
            minus, _ = recompute(trace, {i: x - h})
            note = _kink(trace, moved, plus, minus)
            if rebuild is None:
                numeric = (plus[trace.output] - minus[trace.output]) / (2 * h)
            else:
                numeric = (rebuild({i: x + h}) - rebuild({i: x - h})) / (2 * h)
        except ForwardFailure as failure:
            numeric, note = math.nan, f"cannot nudge by ±h: {failure}"
        error = relative_error(grad, numeric) if math.isfinite(numeric) else math.nan
        finite = math.isfinite(grad) and math.isfinite(numeric)
        ok = note is not None or (finite and agrees(grad, numeric))
        checks.append(LeafCheck(i, label, grad, numeric, error, ok, note))
    return GradCheck(all(c.ok for c in checks), h, tuple(checks))


def _kink(trace: Trace, moved: bytearray, plus: list[float], minus: list[float]) -> str | None:
    """A note if a ``relu`` that moved with the leaf has its input at 0 within [x-h, x+h]."""
    for i in compress(range(trace.size), moved):  # the moved nodes only, found at C speed
        if trace.ops[i] is not RELU:
            continue
        j = trace.in_ids[trace.in_start[i]]
        values = (minus[j], trace.data[j], plus[j])
        if min(values) <= 0 <= max(values) and min(values) < max(values):
            where = "0" if trace.data[j] == 0 else f"{format_number(trace.data[j])}, within h of 0"
            return f"not differentiable here: relu's input {trace.name(j)} is {where}"
    return None
