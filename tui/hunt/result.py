"""The hunt's result: right or wrong, then the correct run beside the buggy one, with the verdict.

Two columns, the planted run (their steps as the check saw them, ✗ where a step went wrong) and the
correct run (the same engine without the bug), each step with the node's grad when it ran and what
it left in each operand's grad, then every node's final grad. The planted run's first wrong step is
highlighted in both columns (in the correct one, the step of the same node), and scrolled into view.
"""

from __future__ import annotations

from typing import ClassVar

from gradstep.core.checker import Verdict
from gradstep.core.hunt import Hunt, Judgement
from gradstep.core.ops import format_number
from gradstep.core.text import shown
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

_N = format_number
HIGHLIGHT = "bold reverse"


def run_text(verdict: Verdict, highlight_node: int | None, *, planted: bool) -> tuple[Text, int]:
    """One run's steps and final grads; and the line of the highlighted step (0 when none).

    In the planted run the highlighted step is its first mismatch; in the correct run, the step of
    the node ``highlight_node``.
    """
    names = verdict.names
    first = verdict.first_mismatch
    text = Text()
    line = 0
    target = 0
    for step in verdict.steps:
        if planted:
            hit = first is not None and step.number == first.step
        else:
            hit = highlight_node is not None and step.node == highlight_node
        if hit and not target:
            target = line
        mark = "✗" if not step.ok else "✓"
        style = "bold red" if not step.ok else "green"
        text.append(f"{mark} ", style=HIGHLIGHT + " " + style if hit else style)
        head = Text(f"{step.number:>3} ", style="bold")
        head.append(shown(names[step.node], 24), style="bold")
        symbol = verdict.graph.symbol(step.node)
        if symbol:
            head.append(f" {symbol}", style="cyan")
        if not step.contributions:
            head.append("  a leaf: sends nothing", style="dim")
        else:
            head.append(f"  grad {_N(step.grad)}")
        if hit:
            head.stylize(HIGHLIGHT)
        text.append_text(head)
        text.append("\n")
        line += 1
        for c in step.contributions:
            entry = Text(f"      {shown(names[c.operand], 24)}.grad {_N(c.before)} → {_N(c.after)}")
            entry.stylize("red" if planted and not c.ok else "")
            if hit:
                entry.stylize(HIGHLIGHT)
            text.append_text(entry)
            text.append("\n")
            line += 1
    text.append("\nfinal grads\n", style="bold")
    for node in verdict.nodes:
        if not verdict.graph.reachable[node.index]:
            continue
        grad = node.got_grad
        wrong = planted and not node.ok
        text.append("✗ " if wrong else "  ", style="bold red")
        text.append(f"{shown(names[node.index], 24)}  {_N(grad)}", style="red" if wrong else "")
        if wrong:
            text.append(f"  (chain rule {_N(node.expected_grad)})", style="dim")
        text.append("\n")
    return text, target


def result_text(hunt: Hunt, judgement: Judgement) -> Text:
    """Right or wrong, what was planted, and the check's verdict on the planted run."""
    text = Text()
    right = judgement.right
    text.append("✓ " if right else "✗ ", style="bold green" if right else "bold red")
    text.append(judgement.message, style="bold")
    plant = hunt.planted.plant
    text.append("\nplanted: ")
    text.append(plant.name, style="bold")
    text.append(f" ({plant.how})")
    problem = hunt.planted.verdict.first_mismatch
    if problem is not None:
        text.append(f"\nthe check: ✗ {problem.kind} at step {problem.step}: ", style="red")
        text.append(shown(problem.message, 400))
    return text


class ComparisonScreen(Screen[None]):
    """The result and the two runs side by side; escape or enter goes back to the run."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "close", "back to the run"),
        Binding("q", "quit_app", "quit"),
    ]

    DEFAULT_CSS = """
    ComparisonScreen #result { height: auto; max-height: 7; padding: 0 1; background: $panel; }
    ComparisonScreen #runs { height: 1fr; }
    ComparisonScreen #runs > VerticalScroll { width: 1fr; border: round $primary; }
    """

    def __init__(self, hunt: Hunt, judgement: Judgement) -> None:
        super().__init__()
        self.hunt = hunt
        self.judgement = judgement
        problem = hunt.planted.verdict.first_mismatch
        node = problem.node_index if problem is not None else None
        self.planted_text, self.planted_line = run_text(hunt.planted.verdict, node, planted=True)
        self.correct_text, self.correct_line = run_text(hunt.survey.correct, node, planted=False)
        self.result = result_text(hunt, judgement)

    @property
    def plain(self) -> str:
        return "\n".join(t.plain for t in (self.result, self.planted_text, self.correct_text))

    def compose(self) -> ComposeResult:
        yield Static(self.result, id="result")
        with Horizontal(id="runs"):
            with VerticalScroll(id="planted-run") as left:
                left.border_title = f"the planted run: {self.hunt.planted.plant.name}"
                yield Static(self.planted_text, id="planted-steps")
            with VerticalScroll(id="correct-run") as right:
                right.border_title = "the correct run"
                yield Static(self.correct_text, id="correct-steps")
        yield Footer()

    def on_mount(self) -> None:
        self.call_after_refresh(self._scroll_to_highlight)

    def _scroll_to_highlight(self) -> None:
        for box, line in (("#planted-run", self.planted_line), ("#correct-run", self.correct_line)):
            self.query_one(box, VerticalScroll).scroll_to(y=max(line - 2, 0), animate=False)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_quit_app(self) -> None:
        self.app.exit(0)
