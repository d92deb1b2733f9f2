"""The floor for the terminal benchmarks: the least a Textual app can be and still answer ``n``.

One ``Static`` whose text changes on ``n`` (and back on ``N``), and a footer, as gradstep has.
Whatever gradstep's key-to-screen or start-up costs beyond this app's is gradstep's own; what
this app costs is Textual's, Python's and the terminal's.

    python bench/minimal_app.py
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Static


class MinimalApp(App[int]):
    """A counter: ``n`` adds one, ``N`` takes one away, ``q`` quits."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "step(1)", "Next"),
        Binding("N", "step(-1)", "Prev"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def compose(self) -> ComposeResult:
        yield Static(self._text(), id="step")
        yield Footer(compact=True)

    def _text(self) -> str:
        return f"minimal app  ·  step {self.count}"

    def action_step(self, by: int) -> None:
        self.count += by
        self.query_one("#step", Static).update(self._text())

    async def action_quit(self) -> None:
        self.exit(0)


if __name__ == "__main__":
    raise SystemExit(MinimalApp().run() or 0)
