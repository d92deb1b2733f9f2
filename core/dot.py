"""The graph as Graphviz source, drawn as the lecture's ``draw_dot`` draws it: ``gradstep export --to dot``.

    digraph { rankdir=LR
      n3 [shape=record label="{ e | data -6.0000 | grad -2.0000 }"]
      n3op [label="*"]   n3op -> n3   n0 -> n3op   n1 -> n3op ... }

A record per value (label, data and grad as they stand at step K of the timeline), an op node per
operation with an edge into its result, and an edge from each operand into the op node: the picture
learners know from *micrograd*, left to right. A value the forward pass has not computed yet shows
``data ·`` and a grad not received yet ``grad —`` (as in the debugger: never a made-up 0). The node
of the step at K is drawn bold, and so are the operands its grad just reached.

No Graphviz is needed to write this text; ``dot -Tsvg`` turns it into a picture. Every label is
outside text: it is shown with ``escape`` (no control character reaches the file) and then quoted for
DOT, where a record label also treats ``{ } | < >`` as structure.
"""

from __future__ import annotations

from .text import escape
from .trace import Trace

_QUOTED = str.maketrans({'"': '\\"', "\\": "\\\\"})
_RECORD = str.maketrans({c: "\\" + c for c in '{}|<>"\\ '})


def quoted(text: str) -> str:
    """``text`` as a DOT double-quoted string (its backslashes and quotes escaped)."""
    return '"' + escape(text).translate(_QUOTED) + '"'


def record_field(text: str) -> str:
    """``text`` as one field of a record label: ``{ } | < >``, quotes, backslashes and spaces escaped
    (an unescaped space at a field's edge is dropped by Graphviz; escaped, it is kept)."""
    return escape(text).translate(_RECORD)


def _number(x: float | None, missing: str) -> str:
    """A number as draw_dot prints it (``%.4f``); ``missing`` when there is none yet."""
    return missing if x is None else f"{x:.4f}"


def to_dot(trace: Trace, position: int | None = None, source: str | None = None) -> str:
    """The graph at cursor ``position`` (default: the end) as DOT source; the cursor is restored."""
    saved = trace.position
    trace.goto(len(trace) if position is None else position)
    try:
        return _draw(trace, source)
    finally:
        trace.goto(saved)


def _draw(trace: Trace, source: str | None) -> str:
    k = trace.current
    stepped: set[int] = set()
    if k is not None:
        stepped.add(trace.step_node(k))
        if trace.phase(k) == "backward":
            stepped.update(trace.inputs(trace.step_node(k)))
    caption = f"step {trace.position} of {len(trace)}"
    if k is not None:
        caption += ": " + trace.describe(k)
    if source is not None:
        caption = f"{source}, {caption}"
    lines = [
        "digraph gradstep {",
        "  graph [rankdir=LR, labelloc=t, fontname=Helvetica, label=" + quoted(caption) + "];",
        "  node [fontname=Helvetica];",
    ]
    for i in range(trace.size):
        label = "{ %s | data %s | grad %s }" % (  # noqa: UP031 (the lecture's own format)
            record_field(trace.name(i)),
            _number(trace.value(i), "·"),
            _number(trace.grad_so_far(i), "—"),
        )
        bold = ", style=bold, penwidth=2" if i in stepped else ""
        lines.append(f'  n{i} [shape=record, label="{label}"{bold}];')
        symbol = trace.symbol(i)
        if symbol:
            lines.append(f"  n{i}op [label={quoted(symbol)}];")
            lines.append(f"  n{i}op -> n{i};")
    for i in range(trace.size):
        for j in trace.inputs(i):
            lines.append(f"  n{j} -> n{i}op;")
    lines.append("}")
    return "\n".join(lines) + "\n"
