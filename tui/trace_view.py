"""``gradstep trace``: the whole trace as Rich tables, for reading or pasting into notes.

Rich only; this module must not import Textual, so the headless command starts fast.
"""

from __future__ import annotations

from gradstep.core.events import BackwardStep
from gradstep.core.ops import format_number
from gradstep.core.text import escape
from gradstep.core.trace import Trace
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text


def _n(x: float) -> str:
    return format_number(x)


def forward_table(trace: Trace) -> Table:
    table = Table(title="Forward pass", title_justify="left", expand=False)
    table.add_column("step", justify="right", style="dim")
    table.add_column("node", no_wrap=True)
    table.add_column("computed")
    table.add_column("value", justify="right")
    for k in range(trace.seed_index):
        i = trace.step_node(k)
        table.add_row(
            str(k + 1),
            Text(escape(trace.name(i)), style="bold"),
            Text(escape(trace.expression(i))),
            _n(trace.data[i]),
        )
    return table


def backward_table(trace: Trace) -> Table:
    table = Table(title="Backward pass", title_justify="left", expand=False)
    table.add_column("step", justify="right", style="dim")
    table.add_column("node", no_wrap=True)
    table.add_column("contribution")
    table.add_column("grad before → after", justify="right", no_wrap=True)
    out = trace.output
    table.add_row(
        str(trace.seed_index + 1),
        Text(escape(trace.name(out)), style="bold"),
        Text(f"seed: {escape(trace.name(out))}.grad = 1"),
        "0 → 1",
    )
    for k in range(trace.seed_index + 1, len(trace)):
        i = trace.step_node(k)
        node = Text(escape(trace.name(i)), style="bold")
        if trace.symbol(i):
            node.append(f" {trace.symbol(i)}", style="cyan")
        step = trace.event(k)
        assert isinstance(step, BackwardStep)
        if not step.edges:
            table.add_row(str(k + 1), node, Text(f"leaf: grad final = {_n(trace.grad[i])}", style="dim"), "")
            continue
        for n, (e, edge) in enumerate(zip(trace.edges(i), step.edges, strict=True)):
            # Highlight accumulation: the operand had received a grad before this one.
            accumulated = trace.first_grad_event[edge.operand] < k or edge.grad_before != 0.0
            change = Text(
                f"{_n(edge.grad_before)} → {_n(edge.grad_after)}", style="bold yellow" if accumulated else ""
            )
            table.add_row(
                str(k + 1) if n == 0 else "",
                node if n == 0 else "",
                Text(escape(trace.arithmetic(e))),
                change,
            )
    return table


def grads_table(trace: Trace) -> Table:
    table = Table(title="Final values and grads", title_justify="left", expand=False)
    table.add_column("id", justify="right", style="dim")
    table.add_column("node", no_wrap=True)
    table.add_column("op")
    table.add_column("data", justify="right")
    table.add_column("grad", justify="right")
    table.add_column("used", justify="right", style="dim")
    for i in range(trace.size):
        uses = trace.uses(i)
        table.add_row(
            str(i),
            Text(escape(trace.name(i)), style="bold"),
            trace.symbol(i),
            _n(trace.data[i]),
            _n(trace.grad[i]),
            f"{uses}×" if uses > 1 else "",
        )
    return table


def print_trace(trace: Trace, source: str, console: Console | None = None) -> None:
    """Print the forward ops, every backward step with its arithmetic, and the final grads."""
    console = console or Console()
    output = trace.output
    heading = Text.assemble(
        ("gradstep trace ", "bold"),
        (escape(source), "bold cyan"),
        f" — {trace.size} nodes, {len(trace)} steps; "
        f"output {escape(trace.name(output))} = {_n(trace.data[output])}",
    )
    console.print(heading)
    legend = Text(
        "Backward: each step sends its node's grad to its operands; grads accumulate (+=), "
        "highlighted where a node had a grad already.",
        style="dim",
    )
    console.print(Group(forward_table(trace), backward_table(trace), legend, grads_table(trace)))
