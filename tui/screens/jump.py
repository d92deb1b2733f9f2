"""Jump to a node by name: type part of a label, pick from the matches."""

from __future__ import annotations

from typing import ClassVar

from gradstep.core.ops import format_number
from gradstep.core.text import escape
from gradstep.core.trace import Trace
from gradstep.tui.widgets.text_input import TextInput
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

MAX_MATCHES = 200
"""Matches listed; the rest are counted. A 60,000-node graph must not fill the list."""


def matching_nodes(trace: Trace, query: str, limit: int = MAX_MATCHES) -> tuple[list[int], int]:
    """Nodes whose label contains ``query`` (case-insensitive), exact matches first; and the total.

    Unlabelled nodes answer to ``#id``. An empty query lists the labelled nodes, output first.
    Labels only (not computed names), so one keystroke on a 60,000-node graph stays a quick scan.
    """
    needle = query.strip().lower()
    exact: list[int] = []
    partial: list[int] = []
    for i in range(trace.size - 1, -1, -1):
        if not needle:
            if trace.labels[i]:
                partial.append(i)
            continue
        name = trace.labels[i].lower() if trace.labels[i] else f"#{i}"
        if name == needle:
            exact.append(i)
        elif needle in name:
            partial.append(i)
    found = exact + partial
    return found[:limit], len(found)


class JumpScreen(ModalScreen[int | None]):
    """Dismisses with the chosen node, or None on escape."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "focus_matches", "Matches", show=False),
    ]

    DEFAULT_CSS = """
    JumpScreen { align: center middle; }
    JumpScreen > Vertical {
        width: 80%;
        max-width: 90;
        height: 80%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    JumpScreen OptionList { height: 1fr; }
    """

    def __init__(self, trace: Trace) -> None:
        super().__init__()
        self._trace = trace
        self._matches: list[int] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Jump to a node (type part of its label; enter picks the first match):", id="prompt")
            yield TextInput(placeholder="label", id="query")
            yield OptionList(id="matches")

    def on_mount(self) -> None:
        self._fill("")

    def _fill(self, query: str) -> None:
        trace = self._trace
        self._matches, total = matching_nodes(trace, query)
        options = self.query_one(OptionList)
        options.clear_options()
        for i in self._matches:
            line = Text(no_wrap=True)
            line.append(escape(trace.name(i)), "bold")
            symbol = trace.symbol(i)
            line.append(f"  {escape(trace.expression(i))}" if symbol else "  leaf")
            line.append(f"  = {format_number(trace.data[i])}", "dim")
            options.add_option(Option(line, id=str(i)))
        more = total - len(self._matches)
        label = self.query_one("#prompt", Label)
        suffix = f"  ({total:,} matches, first {len(self._matches)} shown)" if more > 0 else ""
        label.update(Text("Jump to a node (type part of its label; enter picks the first match):" + suffix))
        if self._matches:
            options.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        options = self.query_one(OptionList)
        if self._matches:
            at = options.highlighted or 0
            self.dismiss(self._matches[at])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(int(event.option.id))

    def action_focus_matches(self) -> None:
        self.query_one(OptionList).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
