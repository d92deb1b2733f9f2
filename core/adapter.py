"""Reading graphs built by other engines into gradstep's ``Value``.

``as_value`` accepts a gradstep ``Value`` as it is, and converts a micrograd graph (the ``micrograd``
package's ``Value``, or the lecture's version of it with ``tanh``, ``exp`` and ``label``) into a new
gradstep graph with the same numbers. The caller's objects are only read, never changed.

What micrograd records, and what gradstep reads from it:

* ``data``: taken as the node's value (converted to float), not recomputed, so every value is the
  one micrograd computed.
* ``_op``: ``+``, ``*``, ``**k`` (k parsed from the string), ``ReLU``, ``tanh``, ``exp``; ``''`` for a
  leaf. micrograd writes ``a - b`` as ``a + (b * -1)`` and ``a / b`` as ``a * b**-1``, so these
  cover its whole engine. Any other op raises ``UnsupportedGraph`` naming it.
* ``_prev``: a *set* of operands. A set cannot say how many times an operand is used, so arity
  comes from the op: ``+`` or ``*`` with a one-element set is ``a + a`` or ``a * a``. Nor can a
  set say which operand came first. ``+`` and ``*`` are commutative, so values and grads do not
  depend on the order, only the display does; gradstep puts the deeper operand first (the one with
  the longer path to a leaf), so a running sum reads ``acc + term`` and an expression times a
  constant reads ``e * -1``, as micrograd's own code writes them. Between operands of equal depth
  the labelled one goes first (by label), then unlabelled ones by ``id()``, which is stable within
  a run but not across runs (the only order a set of fresh objects leaves).
* ``label``: used where present.

Nodes are numbered operands first, by a depth-first walk from the output (as micrograd's own
``backward()`` sorts the graph, but taking operands in the order above rather than a set's). The
walks use explicit stacks, so a 100,000-deep chain converts. Grads are not copied: the debugger
recomputes them.
"""

from __future__ import annotations

from typing import Any

from .engine import Value, _result
from .ops import ADD, EXP, MUL, POW, RELU, TANH, Op

SUPPORTED = "+, *, **k, ReLU, tanh, exp"
"""The micrograd ops gradstep reads, for error messages."""

_UNARY: dict[str, Op] = {"ReLU": RELU, "relu": RELU, "tanh": TANH, "exp": EXP}
_BINARY: dict[str, Op] = {"+": ADD, "*": MUL}


class UnsupportedGraph(Exception):
    """A graph gradstep cannot read, with the reason (for example an op it does not know)."""


def as_value(graph: object) -> Value:
    """The output node of ``graph`` as a gradstep ``Value``; the caller's objects are not changed."""
    if isinstance(graph, Value):
        return graph
    if is_micrograd(graph):
        return from_micrograd(graph)
    raise UnsupportedGraph(f"cannot debug a {type(graph).__name__}: pass a gradstep or micrograd Value")


def is_micrograd(obj: object) -> bool:
    """True for anything shaped like micrograd's ``Value`` (``data``, ``_prev``, ``_op``).

    Duck-typed, so the ``Value`` class written in the lecture's notebook works as well as the
    package's.
    """
    return hasattr(obj, "data") and hasattr(obj, "_prev") and hasattr(obj, "_op")


def from_micrograd(root: Any) -> Value:
    """A new gradstep graph with the values, ops and labels of micrograd graph ``root``."""
    graph = _Graph(root)
    heights = [0] * len(graph.sources)
    first, second = graph.first, graph.second
    for k in graph.postorder():
        if first[k] >= 0:
            heights[k] = 1 + max(heights[first[k]], heights[second[k]] if second[k] >= 0 else 0)
    labels, sources = graph.labels, graph.sources
    for k in range(len(sources)):
        j, m = first[k], second[k]
        if m >= 0 and _operand_key(j, heights, labels, sources) > _operand_key(m, heights, labels, sources):
            first[k], second[k] = m, j
    made: list[Value | None] = [None] * len(sources)
    ops, params, data = graph.ops, graph.params, graph.data
    value: Value | None = None
    for k in graph.postorder():
        op = ops[k]
        if op is None:
            value = Value(data[k], labels[k])
        else:
            operand = made[first[k]]
            assert operand is not None
            other = made[second[k]] if second[k] >= 0 else None
            value = _result(data[k], op, operand, other, params[k])
            value.label = labels[k]
        made[k] = value
    assert value is not None
    return value


def _operand_key(
    k: int, heights: list[int], labels: list[str], sources: list[Any]
) -> tuple[int, int, str, int]:
    """Deeper first, then labelled before unlabelled and by label, then by ``id()`` (see the module doc)."""
    return (-heights[k], 0 if labels[k] else 1, labels[k], id(sources[k]))


class _Graph:
    """A micrograd graph read once into flat lists, nodes numbered as found (0 is the root).

    Lists of numbers rather than an object per node: the micrograd graph is large and full of
    reference cycles, so every object kept alive here would make the cycle collector walk it again.
    """

    def __init__(self, root: Any) -> None:
        self.sources: list[Any] = [root]
        self.ops: list[Op | None] = []
        self.params: list[float] = []
        self.first: list[int] = []
        self.second: list[int] = []
        self.data: list[float] = []
        self.labels: list[str] = []
        number: dict[int, int] = {id(root): 0}
        sources = self.sources
        ops, params, first, second = self.ops, self.params, self.first, self.second
        data, labels = self.data, self.labels
        checked: set[type] = set()
        parsed: dict[str, tuple[Op | None, float, tuple[int, ...]]] = {}
        k = 0
        while k < len(sources):  # the list grows as operands are found: a breadth-first walk
            source = sources[k]
            if type(source) not in checked:
                _check_type(source)
                checked.add(type(source))
            name = source._op
            known = parsed.get(name) if isinstance(name, str) else None
            if known is None:
                known = parsed[name] = _parse(name)
            op, param, arities = known
            operands = source._prev
            if len(operands) not in arities:
                _wrong_arity(name, len(operands), arities, source)
            j = m = -1
            for child in operands:
                slot = number.get(id(child))
                if slot is None:
                    slot = number[id(child)] = len(sources)
                    sources.append(child)
                if j < 0:
                    j = slot
                else:
                    m = slot
            if m < 0 and op is not None and op.arity == 2:
                m = j  # a + a: micrograd's set keeps one element for both uses
            ops.append(op)
            params.append(param)
            first.append(j)
            second.append(m)
            data.append(_number(source))
            labels.append(_label(source))
            k += 1

    def postorder(self) -> list[int]:
        """Operands before results: depth first from the root, first operand first, no recursion.

        A node can sit on the stack more than once (pushed by two consumers); it is expanded the
        first time it reaches the top and emitted when it is back on top with its operands done.
        Meeting a node that is expanded but not done means the graph loops back on itself.
        """
        expanded, done = 1, 2
        state = bytearray(len(self.sources))
        first, second = self.first, self.second
        order: list[int] = []
        stack = [0]
        while stack:
            k = stack[-1]
            seen = state[k]
            if not seen:
                state[k] = expanded
                for j in (second[k], first[k]):
                    if j >= 0:
                        if not state[j]:
                            stack.append(j)
                        elif state[j] == expanded:
                            raise UnsupportedGraph("the graph has a cycle: a node is its own operand")
            else:
                stack.pop()
                if seen == expanded:
                    state[k] = done
                    order.append(k)
        return order


def _check_type(source: Any) -> None:
    if not is_micrograd(source):
        raise UnsupportedGraph(f"an operand is a {type(source).__name__}, not a micrograd Value")


def _parse(name: object) -> tuple[Op | None, float, tuple[int, ...]]:
    """An op name as micrograd writes it: the op, its number parameter, the operand counts it allows."""
    if name == "":
        return None, 0.0, (0,)
    if not isinstance(name, str):
        raise UnsupportedGraph(f"gradstep cannot read op {name!r}: it reads {SUPPORTED}")
    if name in _BINARY:
        return _BINARY[name], 0.0, (1, 2)  # one operand: a + a, micrograd's set holds it once
    if name in _UNARY:
        return _UNARY[name], 0.0, (1,)
    if name.startswith("**"):
        try:
            exponent = float(name[2:])
        except ValueError:
            raise UnsupportedGraph(f"cannot read the exponent of op {name!r}: expected **k") from None
        return POW, exponent, (1,)
    raise UnsupportedGraph(f"gradstep cannot read op {name!r}: it reads {SUPPORTED}")


def _wrong_arity(name: str, count: int, allowed: tuple[int, ...], source: Any) -> None:
    if allowed == (0,):
        raise UnsupportedGraph(f"a node with no op has {count} operands (data={source.data!r})")
    expected = " or ".join(map(str, allowed))
    raise UnsupportedGraph(
        f"op {name!r} takes {expected} operands, this one has {count} (data={source.data!r})"
    )


def _number(source: Any) -> float:
    try:
        return float(source.data)
    except (TypeError, ValueError):
        raise UnsupportedGraph(f"node data {source.data!r} is not a number") from None


def _label(source: Any) -> str:
    # getattr with a default does not raise internally for a plain instance; reading __dict__
    # instead would make Python build a dict for every node.
    label = getattr(source, "label", "")
    return label if isinstance(label, str) else str(label)
