"""Ask for the nudge's ``h``: a number (or arithmetic such as ``1e-4`` or ``1/1024``)."""

from __future__ import annotations

import math
from typing import ClassVar

from gradstep.core.ops import format_number
from gradstep.core.quiz import AnswerError, evaluate_answer
from gradstep.tui.widgets.text_input import TextInput
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


class NudgeStepScreen(ModalScreen[float | None]):
    """Dismisses with the new h, or None on escape. A bad value is explained and not accepted."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    DEFAULT_CSS = """
    NudgeStepScreen { align: center middle; }
    NudgeStepScreen > Vertical {
        width: 80%;
        max-width: 70;
        height: auto;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    NudgeStepScreen #h-error { color: $text-error; height: auto; }
    """

    def __init__(self, h: float) -> None:
        super().__init__()
        self._h = h

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Nudge by h (enter sets it, escape cancels):")
            yield TextInput(value=format_number(self._h), placeholder="e.g. 0.001 or 1e-6", id="h")
            yield Static(id="h-error", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            h = evaluate_answer(event.value)
        except AnswerError as error:
            self.query_one("#h-error", Static).update(Text(str(error)))
            return
        if not math.isfinite(h) or h == 0:
            self.query_one("#h-error", Static).update(Text("h must be a finite number other than 0"))
            return
        self.dismiss(h)

    def action_cancel(self) -> None:
        self.dismiss(None)
