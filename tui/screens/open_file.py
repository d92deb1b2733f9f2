"""The open-file dialog: a path, typed; the app loads it and reports any error itself."""

from __future__ import annotations

from typing import ClassVar

from gradstep.tui.widgets.text_input import TextInput
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class OpenFileScreen(ModalScreen[str | None]):
    """Ask for a path. Dismisses with the path typed, or None on escape."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    DEFAULT_CSS = """
    OpenFileScreen { align: center middle; }
    OpenFileScreen > Vertical {
        width: 80%;
        max-width: 90;
        height: auto;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    """

    def __init__(self, start: str = "") -> None:
        super().__init__()
        self._start = start

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Open an expression file (enter to open, escape to cancel):")
            yield TextInput(value=self._start, placeholder="path/to/file.gs", id="path")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        path = event.value.strip()
        self.dismiss(path or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
