"""A micrograd-style scalar autograd engine without micrograd's three flaws.

* Operands are an ordered tuple, and every node gets a sequential id in creation order, so the
  same program gives the same graph and the same backward order on every run.
* No closure per node: how a gradient flows through an op lives in ``ops.OPS``. Nodes hold no
  reference cycles, so reference counting frees a graph and the cycle collector has little to do.
* No recursion: because operands are always created before their result, creation order is a
  topological order, found with an explicit stack and a sort.

Gradients accumulate (``+=``): a node used k times receives the sum of its k contributions.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterable

from .ops import ADD, DIV, EXP, LOG, MUL, NEG, POW, RELU, SIGMOID, SUB, TANH, Op, format_number

_ids = itertools.count()

Number = int | float


class Value:
    """A scalar in a computation graph: its ``data``, its ``grad`` and how it was made."""

    __slots__ = ("_a", "_b", "_id", "_op", "_param", "data", "grad", "label")

    def __init__(self, data: Number, label: str = "") -> None:
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self._op: Op | None = None
        self._a: Value | None = None
        self._b: Value | None = None
        self._param = 0.0
        self._id = next(_ids)

    # --- introspection -------------------------------------------------------------------------

    @property
    def op(self) -> Op | None:
        """The op that made this node, or None for a leaf."""
        return self._op

    @property
    def operands(self) -> tuple[Value, ...]:
        """The operands, in order (``a - b`` keeps ``a`` first)."""
        if self._a is None:
            return ()
        return (self._a,) if self._b is None else (self._a, self._b)

    @property
    def param(self) -> float:
        """The number exponent of a ``**`` node; 0 otherwise."""
        return self._param

    @property
    def id(self) -> int:
        """Creation order: operands always have smaller ids than their results."""
        return self._id

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={format_number(self.data)}, grad={format_number(self.grad)}{label})"

    # --- operators -----------------------------------------------------------------------------

    def __add__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        # _result written out: + and * make most nodes of a network, and the call is a fifth of it.
        node: Value = _new(Value)
        node.data = self.data + other.data
        node.grad = 0.0
        node.label = ""
        node._op = ADD
        node._a = self
        node._b = other
        node._param = 0.0
        node._id = next(_ids)
        return node

    def __radd__(self, other: Number) -> Value:
        return Value(other) + self

    def __sub__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return _result(self.data - other.data, SUB, self, other)

    def __rsub__(self, other: Number) -> Value:
        return Value(other) - self

    def __mul__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        node: Value = _new(Value)
        node.data = self.data * other.data
        node.grad = 0.0
        node.label = ""
        node._op = MUL
        node._a = self
        node._b = other
        node._param = 0.0
        node._id = next(_ids)
        return node

    def __rmul__(self, other: Number) -> Value:
        return Value(other) * self

    def __truediv__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return _result(DIV.forward((self.data, other.data), 0.0), DIV, self, other)

    def __rtruediv__(self, other: Number) -> Value:
        return Value(other) / self

    def __pow__(self, exponent: Number) -> Value:
        if isinstance(exponent, bool) or not isinstance(exponent, (int, float)):
            raise TypeError("the exponent of ** must be a number, not a Value")
        k = float(exponent)
        return _result(POW.forward((self.data,), k), POW, self, None, k)

    def __neg__(self) -> Value:
        return _result(-self.data, NEG, self)

    def __pos__(self) -> Value:
        return self

    def _unary(self, op: Op) -> Value:
        return _result(op.forward((self.data,), 0.0), op, self)

    def tanh(self) -> Value:
        return self._unary(TANH)

    def exp(self) -> Value:
        return self._unary(EXP)

    def log(self) -> Value:
        return self._unary(LOG)

    def relu(self) -> Value:
        return self._unary(RELU)

    def sigmoid(self) -> Value:
        return self._unary(SIGMOID)

    # --- backprop ------------------------------------------------------------------------------

    def backward(self) -> None:
        """Accumulate d(self)/d(node) into every node's ``grad``, as micrograd does.

        Like micrograd, grads are added to what is there: zero them between passes.
        """
        order = topological_order(self)
        self.grad = 1.0
        for node in reversed(order):
            op = node._op
            if op is None:
                continue
            a: Value = node._a  # type: ignore[assignment]
            upstream = node.grad
            # The common ops inline (a call to op.local per node would double the cost); the
            # arithmetic is exactly the table's: 1.0 * upstream is upstream, b's local for * is a.data.
            if op is ADD:
                a.grad += upstream
                node._b.grad += upstream  # type: ignore[union-attr]
            elif op is MUL:
                b: Value = node._b  # type: ignore[assignment]
                a.grad += b.data * upstream
                b.grad += a.data * upstream
            elif op is RELU:
                a.grad += (1.0 if node.data > 0 else 0.0) * upstream
            elif node._b is None:
                (da,) = op.local((a.data,), node.data, node._param)
                a.grad += da * upstream
            else:
                b = node._b
                da, db = op.local((a.data, b.data), node.data, node._param)
                a.grad += da * upstream
                b.grad += db * upstream


_new = object.__new__


def _result(data: float, op: Op, a: Value, b: Value | None = None, param: float = 0.0) -> Value:
    """A computed node. Bypasses ``__init__``, which halves the cost of making one."""
    node: Value = _new(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    node._op = op
    node._a = a
    node._b = b
    node._param = param
    node._id = next(_ids)
    return node


_creation_order = operator.attrgetter("_id")


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, itself included, operands before results.

    An explicit stack (no recursion, so a 100,000-deep chain is fine) collects the nodes; sorting
    by creation id orders them, because a node's operands always exist before it does.
    """
    seen = {root}  # Value has no __eq__: identity hashing makes a set of nodes the cheapest "seen"
    stack = [root]
    pop = stack.pop
    push = stack.append
    add = seen.add
    while stack:
        node = pop()
        a = node._a
        if a is not None:
            if a not in seen:
                add(a)
                push(a)
            b = node._b
            if b is not None and b not in seen:
                add(b)
                push(b)
    order = list(seen)
    order.sort(key=_creation_order)
    return order


def zero_grad(nodes: Iterable[Value]) -> None:
    """Set every node's grad to 0, before the next ``backward()``."""
    for node in nodes:
        node.grad = 0.0
