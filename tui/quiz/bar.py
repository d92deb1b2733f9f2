"""The answer bar of predict mode: ``b.grad += ?``, one input line, and what became of the answer."""

from __future__ import annotations

from typing import ClassVar

from gradstep.core.ops import format_number
from gradstep.core.quiz import AnswerError, Question, Quiz, Verdict
from gradstep.core.text import escape
from gradstep.core.trace import Trace
from gradstep.tui.widgets.text_input import TextInput
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Static

HINT_KEY = "ctrl+t"
"""Shows the local derivative's formula. A control key: an answer is typed, and no letter or
symbol may be taken from it (``1e-3``, ``inf`` and ``-2 * (3)`` all need their characters)."""
SKIP_KEY = "ctrl+s"
"""Gives up on the question (counted as asked and not right); the right value is shown."""


class AnswerInput(TextInput):
    """The one input line. Enter submits; the hint and skip keys work while typing."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(HINT_KEY, "hint", "Hint"),
        Binding(SKIP_KEY, "skip", "Skip"),
        Binding("escape", "leave", "To tree"),
    ]
    """
    | Key(s) | Description |
    | :- | :- |
    | ctrl+t | Hint: the local derivative's formula with the node names. |
    | ctrl+s | Skip the question (it counts as missed). |
    | escape | Leave the input for the panes (predict mode stays on; p turns it off). |
    """

    @property
    def bar(self) -> QuizBar:
        return next(node for node in self.ancestors if isinstance(node, QuizBar))

    async def on_key(self, event: events.Key) -> None:
        # The input's keys (enter, backspace, ctrl+u, the hint, the skip, ...) act here, in the
        # input's own queue, in order with the characters typed: as bindings they would run once
        # the key had bubbled up to the app, after any characters typed behind them (a burst of
        # "-2<enter>4<enter>" would submit "-24"). The bindings stay for the footer.
        action = _INPUT_ACTIONS.get(event.key)
        if action is not None:
            event.stop()
            event.prevent_default()
            await self.run_action(action)
        # Anything else (a character) goes on to Input's own handler.

    async def action_submit(self) -> None:
        self.bar.submit(self.value)

    async def action_hint(self) -> None:
        self.bar.hint()

    async def action_skip(self) -> None:
        self.bar.skip()

    def action_leave(self) -> None:
        self.screen.focus_next()


_INPUT_ACTIONS = {
    binding.key: binding.action
    for binding in Binding.make_bindings([*Input.BINDINGS, *AnswerInput.BINDINGS])
    if binding.key != "escape"  # leaving the input may well wait for the keys before it
}
"""The input's own keys and their actions, run in order with the characters typed."""


class QuizBar(Vertical):
    """Asks the pending question of a ``Quiz``, checks what is typed and says right or wrong.

    The quiz moves the trace's cursor (a step is applied once all its edges were asked); the bar
    then posts ``Moved`` so that the app redraws the panes, and ``Finished`` after the last one.
    """

    DEFAULT_CSS = """
    QuizBar {
        height: auto;
        max-height: 5;
        display: none;
        background: $panel;
        padding: 0 1;
        &.-active { display: block; }
        & > Horizontal { height: 1; }
        #quiz-prompt { width: auto; text-style: bold; color: $text-accent; }
        #quiz-answer { width: 1fr; }
        #quiz-context { color: $text-muted; height: auto; }
        #quiz-feedback { height: auto; }
    }
    """

    class Moved(Message):
        """The quiz moved the trace's cursor: redraw."""

    class Finished(Message):
        """The last question was answered: time for the summary."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.quiz: Quiz | None = None
        self.last: Verdict | None = None
        """The verdict of the last answer, or None."""
        self._feedback_text = Text()

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(id="quiz-prompt")
            yield AnswerInput(
                placeholder="your answer, e.g. -2 * 3; enter checks it", compact=True, id="quiz-answer"
            )
        yield Static(id="quiz-context", markup=False)
        yield Static(id="quiz-feedback", markup=False)

    @property
    def active(self) -> bool:
        return self.quiz is not None

    @property
    def score(self) -> str | None:
        """``score K/N`` while predict mode is on, else None."""
        return None if self.quiz is None else self.quiz.score

    @property
    def input(self) -> AnswerInput:
        return self.query_one(AnswerInput)

    @property
    def feedback(self) -> str:
        """The feedback line as plain text (what is on screen)."""
        return self._feedback_text.plain

    def start(self, trace: Trace) -> None:
        """Predict mode on for ``trace``, from its cursor (forward done and the seed set first)."""
        self.quiz = Quiz(trace)
        self.quiz.start()
        self.last = None
        self.add_class("-active")
        self._say(Text("Predict: type the contribution each operand receives, then enter."))
        self.sync()
        if not self.quiz.finished:
            self.input.focus()

    def stop(self) -> None:
        self.quiz = None
        self.remove_class("-active")

    def sync(self) -> None:
        """Show the question pending at the trace's cursor (the cursor may have been moved)."""
        quiz = self.quiz
        if quiz is None:
            return
        question = quiz.question()
        prompt = self.query_one("#quiz-prompt", Static)
        context = self.query_one("#quiz-context", Static)
        answer = self.input
        if question is None:
            prompt.update(Text("Backward is done "))
            context.update(Text(f"{quiz.score} · N steps back to try again · p leaves predict mode"))
            answer.disabled = True
            answer.display = False
            return
        answer.disabled = False
        answer.display = True
        prompt.update(Text(f"{escape(quiz.trace.ref(question.operand))}.grad += ? "))
        context.update(self._context_line(quiz, question))

    def _context_line(self, quiz: Quiz, question: Question) -> Text:
        trace = quiz.trace
        operand, node = escape(trace.ref(question.operand)), escape(trace.ref(question.node))
        if question.number and trace.in_ids[question.edge - 1] == question.operand:
            so_far = f"{operand}.grad {format_number(question.grad_before)} (from the edge before)"
        elif trace.first_grad_event[question.operand] >= question.step:
            so_far = f"{operand}.grad — (nothing yet)"
        else:
            so_far = f"{operand}.grad {format_number(question.grad_before)} so far"
        edge = f" · edge {question.number + 1} of {question.of}" if question.of > 1 else ""
        return Text(
            f"{so_far} · step {question.step + 1}: {node} = {escape(trace.expression(question.node))},"
            f" {node}.grad = {format_number(trace.grad[question.node])}{edge}"
        )

    def _say(self, text: Text) -> None:
        self._feedback_text = text
        self.query_one("#quiz-feedback", Static).update(text)

    def _verdict(self, verdict: Verdict) -> None:
        self.last = verdict
        style = {"right": "bold green", "wrong": "bold red", "skipped": "bold yellow"}[verdict.kind]
        head, _, rest = verdict.sentence.partition(":")
        text = Text(head, style=style)
        text.append(f":{escape(rest)}")
        if not verdict.counted:
            text.append("  (asked before: not scored again)", style="dim")
        self._say(text)

    def _after(self) -> None:
        assert self.quiz is not None
        self.input.value = ""
        self.post_message(QuizBar.Moved())
        if self.quiz.finished:
            self.post_message(QuizBar.Finished())

    def submit(self, text: str) -> None:
        """Check ``text`` against the question on show (enter in the input)."""
        if self.quiz is None or self.quiz.finished:
            return
        try:
            verdict = self.quiz.answer(text)
        except AnswerError as error:  # not counted: say why and let them retype
            self._say(Text("Not an answer: ", style="bold yellow") + Text(str(error)))
            return
        self._verdict(verdict)
        self._after()

    def hint(self) -> None:
        """Show the local derivative's formula for the question on show."""
        if self.quiz is None or self.quiz.finished:
            return
        self._say(Text("Hint: ", style="bold") + Text(escape(self.quiz.take_hint())))

    def skip(self) -> None:
        """Give up on the question on show: the right value is shown and it counts as missed."""
        if self.quiz is None or self.quiz.finished:
            return
        self._verdict(self.quiz.skip())
        self._after()
