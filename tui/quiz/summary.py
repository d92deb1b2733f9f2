"""The end of a quiz: the score, the ops missed, and every question with its answer."""

from __future__ import annotations

from typing import ClassVar

from gradstep.core.ops import format_number
from gradstep.core.quiz import Quiz
from gradstep.core.text import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

LISTED = 200
"""At most this many questions are listed one by one; the score counts them all."""


def summary_text(quiz: Quiz) -> Text:
    """The summary as text: ``score K/N``, then ``tanh: 1 of 1 wrong`` per op missed, then each
    question (``✓ d.grad += -2``)."""
    trace = quiz.trace
    text = Text()
    text.append("Backward is done.  ", style="bold")
    text.append(quiz.score, style="bold reverse")
    text.append("  (right first time / asked)", style="dim")
    if quiz.hints:
        text.append(f"\nHints taken: {quiz.hints}", style="dim")
    missed = quiz.missed()
    text.append("\n\nMissed\n", style="bold")
    if not quiz.asked:
        text.append("  nothing was asked: this graph has no backward edges\n")
    elif not missed:
        text.append("  nothing: every contribution right the first time\n", style="green")
    for op in missed:
        text.append(f"  {op}\n")
    text.append("\nEvery question\n", style="bold")
    marks = {"right": ("✓", "green"), "wrong": ("✗", "red"), "skipped": ("–", "yellow")}
    for n, verdict in enumerate(quiz.results.values()):
        if n == LISTED:
            text.append(f"  … and {quiz.asked - LISTED} more\n", style="dim")
            break
        mark, style = marks[verdict.kind]
        q = verdict.question
        text.append(f"  {mark} ", style=style)
        text.append(f"{escape(trace.ref(q.operand))}.grad += {format_number(q.expected)}")
        if verdict.kind == "wrong" and verdict.answer is not None:
            text.append(f"  (you: {format_number(verdict.answer)})", style="red")
        elif verdict.kind == "skipped":
            text.append("  (skipped)", style="yellow")
        text.append(f"  via {escape(trace.expression(q.node))}\n", style="dim")
    text.append("\nenter or escape: back to the debugger · q: quit", style="dim")
    return text


class SummaryScreen(ModalScreen[None]):
    """Shown once the last question is answered. Enter or escape closes it; q quits the app."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "close", "Back"),
        Binding("q", "quit_app", "Quit"),
    ]

    DEFAULT_CSS = """
    SummaryScreen { align: center middle; }
    SummaryScreen > VerticalScroll {
        width: 90%;
        max-width: 80;
        height: auto;
        max-height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    """

    def __init__(self, quiz: Quiz) -> None:
        super().__init__()
        self.quiz = quiz
        self.text = summary_text(quiz)

    @property
    def plain(self) -> str:
        return self.text.plain

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self.text, markup=False)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_quit_app(self) -> None:
        self.app.exit(0)
