"""The keys line at the bottom: the screen's active bindings, as Textual's compact ``Footer`` shows them.

One widget that draws one line. Textual's ``Footer`` is a container of one ``FooterKey`` widget per
key, and it composes them only after the first refresh and again on every change of the bindings
(focus moving, ``refresh_bindings``): at start-up that was four recomposes of 14 widgets, each a
layout and a full repaint, and the keys reached the screen only in the sixth frame. This line is in
the first frame and a change of the bindings repaints one row.
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget


class Key(NamedTuple):
    """One key as shown: where it is on the line, and what pressing it there does."""

    start: int
    end: int
    key: str
    enabled: bool


PALETTE_HINT_WIDTH = 90
"""From this many columns the footer shows the command palette's key too; narrower, every other
key of the debugger's (and of check mode's) fits only without it."""


class KeysBar(Widget, can_focus=False):
    """The active bindings that ``show``, one per action, then the command palette's key on the right.

    A click on a key presses it (``App.simulate_key``), as a click on a ``FooterKey`` does.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "keys-bar--key",
        "keys-bar--description",
        "keys-bar--edge",
    }

    DEFAULT_CSS = """
    KeysBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
    }
    KeysBar > .keys-bar--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeysBar > .keys-bar--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    KeysBar > .keys-bar--edge {
        color: $foreground 20%;
    }
    """

    show_command_palette: reactive[bool] = reactive(True)
    """Show the command palette's key at the right end."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._keys: list[Key] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        self.refresh()

    def _shown(self) -> tuple[list[tuple[Binding, bool]], tuple[Binding, bool] | None]:
        """The bindings to show, in order, one per action; and the palette's, if it shows."""
        active = self.screen.active_bindings
        seen: set[str] = set()
        shown: list[tuple[Binding, bool]] = []
        for _node, binding, enabled, _tooltip in active.values():
            if binding.show and binding.action not in seen:
                seen.add(binding.action)
                shown.append((binding, enabled))
        palette = None
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            found = active.get(self.app.COMMAND_PALETTE_BINDING)
            if found is not None:
                palette = (found.binding, found.enabled)
        return shown, palette

    def render(self) -> Text:
        key_style = self.get_component_rich_style("keys-bar--key")
        description_style = self.get_component_rich_style("keys-bar--description")
        shown, palette = self._shown()
        line = Text(no_wrap=True, overflow="crop", end="")
        keys: list[Key] = []

        def add(binding: Binding, enabled: bool) -> None:
            start = line.cell_len
            dim = "" if enabled else "dim"
            line.append(self.app.get_key_display(binding), key_style + dim if dim else key_style)
            if binding.description:
                line.append(" " + binding.description, description_style + dim if dim else description_style)
            keys.append(Key(start, line.cell_len, binding.key, enabled))

        for binding, enabled in shown:
            add(binding, enabled)
            line.append(" ")
        if palette is not None:
            binding, enabled = palette
            label = self.app.get_key_display(binding) + " " + binding.description
            edge = max(line.cell_len, self.size.width - cell_len(label) - 2)
            line.append(" " * (edge - line.cell_len))
            line.append("▏", self.get_component_rich_style("keys-bar--edge"))
            add(binding, enabled)
        self._keys = keys
        return line

    def on_click(self, event: events.Click) -> None:
        for key in self._keys:
            if key.start <= event.x < key.end:
                if key.enabled:
                    self.app.simulate_key(key.key)
                else:
                    self.app.bell()
                return
