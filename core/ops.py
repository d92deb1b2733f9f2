"""The op table: every operation's forward value, local derivatives and display formulas.

Adding an op is one row. The graph walkers (``engine.Value.backward`` and ``trace.record``) never
know what an op does; they ask this table. Local derivatives never raise: an undefined or
overflowing derivative is reported as ``inf`` or ``nan`` so that a backward pass always completes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

Locals = tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Op:
    """One operation of the engine.

    ``forward(args, param)`` computes the value from the operand values; ``local(args, out,
    param)`` returns d(out)/d(operand) for each operand, in operand order. ``param`` is the number
    exponent of ``**`` and unused elsewhere. ``formulas`` are the local derivatives in words, one
    per operand, written with ``a`` (and ``b``) for the operands.
    """

    name: str
    arity: int
    forward: Callable[[tuple[float, ...], float], float]
    local: Callable[[tuple[float, ...], float, float], Locals]
    formulas: tuple[str, ...]
    in_names: tuple[str, ...] = ()
    """The local derivatives written with node names: ``{a}``/``{b}``/``{out}`` stand for the
    operands' and the result's ``.data``, ``{k}`` and ``{k1}`` for the exponent and exponent - 1."""

    def symbol(self, param: float = 0.0) -> str:
        """The op as a reader writes it: ``*``, ``**2``, ``tanh``."""
        return f"**{format_number(param)}" if self.name == "**" else self.name


def format_number(x: float) -> str:
    """A float as a person writes it: ``2`` not ``2.0``, up to 6 significant digits."""
    if math.isfinite(x) and x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"


SHORT_NAME = 24
"""An unlabelled node is named by its expression (``a*b``) only up to this many characters."""


def short_expression(op: Op, symbol: str, parts: list[str]) -> str | None:
    """A node's name from its operands' names (``a*b``, ``-a``, ``a**2``, ``tanh(a)``), or None when
    an operand has no short name (an empty part) or the result is longer than ``SHORT_NAME``:
    the one rule ``gradstep trace`` and the check name unlabelled nodes by."""
    if not all(parts):
        return None
    if op.arity == 2:
        text = f"{parts[0]}{op.name}{parts[1]}"
    elif op.name == "neg":
        text = f"-{parts[0]}"
    elif op.name == "**":
        text = f"{parts[0]}{symbol}"
    else:
        text = f"{op.name}({parts[0]})"
    return text if len(text) <= SHORT_NAME else None


def _div(num: float, den: float) -> float:
    """num / den where a zero or underflowed denominator gives inf (or nan), never an error."""
    try:
        return num / den
    except ZeroDivisionError:
        return math.nan if num == 0 else math.copysign(math.inf, num) * math.copysign(1.0, den)


def _pow(x: float, k: float) -> float:
    try:
        result = x**k
    except ZeroDivisionError:
        return math.inf
    except OverflowError:
        return math.inf
    return result if isinstance(result, float) else math.nan


def _pow_forward(args: tuple[float, ...], k: float) -> float:
    result = args[0] ** k  # may raise ZeroDivisionError / OverflowError: the caller reports them
    if isinstance(result, complex):
        raise ValueError(f"({format_number(args[0])}) ** {format_number(k)} is not a real number")
    return float(result)


def _log_forward(args: tuple[float, ...], _: float) -> float:
    if args[0] <= 0:
        raise ValueError(f"log of {format_number(args[0])}: log needs a positive number")
    return math.log(args[0])


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _div_forward(args: tuple[float, ...], _: float) -> float:
    return args[0] / args[1]  # ZeroDivisionError is the caller's to report


ADD = Op("+", 2, lambda a, _: a[0] + a[1], lambda a, o, _: (1.0, 1.0), ("1", "1"), ("1", "1"))
SUB = Op("-", 2, lambda a, _: a[0] - a[1], lambda a, o, _: (1.0, -1.0), ("1", "-1"), ("1", "-1"))
MUL = Op("*", 2, lambda a, _: a[0] * a[1], lambda a, o, _: (a[1], a[0]), ("b", "a"), ("{b}", "{a}"))
DIV = Op(
    "/",
    2,
    _div_forward,
    lambda a, o, _: (_div(1.0, a[1]), _div(-o, a[1])),  # -(a/b)/b: b*b would underflow for tiny b
    ("1/b", "-a/b**2"),
    ("1/{b}", "-{a}/{b}**2"),
)
POW = Op("**", 1, _pow_forward, lambda a, o, k: (k * _pow(a[0], k - 1),), ("k*a**(k-1)",), ("{k}*{a}**{k1}",))
NEG = Op("neg", 1, lambda a, _: -a[0], lambda a, o, _: (-1.0,), ("-1",), ("-1",))
TANH = Op(
    "tanh",
    1,
    lambda a, _: math.tanh(a[0]),
    lambda a, o, _: (1.0 - o * o,),
    ("1 - tanh(a)**2",),
    ("(1 - {out}**2)",),
)
EXP = Op("exp", 1, lambda a, _: math.exp(a[0]), lambda a, o, _: (o,), ("exp(a)",), ("{out}",))
LOG = Op("log", 1, _log_forward, lambda a, o, _: (_div(1.0, a[0]),), ("1/a",), ("1/{a}",))
RELU = Op(
    "relu",
    1,
    lambda a, _: a[0] if a[0] > 0 else 0.0,
    lambda a, o, _: (1.0 if o > 0 else 0.0,),
    ("1 if a > 0 else 0",),
    ("({out} > 0)",),
)
SIGMOID = Op(
    "sigmoid",
    1,
    lambda a, _: _sigmoid(a[0]),
    lambda a, o, _: (o * (1.0 - o),),
    ("sigmoid(a) * (1 - sigmoid(a))",),
    ("{out}*(1 - {out})",),
)

OPS: dict[str, Op] = {op.name: op for op in (ADD, SUB, MUL, DIV, POW, NEG, TANH, EXP, LOG, RELU, SIGMOID)}
"""Every op by name. ``neg`` is unary minus; ``**`` carries its number exponent as ``param``."""

UNARY_FUNCTIONS = ("tanh", "exp", "log", "relu", "sigmoid")
"""The ops a program may call as ``f(x)`` or ``x.f()``."""


def describe_local(op: Op, slot: int, param: float = 0.0) -> str:
    """The local derivative of operand ``slot`` as a formula, e.g. ``d(a*b)/da = b``."""
    operand = "ab"[slot]
    if op.arity == 1:
        expression = {
            "neg": "-a",
            "**": f"a**{format_number(param)}",
        }.get(op.name, f"{op.name}(a)")
    else:
        expression = f"a{op.name}b"
    formula = op.formulas[slot]
    if op.name == "**":
        k = param
        formula = f"{format_number(k)}*a**{format_number(k - 1)}"
    return f"d({expression})/d{operand} = {formula}"
