"""The export dialog (``x``): a format and a path, both shown before anything is written.

A path ending in ``.dot .svg .md .json`` picks that format; the buttons pick it for any other name.
Nothing is written unasked: the path is a suggestion in the prompt (``seed.step5.dot`` in the current
directory), and enter is the person's yes. An existing file is refused here, in the dialog, so the
person can pick another name; the app writes the file and says where.
"""

from __future__ import annotations

import os
from typing import ClassVar

from gradstep.core.text import shown
from gradstep.tui.widgets.text_input import TextInput
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, RadioButton, RadioSet

APP_FORMATS = ("dot", "svg", "md", "json")
"""What the key exports: the current step's graph, its picture, the walkthrough up to it, the trace.
(A ``cast`` records every step, not the current one: that is ``gradstep export --to cast``.)"""


def suggested_name(stem: str, position: int, to: str) -> str:
    """``seed.step5.dot`` for ``examples/seed.gs`` at step 5: a name in the current directory."""
    return f"{stem or 'graph'}.step{position}.{to}"


class ExportScreen(ModalScreen[tuple[str, str] | None]):
    """Ask for a format and a path. Dismisses with ``(format, path)``, or None on escape."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical {
        width: 80%;
        max-width: 90;
        height: auto;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    ExportScreen RadioSet { layout: horizontal; width: auto; height: auto; }
    ExportScreen RadioButton { width: auto; margin-right: 2; }
    ExportScreen #problem { color: $error; }
    """

    def __init__(self, heading: str, stem: str, position: int) -> None:
        """``stem`` names the suggested file: the opened file's name without its extension."""
        super().__init__()
        self._heading = heading
        self._stem = stem
        self._position = position
        self._format = APP_FORMATS[0]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Content(self._heading))
            yield Label("Format (shift+tab to reach it, arrows and space to pick):")
            with RadioSet(id="format"):
                for to in APP_FORMATS:
                    yield RadioButton(to, value=to == self._format, name=to)
            yield Label("Write to (enter to export, escape to cancel):")
            yield TextInput(value=suggested_name(self._stem, self._position, self._format), id="path")
            yield Label("", id="problem")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        """A new format: the suggested extension follows it, if the path still has the old one."""
        new = event.pressed.name or self._format
        path = self.query_one("#path", Input)
        old_suffix = "." + self._format
        if path.value.endswith(old_suffix):
            path.value = path.value[: -len(old_suffix)] + "." + new
        self._format = new
        path.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        path = os.path.expanduser(event.value.strip())
        problem = self.query_one("#problem", Label)
        if not path:
            problem.update("Give a file name.")
        elif os.path.isdir(path):
            problem.update(Content(f"{shown(path, 200)} is a directory: give a file name."))
        elif os.path.exists(path):
            problem.update(
                Content(f"{shown(path, 200)} exists: gradstep does not replace files; give another name.")
            )
        else:
            # A name ending in one of the formats' extensions means that format (``notes.md`` is
            # never a DOT file); any other name takes the format picked above.
            extension = os.path.splitext(path)[1].lstrip(".").lower()
            self.dismiss((extension if extension in APP_FORMATS else self._format, path))

    def action_cancel(self) -> None:
        self.dismiss(None)
