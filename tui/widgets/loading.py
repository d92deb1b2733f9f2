"""The progress of a file loading in the background: what is being read, and how far it has come.

A big file loads on a thread of its own (tui/loader.py); the app stays on screen and answers keys
meanwhile, and this bar, under the status line, says where the load is. Hidden when nothing loads.

The app mounts the bar when a first big load begins (most sessions never need it, and every widget
on the screen costs start-up time); it may be told what to say before it is mounted.
"""

from __future__ import annotations

from gradstep.core.text import shown
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

STAGES: dict[str, tuple[float, float, str]] = {
    "reading": (0.0, 0.02, "reading"),
    "parsing": (0.02, 0.35, "parsing"),
    "building": (0.35, 0.8, "building the graph"),
    "tracing": (0.8, 0.95, "tracing backprop"),
    "drawing": (0.95, 1.0, "drawing"),
}
"""Each stage's share of the whole bar (from, to) and its words; ``done/total`` moves within it."""


class LoadingBar(Horizontal):
    """``Loading FILE · parsing 120,000 of 660,021 characters`` beside a bar of the whole load."""

    DEFAULT_CSS = """
    LoadingBar {
        display: none;
        height: 1;
        padding: 0 1;
        background: $panel;
    }
    LoadingBar.-visible { display: block; }
    LoadingBar > Static { width: 1fr; height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    LoadingBar > ProgressBar { width: auto; height: 1; margin-left: 1; }
    """

    plain: str = ""
    """What the bar says, as plain text (for tests)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = Static(id="loading-text")
        self._bar = ProgressBar(total=100, show_eta=False, id="loading-bar")

    def compose(self) -> ComposeResult:
        yield self._text
        yield self._bar

    def start(self, path: str) -> None:
        """Show the bar for a load of ``path`` that has just begun."""
        self._path = path
        self.set_class(True, "-visible")
        self.report("reading", 0, 1)

    def report(self, stage: str, done: int, total: int) -> None:
        """The load reached ``done`` of ``total`` in ``stage`` (a key of ``STAGES``)."""
        low, high, words = STAGES.get(stage, (0.0, 1.0, stage))
        fraction = low + (high - low) * (done / total if total > 0 else 0.0)
        unit = {"parsing": " characters", "building": " statements"}.get(stage)
        amount = f" {done:,} of {total:,}{unit}" if unit else ""
        self.plain = f"Loading {shown(getattr(self, '_path', ''), 120)} · {words}{amount} · q quits"
        self._text.update(Text(self.plain, no_wrap=True, overflow="ellipsis"))
        self._bar.update(progress=round(100 * fraction))

    def stop(self) -> None:
        """The load is over (loaded, failed or superseded): hide the bar."""
        self.set_class(False, "-visible")
        self.plain = ""
