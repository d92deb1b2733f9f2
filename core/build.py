"""Building an expression file's graph with a learner's ``Value`` class.

The file keeps Python's meaning, with their class: ``Value(...)`` calls their constructor (with
``label=`` when the file gives a label and their constructor takes one; otherwise gradstep keeps
the name itself), numbers stay plain Python numbers handed to their operators (``2 * a`` calls their
``__rmul__``), ``tanh(x)`` and ``x.tanh()`` call their method, ``name.label = ...`` sets the
attribute. ``L.backward()`` in a file only names the output.

The file is still never executed. It is first loaded by ``language.load`` (which checks it and
reports its errors exactly as everywhere else in gradstep), then its syntax tree is walked once
more here, evaluating every expression twice side by side: with gradstep's ``Value`` (the file's
own meaning, and the names ``gradstep trace`` gives) and with theirs. Each node the file makes is
paired with theirs, so the checker can compare them. The walk uses an explicit stack, like the
language's own interpreter.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import language
from .engine import Value
from .learner import EngineError, their_traceback, where_raised
from .ops import UNARY_FUNCTIONS

_DUNDERS = {
    ast.Add: ("+", "__add__", "__radd__"),
    ast.Sub: ("-", "__sub__", "__rsub__"),
    ast.Mult: ("*", "__mul__", "__rmul__"),
    ast.Div: ("/", "__truediv__", "__rtruediv__"),
    ast.Pow: ("**", "__pow__", "__rpow__"),
}

Ref = float | Value


@dataclass
class Built:
    """A file built twice: gradstep's graph (``reference``) and theirs, node for node.

    ``pairs`` lists, in creation order, each node the file makes with gradstep's engine beside the
    object their engine made for it (constants mixed into an expression, ``2 * a``, have no pair:
    their engine makes its own).
    """

    path: str
    reference: Value
    theirs: Any
    pairs: list[tuple[Value, Any]]


def build(path: str, cls: type) -> Built:
    """Load ``path`` and build its graph with ``cls``. Raises ``ExpressionError`` or ``EngineError``."""
    program = language.load(path)  # the file's errors, reported as everywhere else
    module = language._ast_parse_deep(program.source)  # parsed as load() parsed it
    walker = _Walker(program.path, language.source_lines(program.source), cls)
    with contextlib.redirect_stdout(sys.stderr):  # their prints must not mix with a JSON document
        return walker.run(module)


def _takes_label(cls: type) -> bool:
    try:
        parameters = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "label" or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


class _Walker:
    """Evaluates a checked program with both engines; every value is a ``(ref, theirs)`` pair."""

    def __init__(self, path: str, lines: list[str], cls: type) -> None:
        self.path = path
        self.lines = lines
        self.cls = cls
        self.shown = cls.__name__
        self.takes_label = _takes_label(cls)
        self.names: dict[str, tuple[Value, Any]] = {}
        self.pairs: list[tuple[Value, Any]] = []

    # --- errors --------------------------------------------------------------------------------

    def where(self, node: ast.AST) -> str:
        line = getattr(node, "lineno", 1) or 1
        source = self.lines[min(max(line, 1), len(self.lines)) - 1]
        offset = getattr(node, "col_offset", 0) or 0
        column = len(source.encode("utf-8")[:offset].decode("utf-8", "ignore")) + 1
        return f"{self.path}:{line}:{column}"

    def lacks(self, node: ast.AST, method: str, usage: str = "") -> EngineError:
        line = getattr(node, "lineno", 1)
        extra = f" ({usage})" if usage else ""
        return EngineError(
            f"{self.where(node)}: error: your {self.shown} has no {method}(){extra}: "
            f"the file uses it at line {line}"
        )

    def their_call(self, node: ast.AST, what: str, call: Callable[[], Any]) -> Any:
        """Run one of their methods; what it raises becomes an ``EngineError`` with their traceback."""
        try:
            result = call()
        except Exception as error:
            at = where_raised(error)
            raise EngineError(
                f"{self.where(node)}: error: your {self.shown}'s {what} raised {type(error).__name__}: "
                f"{error}"
                + (f" (at {at})" if at else "")
                + (f"\n{trace}" if (trace := their_traceback(error)) else "")
            ) from None
        if not hasattr(result, "data"):
            raise EngineError(
                f"{self.where(node)}: error: your {self.shown}'s {what} returned "
                f"{type(result).__name__} {result!r:.60}, not a {self.shown}"
            )
        return result

    # --- nodes ---------------------------------------------------------------------------------

    def leaf(self, node: ast.AST, number: Any, label: str) -> tuple[Value, Any]:
        ref = Value(float(number), label)
        if label and self.takes_label:
            theirs = self.their_call(node, "constructor", lambda: self.cls(number, label=label))
        else:
            theirs = self.their_call(node, "constructor", lambda: self.cls(number))
        self.pairs.append((ref, theirs))
        return ref, theirs

    def as_node(self, pair: tuple[Ref, Any], node: ast.AST) -> tuple[Value, Any]:
        ref, theirs = pair
        if isinstance(ref, Value):
            return ref, theirs
        return self.leaf(node, theirs, "")

    # --- statements ----------------------------------------------------------------------------

    def run(self, module: ast.Module) -> Built:
        output: tuple[Value, Any] | None = None
        last: tuple[Value, Any] | None = None
        for statement in module.body:
            if isinstance(statement, ast.Assign):
                target = statement.targets[0]
                if isinstance(target, ast.Attribute):
                    self.set_label(target, statement.value)
                else:
                    assert isinstance(target, ast.Name)
                    last = self.bind(target.id, self.evaluate(statement.value), statement.value)
            elif isinstance(statement, ast.AugAssign):
                assert isinstance(statement.target, ast.Name)
                synthetic = ast.BinOp(
                    left=ast.Name(id=statement.target.id, ctx=ast.Load()),
                    op=statement.op,
                    right=statement.value,
                )
                ast.copy_location(synthetic, statement)
                ast.copy_location(synthetic.left, statement.target)
                last = self.bind(statement.target.id, self.evaluate(synthetic), statement)
            elif isinstance(statement, ast.Expr):
                expression = statement.value
                if (
                    isinstance(expression, ast.Call)
                    and isinstance(expression.func, ast.Attribute)
                    and expression.func.attr == "backward"
                    and isinstance(expression.func.value, ast.Name)
                ):
                    output = self.names[expression.func.value.id]
                else:
                    output = self.as_node(self.evaluate(expression), expression)
        result = output or last
        assert result is not None  # language.load refused a file without one
        return Built(self.path, result[0], result[1], self.pairs)

    def bind(self, name: str, pair: tuple[Ref, Any], node: ast.AST) -> tuple[Value, Any]:
        ref, theirs = self.as_node(pair, node)
        if not ref.label:
            ref.label = name
        self.names[name] = (ref, theirs)
        return ref, theirs

    def set_label(self, target: ast.Attribute, value: ast.expr) -> None:
        assert isinstance(target.value, ast.Name) and isinstance(value, ast.Constant)
        ref, theirs = self.names[target.value.id]
        ref.label = str(value.value)
        with contextlib.suppress(Exception):  # a class with __slots__ and no label: gradstep keeps it
            theirs.label = str(value.value)

    # --- expressions ---------------------------------------------------------------------------

    def evaluate(self, root: ast.expr) -> tuple[Ref, Any]:
        pending: list[tuple[ast.expr, bool]] = [(root, False)]
        results: list[tuple[Ref, Any]] = []
        while pending:
            node, ready = pending.pop()
            children = self.children(node)
            if ready:
                arity = len(children)
                args = results[len(results) - arity :]
                del results[len(results) - arity :]
                results.append(self.apply(node, args))
            else:
                pending.append((node, True))
                pending.extend((child, False) for child in reversed(children))
        return results[0]

    @staticmethod
    def children(node: ast.expr) -> tuple[ast.expr, ...]:
        if isinstance(node, ast.BinOp):
            return (node.left, node.right)
        if isinstance(node, ast.UnaryOp):
            return (node.operand,)
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute):
                return (node.func.value,)
            return (node.args[0],)
        return ()

    def apply(self, node: ast.expr, args: list[tuple[Ref, Any]]) -> tuple[Ref, Any]:
        if isinstance(node, ast.Constant):
            literal = node.value
            assert isinstance(literal, (int, float))  # language.load allows no other constant here
            return float(literal), literal
        if isinstance(node, ast.Name):
            return self.names[node.id]
        if isinstance(node, ast.UnaryOp):
            ((ref, theirs),) = args
            if isinstance(node.op, ast.UAdd):
                return ref, theirs
            if not isinstance(ref, Value):
                return -ref, -theirs
            if not hasattr(type(theirs), "__neg__"):
                raise self.lacks(node, "__neg__", "unary minus, -x")
            return self.made(-ref, self.their_call(node, "__neg__", lambda: -theirs))
        if isinstance(node, ast.BinOp):
            return self.binary(node, args[0], args[1])
        assert isinstance(node, ast.Call)
        func = node.func
        ((ref, theirs),) = args
        if isinstance(func, ast.Name) and func.id == "Value":
            labels = [k.value for k in node.keywords] + node.args[1:]
            label = labels[0].value if labels and isinstance(labels[0], ast.Constant) else ""
            return self.leaf(node, theirs, str(label))
        name = func.attr if isinstance(func, ast.Attribute) else func.id  # type: ignore[attr-defined]
        assert name in UNARY_FUNCTIONS
        ref_node, their_node = self.as_node((ref, theirs), node)
        if not callable(getattr(their_node, name, None)):
            raise self.lacks(node, name)
        result = getattr(ref_node, name)()
        return self.made(result, self.their_call(node, f"{name}()", getattr(their_node, name)))

    def binary(self, node: ast.BinOp, left: tuple[Ref, Any], right: tuple[Ref, Any]) -> tuple[Ref, Any]:
        symbol, method, reflected = _DUNDERS[type(node.op)]
        (lref, lthem), (rref, rthem) = left, right
        if not isinstance(lref, Value) and not isinstance(rref, Value):
            return _any_op(symbol, lref, rref), _any_op(symbol, lthem, rthem)
        if symbol == "**":
            assert isinstance(lref, Value) and not isinstance(rref, Value)
            if not hasattr(type(lthem), method):
                raise self.lacks(node, method, "x ** k")
            return self.made(lref**rref, self.their_call(node, method, lambda: lthem**rthem))
        if isinstance(lref, Value):
            if not hasattr(type(lthem), method):
                raise self.lacks(node, method, f"a {symbol} b")
            what = method
        else:
            if not hasattr(type(rthem), reflected):
                raise self.lacks(node, reflected, f"number {symbol} a")
            what = reflected
        lnode = lref if isinstance(lref, Value) else Value(lref)
        rnode = rref if isinstance(rref, Value) else Value(rref)
        ref = _value_op(symbol, lnode, rnode)
        return self.made(ref, self.their_call(node, what, lambda: _any_op(symbol, lthem, rthem)))

    def made(self, ref: Value, theirs: Any) -> tuple[Value, Any]:
        self.pairs.append((ref, theirs))
        return ref, theirs


def _any_op(symbol: str, a: Any, b: Any) -> Any:
    """``a <symbol> b`` with Python's own operators: numbers, gradstep's ``Value`` or theirs."""
    if symbol == "+":
        return a + b
    if symbol == "-":
        return a - b
    if symbol == "*":
        return a * b
    if symbol == "/":
        return a / b
    return a**b


def _value_op(symbol: str, a: Value, b: Value) -> Value:
    result = _any_op(symbol, a, b)
    assert isinstance(result, Value)
    return result
