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
from array import array
from collections.abc import Iterable, Iterator, Mapping
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
NODE = "node"
"""The style of a backward step's node cell: its name bold, the op after the last space cyan."""

Row = tuple[list[str], tuple[str, ...]]
"""A row: its cells' text, and each cell's SGR style (used only in colour)."""


def use_colour(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Colour for a terminal, unless ``NO_COLOR`` is set to anything (https://no-color.org) or
    ``TERM`` is ``dumb``."""
    environ = os.environ if environ is None else environ
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


def paint(text: str, style: str) -> str:
    if not (style and text):
        return text
    if style == NODE:
        name, _, symbol = text.rpartition(" ")
        return f"\x1b[{BOLD}m{name}\x1b[0m \x1b[{CYAN}m{symbol}\x1b[0m"
    return f"\x1b[{style}m{text}\x1b[0m"


class _Table:
    """Column layout for one table: ``render`` turns a row into a line.

    Without colour, and when every cell counts one column a character (``narrow``: no wide or
    combining characters in any name), a row is one ``str.format`` of a template holding the
    widths; otherwise each cell is measured and padded (and painted) on its own.
    """

    def __init__(
        self, title: str, headers: list[str], right: list[bool], *, colour: bool, narrow: bool
    ) -> None:
        self.title = title
        self.headers = headers
        self.right = right
        self.colour = colour
        self.fast = narrow and not colour
        self.widths = [cells(header) for header in headers]
        self.template = ""

    def fit(self, rows: Iterable[Row]) -> None:
        widths = self.widths
        for texts, _ in rows:
            for k, text in enumerate(texts):
                width = cells(text)
                if width > widths[k]:
                    widths[k] = width
        self.template = " " + " │ ".join(
            f"{{:{'>' if right else '<'}{width}}}" for width, right in zip(widths, self.right, strict=True)
        )

    def render(self, texts: list[str], styles: tuple[str, ...]) -> str:
        if self.fast:
            return self.template.format(*texts).rstrip()
        parts = []
        for text, style, width, right in zip(texts, styles, self.widths, self.right, strict=True):
            pad = " " * (width - cells(text))
            shown = paint(text, style) if self.colour else text
            parts.append(pad + shown if right else shown + pad)
        return (" " + " │ ".join(parts)).rstrip()

    def head(self) -> Iterator[str]:
        yield ""
        yield paint(self.title, ITALIC) if self.colour else self.title
        yield (
            self.render(self.headers, (BOLD,) * len(self.headers))
            if self.colour
            else " "
            + " │ ".join(
                header.rjust(width) if right else header.ljust(width)
                for header, width, right in zip(self.headers, self.widths, self.right, strict=True)
            ).rstrip()
        )
        yield "┼".join("─" * (width + 2) for width in self.widths)

    def lines(self, rows: Iterator[Row]) -> Iterator[str]:
        """The table: widths from the first ``LOOKAHEAD`` rows, then every row as it comes."""
        ahead = list(islice(rows, LOOKAHEAD))
        self.fit(ahead)
        yield from self.head()
        render = self.render
        for texts, styles in ahead:
            yield render(texts, styles)
        del ahead
        for texts, styles in rows:
            yield render(texts, styles)


class _Numbers(dict[float, str]):
    """``format_number`` remembering its last few thousand answers (grads and constants repeat):
    ``numbers[x]`` is a dict lookup in C when ``x`` was met before, no Python call."""

    def __missing__(self, x: float) -> str:
        if len(self) >= 4096:
            self.clear()
        text = self[x] = format_number(x)
        return text


class _Rows:
    """The rows of the three tables, made one at a time from the trace's arrays.

    Names are worked out once for every node (``Trace.name``) and escaped; everything else in a
    row is numbers and op symbols. The strings are ``Trace.expression`` and ``Trace.arithmetic``,
    built from those names (a test holds them equal).
    """

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        raw = [trace.name(i) for i in range(trace.size)]
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
        self.number = _Numbers().__getitem__

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

    def forward(self) -> Iterator[Row]:
        trace, number, names, expression = self.trace, self.number, self.names, self.expression
        data = trace.data
        styles = (DIM, BOLD, "", "")
        for k, i in enumerate(trace.forward_nodes, 1):
            yield [str(k), names[i], expression(i), number(data[i])], styles

    def backward(self) -> Iterator[Row]:
        trace, number, names, refs = self.trace, self.number, self.names, self.refs
        out, seed, n = trace.output, trace.seed_index, trace.size
        grad, local, before = trace.grad, trace.local, trace.before
        in_start, in_ids, first_grad = trace.in_start, trace.in_ids, trace.first_grad_event
        local_expression = self.local_expression
        plain, accumulated = (DIM, NODE, "", ""), (DIM, NODE, "", BOLD_YELLOW)
        yield [str(seed + 1), names[out], f"seed: {names[out]}.grad = 1", "0 → 1"], (DIM, BOLD, "", "")
        leaf = (DIM, BOLD, DIM, "")
        for i in range(n - 1, -1, -1):
            k = seed + n - i  # node i's backward step
            start, end = in_start[i], in_start[i + 1]
            if start == end:
                yield [str(k + 1), names[i], f"leaf: grad final = {number(grad[i])}", ""], leaf
                continue
            upstream = grad[i]
            up = number(upstream)
            step, node = str(k + 1), f"{names[i]} {self.symbol(i)}"
            for e in range(start, end):
                j = in_ids[e]
                d, b = local[e], before[e]
                arithmetic = (
                    f"{refs[j]}.grad += {local_expression(e, i, start, end)} * {refs[i]}.grad"
                    f" = {number(d)} * {up} = {number(d * upstream)}"
                )
                change = f"{number(b)} → {number(b + d * upstream)}"
                # Highlighted where the operand had received a grad before this one.
                yield (
                    [step, node, arithmetic, change],
                    accumulated if first_grad[j] < k or b != 0.0 else plain,
                )
                step = node = ""

    def grads(self) -> Iterator[Row]:
        trace, number, names, symbol = self.trace, self.number, self.names, self.symbol
        uses = array("i", bytes(4 * trace.size))  # how many times each node is an operand
        for j in trace.in_ids:
            uses[j] += 1
        data, grad = trace.data, trace.grad
        styles = (DIM, BOLD, CYAN, "", "", DIM)
        for i in range(trace.size):
            used = uses[i]
            yield (
                [
                    str(i),
                    names[i],
                    symbol(i),
                    number(data[i]),
                    number(grad[i]),
                    f"{used}×" if used > 1 else "",
                ],
                styles,
            )


def trace_lines(trace: Trace, source: str, *, colour: bool = False) -> Iterator[str]:
    """Every line of ``gradstep trace``, each made when it is asked for (after a table's first
    ``LOOKAHEAD`` rows, which set its widths)."""
    rows = _Rows(trace)
    narrow = all(map(str.isascii, rows.names)) or all(cells(name) == len(name) for name in rows.names)
    output = trace.output

    def table(title: str, headers: list[str], right: list[bool], last: int) -> _Table:
        """A table whose first column (step or id) counts up to ``last``: its width is known."""
        made = _Table(title, headers, right, colour=colour, narrow=narrow)
        made.widths[0] = max(made.widths[0], len(str(last)))
        return made

    def style(text: str, style: str) -> str:
        return paint(text, style) if colour else text

    yield (
        f"{style('gradstep trace ', BOLD)}{style(escape(source), BOLD_CYAN)} — {trace.size} nodes,"
        f" {len(trace)} steps; output {rows.names[output]} = {format_number(trace.data[output])}"
    )
    yield from table(
        "Forward pass", ["step", "node", "computed", "value"], [True, False, False, True], trace.seed_index
    ).lines(rows.forward())
    yield from table(
        "Backward pass",
        ["step", "node", "contribution", "grad before → after"],
        [True, False, False, True],
        len(trace),
    ).lines(rows.backward())
    highlighted = ", highlighted where a node had a grad already" if colour else ""
    yield style(
        f"Backward: each step sends its node's grad to its operands; grads accumulate (+=){highlighted}.", DIM
    )
    yield from table(
        "Final values and grads",
        ["id", "node", "op", "data", "grad", "used"],
        [True, False, False, True, True, True],
        trace.size - 1,
    ).lines(rows.grads())


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
