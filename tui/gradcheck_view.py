"""``gradstep trace --gradcheck``: every leaf's grad beside its central difference, as a table.

Rich only (no Textual), like ``gradstep trace``. The checking is ``gradstep.core.nudge.gradcheck``;
this module prints its verdict.
"""

from __future__ import annotations

import math

from gradstep.core.nudge import ATOL, RTOL, GradCheck, agrees
from gradstep.core.ops import format_number
from gradstep.core.text import escape
from rich.console import Console
from rich.table import Table
from rich.text import Text


def _error(x: float) -> str:
    return "nan" if math.isnan(x) else f"{x:.1e}"


def gradcheck_table(check: GradCheck) -> Table:
    table = Table(title="Gradient check: central differences", title_justify="left", expand=False)
    table.add_column("leaf", no_wrap=True)
    table.add_column("grad", justify="right")
    table.add_column("numeric", justify="right")
    table.add_column("relative error", justify="right")
    table.add_column("", no_wrap=True)
    for leaf in check.leaves:
        if leaf.note is not None:  # no derivative to compare here; say whether the numbers agree anyway
            close = math.isfinite(leaf.numeric) and agrees(leaf.grad, leaf.numeric)
            mark = Text("✓" if close else "—", style="green" if close else "yellow")
            mark.append(" see below", style="yellow")
        else:
            mark = Text("✓", style="green") if leaf.ok else Text("✗", style="bold red")
        table.add_row(
            Text(escape(leaf.label), style="bold"),
            format_number(leaf.grad),
            format_number(leaf.numeric),
            _error(leaf.rel_error),
            mark,
        )
    return table


def print_gradcheck(check: GradCheck, source: str, console: Console | None = None) -> None:
    """The table, then one line: all agree, or how many leaves disagree."""
    console = console or Console()
    heading = Text("gradstep trace --gradcheck ", style="bold")
    heading.append(escape(source), style="bold cyan")
    heading.append(f" — (L(x+h) - L(x-h)) / 2h with h = {check.h:g} for each leaf")
    console.print(heading)
    console.print(gradcheck_table(check))
    unjudged = [leaf for leaf in check.leaves if leaf.note is not None]
    for leaf in unjudged:
        line = Text("— ", style="yellow")
        line.append(escape(leaf.label), style="bold")
        line.append(f": {escape(leaf.note or '')}")
        console.print(line)
    wrong = [leaf for leaf in check.leaves if not leaf.ok]
    rule = f"|grad - numeric| <= {ATOL:g} + {RTOL:g} * |numeric|"
    if wrong:
        verdict = f"✗ {len(wrong)} of {len(check.leaves)} leaves disagree ({rule} fails)"
        console.print(Text(verdict, "bold red"))
    elif unjudged:
        judged = len(check.leaves) - len(unjudged)
        console.print(Text(f"✓ the {judged} leaves that can be checked agree ({rule})", "bold green"))
    else:
        console.print(Text(f"✓ every leaf agrees ({rule})", "bold green"))
