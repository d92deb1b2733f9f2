"""``gradstep trace``: the whole trace as aligned plain-text tables, written as each row is made.

Three tables: the forward pass, the backward pass (every contribution with its arithmetic, grad
before and after) and the final values and grads. Rows stream: a table's column widths come from
its first ``LOOKAHEAD`` rows (and its header), which are held back until the widths are known;
every later row is written as soon as it is formatted, and a cell wider than its column pushes the
rest of its row right instead of being cut or wrapped. Every table of a graph under
``LOOKAHEAD`` rows is therefore aligned exactly, and a long one costs no memory for rows already
written. A row is always one line, so ``grep`` and ``head`` see whole rows.

Colour (bold names, highlighted accumulation) only when the output is a terminal and ``NO_COLOR``
is unset or empty. Every label and path is shown through ``gradstep.core.text.escape``.

Plain Python: no Textual, no Rich (each costs ``gradstep trace`` more to import than it takes to
print a small graph, and Rich's tables cost milliseconds a row).
"""

from __future__ import annotations

import os
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import TextIO

from gradstep.core.ops import format_number
from gradstep.core.text import escape
from gradstep.core.trace import Trace

LOOKAHEAD = 200
"""Rows of a table read ahead to set its column widths."""

LINES_PER_WRITE = 256
"""Lines joined into one write: few system calls, and a terminal still sees rows as they come."""

BOLD, DIM, CYAN, BOLD_YELLOW, BOLD_CYAN, ITALIC = "1", "2", "36", "1;33", "1;36", "3"

Cell = tuple[str, str]
"""A cell: its text (what its width is counted from) and the text as shown (with colour codes)."""


def use_colour(stream: TextIO, environ: dict[str, str] | None = None) -> bool:
    """Colour for a terminal, unless ``NO_COLOR`` is set to anything (https://no-color.org) or
    ``TERM`` is ``dumb``."""
    environ = dict(os.environ) if environ is None else environ
    if environ.get("NO_COLOR") or environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


def cells(text: str) -> int:
    """How many terminal columns ``text`` takes: wide (CJK, emoji) characters two, combining none."""
    if text.isascii():
        return len(text)
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in "WF" else 1
    return width


class _Paint:
    """SGR colour codes around text, or nothing when colour is off."""

    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def __call__(self, text: str, style: str = "") -> Cell:
        return (text, f"\x1b[{style}m{text}\x1b[0m" if self.colour and style and text else text)


class _Table:
    """Column layout for one table: ``render`` turns a row of cells into a line."""

    def __init__(self, title: str, headers: list[str], right: list[bool], paint: _Paint) -> None:
        self.title = title
        self.headers = headers
        self.right = right
        self.paint = paint
        self.widths = [cells(header) for header in headers]

    def fit(self, rows: Iterable[list[Cell]]) -> None:
        for row in rows:
            for k, (text, _) in enumerate(row):
                width = cells(text)
                if width > self.widths[k]:
                    self.widths[k] = width

    def render(self, row: list[Cell]) -> str:
        parts = []
        for (text, shown), width, right in zip(row, self.widths, self.right, strict=True):
            pad = " " * (width - cells(text))
            parts.append(pad + shown if right else shown + pad)
        return (" " + " │ ".join(parts)).rstrip()

    def head(self) -> Iterator[str]:
        yield ""
        yield self.paint(self.title, ITALIC)[1]
        yield self.render([self.paint(header, BOLD) for header in self.headers])
        yield "┼".join("─" * (width + 2) for width in self.widths)

    def lines(self, rows: Iterator[list[Cell]]) -> Iterator[str]:
        """The table: widths from the first ``LOOKAHEAD`` rows, then every row as it comes."""
        ahead = list(islice(rows, LOOKAHEAD))
        self.fit(ahead)
        yield from self.head()
        for row in ahead:
            yield self.render(row)
        del ahead
        for row in rows:
            yield self.render(row)


def _formatter() -> Callable[[float], str]:
    """``format_number`` remembering its last few thousand answers: grads and constants repeat."""
    memo: dict[float, str] = {}

    def number(x: float) -> str:
        text = memo.get(x)
        if text is None:
            if len(memo) >= 4096:
                memo.clear()
            text = memo[x] = format_number(x)
        return text

    return number


class _Rows:
    """The rows of the three tables, made one at a time from the trace's arrays.

    Names are worked out once for every node (``Trace.names``) and escaped; everything else in a
    row is numbers and op symbols. The strings are ``Trace.expression`` and ``Trace.arithmetic``,
    built from those names (a test holds them equal).
    """

    def __init__(self, trace: Trace, paint: _Paint) -> None:
        self.trace = trace
        self.paint = paint
        raw = trace.names()
        labels = trace.labels
        # ``Trace.ref``: a name in parentheses when it is an expression or a number.
        refs = [
            name
            if labels[i] or name.startswith("#") or (name[:1].isalpha() and name.endswith(")"))
            else f"({name})"
            for i, name in enumerate(raw)
        ]
        self.names = list(map(escape, raw))
        self.refs = list(map(escape, refs))
        self.number = _formatter()

    def symbol(self, i: int) -> str:
        return self.trace.symbol(i)

    def expression(self, i: int) -> str:
        """``Trace.expression`` from the escaped names."""
        trace, names = self.trace, self.names
        op = trace.ops[i]
        if op is None:
            return self.number(trace.data[i])
        start, end = trace.in_start[i], trace.in_start[i + 1]
        a = names[trace.in_ids[start]]
        if op.arity == 2:
            return f"{a} {op.name} {names[trace.in_ids[end - 1]]}"
        if op.name == "neg":
            return f"-{a}"
        if op.name == "**":
            return f"{a}{self.symbol(i)}"
        return f"{op.name}({a})"

    def data_ref(self, j: int) -> str:
        """``Trace._data_ref``: ``a.data``, or a constant's number."""
        trace = self.trace
        if trace.ops[j] is None and not trace.labels[j]:
            return self.number(trace.data[j])
        return f"{self.refs[j]}.data"

    def local_expression(self, e: int, i: int, start: int, end: int) -> str:
        """``Trace.local_expression(e)`` for edge ``e`` of node ``i`` (edges ``start``..``end``)."""
        trace = self.trace
        op = trace.ops[i]
        assert op is not None
        template = op.in_names[e - start]
        if "{" not in template:
            return template  # ``1``, ``-1``: most edges of a network (+, -)
        if template in ("{a}", "{b}"):  # * : the other operand's data
            return self.data_ref(trace.in_ids[start if template == "{a}" else end - 1])
        k = trace.params[i]
        return template.format(
            a=self.data_ref(trace.in_ids[start]),
            b=self.data_ref(trace.in_ids[end - 1]),
            out=self.data_ref(i),
            k=format_number(k),
            k1=format_number(k - 1),
        )

    def forward(self) -> Iterator[list[Cell]]:
        trace, number, names, paint = self.trace, self.number, self.names, self.paint
        data = trace.data
        for k, i in enumerate(trace.forward_nodes):
            yield [
                paint(str(k + 1), DIM),
                paint(names[i], BOLD),
                paint(self.expression(i)),
                paint(number(data[i])),
            ]

    def backward(self) -> Iterator[list[Cell]]:
        trace, number, names, refs, paint = self.trace, self.number, self.names, self.refs, self.paint
        out, seed, n = trace.output, trace.seed_index, trace.size
        grad, local, before = trace.grad, trace.local, trace.before
        in_start, in_ids, first_grad = trace.in_start, trace.in_ids, trace.first_grad_event
        blank = paint("")
        yield [
            paint(str(seed + 1), DIM),
            paint(names[out], BOLD),
            paint(f"seed: {names[out]}.grad = 1"),
            paint("0 → 1"),
        ]
        for i in range(n - 1, -1, -1):
            k = seed + n - i  # node i's backward step
            step = paint(str(k + 1), DIM)
            start, end = in_start[i], in_start[i + 1]
            if start == end:
                yield [
                    step,
                    paint(names[i], BOLD),
                    paint(f"leaf: grad final = {number(grad[i])}", DIM),
                    blank,
                ]
                continue
            upstream = grad[i]
            up = number(upstream)
            symbol = self.symbol(i)
            node = (f"{names[i]} {symbol}", f"{paint(names[i], BOLD)[1]} {paint(symbol, CYAN)[1]}")
            for e in range(start, end):
                j = in_ids[e]
                d, b = local[e], before[e]
                arithmetic = (
                    f"{refs[j]}.grad += {self.local_expression(e, i, start, end)} * {refs[i]}.grad"
                    f" = {number(d)} * {up} = {number(d * upstream)}"
                )
                # Highlighted where the operand had received a grad before this one.
                accumulated = first_grad[j] < k or b != 0.0
                change = paint(
                    f"{number(b)} → {number(b + d * upstream)}", BOLD_YELLOW if accumulated else ""
                )
                if e == start:
                    yield [step, node, paint(arithmetic), change]
                else:
                    yield [blank, blank, paint(arithmetic), change]

    def grads(self) -> Iterator[list[Cell]]:
        trace, number, names, paint = self.trace, self.number, self.names, self.paint
        uses = Counter(trace.in_ids)
        data, grad = trace.data, trace.grad
        for i in range(trace.size):
            used = uses[i]
            yield [
                paint(str(i), DIM),
                paint(names[i], BOLD),
                paint(self.symbol(i), CYAN),
                paint(number(data[i])),
                paint(number(grad[i])),
                paint(f"{used}×" if used > 1 else "", DIM),
            ]


def trace_lines(trace: Trace, source: str, *, colour: bool = False) -> Iterator[str]:
    """Every line of ``gradstep trace``, each made when it is asked for (after a table's first
    ``LOOKAHEAD`` rows, which set its widths)."""
    paint = _Paint(colour)
    rows = _Rows(trace, paint)
    output = trace.output
    yield (
        paint("gradstep trace ", BOLD)[1]
        + paint(escape(source), BOLD_CYAN)[1]
        + f" — {trace.size} nodes, {len(trace)} steps; output {rows.names[output]}"
        f" = {format_number(trace.data[output])}"
    )
    forward = _Table("Forward pass", ["step", "node", "computed", "value"], [True, False, False, True], paint)
    yield from forward.lines(rows.forward())
    backward = _Table(
        "Backward pass",
        ["step", "node", "contribution", "grad before → after"],
        [True, False, False, True],
        paint,
    )
    yield from backward.lines(rows.backward())
    highlighted = ", highlighted where a node had a grad already" if colour else ""
    legend = f"Backward: each step sends its node's grad to its operands; grads accumulate (+=){highlighted}."
    yield paint(legend, DIM)[1]
    grads = _Table(
        "Final values and grads",
        ["id", "node", "op", "data", "grad", "used"],
        [True, False, False, True, True, True],
        paint,
    )
    yield from grads.lines(rows.grads())


def print_trace(
    trace: Trace, source: str, stream: TextIO | None = None, *, colour: bool | None = None
) -> None:
    """Write the forward ops, every backward step with its arithmetic, and the final grads to
    ``stream`` (stdout), a few hundred lines at a time as they are made."""
    stream = sys.stdout if stream is None else stream
    if colour is None:
        colour = use_colour(stream)
    lines = trace_lines(trace, source, colour=colour)
    while batch := list(islice(lines, LINES_PER_WRITE)):
        stream.write("\n".join(batch) + "\n")
    stream.flush()
