"""Backprop as a Markdown walkthrough, to paste into notes: ``gradstep export --to md``.

The forward pass (each leaf's value, then each computed node with its expression and value), then
each backward step in timeline order with every edge's arithmetic and the operand's running sum
(``b.grad: -6 → 8``, so accumulation shows), then every node's value and grad as they stand at the
last step shown. Up to step K, the walkthrough stops there (the numbers after it are left out).

Every name, formula and number sits in a code span, so a label cannot be read as Markdown (``*``,
``_``, ``|``, ``<b>``): the span's fence is one backtick longer than any run of backticks in it, and
the text went through ``escape`` first (no control character reaches the notes).
"""

from __future__ import annotations

import re

from .events import BackwardStep
from .ops import format_number
from .text import escape
from .trace import Trace

_TICKS = re.compile(r"`+")


def code(text: str) -> str:
    """``text`` as a Markdown code span that shows it literally, whatever backticks it holds."""
    text = escape(text)
    longest = max((len(run) for run in _TICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip(" ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _n(x: float) -> str:
    return format_number(x)


def to_markdown(trace: Trace, position: int | None = None, source: str | None = None) -> str:
    """The walkthrough from the start to cursor ``position`` (default: the end).

    Reads the trace's recorded numbers; the cursor is restored.
    """
    end = len(trace) if position is None else max(0, min(position, len(trace)))
    saved = trace.position
    try:
        return "\n".join(_walk(trace, end, source)) + "\n"
    finally:
        trace.goto(saved)


def _walk(trace: Trace, end: int, source: str | None) -> list[str]:
    out = trace.output
    title = "# Backprop walkthrough" + (f": {code(source)}" if source is not None else "")
    lines = [
        title,
        "",
        f"{trace.size} nodes, {len(trace)} steps; the output is {code(trace.name(out))}"
        f" = {code(_n(trace.data[out]))}."
        + ("" if end == len(trace) else f" Shown up to step {end} of {len(trace)}."),
        "",
        "## Forward pass",
        "",
    ]
    leaves = [i for i in range(trace.size) if trace.ops[i] is None]
    if leaves:
        lines.append("Leaves: " + ", ".join(_leaf(trace, i) for i in leaves))
        lines.append("")
    for k in range(min(end, trace.seed_index)):
        i = trace.step_node(k)
        lines.append(
            f"{k + 1}. {code(trace.name(i))} = {code(trace.expression(i))} = {code(_n(trace.data[i]))}"
        )
    if end > trace.seed_index:
        lines += [
            "",
            "## Backward pass",
            "",
            "Each step sends its node's grad to its operands:"
            " `operand.grad += local derivative × node.grad`.",
            "Grads accumulate: each edge ends with its operand's grad before → after it.",
            "",
            f"{trace.seed_index + 1}. Seed: {code(f'{trace.name(out)}.grad = 1')}",
        ]
    for k in range(trace.seed_index + 1, end):
        i = trace.step_node(k)
        step = trace.event(k)
        assert isinstance(step, BackwardStep)
        if not step.edges:
            lines.append(
                f"{k + 1}. {code(trace.name(i))}: leaf, its grad is final: {code(_n(trace.grad[i]))}"
            )
            continue
        lines.append(
            f"{k + 1}. {code(trace.name(i))} = {code(trace.expression(i))},"
            f" {code(f'{trace.name(i)}.grad')} = {code(_n(step.upstream))}:"
        )
        for e, edge in zip(trace.edges(i), step.edges, strict=True):
            operand = trace.name(edge.operand)
            running = f"{operand}.grad: {_n(edge.grad_before)} → {_n(edge.grad_after)}"
            lines.append(f"   - {code(trace.arithmetic(e))}; {code(running)}")
    trace.goto(end)
    lines += [
        "",
        f"## Values and grads at step {end} of {len(trace)}",
        "",
        "| node | op | data | grad |",
        "| :- | :- | -: | -: |",
    ]
    for i in range(trace.size):
        value, grad = trace.value(i), trace.grad_so_far(i)
        symbol = trace.symbol(i)
        lines.append(
            f"| {_cell(trace.name(i))} | {_cell(symbol) if symbol else ''} |"
            f" {'·' if value is None else _cell(_n(value))} | {'—' if grad is None else _cell(_n(grad))} |"
        )
    lines += ["", "`·`: not computed yet; `—`: no grad received yet."]
    return lines


def _leaf(trace: Trace, i: int) -> str:
    if not trace.labels[i]:
        return f"{code(_n(trace.data[i]))} (a constant)"
    return f"{code(trace.name(i))} = {code(_n(trace.data[i]))}"


def _cell(text: str) -> str:
    """A code span fit for a table cell: GitHub reads ``|`` as a column break even inside a span,
    so it is escaped there (and shown as ``|``)."""
    return code(text).replace("|", "\\|")
