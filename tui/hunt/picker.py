"""The kind picker: after ``m`` marks a step, which of the canonical bugs is it?"""

from __future__ import annotations

from typing import ClassVar

from gradstep.core.planted import PLANT_KINDS, PlantKind
from gradstep.core.text import shown
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

KIND_HINTS: dict[PlantKind, str] = {
    "overwrite": "= where += belongs: what an operand's grad held is lost",
    "local": "a wrong local derivative in one op",
    "missing": "a step sends nothing where the chain rule sends something",
    "order": "a node's step runs before all its consumers have sent it their grads",
    "seed": "the output's grad is not 1 when its step runs",
}
"""What each kind looks like from the timeline, one line each."""


class KindPicker(ModalScreen[PlantKind | None]):
    """A list of the five kinds; enter picks one, escape goes back to stepping (nothing marked)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "back to the run")]

    DEFAULT_CSS = """
    KindPicker { align: center middle; }
    KindPicker > Vertical {
        width: 90%;
        max-width: 84;
        height: auto;
        max-height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    KindPicker #kinds { height: auto; max-height: 12; }
    KindPicker #kind-notes { color: $text-muted; }
    """

    def __init__(self, step: int, hidden: tuple[tuple[PlantKind, str], ...] = ()) -> None:
        super().__init__()
        self.step = step
        self.hidden = hidden

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = f"step {self.step} marked: what kind of bug is it?"
            yield OptionList(*self.options(), id="kinds")
            notes = Text("enter: pick · escape: back to the run (nothing marked)")
            for kind, why in self.hidden:
                notes.append(f"\nthis file cannot reveal {kind}: ")
                notes.append(shown(why, 300))
            yield Static(notes, id="kind-notes")

    def options(self) -> list[Option]:
        options = []
        for kind in PLANT_KINDS:
            label = Text(f"{kind:<10}", style="bold")
            label.append(KIND_HINTS[kind], style="dim")
            options.append(Option(label, id=kind))
        return options

    def on_mount(self) -> None:
        self.query_one("#kinds", OptionList).highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        kind = event.option.id
        self.dismiss(next(k for k in PLANT_KINDS if k == kind))

    def action_cancel(self) -> None:
        self.dismiss(None)
